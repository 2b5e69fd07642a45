//! Helpers: run the built binary, read its JSON output, make gzip files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// The repository's testdata folder.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// `ctreplay` with the given arguments, quiet. With `CTREPLAY_MEASURE`
/// set to a file, each run goes through GNU time, which appends its wall
/// seconds, peak RSS (KB) and arguments there (`scripts/hostile-limits.sh`
/// reads it; no test judges a time).
pub fn ctreplay(args: &[&str]) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("ctreplay");
    let mut cmd = match std::env::var_os("CTREPLAY_MEASURE") {
        Some(file) => {
            let mut c = Command::new("/usr/bin/time");
            c.arg("-a")
                .arg("-o")
                .arg(file)
                .arg("-f")
                .arg("%e %M %C")
                .arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.args(args).output().expect("binary runs")
}

/// Run `scan --format json` and parse stdout; also returns the exit code.
pub fn scan_json(args: &[&str]) -> (Value, i32) {
    let mut all = vec!["scan", "-q", "--format", "json"];
    all.extend_from_slice(args);
    let out = ctreplay(&all);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().expect("exited"))
}

/// Run `audit --format json` and parse stdout; also returns the exit code.
pub fn audit_json(args: &[&str]) -> (Value, i32) {
    let mut all = vec!["audit", "-q", "--format", "json"];
    all.extend_from_slice(args);
    let out = ctreplay(&all);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().expect("exited"))
}

/// One CloudTrail record of account 123837392027, made by IAM user
/// mallory: the shape every hand-made trail in the tests uses.
pub fn ct_record(
    time: &str,
    region: &str,
    name: &str,
    id: &str,
    source: &str,
    request: Value,
) -> Value {
    serde_json::json!({
        "eventVersion": "1.10", "eventTime": time, "eventSource": source, "eventName": name,
        "awsRegion": region, "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123837392027:user/mallory", "accountId": "123837392027"},
        "requestParameters": request, "responseElements": null, "eventID": id,
        "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": "123837392027", "eventCategory": "Management"
    })
}

/// `data` gzipped.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// gzip `data` into `path` (parents created).
pub fn write_gz(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, gzip(data)).unwrap();
}

/// (eventTime, eventName) of every event in a JSON report list.
pub fn times_and_names(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["eventTime"].as_str().unwrap().to_owned(),
                e["eventName"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Every file under `root`, keyed by its path relative to `root`.
pub fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let key = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((key, std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// The `kind` of every finding of an audit report.
pub fn finding_kinds(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("a kind"))
        .collect()
}

/// The virtualenv's programs (the AWS CLI, cfn-lint, python), from
/// scripts/moto.sh's MOTO_PYTHON.
pub fn venv_bin(name: &str) -> std::path::PathBuf {
    let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| {
        panic!("the --fix tests need scripts/moto.sh's virtualenv (MOTO_PYTHON): run `bash scripts/test.sh`")
    });
    std::path::Path::new(&python).with_file_name(name)
}
