//! `ctreplay scan s3://...` against a real S3 server (moto's server mode,
//! started by scripts/test.sh). Without the server these tests fail and say
//! how to start it; they never skip.

use std::process::Output;

use assert_cmd::Command;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use serde_json::Value;

use crate::proxy::{Proxy, Reply, Request};
use crate::util::{ctreplay, files_under, gzip, testdata};

/// The S3 server's endpoint, from scripts/test.sh.
pub fn endpoint() -> String {
    std::env::var("CTREPLAY_TEST_S3_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "the S3 tests need an S3-compatible server: run `bash scripts/test.sh`, which installs and \
             starts moto, or start one yourself (pip install 'moto[server]'; moto_server -p 5000) and set \
             CTREPLAY_TEST_S3_ENDPOINT=http://127.0.0.1:5000"
        )
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("tokio runtime")
}

fn client(endpoint: &str) -> Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    Client::from_conf(conf)
}

/// The name [`bucket_with`] gives the bucket for `name`.
pub fn bucket_name(name: &str) -> String {
    format!("ctreplay-{name}-{}", std::process::id())
}

/// A fresh bucket holding `objects` (key, bytes).
fn bucket_with(name: &str, objects: Vec<(String, Vec<u8>)>) -> String {
    bucket_with_metadata(
        name,
        objects.into_iter().map(|(k, v)| (k, v, None)).collect(),
    )
}

/// A fresh bucket holding `objects` (key, bytes, and the
/// `x-amz-meta-signature` a CloudTrail digest carries).
pub fn bucket_with_metadata(name: &str, objects: Vec<(String, Vec<u8>, Option<String>)>) -> String {
    let ep = endpoint();
    let bucket = bucket_name(name);
    let c = client(&ep);
    runtime().block_on(async {
        c.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot create bucket {bucket} at {ep}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                )
            });
        use futures::stream::{self, StreamExt};
        let puts: Vec<_> = stream::iter(objects)
            .map(|(k, v, sig)| {
                let c = c.clone();
                let bucket = bucket.clone();
                async move {
                    let mut put = c.put_object().bucket(&bucket).key(&k);
                    if let Some(sig) = sig {
                        put = put
                            .metadata("signature", sig)
                            .metadata("signature-algorithm", "SHA256withRSA");
                    }
                    put.body(ByteStream::from(v))
                        .send()
                        .await
                        .map_err(|e| format!("{k}: {e}"))
                }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        for p in puts {
            p.unwrap();
        }
    });
    bucket
}

/// Run ctreplay against the S3 server (or `via`, a proxy in front of it).
pub fn run_s3(args: &[&str], via: Option<&str>) -> Output {
    let ep = via.map(str::to_owned).unwrap_or_else(endpoint);
    Command::cargo_bin("ctreplay")
        .unwrap()
        .args(args)
        .args(["--endpoint-url", &ep, "--path-style", "-q"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stderr: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The JSON report with object locations made relative and the request
/// counts removed, for comparing sources.
fn normalised(mut v: Value, prefix: &str) -> String {
    for k in ["list_calls", "get_calls"] {
        v["summary"].as_object_mut().unwrap().remove(k);
    }
    // The inputs named: a folder against an s3:// URL.
    v["scope"]["inputs"] = Value::Null;
    v.to_string().replace(prefix, "")
}

fn record(time: &str, name: &str, id: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"{time}","eventName":"{name}","eventID":"{id}","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"x","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}},"requestParameters":{{"groupId":"sg-1"}}}}"#
    )
}

