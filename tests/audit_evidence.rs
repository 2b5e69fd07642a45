//! A whole day in the exact AWS CLI export shapes (`testdata/exports/day-1/`)
//! and the trail that goes with it, built here: every verdict and every
//! change's status rests on named evidence.
//!
//! The day, account 123837392027, one multi-region trail feeding one log
//! group, a notBreaching alarm first seen in CloudTrail at a PutMetricAlarm
//! at 10:00 (its history from 08:05 and DisableAlarmActions at 08:30 prove
//! it existed before):
//!
//! | time  | event | expected |
//! |---|---|---|
//! | 07:00 | AuthorizeSecurityGroupIngress (us-east-1) | older than the history: unjudgeable |
//! | 08:00 | AuthorizeSecurityGroupIngress (us-east-1) | caught (history 08:05:30 and its Action) |
//! | 08:30 | DisableAlarmActions | |
//! | 08:40 | AuthorizeSecurityGroupEgress (eu-west-1) | not notified, actions disabled: change_while_blind; the history's ALARM at 08:46 without an Action is the silent episode's, not unexplained |
//! | 09:30 | EnableAlarmActions | |
//! | 10:00 | PutMetricAlarm | |
//! | 11:00 | DeleteSecurityGroup (eu-west-1) | caught |
//! | 12:30 | SetAlarmState ALARM | forced_transition (history 12:30:05) |
//! | 13:30 | (history only) ALARM | unexplained: inside the logs, nothing explains it |
//! | 14:00 | DescribeInstances | the logs' last record |
//! | next day 05:00 | (history only) ALARM | outside the logs: not judged, counted |
//! | | BillingAlarm in the history | not exported: listed, not judged |

use serde_json::{json, Value};

use crate::util::{audit_json, ct_record, testdata, write_gz};

const ACCOUNT: &str = "123837392027";
const ALARM: &str = "CIS-4.10-SecurityGroupChanges";

fn record(time: &str, region: &str, name: &str, id: &str, source: &str, request: Value) -> Value {
    ct_record(time, region, name, id, source, request)
}

fn sg(time: &str, region: &str, name: &str, id: &str) -> Value {
    record(
        time,
        region,
        name,
        id,
        "ec2.amazonaws.com",
        json!({"groupId": "sg-0abc", "ipPermissions": {"items": [{"fromPort": 22, "toPort": 22}]}}),
    )
}

fn cw(time: &str, name: &str, id: &str, request: Value) -> Value {
    record(
        time,
        "us-east-1",
        name,
        id,
        "monitoring.amazonaws.com",
        request,
    )
}

/// The day's trail, in the CloudTrail key layout, one object per region.
fn day_one() -> tempfile::TempDir {
    let east = vec![
        sg(
            "2026-11-02T07:00:00Z",
            "us-east-1",
            "AuthorizeSecurityGroupIngress",
            "a0",
        ),
        sg(
            "2026-11-02T08:00:00Z",
            "us-east-1",
            "AuthorizeSecurityGroupIngress",
            "a1",
        ),
        cw(
            "2026-11-02T08:30:00Z",
            "DisableAlarmActions",
            "c1",
            json!({"alarmNames": [ALARM]}),
        ),
        cw(
            "2026-11-02T09:30:00Z",
            "EnableAlarmActions",
            "c2",
            json!({"alarmNames": [ALARM]}),
        ),
        cw(
            "2026-11-02T10:00:00Z",
            "PutMetricAlarm",
            "c3",
            json!({
                "alarmName": ALARM, "actionsEnabled": true,
                "alarmActions": [format!("arn:aws:sns:us-east-1:{ACCOUNT}:cis-alarms")],
                "metricName": "SecurityGroupEventCount", "namespace": "CISBenchmark",
                "statistic": "Sum", "period": 300, "evaluationPeriods": 1, "datapointsToAlarm": 1,
                "threshold": 1.0, "comparisonOperator": "GreaterThanOrEqualToThreshold",
                "treatMissingData": "notBreaching"
            }),
        ),
        cw(
            "2026-11-02T12:30:00Z",
            "SetAlarmState",
            "c4",
            json!({"alarmName": ALARM, "stateValue": "ALARM", "stateReason": "test"}),
        ),
        record(
            "2026-11-02T14:00:00Z",
            "us-east-1",
            "DescribeInstances",
            "f1",
            "ec2.amazonaws.com",
            json!({}),
        ),
    ];
    let west = vec![
        sg(
            "2026-11-02T08:40:00Z",
            "eu-west-1",
            "AuthorizeSecurityGroupEgress",
            "a2",
        ),
        sg(
            "2026-11-02T11:00:00Z",
            "eu-west-1",
            "DeleteSecurityGroup",
            "a3",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (region, records, at) in [("us-east-1", east, "1405"), ("eu-west-1", west, "1105")] {
        let key = format!(
            "AWSLogs/{ACCOUNT}/CloudTrail/{region}/2026/11/02/{ACCOUNT}_CloudTrail_{region}_20261102T{at}Z_abcdefABCDEF0123.json.gz"
        );
        write_gz(
            &dir.path().join(key),
            json!({ "Records": records }).to_string().as_bytes(),
        );
    }
    dir
}

fn export(name: &str) -> String {
    testdata(&format!("exports/day-1/{name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn audit_day_one() -> (Value, i32) {
    audit_with_day_one_exports(&day_one())
}

/// Audit `dir` against the day's exports.
fn audit_with_day_one_exports(dir: &tempfile::TempDir) -> (Value, i32) {
    audit_json(&[
        dir.path().to_str().unwrap(),
        "--metric-filters",
        &export("metric-filters.json"),
        "--alarms",
        &export("alarms.json"),
        "--history",
        &export("history.json"),
    ])
}

fn change<'v>(v: &'v Value, id: &str) -> &'v Value {
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["eventID"] == id)
        .unwrap_or_else(|| panic!("no change {id}"))
}

fn findings<'v>(v: &'v Value, kind: &str) -> Vec<&'v Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

