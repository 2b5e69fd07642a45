//! `scan --shard i/N --format partial` and `ctreplay merge`: N shard runs,
//! started as AWS Batch or Kubernetes would start them (the index in the
//! environment), merged in any order or as a tree, give the single run's
//! JSON byte for byte; bad partials are refused with the file named.

use std::io::Read;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use crate::util::ctreplay;

/// A synthetic trail (duplicate deliveries across objects, events in
/// every stream) and a folder for the partials, outside it.
fn trail() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = ctreplay(&[
        "synth",
        "--out",
        dir.path().to_str().unwrap(),
        "--size",
        "10MB",
        "--largest",
        "1MB",
        "--seed",
        "4",
    ]);
    assert!(out.status.success());
    (dir, tempfile::tempdir().unwrap())
}

/// Run shard `i` of `n` the way an engine would: the index in the
/// variable AWS Batch or Kubernetes sets.
fn shard(root: &Path, extra: &[&str], i: u32, n: u32, out: &Path) -> PathBuf {
    let var = if i.is_multiple_of(2) {
        "AWS_BATCH_JOB_ARRAY_INDEX"
    } else {
        "JOB_COMPLETION_INDEX"
    };
    let o = Command::cargo_bin("ctreplay")
        .unwrap()
        .args([
            "scan",
            "-q",
            "--format",
            "partial",
            "--shard",
            &format!("auto/{n}"),
        ])
        .args(extra)
        .arg(root)
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
        .env_remove("JOB_COMPLETION_INDEX")
        .env(var, i.to_string())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let p = out.join(format!("part-{i:02}-of-{n}.ctr"));
    std::fs::write(&p, o.stdout).unwrap();
    p
}

fn merge(parts: &[&Path], format: &str) -> std::process::Output {
    let mut args = vec!["merge", "--format", format];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    ctreplay(&args)
}

fn merged_json(parts: &[&Path]) -> Vec<u8> {
    let o = merge(parts, "json");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// The events of a partial, read as the format documents it.
fn partial_events(p: &Path) -> Vec<Value> {
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
        .read_to_end(&mut json)
        .unwrap();
    let v: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["format"], "ctreplay-partial");
    assert_eq!(v["version"], 1);
    v["events"].as_array().unwrap().clone()
}

#[test]
fn shards_merged_in_any_order_or_as_a_tree_give_the_single_run() {
    let (dir, out) = trail();
    let root = dir.path();
    let single = ctreplay(&["scan", "-q", "--format", "json", root.to_str().unwrap()]);
    assert_eq!(single.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&single.stdout).unwrap();
    assert!(v["summary"]["duplicates_dropped"].as_u64().unwrap() > 0);
    assert!(!v["alarm_periods"][0]["breaching"]
        .as_array()
        .unwrap()
        .is_empty());
    for n in [1u32, 3, 8] {
        let parts: Vec<PathBuf> = (0..n).map(|i| shard(root, &[], i, n, out.path())).collect();
        let refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
        assert_eq!(merged_json(&refs), single.stdout, "N = {n}");
        let mut reversed = refs.clone();
        reversed.reverse();
        assert_eq!(merged_json(&reversed), single.stdout, "N = {n}, reversed");
        if n > 1 {
            // Every shard got objects, and the events of one alarm period
            // came from more than one shard.
            let per: Vec<Vec<Value>> = parts.iter().map(|p| partial_events(p)).collect();
            assert!(per.iter().filter(|e| !e.is_empty()).count() > 1, "N = {n}");
            let period = |e: &Value| e["secs"].as_i64().unwrap().div_euclid(300);
            let straddles = per.iter().enumerate().any(|(i, a)| {
                per.iter().enumerate().any(|(j, b)| {
                    i != j && a.iter().any(|x| b.iter().any(|y| period(x) == period(y)))
                })
            });
            assert!(straddles, "N = {n}: no period straddles two shards");
            // A tree: the halves merged to partials, then merged.
            let (left, right) = refs.split_at(refs.len() / 2);
            let l = out.path().join(format!("left-{n}.ctr"));
            let r = out.path().join(format!("right-{n}.ctr"));
            std::fs::write(&l, merge(left, "partial").stdout).unwrap();
            std::fs::write(&r, merge(right, "partial").stdout).unwrap();
            assert_eq!(merged_json(&[&r, &l]), single.stdout, "N = {n}, tree");
        }
    }
}

