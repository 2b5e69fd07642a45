//! The audit never says "covered" without evidence: empty inputs, ranges
//! and selections that hold nothing, and exports from elsewhere are
//! `inconclusive` (exit 4) or `unjudgeable`, and every report states its
//! scope.

use serde_json::{json, Value};

use crate::util::{audit_json, ctreplay, testdata};

fn audit(args: &[&str]) -> (Value, i32) {
    audit_json(args)
}

fn path(rel: &str) -> String {
    testdata(rel).to_str().unwrap().to_owned()
}

fn exports() -> [String; 3] {
    [
        path("exports/audit/metric-filters.json"),
        path("exports/audit/alarms.json"),
        path("exports/audit/history-caught.json"),
    ]
}

/// The sample with the deployed configuration and its history, plus
/// `extra` arguments.
fn audit_sample(extra: &[&str]) -> (Value, i32) {
    let [f, a, h] = exports();
    let sample = path("sample");
    let mut args = vec![
        sample.as_str(),
        "--metric-filters",
        &f,
        "--alarms",
        &a,
        "--history",
        &h,
    ];
    args.extend_from_slice(extra);
    audit(&args)
}

fn warnings(v: &Value) -> String {
    v["scope"]["warnings"].to_string()
}

#[test]
fn an_empty_folder_is_inconclusive_even_with_an_alarm_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let [f, a, h] = exports();
    let (v, code) = audit(&[
        dir.path().to_str().unwrap(),
        "--metric-filters",
        &f,
        "--alarms",
        &a,
        "--history",
        &h,
        "--benchmark",
        "cis-5.0",
    ]);
    assert_eq!(
        code, 3,
        "under CIS v5.0.0 the filter's missing ModifySecurityGroupRules is a gap that needs no logs"
    );
    assert_eq!(v["verdict"], "gaps");
    assert_eq!(v["scope"]["objects_read"], 0);
    assert_eq!(v["scope"]["log_span"], Value::Null);
    assert!(
        v["verdict_reasons"].to_string().contains("no log records"),
        "{}",
        v["verdict_reasons"]
    );
    assert!(
        warnings(&v).contains("no CloudTrail log objects"),
        "{}",
        warnings(&v)
    );
    // Without configuration findings nothing is left to judge: exit 4.
    let (v, code) = audit(&[dir.path().to_str().unwrap()]);
    assert_eq!((code, &v["verdict"]), (4, &json!("inconclusive")));
    assert_eq!(v["scope"]["hypothetical"], true);
}

#[test]
fn a_range_outside_the_logs_says_what_the_input_holds() {
    let (v, code) = audit(&[&path("sample"), "--since", "2024-01-01"]);
    assert_eq!((code, &v["verdict"]), (4, &json!("inconclusive")));
    assert_eq!(v["scope"]["query"]["since"], "2024-01-01T00:00:00Z");
    let holds = &v["scope"]["input_holds"];
    assert_eq!(holds["accounts"], json!(["218007301253"]));
    assert_eq!(holds["regions"], json!(["us-east-1"]));
    assert_eq!(holds["objects"], 55);
    assert_eq!(holds["delivered"]["from"], "2023-07-10T11:45:00Z");
    // Objects delivered in range whose records all lie before it.
    let (v, code) = audit(&[&path("sample"), "--since", "2023-07-10T12:39:00Z"]);
    assert_eq!((code, &v["verdict"]), (4, &json!("inconclusive")));
    assert!(v["scope"]["objects_read"].as_u64().unwrap() > 0);
}

#[test]
fn a_region_or_account_that_selects_nothing_is_inconclusive() {
    for sel in [["--region", "eu-north-1"], ["--account", "111122223333"]] {
        let (v, code) = audit(&[&path("sample"), sel[0], sel[1]]);
        assert_eq!(
            (code, &v["verdict"]),
            (4, &json!("inconclusive")),
            "{sel:?}"
        );
        assert!(
            warnings(&v).contains("the selection keeps none of the 55 log objects"),
            "{sel:?}: {}",
            warnings(&v)
        );
        assert_eq!(
            v["scope"]["query"][&sel[0][2..]
                .replace("region", "regions")
                .replace("account", "accounts")],
            json!([sel[1]])
        );
    }
    // A mistyped region or account is a usage error, not an empty selection.
    for sel in [["--region", "us-east-l"], ["--account", "12345"]] {
        let out = crate::util::ctreplay(&["audit", "-q", &path("sample"), sel[0], sel[1]]);
        assert_eq!(out.status.code(), Some(1), "{sel:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(sel[1]),
            "{sel:?}"
        );
    }
}

