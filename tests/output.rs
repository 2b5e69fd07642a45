//! The output formats and their promises.

use serde_json::Value;

use crate::util::*;

fn sample() -> String {
    testdata("sample").to_str().unwrap().to_owned()
}

#[test]
fn json_has_the_documented_keys() {
    let (v, _) = scan_json(&[&sample()]);
    for key in [
        "objects_listed",
        "objects_scanned",
        "objects_skipped",
        "objects_failed",
        "records_scanned",
        "duplicates_dropped",
        "matched",
        "matched_by_event",
    ] {
        assert!(v["summary"].get(key).is_some(), "summary.{key} missing");
    }
    let e = &v["events"][0];
    for key in [
        "eventTime",
        "eventName",
        "eventID",
        "eventSource",
        "awsRegion",
        "recipientAccountId",
        "actor",
        "sourceIPAddress",
        "userAgent",
        "groupIds",
        "errorCode",
        "object",
    ] {
        assert!(e.get(key).is_some(), "events[].{key} missing");
    }
    assert!(v["blind_spots"].is_array());
    assert!(v["alarm_periods"][0]["breaching"].is_array());
    assert!(v["errors"].is_array());
    assert_eq!(
        v["summary"]["matched_by_event"].as_object().unwrap().len(),
        6
    );
}

#[test]
fn ndjson_and_csv_carry_the_same_events() {
    let out = ctreplay(&["scan", "-q", "-f", "ndjson", &sample()]);
    let lines: Vec<Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let (v, _) = scan_json(&[&sample()]);
    // The matched events, each marked, then the blind spots.
    let (matched, unseen): (Vec<Value>, Vec<Value>) =
        lines.into_iter().partition(|l| l["kind"] == "match");
    assert_eq!(matched.len(), 8);
    assert!(unseen.iter().all(|l| l["kind"] == "blind_spot"));
    assert_eq!(unseen.len(), v["blind_spots"].as_array().unwrap().len());
    let strip = |mut l: Value| {
        l.as_object_mut().unwrap().remove("kind");
        l
    };
    let matched: Vec<Value> = matched.into_iter().map(strip).collect();
    assert_eq!(Value::Array(matched), v["events"]);

    let out = ctreplay(&["scan", "-q", "-f", "csv", &sample()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 9 + v["blind_spots"].as_array().unwrap().len());
    assert!(rows[0].starts_with("kind,eventTime,eventName,eventID,"));
    assert!(rows[0].ends_with(",filters"));
    assert!(rows[1].starts_with("match,2023-07-10T12:10:01Z,CreateSecurityGroup,"));
    assert!(
        rows[1].contains(",\"123837392027\","),
        "account IDs are quoted"
    );

    // Fields with commas or quotes are quoted, RFC 4180 style.
    let dir = tempfile::tempdir().unwrap();
    let rec = r#"{"Records":[{"eventTime":"2026-11-02T10:00:00Z","eventName":"CreateSecurityGroup","eventID":"1","userAgent":"a,b \"q\""}]}"#;
    write_gz(&dir.path().join("a.json.gz"), rec.as_bytes());
    let out = ctreplay(&["scan", "-q", "-f", "csv", dir.path().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(r#","a,b ""q""","#), "{text}");
}

#[test]
fn text_report_escapes_terminal_controls() {
    let dir = tempfile::tempdir().unwrap();
    let rec = r#"{"Records":[{"eventTime":"2026-11-02T10:00:00Z","eventName":"CreateSecurityGroup","eventID":"1","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"x","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/\u001b[2Jevil\u202e"},"requestParameters":{"groupName":"g\u0007"}}]}"#;
    write_gz(&dir.path().join("a.json.gz"), rec.as_bytes());
    let out = ctreplay(&["scan", "-q", dir.path().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'));
    assert!(text.contains("user/\\u{1b}[2Jevil\\u{202e}"), "{text}");
    assert!(text.contains("g\\u{7}"));
}

#[test]
fn text_report_summarises() {
    let out = ctreplay(&["scan", "-q", &sample()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Events the filter matches: 8"));
    assert!(text.contains("objects: 56 listed, 55 scanned, 1 skipped (digest 1), 0 failed"));
    assert!(
        text.contains("2023-07-10T12:10:00Z .. 2023-07-10T12:15:00Z  sum 8  -> ALARM notification")
    );
    assert!(
        String::from_utf8(out.stderr).unwrap().is_empty(),
        "--quiet keeps stderr clean"
    );
}