#[test]
fn bad_partials_are_refused_with_the_file_named() {
    let (dir, out) = trail();
    let root = dir.path();
    let parts: Vec<PathBuf> = (0..3).map(|i| shard(root, &[], i, 3, out.path())).collect();
    let refuse = |files: &[&Path], want: &str| {
        let o = merge(files, "json");
        assert_eq!(o.status.code(), Some(1), "{want}");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(err.contains(want), "{want}: {err}");
        err
    };
    // Truncated (an upload cut short).
    let bytes = std::fs::read(&parts[1]).unwrap();
    let cut = out.path().join("cut.ctr");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = refuse(
        &[&parts[0], &cut, &parts[2]],
        "cut.ctr: not a readable ctreplay partial",
    );
    assert!(err.contains("gzip"), "{err}");
    // Not a partial at all.
    let other = out.path().join("other.ctr");
    std::fs::write(
        &other,
        crate::util::gzip(b"{\"format\":\"something\",\"version\":1}"),
    )
    .unwrap();
    refuse(&[&other], "other.ctr: not a readable ctreplay partial");
    // Another query.
    std::fs::create_dir_all(out.path().join("x")).unwrap();
    let since = shard(
        root,
        &["--since", "2026-11-01T00:10:00Z"],
        1,
        3,
        &out.path().join("x"),
    );
    refuse(&[&parts[0], &since], "its query differs");
    refuse(&[&parts[0], &since], "in --since");
    // A shard twice, shards of another count, a shard missing.
    refuse(&[&parts[0], &parts[0]], "shard 0/3 is also in");
    let four = shard(root, &[], 3, 4, out.path());
    refuse(&[&parts[0], &four], "its shards are of 4");
    let err = refuse(&[&parts[0], &parts[2]], "shards 1 of 3 are missing");
    assert!(err.contains("--allow-missing"), "{err}");
    let o = ctreplay(&[
        "merge",
        "--allow-missing",
        "-f",
        "json",
        parts[0].to_str().unwrap(),
        parts[2].to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("covers the others only"));
    // A bad --shard.
    let o = ctreplay(&["scan", "-q", "--shard", "3/3", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let o = Command::cargo_bin("ctreplay")
        .unwrap()
        .args(["scan", "-q", "--shard", "auto/3", root.to_str().unwrap()])
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("JOB_COMPLETION_INDEX"));
}

/// The same from the S3 server: each shard lists only its day prefixes,
/// and the merge is the single S3 run's report (the LIST count aside:
/// every shard lists the levels above the days).
#[test]
fn shards_from_s3_merge_to_the_single_s3_run() {
    let (dir, out) = trail();
    std::fs::remove_file(dir.path().join("manifest.json")).unwrap();
    std::fs::remove_file(dir.path().join("public-keys.json")).unwrap();
    let bucket = crate::s3::bucket_with_metadata(
        "shards",
        crate::util::files_under(dir.path())
            .into_iter()
            .map(|(k, v)| (k, v, None))
            .collect(),
    );
    let url = format!("s3://{bucket}/AWSLogs/");
    let range = [
        "--since",
        "2026-10-31T00:00:00Z",
        "--until",
        "2026-11-02T00:00:00Z",
    ];
    let mut args = vec!["scan", "-f", "json", url.as_str()];
    args.extend(range);
    let single = crate::s3::run_s3(&args, None);
    assert_eq!(
        single.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&single.stderr)
    );
    let n = 3;
    let mut parts = Vec::new();
    for i in 0..n {
        let shard = format!("{i}/{n}");
        let mut args = vec![
            "scan",
            "-f",
            "partial",
            "--shard",
            shard.as_str(),
            url.as_str(),
        ];
        args.extend(range);
        let o = crate::s3::run_s3(&args, None);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let p = out.path().join(format!("s3-{i}.ctr"));
        std::fs::write(&p, o.stdout).unwrap();
        parts.push(p);
    }
    let refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let strip = |bytes: &[u8]| {
        let mut v: Value = serde_json::from_slice(bytes).unwrap();
        let s = v["summary"].as_object_mut().unwrap();
        let gets = s.remove("get_calls");
        s.remove("list_calls");
        (v, gets)
    };
    let (a, gets_a) = strip(&single.stdout);
    let (b, gets_b) = strip(&merged_json(&refs));
    assert_eq!(a, b);
    assert_eq!(gets_a, gets_b, "each object fetched by one shard only");
}

/// `audit --shard i/N --format partial` and `audit --partial`: the audit of
/// every shard's partial is the single audit's JSON, with exports.
#[test]
fn audit_shards_give_the_single_audit() {
    let (dir, out) = trail();
    let root = dir.path().to_str().unwrap();
    let exports = [
        "--metric-filters",
        crate::util::testdata("exports/audit/metric-filters.json")
            .to_str()
            .unwrap()
            .to_owned()
            .leak(),
        "--alarms",
        crate::util::testdata("exports/audit/alarms.json")
            .to_str()
            .unwrap()
            .to_owned()
            .leak(),
    ];
    let mut args = vec!["audit", "-q", "-f", "json", root];
    args.extend(exports);
    let single = ctreplay(&args);
    let n = 3;
    let mut parts = Vec::new();
    for i in 0..n {
        let shard = format!("{i}/{n}");
        let mut args = vec![
            "audit",
            "-q",
            "-f",
            "partial",
            "--shard",
            shard.as_str(),
            root,
        ];
        args.extend(exports);
        let o = ctreplay(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let p = out.path().join(format!("a-{i}.ctr"));
        std::fs::write(&p, o.stdout).unwrap();
        parts.push(p);
    }
    let mut args = vec!["audit", "-q", "-f", "json"];
    args.extend(exports);
    args.push("--partial");
    args.extend(parts.iter().rev().map(|p| p.to_str().unwrap()));
    let merged = ctreplay(&args);
    assert_eq!(merged.status.code(), single.status.code());
    assert_eq!(
        String::from_utf8_lossy(&merged.stdout),
        String::from_utf8_lossy(&single.stdout)
    );
    // A scan's partials are not an audit's, and merge refuses an audit's.
    let o = merge(&[&parts[0]], "json");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("audit --partial"));
    // A shard's audit is only written as a partial.
    let o = ctreplay(&["audit", "-q", "--shard", "0/3", root]);
    assert_eq!(o.status.code(), Some(1));
}

/// When CloudTrail shows a filter pattern the exports lack (a
/// PutMetricFilter in the logs), the shards' first phase cannot be
/// audited: `audit --partial` says to run them again with
/// `--patterns-from` the merged first phase; the second phase gives the
/// single audit, which scanned twice.
#[test]
fn a_pattern_only_cloudtrail_shows_takes_a_second_phase() {
    use crate::util::{ct_record, testdata, write_gz};
    let dir = tempfile::tempdir().unwrap();
    let put = ct_record(
        "2026-11-01T10:00:00Z",
        "us-east-1",
        "PutMetricFilter",
        "c1",
        "logs.amazonaws.com",
        serde_json::json!({
            "logGroupName": "aws-cloudtrail-logs-123837392027-1a2b3c4d",
            "filterName": "CIS-4.10-SecurityGroupChanges",
            "filterPattern": "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = CreateSecurityGroup) }",
            "metricTransformations": [{"metricName": "SecurityGroupEventCount", "metricNamespace": "CISBenchmark", "metricValue": "1"}]
        }),
    );
    let change = |day: u32, name: &str, id: &str| {
        ct_record(
            &format!("2026-11-0{day}T10:10:00Z"),
            "us-east-1",
            name,
            id,
            "ec2.amazonaws.com",
            serde_json::json!({"groupId": "sg-1"}),
        )
    };
    for (day, records) in [
        (1, vec![put, change(1, "RevokeSecurityGroupIngress", "a1")]),
        (2, vec![change(2, "AuthorizeSecurityGroupIngress", "a2")]),
        (3, vec![change(3, "DeleteSecurityGroup", "a3")]),
        (4, vec![change(4, "CreateSecurityGroup", "a4")]),
    ] {
        let key = format!("AWSLogs/123837392027/CloudTrail/us-east-1/2026/11/0{day}/123837392027_CloudTrail_us-east-1_2026110{day}T1015Z_abcdefABCDEF0123.json.gz");
        write_gz(
            &dir.path().join(key),
            serde_json::json!({ "Records": records })
                .to_string()
                .as_bytes(),
        );
    }
    let root = dir.path().to_str().unwrap();
    let f = testdata("exports/day-1/metric-filters.json");
    let a = testdata("exports/day-1/alarms.json");
    let exports = [
        "--metric-filters",
        f.to_str().unwrap(),
        "--alarms",
        a.to_str().unwrap(),
    ];
    let out = tempfile::tempdir().unwrap();
    let n = 4;
    let phase = |from: Option<&Path>, tag: &str| -> Vec<PathBuf> {
        (0..n)
            .map(|i| {
                let shard = format!("{i}/{n}");
                let mut args = vec![
                    "audit",
                    "-q",
                    "-f",
                    "partial",
                    "--shard",
                    shard.as_str(),
                    root,
                ];
                args.extend(exports);
                if let Some(p) = from {
                    args.extend(["--patterns-from", p.to_str().unwrap()]);
                }
                let o = ctreplay(&args);
                assert_eq!(
                    o.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&o.stderr)
                );
                let p = out.path().join(format!("{tag}-{i}.ctr"));
                std::fs::write(&p, o.stdout).unwrap();
                p
            })
            .collect()
    };
    let audit_of = |parts: &[PathBuf]| {
        let mut args = vec!["audit", "-q", "-f", "json"];
        args.extend(exports);
        args.push("--partial");
        args.extend(parts.iter().map(|p| p.to_str().unwrap()));
        ctreplay(&args)
    };
    let first = phase(None, "one");
    let o = audit_of(&first);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--patterns-from"));
    let joined = out.path().join("phase-one.ctr");
    let refs: Vec<&Path> = first.iter().map(PathBuf::as_path).collect();
    std::fs::write(&joined, merge(&refs, "partial").stdout).unwrap();
    let second = phase(Some(&joined), "two");
    let merged = audit_of(&second);
    let mut args = vec!["audit", "-q", "-f", "json", root];
    args.extend(exports);
    let single = ctreplay(&args);
    assert_eq!(merged.status.code(), single.status.code());
    assert_eq!(
        String::from_utf8_lossy(&merged.stdout),
        String::from_utf8_lossy(&single.stdout)
    );
}

