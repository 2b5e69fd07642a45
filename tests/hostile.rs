//! Hostile input, by class: logs, exports and flags chosen by an attacker
//! never crash, hang or inject, and nothing readable is dropped silently.

use serde_json::{json, Value};

use crate::util::{audit_json, ct_record, ctreplay, finding_kinds, scan_json, testdata, write_gz};

fn record(time: &str, name: &str, id: &str, request: Value, extra: Value) -> Value {
    let mut r = ct_record(time, "us-east-1", name, id, "ec2.amazonaws.com", request);
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

/// The one log object every hand-made trail here is written to.
const OBJECT: &str = "AWSLogs/123837392027/CloudTrail/us-east-1/2026/11/02/123837392027_CloudTrail_us-east-1_20261102T1205Z_abcdefABCDEF0123.json.gz";

/// A folder holding one object with `doc` in it.
fn one_object(doc: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_gz(&dir.path().join(OBJECT), doc.as_bytes());
    dir
}

fn trail(records: Vec<Value>) -> tempfile::TempDir {
    one_object(&json!({ "Records": records }).to_string())
}

#[test]
fn cells_wider_than_a_format_width_do_not_panic() {
    // Every ESC escapes to six characters: 11,000 of them make a cell of
    // 66,000, past the 65,535 a format width can be.
    let name = "\u{1b}".repeat(11_000);
    let ids: Vec<Value> = (0..1000)
        .map(|i| json!({"resourceId": format!("sg-{i:017x}{}", "f".repeat(40))}))
        .collect();
    let dir = trail(vec![
        record(
            "2026-11-02T12:00:00Z",
            "CreateSecurityGroup",
            "e1",
            json!({"groupName": name}),
            json!({"errorCode": "Client.InvalidParameterValue", "errorMessage": "bad"}),
        ),
        record(
            "2026-11-02T12:01:00Z",
            "CreateTags",
            "e2",
            json!({"resourcesSet": {"items": ids}}),
            json!({"errorCode": "Client.UnauthorizedOperation"}),
        ),
    ]);
    for format in ["text", "csv"] {
        let out = ctreplay(&[
            "scan",
            "-q",
            "--format",
            format,
            dir.path().to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\u{1b}'), "{format}: raw ESC in the output");
        if format == "text" {
            assert!(
                text.contains("...[+"),
                "a clipped cell says how much is left"
            );
        }
    }
    let out = ctreplay(&["audit", "-q", dir.path().to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{:?}", out.status);
}

#[test]
fn csv_cells_are_never_formulas() {
    let dir = trail(vec![record(
        "2026-11-02T12:00:00Z",
        "AuthorizeSecurityGroupIngress",
        "e1",
        json!({"groupId": "sg-1"}),
        json!({"userAgent": "=HYPERLINK(\"http://evil.example\",\"x\")"}),
    )]);
    let out = ctreplay(&[
        "scan",
        "-q",
        "--format",
        "csv",
        dir.path().to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"'=HYPERLINK("), "{text}");
    assert!(!text.contains(",=HYPERLINK"), "{text}");
}

/// A space-delimited pattern is evaluated (on the record's text split on
/// spaces); one ctreplay cannot evaluate is reported and never stops the
/// run.
#[test]
fn a_space_delimited_filter_is_evaluated_and_an_unsupported_one_never_stops_the_run() {
    let dir = trail(vec![
        record(
            "2026-11-02T10:00:00Z",
            "PutMetricFilter",
            "c1",
            json!({
                "logGroupName": "aws-cloudtrail-logs-123837392027-1a2b3c4d",
                "filterName": "CIS-4.10-SecurityGroupChanges",
                "filterPattern": "[version, account, eni, source, destination, srcport, destport=22, ...]",
                "metricTransformations": [{"metricName": "SecurityGroupEventCount", "metricNamespace": "CISBenchmark", "metricValue": "1"}]
            }),
            json!({"eventSource": "logs.amazonaws.com"}),
        ),
        record(
            "2026-11-02T10:10:00Z",
            "AuthorizeSecurityGroupIngress",
            "a1",
            json!({"groupId": "sg-1"}),
            json!({}),
        ),
    ]);
    // An export with a VPC flow-log filter beside the security-group one.
    let filters = tempfile::tempdir().unwrap();
    let mut export: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata("exports/day-1/metric-filters.json")).unwrap(),
    )
    .unwrap();
    let mut flow = export["metricFilters"][0].clone();
    flow["filterName"] = json!("ssh-rejects");
    flow["filterPattern"] = json!("[version, account, eni, source, destination, srcport, destport=22, protocol, packets, bytes, start, end, action=REJECT, status]");
    flow["logGroupName"] = json!("vpc-flow-logs");
    export["metricFilters"].as_array_mut().unwrap().push(flow);
    let f = filters.path().join("filters.json");
    std::fs::write(&f, export.to_string()).unwrap();
    let f = f.to_str().unwrap();

    let out = ctreplay(&["scan", "--metric-filters", f, dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("is not evaluated"), "{stderr}");
    assert!(
        stderr.contains("filter ssh-rejects: a space-delimited pattern reads"),
        "{stderr}"
    );

    let (v, code) = audit_json(&[
        dir.path().to_str().unwrap(),
        "--metric-filters",
        f,
        "--alarms",
        testdata("exports/day-1/alarms.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{}", v["findings"]);
    let a1 = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["eventID"] == "a1")
        .unwrap();
    assert_eq!(a1["status"], "not_notified");
    let kinds = finding_kinds(&v);
    assert!(!kinds.contains(&"pattern_not_evaluated"), "{kinds:?}");
    // The replaced pattern, evaluated, does not match the change's JSON.
    assert!(
        kinds.contains(&"change_not_notified"),
        "the weakened filter missed the change: {kinds:?}"
    );
    assert!(a1["why"].as_str().unwrap().contains("match"), "{a1}");

    // A condition on another field: AWS may accept it, ctreplay cannot
    // evaluate it. Reported with its reason; the rest of the run goes on.
    let unsupported = "[a = 1 && b = 2, b]";
    export["metricFilters"][1]["filterPattern"] = json!(unsupported);
    let g = filters.path().join("unsupported.json");
    std::fs::write(&g, export.to_string()).unwrap();
    let g = g.to_str().unwrap();
    let out = ctreplay(&[
        "scan",
        "-q",
        "--metric-filters",
        g,
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"ssh-rejects\" is not evaluated: unsupported filter pattern"),
        "{stderr}"
    );
    let (v, code) = audit_json(&[
        dir.path().to_str().unwrap(),
        "--metric-filters",
        g,
        "--alarms",
        testdata("exports/day-1/alarms.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{}", v["findings"]);
    let kinds = finding_kinds(&v);
    assert!(kinds.contains(&"pattern_not_evaluated"), "{kinds:?}");
    let detail = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "pattern_not_evaluated")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("own field only"), "{detail}");
}

#[test]
fn alarm_exports_and_flags_past_aws_limits_are_refused_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(testdata("exports/audit/alarms.json")).unwrap();
    for (from, to) in [
        (
            "\"EvaluationPeriods\": 1,",
            "\"EvaluationPeriods\": 1000000000,",
        ),
        ("\"Period\": 300,", "\"Period\": 600000000000,"),
        ("\"DatapointsToAlarm\": 1,", "\"DatapointsToAlarm\": 7,"),
    ] {
        let p = dir.path().join("alarms.json");
        std::fs::write(&p, base.replace(from, to)).unwrap();
        let (v, code) = audit_json(&[
            testdata("sample").to_str().unwrap(),
            "--metric-filters",
            testdata("exports/audit/metric-filters.json")
                .to_str()
                .unwrap(),
            "--alarms",
            p.to_str().unwrap(),
        ]);
        assert_eq!(code, 3, "{to}");
        assert!(
            v["findings"].to_string().contains("alarm_not_replayable"),
            "{to}"
        );
    }
    let sample = testdata("sample");
    let sample = sample.to_str().unwrap();
    for args in [
        vec!["audit", "-q", sample, "--evaluation-range", "1000000000"],
        vec![
            "audit",
            "-q",
            sample,
            "--delivery-delay",
            "9223372036854775807",
        ],
        vec![
            "scan",
            "-q",
            sample,
            "--delivery-skew",
            "9223372036854775807",
        ],
        vec!["audit", "-q", sample, "--match-window", "99999999999d"],
        vec!["scan", "-q", sample, "--threads", "5000"],
        vec![
            "audit",
            "-q",
            sample,
            "--delivery-delay-min",
            "20m",
            "--delivery-delay-max",
            "10m",
        ],
    ] {
        let out = ctreplay(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?}: says why");
    }
}

#[test]
fn event_times_come_out_in_one_format() {
    let dir = trail(vec![
        record(
            "2026-11-02T12:00:00.123456789Z",
            "CreateSecurityGroup",
            "n1",
            json!({}),
            json!({}),
        ),
        record(
            "2016-12-31T23:59:60Z",
            "CreateSecurityGroup",
            "n2",
            json!({}),
            json!({}),
        ),
        record(
            "+10000-01-01T00:00:00Z",
            "CreateSecurityGroup",
            "n3",
            json!({}),
            json!({}),
        ),
    ]);
    let (v, code) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "the year-10000 record is reported");
    let times: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventTime"].as_str().unwrap())
        .collect();
    assert_eq!(times, ["2016-12-31T23:59:59Z", "2026-11-02T12:00:00Z"]);
    assert!(
        v["errors"].to_string().contains("years 0000-9999"),
        "{}",
        v["errors"]
    );
}

/// A filter with a defaultValue makes the metric dense over the logs' span;
/// one record stamped in the year 1000 must not make the replay hold a
/// datapoint per minute of a millennium (it used to need ~40 GB).
#[test]
fn a_dense_metric_over_a_millennium_costs_what_its_events_cost() {
    let dir = trail(vec![
        record(
            "1000-01-01T00:00:00Z",
            "DescribeInstances",
            "old",
            json!({}),
            json!({}),
        ),
        record(
            "2026-11-02T12:00:00Z",
            "CreateSecurityGroup",
            "c1",
            json!({"groupName": "x"}),
            json!({}),
        ),
    ]);
    let filters = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(testdata("exports/day-1/metric-filters.json"))
        .unwrap()
        .replace(
            "\"metricValue\": \"1\"",
            "\"metricValue\": \"1\", \"defaultValue\": 0.0",
        );
    let f = filters.path().join("filters.json");
    std::fs::write(&f, text).unwrap();
    let (v, code) = audit_json(&[
        dir.path().to_str().unwrap(),
        "--metric-filters",
        f.to_str().unwrap(),
        "--alarms",
        testdata("exports/day-1/alarms.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{}", v["findings"]);
    assert_eq!(v["scope"]["log_span"]["from"], "1000-01-01T00:00:00Z");
    let c1 = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["eventID"] == "c1")
        .unwrap();
    assert_eq!(c1["status"], "notified", "{c1}");
}

/// File names that differ only in bytes that are not UTF-8 are two
/// objects, not one (paths are kept as the OS gives them).
#[cfg(unix)]
#[test]
fn names_differing_in_invalid_utf8_are_two_objects() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    for (byte, id) in [(0xfe_u8, "a"), (0xff, "b")] {
        let bytes = [b'x', byte, b'.', b'j', b's', b'o', b'n'];
        let name = std::ffi::OsStr::from_bytes(&bytes);
        let doc = json!({"Records": [record("2026-11-02T12:00:00Z", "CreateSecurityGroup", id, json!({}), json!({}))]});
        std::fs::write(dir.path().join(name), doc.to_string()).unwrap();
    }
    let (v, code) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["objects_scanned"], 2, "{}", v["summary"]);
    assert_eq!(v["events"].as_array().unwrap().len(), 2);
}

/// A trail whose one object holds these records, as raw JSON text (what
/// serde_json cannot write: repeated keys, numbers past a double).
fn raw_trail(records: &[String]) -> tempfile::TempDir {
    one_object(&format!("{{\"Records\":[{}]}}", records.join(",")))
}

/// `record(...)` as text, with `"eventName":NAME` written as `with`.
fn raw(name: &str, id: &str, with: &str) -> String {
    let text = record(
        "2026-11-02T12:00:00Z",
        name,
        id,
        json!({"groupName": "g"}),
        json!({}),
    )
    .to_string();
    let key = format!("\"eventName\":\"{name}\"");
    assert!(text.contains(&key));
    text.replacen(&key, with, 1)
}

/// A repeated key is read every way it can be: whichever value the
/// reader keeps (simd-json keeps the first in a small object and the last
/// in a large one; jq keeps the last), the change is reported, flagged,
/// and named in the warnings.
#[test]
fn a_repeated_event_name_is_matched_under_any_reading_and_flagged() {
    let wide: String = (0..40).map(|i| format!(",\"pad{i}\":{i}")).collect();
    let records = vec![
        // First value harmless, last a change (small object).
        raw(
            "X",
            "first-harmless",
            "\"eventName\":\"DescribeInstances\",\"eventName\":\"CreateSecurityGroup\"",
        ),
        // The reverse, in an object of over 32 keys.
        raw(
            "X",
            "last-harmless",
            &format!(
                "\"eventName\":\"CreateSecurityGroup\"{wide},\"eventName\":\"DescribeInstances\""
            ),
        ),
        // Repeated, but every reading agrees.
        raw(
            "X",
            "agreeing",
            "\"eventName\":\"DeleteSecurityGroup\",\"eventName\":\"DeleteSecurityGroup\"",
        ),
        // Repeated keys in a record no reading matches: not reported.
        raw("X", "neither", "\"eventName\":\"A\",\"eventName\":\"B\""),
    ];
    let dir = raw_trail(&records);
    let (v, code) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{}", v["errors"]);
    let events = v["events"].as_array().unwrap();
    let by_id = |id: &str| {
        events
            .iter()
            .find(|e| e["eventID"] == id)
            .unwrap_or_else(|| panic!("{id} not reported: {events:?}"))
    };
    for id in ["first-harmless", "last-harmless"] {
        let e = by_id(id);
        assert_eq!(e["eventName"], "CreateSecurityGroup");
        assert_eq!(e["reading"]["repeatedKeys"], json!(["eventName"]));
        assert_eq!(e["reading"]["matchDependsOnReading"], true, "{e}");
    }
    assert_eq!(by_id("agreeing")["reading"]["matchDependsOnReading"], false);
    assert_eq!(events.len(), 3, "{events:?}");
    let warnings = v["scope"]["warnings"].to_string();
    assert!(
        warnings.contains("first-harmless") && warnings.contains("undocumented"),
        "{warnings}"
    );
}

/// Valid JSON the fast decoder refuses (numbers past u64 and f64,
/// nesting past 1,024 levels) is read exactly, not dropped.
#[test]
fn valid_json_the_fast_decoder_refuses_is_still_read() {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let records = vec![
        raw(
            "X",
            "huge-number",
            "\"eventName\":\"CreateSecurityGroup\",\"n\":1e400,\"m\":123456789012345678901234567890",
        ),
        raw(
            "X",
            "deep",
            &format!("\"eventName\":\"AuthorizeSecurityGroupIngress\",\"d\":{deep}"),
        ),
        // Broken JSON is still an error, by record.
        raw("X", "broken", "\"eventName\":\"CreateSecurityGroup\",\"n\":01"),
    ];
    let dir = raw_trail(&records);
    let (v, code) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "the broken record is reported");
    let ids: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["deep", "huge-number"]);
    assert_eq!(v["events"][0]["reading"]["nestingCut"], true);
    assert_eq!(v["events"][1]["reading"]["numbersOutOfRange"], true);
    let errors = v["errors"].to_string();
    assert!(
        errors.contains("record 2") && errors.contains("invalid JSON"),
        "{errors}"
    );
}

/// Top-level values other than `Records` are JSON too: `nan`, `+1` and
/// `.5` are not numbers.
#[test]
fn top_level_scalars_follow_the_json_grammar() {
    for (bad, good) in [("nan", "1.5"), ("+1", "-1"), (".5", "0.5"), ("inf", "1e9")] {
        for (value, ok) in [(bad, false), (good, true)] {
            let dir = one_object(&format!("{{\"x\":{value},\"Records\":[]}}"));
            let (v, code) = scan_json(&[dir.path().to_str().unwrap(), "--validate"]);
            assert_eq!(code == 0, ok, "{value}: {}", v["errors"]);
        }
    }
}
