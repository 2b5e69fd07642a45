//! The pattern options end to end: --pattern, --pattern-file, --preset,
//! --metric-filters, `presets` and `test-pattern`.

use std::io::Write;

use assert_cmd::Command;
use serde_json::Value;

use crate::util::{ctreplay, scan_json, testdata, write_gz};

fn record(name: &str, id: &str, extra: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"2026-11-02T10:00:0{id}Z","eventName":"{name}","eventID":"{id}","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"x","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}}{extra}}}"#
    )
}

/// A trail with one of the six, one ModifySecurityGroupRules, one denied
/// IAM call and one unrelated call.
fn trail() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let records = [
        record("CreateSecurityGroup", "1", ""),
        record("ModifySecurityGroupRules", "2", ""),
        record("PutRolePolicy", "3", r#","errorCode":"AccessDenied""#),
        record("DescribeInstances", "4", ""),
    ];
    let doc = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    write_gz(&dir.path().join("t.json.gz"), doc.as_bytes());
    dir
}

fn names(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventName"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn blind_spots_follow_the_pattern_in_use() {
    let dir = trail();
    let path = dir.path().to_str().unwrap();

    let (v, code) = scan_json(&[path]);
    assert_eq!(code, 0);
    assert_eq!(names(&v, "events"), ["CreateSecurityGroup"]);
    assert_eq!(names(&v, "blind_spots"), ["ModifySecurityGroupRules"]);
    assert_eq!(v["query"]["filters"][0]["name"], "security-group-changes");

    let (v, _) = scan_json(&["--preset", "cis-5.0-4.10", path]);
    assert_eq!(
        names(&v, "events"),
        ["CreateSecurityGroup", "ModifySecurityGroupRules"]
    );
    assert!(names(&v, "blind_spots").is_empty());

    let (v, _) = scan_json(&["--pattern", r#"{ $.errorCode = "AccessDenied*" }"#, path]);
    assert_eq!(names(&v, "events"), ["PutRolePolicy"]);
    assert_eq!(
        names(&v, "blind_spots"),
        ["CreateSecurityGroup", "ModifySecurityGroupRules"]
    );
    assert_eq!(v["events"][0]["filters"][0], "pattern");
}

#[test]
fn patterns_without_literals_decode_everything_and_still_match() {
    let dir = trail();
    let path = dir.path().to_str().unwrap();
    let (v, _) = scan_json(&["--pattern", "{ $.errorCode NOT EXISTS }", path]);
    assert_eq!(v["summary"]["records_decoded"], 4);
    assert_eq!(
        names(&v, "events"),
        [
            "CreateSecurityGroup",
            "ModifySecurityGroupRules",
            "DescribeInstances"
        ]
    );
    let (v, _) = scan_json(&["--pattern", "", path]);
    assert_eq!(v["summary"]["matched"], 4);
    let (v, _) = scan_json(&["--pattern", "AccessDenied", path]);
    assert_eq!(names(&v, "events"), ["PutRolePolicy"]);
}

#[test]
fn metric_filter_exports_report_each_filter_by_name() {
    let dir = trail();
    let export = testdata("exports/describe-metric-filters.json");
    let (v, code) = scan_json(&[
        "--metric-filters",
        export.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let by = &v["summary"]["matched_by_filter"];
    assert_eq!(by["CIS-4.1-UnauthorizedAPICalls"], 1);
    assert_eq!(by["CIS-4.10-SecurityGroupChanges"], 1);
    assert_eq!(v["alarm_periods"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["alarm_periods"][1]["filter"],
        "CIS-4.10-SecurityGroupChanges"
    );
    assert_eq!(names(&v, "blind_spots"), ["ModifySecurityGroupRules"]);
}

#[test]
fn bad_patterns_and_exports_are_usage_errors_that_say_where() {
    let out = ctreplay(&["scan", "-q", "--pattern", "{ $.eventName = %^(a|b)% }", "x"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("column 19") && err.contains("parentheses"),
        "{err}"
    );

    let missing = testdata("exports/describe-metric-filters-missing-pattern-key.json");
    let out = ctreplay(&[
        "scan",
        "-q",
        "--metric-filters",
        missing.to_str().unwrap(),
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("describe-metric-filters-missing-pattern-key.json")
            && err.contains("metricFilters[0].metricTransformations[0]")
            && err.contains("metricNamespace"),
        "{err}"
    );

    let invalid = testdata("exports/describe-metric-filters-invalid-pattern.json");
    let out = ctreplay(&[
        "scan",
        "-q",
        "--metric-filters",
        invalid.to_str().unwrap(),
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("HandEdited") && err.contains("column 19"),
        "{err}"
    );

    let out = ctreplay(&["scan", "-q", "--preset", "cis-9.9-1.1", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("ctreplay presets"));

    let out = ctreplay(&[
        "scan",
        "-q",
        "--preset",
        "cis-5.0-4.10",
        "--pattern",
        "{}",
        "x",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the pattern options exclude each other"
    );
}

#[test]
fn pattern_files_drop_one_trailing_newline() {
    let dir = trail();
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "{{ $.eventName = ModifySecurityGroupRules }}").unwrap();
    let (v, _) = scan_json(&[
        "--pattern-file",
        f.path().to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(names(&v, "events"), ["ModifySecurityGroupRules"]);
}

#[test]
fn presets_are_listed_with_sources() {
    let out = ctreplay(&["presets", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = v.as_array().unwrap();
    let find = |n: &str| all.iter().find(|p| p["name"] == n).cloned();
    assert_eq!(all[0]["name"], "security-group-changes");
    assert!(find("cis-1.2-3.10").is_some());
    assert!(find("cis-6.0-5.10").unwrap()["pattern"]
        .as_str()
        .unwrap()
        .contains("ModifySecurityGroupRules"));
    assert!(find("securityhub-cloudwatch-10").is_some());
    let out = ctreplay(&["presets", "4.10"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("cis-5.0-4.10") && !text.contains("cis-5.0-4.11"),
        "{text}"
    );
}

#[test]
fn test_pattern_answers_like_test_metric_filter() {
    let input = "{\"eventName\":\"RevokeSecurityGroupIngress\"}\n{\"eventName\":\"CreateVpc\"}\nplain text\n";
    let out = Command::cargo_bin("ctreplay")
        .unwrap()
        .args(["test-pattern", "--pattern", "{ $.eventName = %^Revoke% }"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"matches":[{"eventNumber":1,"eventMessage":"{\"eventName\":\"RevokeSecurityGroupIngress\"}","extractedValues":{}}]})
    );

    let file = testdata("real/traildiscover/CreateSecurityGroup.json.cloudtrail");
    let out = ctreplay(&["test-pattern", file.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = v["matches"].as_array().unwrap();
    assert!(!m.is_empty());
    for hit in m {
        assert!(hit["eventMessage"]
            .as_str()
            .unwrap()
            .contains("\"CreateSecurityGroup\""));
    }
}

/// The recorded answers of the CloudWatch Logs API reference's
/// TestMetricFilter samples and the CLI guide: substring terms, and a
/// space-delimited pattern with its extractedValues.
#[test]
fn test_pattern_gives_aws_recorded_answers() {
    let run = |pattern: &str, input: &str| -> Value {
        let out = Command::cargo_bin("ctreplay")
            .unwrap()
            .args(["test-pattern", "--pattern", pattern])
            .write_stdin(input)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = run(
        "\"[ERROR]\" Exception",
        "[ERROR] Unhanded exception: InvalidQueryException\n[INFO] all good\n",
    );
    assert_eq!(v["matches"].as_array().unwrap().len(), 1);
    assert_eq!(v["matches"][0]["eventNumber"], 1);

    let log = "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /index.html HTTP/1.0\" 404 1534\n\
               127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326\n";
    let v = run(
        "[ip, identity, user_id, timestamp, request, status_code, size]",
        log,
    );
    assert_eq!(v["matches"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["matches"][1]["extractedValues"],
        serde_json::json!({
            "$ip": "127.0.0.1", "$identity": "-", "$user_id": "frank",
            "$timestamp": "10/Oct/2000:13:35:22 -0700",
            "$request": "GET /apache_pb.gif HTTP/1.0",
            "$status_code": "200", "$size": "2326"
        })
    );
    let v = run("[..., status_code=200, size]", log);
    assert_eq!(v["matches"].as_array().unwrap().len(), 1);
    assert_eq!(v["matches"][0]["eventNumber"], 2);
    assert_eq!(
        v["matches"][0]["extractedValues"],
        serde_json::json!({"$status_code": "200", "$size": "2326"})
    );
    let v = run("[]", "a\nb c\n");
    assert_eq!(v["matches"].as_array().unwrap().len(), 2);
}

/// A space-delimited pattern applied to CloudTrail records in `scan`: `[]`
/// matches every record; a pattern AWS may accept and ctreplay cannot
/// evaluate is refused as unsupported, with its column.
#[test]
fn space_delimited_patterns_scan_cloudtrail_records() {
    let sample = testdata("sample");
    let (v, code) = crate::util::scan_json(&["--pattern", "[]", sample.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["matched"], v["summary"]["records_scanned"]);
    let out = ctreplay(&[
        "scan",
        "-q",
        "--pattern",
        "[a = 1 && b = 2, b]",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unsupported filter pattern at column 11"),
        "{err}"
    );
}