/// `--manifest`: the objects of an S3 Inventory report (in the bucket, or a
/// local copy of it) instead of a listing; objects delivered after the
/// inventory are read only with `--manifest-delta`, and the report says how
/// old the inventory is.
#[test]
fn an_inventory_lists_the_objects_and_the_delta_adds_the_newest() {
    inventory_case(InventoryFormat::Csv);
}

/// The same with the inventory's data file in Apache Parquet, the key as
/// it is (not URL-encoded), written by the parquet crate's own writer with
/// the schema S3 documents for it.
#[test]
fn a_parquet_inventory_reads_like_the_csv_one() {
    inventory_case(InventoryFormat::Parquet);
}

#[derive(Clone, Copy, PartialEq)]
enum InventoryFormat {
    Csv,
    Parquet,
}

/// A Parquet inventory data file: bucket, key, size (as S3 names them).
fn parquet_inventory(bucket: &str, rows: &[(String, u64)]) -> Vec<u8> {
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let schema = parquet::schema::parser::parse_message_type(
        "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional int64 size; }",
    )
    .unwrap();
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut w = SerializedFileWriter::new(Vec::new(), Arc::new(schema), Arc::new(props)).unwrap();
    let mut group = w.next_row_group().unwrap();
    let text = |v: Vec<&str>| v.into_iter().map(ByteArray::from).collect::<Vec<_>>();
    for column in [
        text(rows.iter().map(|_| bucket).collect()),
        text(rows.iter().map(|(k, _)| k.as_str()).collect()),
    ] {
        let mut c = group.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>()
            .write_batch(&column, None, None)
            .unwrap();
        c.close().unwrap();
    }
    let sizes: Vec<i64> = rows.iter().map(|(_, s)| *s as i64).collect();
    let mut c = group.next_column().unwrap().unwrap();
    c.typed::<Int64Type>()
        .write_batch(&sizes, Some(&vec![1; sizes.len()]), None)
        .unwrap();
    c.close().unwrap();
    group.close().unwrap();
    w.into_inner().unwrap()
}