fn object(records: &[String]) -> Vec<u8> {
    gzip(format!(r#"{{"Records":[{}]}}"#, records.join(",")).as_bytes())
}

#[test]
fn s3_scan_equals_the_local_scan_of_the_same_objects() {
    let dir = tempfile::tempdir().unwrap();
    let out = ctreplay(&[
        "synth",
        "--out",
        dir.path().to_str().unwrap(),
        "--size",
        "4MB",
        "--largest",
        "1MB",
        "--seed",
        "5",
    ]);
    assert!(out.status.success());
    std::fs::remove_file(dir.path().join("manifest.json")).unwrap();
    std::fs::remove_file(dir.path().join("public-keys.json")).unwrap();
    let bucket = bucket_with("equal", files_under(dir.path()));
    let local = ctreplay(&["scan", "-q", "-f", "json", dir.path().to_str().unwrap()]);
    let remote = run_s3(&["scan", "-f", "json", &format!("s3://{bucket}/")], None);
    assert_eq!(remote.status.code(), local.status.code());
    let (l, r) = (json_of(&local), json_of(&remote));
    assert!(r["summary"]["list_calls"].as_u64().unwrap() > 0);
    assert!(r["summary"]["matched"].as_u64().unwrap() > 0);
    assert_eq!(
        normalised(l, &format!("{}/", dir.path().display())),
        normalised(r, &format!("s3://{bucket}/"))
    );
    // The same for the audit.
    let local = ctreplay(&["audit", "-q", "-f", "json", dir.path().to_str().unwrap()]);
    let remote = run_s3(
        &["audit", "-f", "json", &format!("s3://{bucket}/AWSLogs/")],
        None,
    );
    let json = |out: &std::process::Output| -> Value {
        let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["scope"]["inputs"] = Value::Null;
        v
    };
    assert_eq!(
        json(&local),
        json(&remote),
        "the audit differs only in the inputs named"
    );
}

/// Organization-trail layout under a custom prefix: 2 accounts x 2
/// regions x 10 days, 2 objects a day, and a digest folder.
fn org_objects() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for account in ["111122223333", "444455556666"] {
        for region in ["eu-west-1", "us-east-1"] {
            for day in 1..=10 {
                for hh in [9, 21] {
                    let base = format!("audit/AWSLogs/o-abc123def4/{account}/CloudTrail/{region}/2026/11/{day:02}/");
                    let name = format!(
                        "{account}_CloudTrail_{region}_202611{day:02}T{hh:02}00Z_x.json.gz"
                    );
                    let id = format!("{account}-{region}-{day}-{hh}");
                    let time = format!("2026-11-{day:02}T{:02}:55:00Z", hh - 1);
                    let recs = vec![record(&time, "AuthorizeSecurityGroupIngress", &id)];
                    out.push((format!("{base}{name}"), object(&recs)));
                }
            }
            out.push((
                format!("audit/AWSLogs/o-abc123def4/{account}/CloudTrail-Digest/{region}/2026/11/03/{account}_CloudTrail-Digest_{region}_t_{region}_20261103T100000Z.json.gz"),
                gzip(br#"{"awsAccountId":"1","digestStartTime":"x","digestEndTime":"y","logFiles":[]}"#),
            ));
        }
    }
    out
}

#[test]
fn org_layout_listing_prunes_by_account_region_and_day() {
    let bucket = bucket_with("org", org_objects());
    let out = run_s3(
        &[
            "scan",
            "-f",
            "json",
            &format!("s3://{bucket}/"),
            "--since",
            "2026-11-03",
            "--until",
            "2026-11-04",
            "--account",
            "111122223333",
            "--region",
            "eu-west-1",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let s = &v["summary"];
    // Walk: root, audit/, AWSLogs/, o-abc123def4/ (accounts), the one
    // account asked for (services), its CloudTrail/ and CloudTrail-Digest/
    // (regions): 7 delimiter listings; then 3 days (Nov 2 to 4, widened by
    // the 1 h delivery skew) under each of the two eu-west-1 folders: 6.
    assert_eq!(s["list_calls"], 13, "{s}");
    // Listed: 3 days x 2 objects, plus the digest of Nov 3.
    assert_eq!(s["objects_listed"], 7);
    assert_eq!(s["objects_skipped_by_reason"]["digest"], 1);
    // Nov 2 21:00 holds events of 20:55 (before --since): skipped by key.
    assert_eq!(
        s["get_calls"].as_u64().unwrap() + s["objects_skipped"].as_u64().unwrap(),
        7
    );
    let ids: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["111122223333-eu-west-1-3-9", "111122223333-eu-west-1-3-21"]
    );
}

#[test]
fn listing_pages_past_1000_keys() {
    let objects: Vec<(String, Vec<u8>)> = (0..1100)
        .map(|i| {
            let key = format!("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T1000Z_{i:05}.json.gz");
            let recs = vec![record("2026-11-02T09:58:00Z", if i == 777 { "DeleteSecurityGroup" } else { "DescribeInstances" }, &format!("e{i}"))];
            (key, object(&recs))
        })
        .collect();
    let bucket = bucket_with("pages", objects);
    let out = run_s3(
        &["scan", "-f", "json", &format!("s3://{bucket}/AWSLogs/")],
        None,
    );
    let v = json_of(&out);
    let s = &v["summary"];
    assert_eq!(s["objects_scanned"], 1100, "{s}");
    assert_eq!(s["get_calls"], 1100);
    // AWSLogs/ (accounts), the account, CloudTrail/ (regions), then the
    // region flat: 1100 keys take two pages.
    assert_eq!(s["list_calls"], 5);
    assert_eq!(v["events"][0]["eventID"], "e777");
}

/// A key with a control character (an attacker who can write to the
/// bucket chooses key names) must not hide the keys beside it: listings are
/// asked for URL-encoded and decoded.
#[test]
fn a_key_with_a_control_character_hides_nothing() {
    let dir = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/";
    let objects = vec![
        (
            format!("{dir}111122223333_CloudTrail_eu-west-1_20261102T1000Z_plain.json.gz"),
            object(&[record(
                "2026-11-02T09:58:00Z",
                "DeleteSecurityGroup",
                "plain",
            )]),
        ),
        (
            format!("{dir}111122223333_CloudTrail_eu-west-1_20261102T1000Z_b\u{1}ad +key.json.gz"),
            object(&[record("2026-11-02T09:59:00Z", "CreateSecurityGroup", "odd")]),
        ),
    ];
    let bucket = bucket_with("controlkey", objects);
    let out = run_s3(
        &["scan", "-f", "json", &format!("s3://{bucket}/AWSLogs/")],
        None,
    );
    let v = json_of(&out);
    assert_eq!(out.status.code(), Some(0), "{}", v["errors"]);
    assert_eq!(v["summary"]["objects_scanned"], 2, "{}", v["summary"]);
    let ids: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["plain", "odd"]);
    assert!(v["events"][1]["object"]
        .as_str()
        .unwrap()
        .contains("b\u{1}ad +key"));
}

#[test]
fn corrupt_objects_are_reported_by_key_and_the_scan_goes_on() {
    let day = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/";
    let good = object(&[record("2026-11-02T09:58:00Z", "CreateSecurityGroup", "ok1")]);
    let mut truncated = object(&[record("2026-11-02T09:59:00Z", "DeleteSecurityGroup", "t1")]);
    truncated.truncate(truncated.len() - 12);
    let bucket = bucket_with(
        "corrupt",
        vec![
            (format!("{day}a.json.gz"), good),
            (format!("{day}b.json.gz"), b"not gzip at all".to_vec()),
            (format!("{day}c.json.gz"), truncated),
        ],
    );
    let out = run_s3(&["scan", "-f", "json", &format!("s3://{bucket}/")], None);
    assert_eq!(out.status.code(), Some(2));
    let v = json_of(&out);
    let errs: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["object"].as_str().unwrap())
        .collect();
    assert_eq!(
        errs,
        [
            format!("s3://{bucket}/{day}b.json.gz"),
            format!("s3://{bucket}/{day}c.json.gz")
        ]
    );
    assert_eq!(v["events"][0]["eventID"], "ok1");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not gzip"));
}

fn day_objects() -> Vec<(String, Vec<u8>)> {
    (0..6)
        .map(|i| {
            let key = format!("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T1000Z_{i}.json.gz");
            let name = if i == 4 { "vanish" } else { "keep" };
            let key = key.replace(".json.gz", &format!("_{name}.json.gz"));
            (key, object(&[record("2026-11-02T09:58:00Z", "AuthorizeSecurityGroupIngress", &format!("e{i}"))]))
        })
        .collect()
}

#[test]
fn throttling_is_retried_and_a_vanished_key_is_reported() {
    let bucket = bucket_with("faults", day_objects());
    let url = format!("s3://{bucket}/");
    let direct = json_of(&run_s3(&["scan", "-f", "json", &url], None));
    let b2 = bucket.clone();
    let proxy = Proxy::start(
        endpoint(),
        Box::new(move |r: &Request| {
            let object_get = r.method == "GET" && r.path.starts_with(&format!("/{b2}/AWSLogs"));
            if object_get && r.path.contains("_vanish") {
                return Some(Reply::s3_error(
                    404,
                    "NoSuchKey",
                    "The specified key does not exist.",
                ));
            }
            // The first two attempts at every object, and at the first listing
            // page, are throttled.
            let list = r.method == "GET" && r.path.contains("list-type=2");
            if (object_get || list) && r.nth <= 2 {
                return Some(Reply::s3_error(
                    503,
                    "SlowDown",
                    "Please reduce your request rate.",
                ));
            }
            None
        }),
    );
    let out = run_s3(&["scan", "-f", "json", &url], Some(&proxy.url));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]["object"]
        .as_str()
        .unwrap()
        .ends_with("_4_vanish.json.gz"));
    assert!(errors[0]["reason"]
        .as_str()
        .unwrap()
        .contains("disappeared between listing and fetch"));
    // Everything else is as without faults.
    let ids = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["eventID"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut want = ids(&direct);
    want.retain(|i| i != "e4");
    assert_eq!(ids(&v), want);
    // Each kept object took three attempts (two throttled).
    assert_eq!(proxy.count("_0_keep.json.gz"), 3);
}