#[test]
fn every_change_of_the_day_has_its_status() {
    let (v, code) = audit_day_one();
    assert_eq!(code, 3, "{}", v["findings"]);
    assert_eq!(v["verdict"], "gaps");
    let status = |id: &str| change(&v, id)["status"].as_str().unwrap().to_owned();
    assert_eq!(status("a0"), "unjudgeable", "older than the history");
    assert_eq!(
        status("a1"),
        "caught",
        "the first PutMetricAlarm is not the creation: the alarm existed and fired"
    );
    assert_eq!(status("a2"), "not_notified");
    assert_eq!(change(&v, "a2")["why"], "alarm actions were disabled");
    assert_eq!(status("a3"), "caught");
    let s = &v["summary"];
    assert_eq!(
        (
            &s["caught"],
            &s["missed"],
            &s["unexplained"],
            &s["unjudgeable"]
        ),
        (&json!(2), &json!(0), &json!(1), &json!(1))
    );
    assert_eq!(
        s["actual_notifications"], 5,
        "08:05, 08:46, 11:06, 12:30, 13:30"
    );
    assert_eq!(s["actual_outside_logs"], 1, "the next day's ALARM");
}

#[test]
fn the_blind_change_names_its_evidence() {
    let (v, _) = audit_day_one();
    let blind = findings(&v, "change_while_blind");
    assert_eq!(blind.len(), 1, "{blind:?}");
    assert_eq!(blind[0]["severity"], "high");
    assert_eq!(blind[0]["about"]["eventID"], "a2");
    assert_eq!(blind[0]["about"]["region"], "eu-west-1");
    assert_eq!(blind[0]["about"]["alarm"], ALARM);
    let evidence = blind[0]["evidence"].to_string();
    assert!(evidence.contains("eventID a2"), "{evidence}");
    assert!(
        evidence.contains("eventID c1 (DisableAlarmActions"),
        "{evidence}"
    );
}