fn inventory_case(format: InventoryFormat) {
    use std::io::Write;
    let (dir, out) = trail();
    std::fs::remove_file(dir.path().join("manifest.json")).unwrap();
    std::fs::remove_file(dir.path().join("public-keys.json")).unwrap();
    let name = match format {
        InventoryFormat::Csv => "inventory",
        InventoryFormat::Parquet => "inventory-parquet",
    };
    let bucket = crate::s3::bucket_name(name);
    let files = crate::util::files_under(dir.path());
    // The inventory was taken at 00:30: objects delivered later are not in it.
    let taken = "20261101T0030Z";
    let mut csv = String::new();
    let mut rows = Vec::new();
    let mut left_out = 0;
    for (key, bytes) in &files {
        let file = key.rsplit('/').next().unwrap();
        let delivered = file.split('_').nth(3).unwrap_or("");
        if file.contains("_CloudTrail_") && delivered >= taken {
            left_out += 1;
            continue;
        }
        let encoded = key.replace(' ', "+");
        csv.push_str(&format!("\"{bucket}\",\"{encoded}\",\"{}\"\n", bytes.len()));
        rows.push((key.clone(), bytes.len() as u64));
    }
    assert!(left_out > 0);
    let (data, data_key, file_format, schema) = match format {
        InventoryFormat::Csv => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(csv.as_bytes()).unwrap();
            (
                gz.finish().unwrap(),
                format!("inv/{bucket}/cfg/data/0001.csv.gz"),
                "CSV",
                "Bucket, Key, Size",
            )
        }
        InventoryFormat::Parquet => (
            parquet_inventory(&bucket, &rows),
            format!("inv/{bucket}/cfg/data/0001.parquet"),
            "Parquet",
            "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional int64 size; }",
        ),
    };
    let manifest = serde_json::json!({
        "sourceBucket": bucket, "destinationBucket": format!("arn:aws:s3:::{bucket}"),
        "version": "2016-11-30", "creationTimestamp": "1793493000000", "fileFormat": file_format,
        "fileSchema": schema,
        "files": [{"key": data_key, "size": 1, "MD5checksum": "00"}]
    });
    let manifest_key = format!("inv/{bucket}/cfg/2026-11-01T00-30Z/manifest.json");
    let mut objects: Vec<(String, Vec<u8>, Option<String>)> =
        files.into_iter().map(|(k, v)| (k, v, None)).collect();
    objects.push((data_key.clone(), data.clone(), None));
    objects.push((
        manifest_key.clone(),
        manifest.to_string().into_bytes(),
        None,
    ));
    assert_eq!(crate::s3::bucket_with_metadata(name, objects), bucket);
    let url = format!("s3://{bucket}/AWSLogs/");
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "-f", "json", url.as_str()];
        args.extend_from_slice(extra);
        let o = crate::s3::run_s3(&args, None);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    let strip = |mut v: Value| {
        let s = v["summary"].as_object_mut().unwrap();
        s.remove("list_calls");
        s.remove("get_calls");
        v["scope"].as_object_mut().unwrap().remove("warnings");
        v
    };
    let listed = scan(&[]);
    let m = format!("s3://{bucket}/{manifest_key}");
    let old = scan(&["--manifest", &m]);
    assert!(old["scope"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w
            .as_str()
            .unwrap()
            .contains("S3 Inventory taken 2026-11-01T00:30:00Z")));
    assert_eq!(
        old["summary"]["objects_scanned"].as_u64().unwrap() + left_out,
        listed["summary"]["objects_scanned"].as_u64().unwrap()
    );
    let delta = scan(&["--manifest", &m, "--manifest-delta"]);
    assert_eq!(strip(delta), strip(listed.clone()));
    // A local copy of the inventory: the data file found beside it.
    let local = out
        .path()
        .join(format!("inv/{bucket}/cfg/2026-11-01T00-30Z/manifest.json"));
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::write(&local, manifest.to_string()).unwrap();
    let data_path = out.path().join(&data_key);
    std::fs::create_dir_all(data_path.parent().unwrap()).unwrap();
    std::fs::write(&data_path, data).unwrap();
    let copy = scan(&["--manifest", local.to_str().unwrap(), "--manifest-delta"]);
    assert_eq!(strip(copy), strip(listed));
}
