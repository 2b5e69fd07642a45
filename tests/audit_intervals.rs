//! Delivery delay, evaluation lag and evaluation range are intervals: a
//! notification is `missed` only if every parameter set inside them sends
//! it; otherwise `uncertain`. Episodes list the changes that made them
//! breach, and the changes' statuses agree.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::util::{audit_json, ct_record, testdata, write_gz};

fn record(time: &str, name: &str, id: &str, source: &str, request: Value) -> Value {
    ct_record(time, "us-east-1", name, id, source, request)
}

fn export(rel: &str) -> String {
    testdata(rel).to_str().unwrap().to_owned()
}

/// The sample's alarm export with `EvaluationPeriods 3, DatapointsToAlarm 2`.
fn m_of_n_alarms(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(testdata("exports/audit/alarms.json")).unwrap();
    let p = dir.join("alarms.json");
    std::fs::write(
        &p,
        text.replace("\"EvaluationPeriods\": 1,", "\"EvaluationPeriods\": 3,")
            .replace("\"DatapointsToAlarm\": 1,", "\"DatapointsToAlarm\": 2,"),
    )
    .unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn m_of_n_episodes_name_their_changes_and_the_changes_agree() {
    let dir = tempfile::tempdir().unwrap();
    let alarms = m_of_n_alarms(dir.path());
    let (v, _) = audit_json(&[
        &export("sample"),
        "--metric-filters",
        &export("exports/audit/metric-filters.json"),
        "--alarms",
        &alarms,
        "--history",
        &export("exports/audit/history-missed.json"),
    ]);
    let episodes = v["episodes"].as_array().unwrap();
    assert!(!episodes.is_empty());
    for e in episodes {
        assert_eq!(e["events"].as_array().unwrap().len(), 8, "{e}");
    }
    for c in v["changes"].as_array().unwrap() {
        assert_ne!(c["status"], "not_notified", "{c}");
    }
    let s = &v["summary"];
    assert_eq!(
        s["missed"].as_u64().unwrap() + s["uncertain"].as_u64().unwrap(),
        s["replayed_notifications"].as_u64().unwrap()
    );
    // The same datapoints through shifted period boundaries notify again;
    // how often depends on the range.
    let (lo, hi) = (
        s["replayed_notifications_range"][0].as_u64().unwrap(),
        s["replayed_notifications_range"][1].as_u64().unwrap(),
    );
    assert!(lo < hi, "{s}");
    // With M of N, whether the changes' datapoints share a period depends
    // on each one's delivery delay: no absence is a proven miss.
    assert_eq!(s["missed"], 0, "{s}");
    assert_eq!(s["uncertain"], s["replayed_notifications"], "{s}");
    for e in episodes {
        let x = &e["expected"];
        assert!(
            x["from"].as_str().unwrap() <= e["start"].as_str().unwrap(),
            "{e}"
        );
        assert!(
            x["until"].as_str().unwrap() >= e["start"].as_str().unwrap(),
            "{e}"
        );
    }
}

/// The alarm deleted, a change, the alarm re-created `later` minutes after
/// the change; logs until 12:00, a history that shows nothing happening.
fn recreated(dir: &std::path::Path, later: u32) -> (String, String) {
    let alarm = "CIS-4.10-SecurityGroupChanges";
    let put = format!("2026-11-02T10:{later:02}:00Z");
    let records = vec![
        record(
            "2026-11-02T09:50:00Z",
            "DeleteAlarms",
            "c1",
            "monitoring.amazonaws.com",
            json!({"alarmNames": [alarm]}),
        ),
        record(
            "2026-11-02T10:00:00Z",
            "CreateSecurityGroup",
            "a1",
            "ec2.amazonaws.com",
            json!({"groupName": "x"}),
        ),
        record(
            &put,
            "PutMetricAlarm",
            "c2",
            "monitoring.amazonaws.com",
            json!({
                "alarmName": alarm, "actionsEnabled": true,
                "alarmActions": ["arn:aws:sns:us-east-1:123837392027:cis-alarms"],
                "metricName": "SecurityGroupEventCount", "namespace": "CISBenchmark",
                "statistic": "Sum", "period": 300, "evaluationPeriods": 1,
                "threshold": 1.0, "comparisonOperator": "GreaterThanOrEqualToThreshold"
            }),
        ),
        record(
            "2026-11-02T12:00:00Z",
            "DescribeInstances",
            "f1",
            "ec2.amazonaws.com",
            json!({}),
        ),
    ];
    write_gz(
        &dir.join("AWSLogs/123837392027/CloudTrail/us-east-1/2026/11/02/123837392027_CloudTrail_us-east-1_20261102T1205Z_abcdefABCDEF0123.json.gz"),
        json!({ "Records": records }).to_string().as_bytes(),
    );
    let history = dir.join("history.json");
    std::fs::write(
        &history,
        json!({"AlarmHistoryItems": [
            {"AlarmName": alarm, "AlarmType": "MetricAlarm", "Timestamp": "2026-11-02T08:00:00.000Z",
             "HistoryItemType": "StateUpdate", "HistorySummary": "Alarm updated from INSUFFICIENT_DATA to OK",
             "HistoryData": "{\"version\":\"1.0\",\"oldState\":{\"stateValue\":\"INSUFFICIENT_DATA\"},\"newState\":{\"stateValue\":\"OK\"}}"},
            {"AlarmName": alarm, "AlarmType": "MetricAlarm", "Timestamp": "2026-11-02T13:00:00.000Z",
             "HistoryItemType": "StateUpdate", "HistorySummary": "Alarm updated from OK to INSUFFICIENT_DATA",
             "HistoryData": "{\"version\":\"1.0\",\"oldState\":{\"stateValue\":\"OK\"},\"newState\":{\"stateValue\":\"INSUFFICIENT_DATA\"}}"}
        ]})
        .to_string(),
    )
    .unwrap();
    (
        dir.join("AWSLogs").to_str().unwrap().to_owned(),
        history.to_str().unwrap().to_owned(),
    )
}

fn audit_recreated(later: u32, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (logs, history) = recreated(dir.path(), later);
    let mut args = vec![
        logs.as_str(),
        "--metric-filters",
        "",
        "--alarms",
        "",
        "--history",
        &history,
    ];
    let filters = export("exports/day-1/metric-filters.json");
    let alarms = export("exports/day-1/alarms.json");
    args[2] = &filters;
    args[4] = &alarms;
    args.extend_from_slice(extra);
    audit_json(&args).0
}

#[test]
fn an_alarm_recreated_after_the_change_is_uncertain_not_missed() {
    // Re-created 20 minutes later: with the assumed 5-period range the new
    // alarm still sees the datapoint and fires; with one period it does not.
    let v = audit_recreated(20, &[]);
    assert_eq!(v["summary"]["missed"], 0, "{}", v["findings"]);
    assert_eq!(v["summary"]["uncertain"], 1, "{}", v["episodes"]);
    assert_eq!(v["episodes"][0]["verdict"], "uncertain");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "uncertain")
        .unwrap();
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("shortest evaluation range"),
        "{f}"
    );
    // With the range known to be 5 periods, every delivery delay in the
    // interval has the new alarm see the datapoint: the absence is a miss.
    let v = audit_recreated(20, &["--evaluation-range", "5"]);
    assert_eq!(v["episodes"][0]["verdict"], "missed", "{}", v["episodes"]);
}