#[test]
fn a_silent_episode_explains_its_transition() {
    let (v, _) = audit_day_one();
    let silent: Vec<&Value> = v["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["verdict"] == "silent" && e["why_silent"] == "alarm actions were disabled")
        .collect();
    assert_eq!(silent.len(), 1);
    assert_eq!(silent[0]["actual"], "2026-11-02T08:46:10Z");
    let unexplained = findings(&v, "unexplained");
    assert_eq!(unexplained.len(), 1, "{unexplained:?}");
    assert!(unexplained[0]["detail"]
        .as_str()
        .unwrap()
        .contains("2026-11-02T13:30:40Z"));
}

#[test]
fn forced_outside_and_unexported_transitions_are_accounted_for() {
    let (v, _) = audit_day_one();
    let forced = findings(&v, "forced_transition");
    assert_eq!(forced.len(), 1);
    assert!(forced[0]["detail"].as_str().unwrap().contains("12:30:05"));
    let outside: Vec<&Value> = findings(&v, "unjudgeable")
        .into_iter()
        .filter(|f| f["detail"].as_str().unwrap().contains("outside the logs"))
        .collect();
    assert_eq!(outside.len(), 1);
    assert!(outside[0]["detail"]
        .as_str()
        .unwrap()
        .contains("2026-11-03T05:00:10Z"));
    assert_eq!(
        v["scope"]["alarms_not_judged"],
        json!([{"name": "BillingAlarm", "history_items": 1, "why": "the alarm export does not hold it (or it watches no exported filter's metric)"}])
    );
    assert!(!v["findings"].to_string().contains("BillingAlarm"));
}

#[test]
fn the_assumption_before_the_first_put_is_stated_with_its_evidence() {
    let (v, _) = audit_day_one();
    let before: Vec<&Value> = v["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["start"].as_str().unwrap() < "2026-11-02T10:00:00Z")
        .collect();
    assert!(!before.is_empty());
    for e in before {
        let a = e["assumption"].as_str().unwrap_or_default();
        assert!(a.contains("first seen at its PutMetricAlarm"), "{e}");
        // The earliest proof it existed: the history item at 08:05:30,
        // before CloudTrail's DisableAlarmActions at 08:30.
        assert!(
            a.contains("the history shows it existed before: an item at 2026-11-02T08:05:30"),
            "{e}"
        );
    }
    assert_eq!(v["scope"]["regions"], json!(["eu-west-1", "us-east-1"]));
}

/// Day two, 2026-11-03: the filter deleted, re-created weakened, restored;
/// a burst that keeps the alarm in ALARM for an hour.
///
/// | time  | event | expected |
/// |---|---|---|
/// | 09:00 | CreateSecurityGroup | caught (history 09:05:40, written in CLI v2's -04:00) |
/// | 10:00 | DeleteMetricFilter | |
/// | 10:10 | AuthorizeSecurityGroupIngress | change_while_blind, evidence the DeleteMetricFilter |
/// | 10:30 | PutMetricFilter `{ $.eventName = DeleteSecurityGroup }` | |
/// | 10:40 | AuthorizeSecurityGroupIngress | change_not_notified: the pattern in force misses it |
/// | 11:00 | PutMetricFilter, the six names again | |
/// | 12:00..12:56 | a change every 4 minutes | the first caught; those after 12:30 change_during_alarm |
fn day_two() -> tempfile::TempDir {
    let logs = |t: &str, name: &str, id: &str, request: Value| {
        record(t, "us-east-1", name, id, "logs.amazonaws.com", request)
    };
    let filter = |t: &str, id: &str, pattern: &str| {
        logs(
            t,
            "PutMetricFilter",
            id,
            json!({
                "logGroupName": "aws-cloudtrail-logs-123837392027-1a2b3c4d", "filterName": ALARM,
                "filterPattern": pattern,
                "metricTransformations": [{"metricName": "SecurityGroupEventCount", "metricNamespace": "CISBenchmark", "metricValue": "1"}]
            }),
        )
    };
    let mut records = vec![
        sg("2026-11-03T09:00:00Z", "us-east-1", "CreateSecurityGroup", "d1"),
        logs(
            "2026-11-03T10:00:00Z",
            "DeleteMetricFilter",
            "e1",
            json!({"logGroupName": "aws-cloudtrail-logs-123837392027-1a2b3c4d", "filterName": ALARM}),
        ),
        sg("2026-11-03T10:10:00Z", "us-east-1", "AuthorizeSecurityGroupIngress", "d2"),
        filter("2026-11-03T10:30:00Z", "e2", "{ $.eventName = DeleteSecurityGroup }"),
        sg("2026-11-03T10:40:00Z", "us-east-1", "AuthorizeSecurityGroupIngress", "d3"),
        filter(
            "2026-11-03T11:00:00Z",
            "e3",
            "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
        ),
    ];
    for k in 0..15 {
        let t = format!("2026-11-03T12:{:02}:00Z", 4 * k);
        records.push(sg(
            &t,
            "us-east-1",
            "RevokeSecurityGroupIngress",
            &format!("b{k:02}"),
        ));
    }
    records.push(record(
        "2026-11-03T15:00:00Z",
        "us-east-1",
        "DescribeInstances",
        "f2",
        "ec2.amazonaws.com",
        json!({}),
    ));
    let dir = tempfile::tempdir().unwrap();
    let key = format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/03/{ACCOUNT}_CloudTrail_us-east-1_20261103T1505Z_abcdefABCDEF0123.json.gz"
    );
    write_gz(
        &dir.path().join(key),
        json!({ "Records": records }).to_string().as_bytes(),
    );
    dir
}

#[test]
fn day_two_filter_deleted_weakened_restored_and_a_long_alarm() {
    let dir = day_two();
    let (v, code) = audit_json(&[
        dir.path().to_str().unwrap(),
        "--metric-filters",
        &export("metric-filters.json"),
        "--alarms",
        &export("alarms.json"),
        "--history",
        testdata("exports/day-2/history.json").to_str().unwrap(),
    ]);
    assert_eq!((code, &v["verdict"]), (3, &json!("gaps")));
    let status = |id: &str| change(&v, id)["status"].as_str().unwrap().to_owned();
    assert_eq!(status("d1"), "caught");
    assert_eq!(status("d2"), "not_notified");
    assert!(change(&v, "d2")["why"]
        .as_str()
        .unwrap()
        .contains("was not in place"));
    assert_eq!(status("d3"), "not_notified");
    assert!(change(&v, "d3")["why"]
        .as_str()
        .unwrap()
        .contains("in force then does not match it"));
    assert_eq!(status("b00"), "caught");
    let blind = findings(&v, "change_while_blind");
    assert_eq!(blind.len(), 1);
    assert!(blind[0]["evidence"]
        .to_string()
        .contains("eventID e1 (DeleteMetricFilter"));
    assert_eq!(findings(&v, "change_not_notified").len(), 1);
    let during: Vec<String> = findings(&v, "change_during_alarm")
        .iter()
        .map(|f| {
            f["detail"]
                .as_str()
                .unwrap()
                .split(' ')
                .nth(1)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(!during.is_empty());
    // The history's first episode left ALARM 11 minutes after its change:
    // the range is at most two periods, so an ALARM that began more than
    // range + one period (15 min) before a change notified nobody of it.
    assert_eq!(
        v["assumptions"]["calibration"]["evaluation_range_periods"],
        json!([1, 2])
    );
    assert!(
        during.iter().all(|id| id.as_str() > "b03"),
        "only changes after 12:15 are during a long ALARM: {during:?}"
    );
    assert_eq!(v["summary"]["missed"], 0);
    assert_eq!(v["summary"]["unexplained"], 0);
}

/// A 300 KB security-group record is read and reported (the default
/// --max-record-size is 16 MiB), but CloudTrail never sent it to CloudWatch
/// Logs: the replayed metric leaves it out and the audit says why.
#[test]
fn a_record_over_256_kb_is_a_change_the_alarm_never_saw() {
    let mut big = sg(
        "2026-11-02T09:00:00Z",
        "us-east-1",
        "AuthorizeSecurityGroupIngress",
        "big",
    );
    big["requestParameters"]["description"] = json!("x".repeat(300 * 1024));
    let small = sg(
        "2026-11-02T11:00:00Z",
        "us-east-1",
        "DeleteSecurityGroup",
        "small",
    );
    let dir = tempfile::tempdir().unwrap();
    write_gz(
        &dir.path().join(format!(
            "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/02/{ACCOUNT}_CloudTrail_us-east-1_20261102T1105Z_abcdefABCDEF0123.json.gz"
        )),
        json!({ "Records": [big, small] }).to_string().as_bytes(),
    );
    let path = dir.path().to_str().unwrap();
    let (scan, code) = crate::util::scan_json(&[path]);
    assert_eq!(code, 0);
    let events = scan["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "both changes are reported");
    assert_eq!(events[0]["eventID"], "big");
    assert_eq!(events[0]["notInCloudWatchLogs"], true);
    assert_eq!(events[1]["notInCloudWatchLogs"], false);
    assert_eq!(
        scan["alarm_periods"][0]["breaching"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only the small record feeds the metric"
    );
    let (v, code) = audit_json(&[path]);
    assert_eq!(code, 3);
    assert_eq!(change(&v, "big")["status"], "not_notified");
    assert!(change(&v, "big")["why"]
        .as_str()
        .unwrap()
        .contains("does not send events over 256 KB"));
    assert_eq!(change(&v, "small")["status"], "notified");
}

/// A filter whose metricValue is `$.field` publishes the field's number;
/// a matching record without a number there publishes nothing (AWS does
/// not document that case, so the change is a note, not a gap).
#[test]
fn a_field_metric_value_publishes_the_fields_number() {
    let dir = tempfile::tempdir().unwrap();
    let with = |t: &str, id: &str, weight: Value| {
        let mut r = sg(t, "us-east-1", "AuthorizeSecurityGroupIngress", id);
        r["requestParameters"]["weight"] = weight;
        r
    };
    let records = vec![
        with("2026-11-02T10:00:00Z", "w1", json!(3)),
        with("2026-11-02T10:01:00Z", "w2", json!(3)),
        with("2026-11-02T12:00:00Z", "w3", json!(1)),
        with("2026-11-02T14:00:00Z", "w4", json!("heavy")),
    ];
    write_gz(
        &dir.path().join("AWSLogs/123837392027/CloudTrail/us-east-1/2026/11/02/123837392027_CloudTrail_us-east-1_20261102T1405Z_abcdefABCDEF0123.json.gz"),
        json!({ "Records": records }).to_string().as_bytes(),
    );
    let filters = dir.path().join("filters.json");
    let text = std::fs::read_to_string(testdata("exports/day-1/metric-filters.json"))
        .unwrap()
        .replace(
            "\"metricValue\": \"1\"",
            "\"metricValue\": \"$.requestParameters.weight\"",
        );
    std::fs::write(&filters, text).unwrap();
    let alarms = dir.path().join("alarms.json");
    let text = std::fs::read_to_string(testdata("exports/day-1/alarms.json"))
        .unwrap()
        .replace("\"Threshold\": 1.0", "\"Threshold\": 5.0");
    std::fs::write(&alarms, text).unwrap();
    let (v, _) = audit_json(&[
        dir.path().join("AWSLogs").to_str().unwrap(),
        "--metric-filters",
        filters.to_str().unwrap(),
        "--alarms",
        alarms.to_str().unwrap(),
    ]);
    let status = |id: &str| change(&v, id)["status"].as_str().unwrap().to_owned();
    // 3 + 3 in one period reaches the threshold of 5; 1 alone does not.
    assert_eq!(status("w1"), "notified", "{}", v["changes"]);
    assert_eq!(status("w2"), "notified");
    assert_eq!(status("w3"), "not_notified");
    assert_eq!(status("w4"), "not_notified");
    assert!(change(&v, "w4")["why"].as_str().unwrap().contains(
        "publishes $.requestParameters.weight, which the record lacks or holds no number in"
    ));
    let w4 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["eventID"] == "w4")
        .unwrap();
    assert_eq!(w4["severity"], "info", "{w4}");
}

#[test]
fn pipeline_findings_name_the_events_behind_them() {
    let dir = day_two();
    let (v, _) = audit_json(&[
        dir.path().to_str().unwrap(),
        "--metric-filters",
        &export("metric-filters.json"),
        "--alarms",
        &export("alarms.json"),
    ]);
    let deleted = findings(&v, "filter_deleted");
    assert_eq!(deleted.len(), 1, "{}", v["findings"]);
    assert_eq!(
        deleted[0]["evidence"],
        json!(["CloudTrail eventID e1 (DeleteMetricFilter at 2026-11-03T10:00:00Z)"])
    );
}

/// A change that matches only under one reading of a repeated
/// `eventName` cannot prove a miss: CloudWatch Logs' reading of repeated
/// keys is undocumented. The same change written plainly can.
#[test]
fn a_change_that_matches_under_one_reading_proves_no_miss() {
    for (with, id, status) in [
        (
            "\"eventName\":\"DescribeInstances\",\"eventName\":\"CreateSecurityGroup\"",
            "dup",
            "unjudgeable",
        ),
        ("\"eventName\":\"CreateSecurityGroup\"", "plain", "missed"),
    ] {
        let dir = day_one();
        let text = sg(
            "2026-11-02T13:00:00Z",
            "us-east-1",
            "CreateSecurityGroup",
            id,
        )
        .to_string()
        .replacen("\"eventName\":\"CreateSecurityGroup\"", with, 1);
        write_gz(
            &dir.path().join(format!(
                "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/02/{ACCOUNT}_CloudTrail_us-east-1_20261102T1305Z_abcdefABCDEF0123.json.gz"
            )),
            format!("{{\"Records\":[{text}]}}").as_bytes(),
        );
        let (v, _) = audit_with_day_one_exports(&dir);
        let c = change(&v, id);
        assert_eq!(c["status"], status, "{c}\n{}", v["findings"]);
        if id == "dup" {
            assert!(
                v["findings"].to_string().contains("repeated keys"),
                "{}",
                v["findings"]
            );
        }
    }
}