#[test]
fn fatal_s3_errors_end_the_scan_with_one_message() {
    let out = run_s3(&["scan", "s3://ctreplay-no-such-bucket-here/"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the bucket does not exist"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let bucket = bucket_with("denied", day_objects());
    let proxy = Proxy::start(
        endpoint(),
        Box::new(|_: &Request| Some(Reply::s3_error(403, "AccessDenied", "Access Denied"))),
    );
    let out = run_s3(&["scan", &format!("s3://{bucket}/")], Some(&proxy.url));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("access denied"), "{err}");

    let out = ctreplay(&["scan", "s3://b/", testdata("sample").to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "S3 and local paths cannot be mixed"
    );
}

/// A listing answered with an HTTP error and no S3 error body (a proxy's
/// empty 404) ends the scan with one message naming the URL, the status
/// and the request ID; a --profile no configuration file defines is named.
#[test]
fn a_failed_listing_and_a_missing_profile_are_named() {
    let bucket = bucket_with("empty404", day_objects());
    let proxy = Proxy::start(
        endpoint(),
        Box::new(|_: &Request| {
            Some(Reply {
                status: 404,
                content_type: "text/plain",
                body: String::new(),
            })
        }),
    );
    let out = run_s3(
        &["scan", &format!("s3://{bucket}/AWSLogs/")],
        Some(&proxy.url),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("listing s3://{bucket}/AWSLogs/")),
        "{err}"
    );
    assert!(err.contains("HTTP 404"), "{err}");
    // Where the request went: the endpoint and the region.
    assert!(
        err.contains(&format!("(endpoint {}, region ", proxy.url)),
        "{err}"
    );
    assert!(!err.contains("unhandled error"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty(), "no report for a listing that failed");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[default]\nregion = us-east-1\n[profile ir]\nregion = eu-west-1\n",
    )
    .unwrap();
    let url = format!("s3://{bucket}/");
    // A profile neither file defines, from --profile or from AWS_PROFILE.
    for (args, env_profile, says) in [
        (
            vec!["scan", "-q", "--profile", "nosuch", &url],
            None,
            "The config profile (nosuch) could not be found",
        ),
        (
            vec!["scan", "-q", &url],
            Some("nosuch"),
            "The config profile (nosuch), named by AWS_PROFILE, could not be found",
        ),
    ] {
        let mut cmd = Command::cargo_bin("ctreplay").unwrap();
        cmd.args(&args)
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"));
        if let Some(p) = env_profile {
            cmd.env("AWS_PROFILE", p);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}"
        );
    }
}