/// Verdicts ordered from most to least confident that nothing was sent.
fn rank(verdict: &str) -> u8 {
    match verdict {
        "missed" => 2,
        "uncertain" | "unjudgeable" => 1,
        _ => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Widening the delivery delay's interval never turns `uncertain` into
    /// `missed`, nor `missed` into `caught`.
    #[test]
    fn widening_an_interval_never_adds_confidence(later in 0u32..40, max_narrow in 300u32..600, extra in 60u32..1200) {
        let narrow = audit_recreated(later, &["--delivery-delay-min", "300s", "--delivery-delay-max", &format!("{max_narrow}s")]);
        let wide = audit_recreated(later, &["--delivery-delay-min", "0s", "--delivery-delay-max", &format!("{}s", max_narrow + extra)]);
        let verdicts = |v: &Value| -> Vec<String> {
            v["episodes"].as_array().unwrap().iter().filter(|e| e["notifies"] == true)
                .map(|e| e["verdict"].as_str().unwrap().to_owned()).collect()
        };
        let (n, w) = (verdicts(&narrow), verdicts(&wide));
        prop_assert_eq!(n.len(), w.len(), "the point estimate's replay is the same");
        for (a, b) in n.iter().zip(&w) {
            prop_assert!(rank(b) <= rank(a), "narrow {} -> wide {}", a, b);
            prop_assert!(!(a == "missed" && b == "caught"));
        }
    }
}

/// The history pins what it can: the alarm's leaving ALARM after its last
/// datapoint bounds the evaluation range (the sample's alarm left at
/// 12:43:07, its last change at 12:12: three to six periods of 300 s over
/// the whole delay interval). One caught notification is too few to narrow
/// the delivery delay, which varies from event to event.
#[test]
fn the_history_calibrates_the_delay_and_the_range() {
    let (v, _) = audit_json(&[
        &export("sample"),
        "--metric-filters",
        &export("exports/audit/metric-filters.json"),
        "--alarms",
        &export("exports/audit/alarms.json"),
        "--history",
        &export("exports/audit/history-caught.json"),
    ]);
    let a = &v["assumptions"];
    assert_eq!(
        a["calibration"],
        json!({"delivery_delay_seconds": [0, 900], "episodes": 0,
               "evaluation_range_periods": [3, 6], "range_episodes": 1})
    );
    assert_eq!(
        a["delivery_delay_seconds"], 300,
        "not narrowed on one episode"
    );
    // Without history nothing is calibrated.
    let (v, _) = audit_json(&[
        &export("sample"),
        "--metric-filters",
        &export("exports/audit/metric-filters.json"),
        "--alarms",
        &export("exports/audit/alarms.json"),
    ]);
    assert_eq!(v["assumptions"]["calibration"], Value::Null);
    assert_eq!(v["assumptions"]["delivery_delay_seconds"], 300);
}