#[test]
fn the_scope_names_what_was_read_and_judged() {
    let (v, code) = audit_sample(&[]);
    assert_eq!(code, 0);
    let s = &v["scope"];
    assert_eq!(s["tool"], format!("ctreplay {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(s["inputs"], json!([path("sample")]));
    assert_eq!(s["hypothetical"], false);
    assert_eq!(s["objects_read"], 55);
    assert_eq!(s["records_read"], 2900);
    assert_eq!(s["accounts"], json!(["123837392027", "218007301253"]));
    assert_eq!(s["regions"], json!(["us-east-1"]));
    // The records span 11:42:18 to 12:37:50; the span is sampled (first,
    // last and every eighth record of each block), so it may start a
    // little later, never earlier.
    assert_eq!(
        s["log_span"],
        json!({"from": "2023-07-10T11:42:24Z", "to": "2023-07-10T12:37:50Z"})
    );
    assert_eq!(s["history_span"]["to"], "2023-07-10T12:43:07Z");
    assert_eq!(
        s["alarms"],
        json!([{"name": "CIS-4.10-SecurityGroupChanges", "at": "arn:aws:cloudwatch:us-east-1:123837392027:alarm:CIS-4.10-SecurityGroupChanges"}])
    );
    assert_eq!(s["streams"][0]["objects_listed"], 55);
    // The sample's keys name another account than its records.
    assert!(warnings(&v)
        .contains("records of account 123837392027 are stored under account 218007301253"));
}

/// The alarm export rewritten to another account or region.
fn moved_alarms(dir: &std::path::Path, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(testdata("exports/audit/alarms.json")).unwrap();
    let p = dir.join("alarms.json");
    std::fs::write(&p, text.replace(from, to)).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn an_alarm_from_another_account_or_region_is_never_missed() {
    let dir = tempfile::tempdir().unwrap();
    let [f, _, _] = exports();
    let missed = path("exports/audit/history-missed.json");
    for (from, to, word) in [
        (
            ":us-east-1:123837392027:alarm",
            ":us-east-1:999988887777:alarm",
            "account 999988887777",
        ),
        (
            ":us-east-1:123837392027:alarm",
            ":eu-west-3:123837392027:alarm",
            "region eu-west-3",
        ),
    ] {
        let alarms = moved_alarms(dir.path(), from, to);
        let (v, code) = audit(&[
            &path("sample"),
            "--metric-filters",
            &f,
            "--alarms",
            &alarms,
            "--history",
            &missed,
        ]);
        assert_eq!(v["summary"]["missed"], 0, "{word}");
        assert_eq!(v["summary"]["unjudgeable"], 1, "{word}");
        assert_eq!(v["episodes"][0]["verdict"], "unjudgeable", "{word}");
        assert!(warnings(&v).contains(word), "{word}: {}", warnings(&v));
        assert!(
            v["verdict_reasons"]
                .to_string()
                .contains("every alarm exported is in another account or region"),
            "{word}"
        );
        assert_eq!(code, 4, "{word}");
    }
    // The same export in the logs' account and region: missed.
    let (v, _) = audit(&[
        &path("sample"),
        "--metric-filters",
        &f,
        "--alarms",
        &path("exports/audit/alarms.json"),
        "--history",
        &missed,
    ]);
    assert_eq!(v["summary"]["missed"], 1);
}

#[test]
fn a_history_from_another_year_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(testdata("exports/audit/history-caught.json")).unwrap();
    let h = dir.path().join("history.json");
    std::fs::write(&h, text.replace("2023-", "2021-")).unwrap();
    let [f, a, _] = exports();
    let (v, code) = audit(&[
        &path("sample"),
        "--metric-filters",
        &f,
        "--alarms",
        &a,
        "--history",
        h.to_str().unwrap(),
    ]);
    assert_eq!(v["summary"]["missed"], 0);
    assert_eq!(v["summary"]["caught"], 0);
    assert_eq!(v["episodes"][0]["verdict"], "unjudgeable");
    assert!(
        warnings(&v).contains("does not overlap the logs"),
        "{}",
        warnings(&v)
    );
    assert_eq!(
        v["scope"]["history_span"]["from"].as_str().unwrap()[..4],
        *"2021"
    );
    assert_eq!((code, &v["verdict"]), (4, &json!("inconclusive")));
    assert_eq!(v["controls"][0]["status"], "unknown", "never pass");
}

#[test]
fn the_text_report_says_hypothetical_first_and_inconclusive_never_covered() {
    let dir = tempfile::tempdir().unwrap();
    let out = ctreplay(&["audit", "-q", dir.path().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Hypothetical audit:"), "{text}");
    assert!(text.contains("Verdict: inconclusive"), "{text}");
    assert!(!text.contains("covered. No gaps"), "{text}");
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn scan_reports_its_scope_too() {
    let (v, code) = crate::util::scan_json(&[&path("sample"), "--region", "eu-west-1"]);
    assert_eq!(code, 0);
    assert_eq!(v["scope"]["objects_read"], 0);
    assert_eq!(v["scope"]["input_holds"]["regions"], json!(["us-east-1"]));
}

fn history_file(dir: &std::path::Path, items: Value) -> String {
    let p = dir.join("history.json");
    std::fs::write(&p, json!({"AlarmHistoryItems": items}).to_string()).unwrap();
    p.to_str().unwrap().to_owned()
}

fn item(time: &str, kind: &str, data: Value) -> Value {
    json!({"AlarmName": "CIS-4.10-SecurityGroupChanges", "AlarmType": "MetricAlarm",
           "Timestamp": time, "HistoryItemType": kind, "HistorySummary": "x",
           "HistoryData": data.to_string()})
}

fn state(time: &str, from: &str, to: &str) -> Value {
    item(
        time,
        "StateUpdate",
        json!({"version": "1.0", "oldState": {"stateValue": from}, "newState": {"stateValue": to}}),
    )
}

/// A history that does not show state changes, or shows the alarm already
/// in ALARM when the changes came, cannot prove a miss.
#[test]
fn a_history_that_cannot_show_the_transition_proves_no_miss() {
    let dir = tempfile::tempdir().unwrap();
    let [f, a, _] = exports();
    let run = |h: String| {
        audit(&[
            &path("sample"),
            "--metric-filters",
            &f,
            "--alarms",
            &a,
            "--history",
            &h,
        ])
        .0
    };
    // Exported with --history-item-type Action: no StateUpdate at all.
    let actions = history_file(
        dir.path(),
        json!([
            item(
                "2023-07-01T00:00:00Z",
                "Action",
                json!({"actionState": "Succeeded"})
            ),
            item(
                "2023-07-20T00:00:00Z",
                "Action",
                json!({"actionState": "Succeeded"})
            )
        ]),
    );
    let v = run(actions);
    assert_eq!(v["summary"]["missed"], 0, "{}", v["episodes"]);
    assert_eq!(v["episodes"][0]["verdict"], "unjudgeable");
    // The real alarm went to ALARM at 12:00, before the changes, and left
    // at 12:50: AWS sent nothing new for them.
    let inside = history_file(
        dir.path(),
        json!([
            state("2023-07-01T00:00:00Z", "INSUFFICIENT_DATA", "OK"),
            state("2023-07-10T12:00:00Z", "OK", "ALARM"),
            state("2023-07-10T12:50:00Z", "ALARM", "OK")
        ]),
    );
    let v = run(inside);
    assert_eq!(v["summary"]["missed"], 0, "{}", v["episodes"]);
    assert!(v["findings"]
        .to_string()
        .contains("was already in ALARM, by the history"));
    // A transition with no Action item in an export that has Action items
    // elsewhere is a failed delivery; with none anywhere, unjudgeable.
    let no_actions = history_file(
        dir.path(),
        json!([
            state("2023-07-01T00:00:00Z", "INSUFFICIENT_DATA", "OK"),
            state("2023-07-10T12:14:12Z", "OK", "ALARM"),
            state("2023-07-10T12:43:07Z", "ALARM", "OK")
        ]),
    );
    let v = run(no_actions);
    assert_eq!(v["summary"]["delivery_failed"], 0, "{}", v["episodes"]);
    assert_eq!(v["episodes"][0]["verdict"], "unjudgeable");
}
