//! `ctreplay audit` end to end: the invictus-ir sample with exported
//! configuration and history, and generated trails with planted
//! disable-then-change sequences.

use serde_json::{json, Value};

use crate::util::{audit_json, ct_record, ctreplay, testdata, write_gz};

fn record(time: &str, name: &str, id: &str, source: &str, request: Value) -> Value {
    ct_record(time, "us-east-1", name, id, source, request)
}

fn export(name: &str) -> String {
    testdata(&format!("exports/audit/{name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Run audit with `args`: the exit code and stderr.
fn audit_err(args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["audit", "-q"];
    all.extend_from_slice(args);
    let out = ctreplay(&all);
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

fn sample() -> String {
    testdata("sample").to_str().unwrap().to_owned()
}

fn kinds(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_audit_whose_events_spill_gives_the_same_verdict() {
    let args = |budget: &'static str| {
        let s = sample();
        let f = export("metric-filters-cis5.json");
        let a = export("alarms.json");
        move || {
            ctreplay(&[
                "audit",
                "-f",
                "json",
                "--max-memory",
                budget,
                &s,
                "--metric-filters",
                &f,
                "--alarms",
                &a,
            ])
        }
    };
    let memory = args("1GiB")();
    let spilled = args("1")();
    assert!(String::from_utf8_lossy(&spilled.stderr).contains("merged from temporary files"));
    assert!(!String::from_utf8_lossy(&memory.stderr).contains("merged from temporary files"));
    assert_eq!(memory.status.code(), spilled.status.code());
    assert!(memory.stdout.len() > 1000);
    assert!(memory.stdout == spilled.stdout, "the spilled audit differs");
}

#[test]
fn invictus_without_exports_replays_one_notification() {
    let (v, code) = audit_json(&[&sample()]);
    assert_eq!(code, 0);
    let s = &v["summary"];
    assert_eq!(s["security_group_changes"], 8);
    assert_eq!(s["replayed_notifications"], 1);
    assert_eq!(s["notified"], 8);
    assert_eq!(s["actual_notifications"], Value::Null);
    let ep = &v["episodes"].as_array().unwrap();
    assert_eq!(ep.len(), 1);
    assert_eq!(ep[0]["events"].as_array().unwrap().len(), 8);
    assert_eq!(ep[0]["verdict"], "replayed");
    // Datapoints at eventTime + 5 min: 12:10:01 -> minute 12:15, ALARM at 12:16.
    assert_eq!(ep[0]["start"], "2023-07-10T12:16:00Z");
    // The timeline holds the trail changes the attack simulation made.
    let tl = v["timeline"].as_array().unwrap();
    assert!(tl
        .iter()
        .any(|c| c["event"] == "PutEventSelectors"
            && c["actor"].as_str().unwrap().contains("bert-jan")));
}

#[test]
fn invictus_history_verdicts() {
    let base = [
        sample(),
        "--metric-filters".into(),
        export("metric-filters-cis5.json"),
        "--alarms".into(),
        export("alarms.json"),
        "--history".into(),
    ];
    let run = |h: &str| {
        let mut args: Vec<String> = base.to_vec();
        args.push(export(h));
        audit_json(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (v, code) = run("history-caught.json");
    assert_eq!(
        (code, &v["summary"]["caught"], &v["summary"]["coverage"]),
        (0, &json!(1), &json!(1.0))
    );
    assert_eq!(v["episodes"][0]["actual"], "2023-07-10T12:14:12.345Z");

    let (v, code) = run("history-delivery-failed.json");
    assert_eq!((code, &v["summary"]["delivery_failed"]), (3, &json!(1)));
    assert!(kinds(&v).contains(&"delivery_failed".to_owned()));

    let (v, code) = run("history-missed.json");
    assert_eq!(
        (code, &v["summary"]["missed"], &v["summary"]["coverage"]),
        (3, &json!(1), &json!(0.0))
    );

    // The history begins a month after the logs end: nothing it holds can
    // confirm or refute the replay, so the audit is inconclusive (exit 4).
    let (v, code) = run("history-too-old.json");
    assert_eq!(v["summary"]["unjudgeable"], 1);
    assert_eq!(
        v["summary"]["missed"], 0,
        "too old is never counted as missed"
    );
    assert_eq!((code, &v["verdict"]), (4, &json!("inconclusive")));
    assert!(
        v["verdict_reasons"][0]
            .as_str()
            .unwrap()
            .contains("does not overlap the logs"),
        "{}",
        v["verdict_reasons"]
    );

    let (v, code) = run("history-unexplained.json");
    assert_eq!(
        (code, &v["summary"]["unexplained"], &v["summary"]["caught"]),
        (0, &json!(1), &json!(1))
    );
    assert_eq!(v["summary"]["actual_notifications"], 2);
}

/// The same exports judged under two benchmark versions: the six-name
/// filter passes CIS v4.0.0 4.10 and fails v5.0.0 4.10, which adds
/// ModifySecurityGroupRules.
#[test]
fn the_six_name_filter_passes_cis_4_and_fails_cis_5() {
    let args = |bench: &'static str| {
        vec![
            sample(),
            "--metric-filters".into(),
            export("metric-filters.json"),
            "--alarms".into(),
            export("alarms.json"),
            "--benchmark".into(),
            bench.into(),
        ]
    };
    let run = |bench| {
        let a = args(bench);
        audit_json(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let modify = |v: &Value| -> Value {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == "filter_misses_modify_security_group_rules")
            .cloned()
            .unwrap_or_default()
    };
    let (v4, code4) = run("cis-4.0");
    assert_eq!(code4, 0, "{}", v4["findings"]);
    assert_eq!(v4["verdict"], "covered");
    assert_eq!(modify(&v4)["severity"], "info");
    assert_eq!(
        v4["controls"],
        json!([
            {"id": "CIS AWS Foundations v4.0.0 4.10", "status": "pass", "gaps": 0},
            {"id": "AWS Security Hub CloudWatch.10", "status": "pass", "gaps": 0}
        ])
    );
    let (v5, code5) = run("cis-5.0");
    assert_eq!(code5, 3);
    assert_eq!(v5["verdict"], "gaps");
    let f = modify(&v5);
    assert_eq!(f["severity"], "high");
    assert_eq!(
        f["controls"],
        json!([
            "CIS AWS Foundations v5.0.0 4.10",
            "AWS Security Hub CloudWatch.10"
        ])
    );
    assert_eq!(f["about"]["filter"], "CIS-4.10-SecurityGroupChanges");
    assert_eq!(v5["controls"][0]["status"], "fail");
    let bad = ctreplay(&["audit", "-q", &sample(), "--benchmark", "cis-9.9"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cis-5.0"));
}

const ALARM: &str = "CIS-4.10-SecurityGroupChanges";
const FILTER: &str = "CIS-4.10-SecurityGroupChanges";

fn planted_trail() -> tempfile::TempDir {
    let sg = |t: &str, n: &str, id: &str| {
        record(
            t,
            n,
            id,
            "ec2.amazonaws.com",
            json!({"groupId": "sg-0abc", "ipPermissions": {"items": [{"fromPort": 22, "toPort": 22}]}}),
        )
    };
    let cw = |t: &str, n: &str, id: &str| {
        record(
            t,
            n,
            id,
            "monitoring.amazonaws.com",
            json!({"alarmNames": [ALARM]}),
        )
    };
    let records = vec![
        sg(
            "2026-11-02T09:00:00Z",
            "AuthorizeSecurityGroupIngress",
            "a1",
        ),
        cw("2026-11-02T10:00:00Z", "DisableAlarmActions", "c1"),
        sg(
            "2026-11-02T10:05:00Z",
            "AuthorizeSecurityGroupIngress",
            "a2",
        ),
        cw("2026-11-02T10:40:00Z", "EnableAlarmActions", "c2"),
        record(
            "2026-11-02T11:00:00Z",
            "DeleteMetricFilter",
            "c3",
            "logs.amazonaws.com",
            json!({"logGroupName": "aws-cloudtrail-logs-123837392027-1a2b3c4d", "filterName": FILTER}),
        ),
        sg("2026-11-02T11:10:00Z", "RevokeSecurityGroupIngress", "a3"),
        record(
            "2026-11-02T11:30:00Z",
            "PutMetricFilter",
            "c4",
            "logs.amazonaws.com",
            json!({
            "logGroupName": "aws-cloudtrail-logs-123837392027-1a2b3c4d", "filterName": FILTER,
            "filterPattern": "{ $.eventName = DeleteSecurityGroup }",
            "metricTransformations": [{"metricName": "SecurityGroupEventCount", "metricNamespace": "CISBenchmark", "metricValue": "1"}]}),
        ),
        sg("2026-11-02T11:40:00Z", "CreateSecurityGroup", "a4"),
        sg("2026-11-02T12:00:00Z", "DeleteSecurityGroup", "a5"),
        record(
            "2026-11-02T12:30:00Z",
            "UpdateTrail",
            "c5",
            "cloudtrail.amazonaws.com",
            json!({"name": "arn:aws:cloudtrail:us-east-1:123837392027:trail/main", "cloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:123837392027:log-group:aws-cloudtrail-logs-123837392027-1a2b3c4d:*", "cloudWatchLogsRoleArn": "arn:aws:iam::123837392027:role/ct"}),
        ),
        record(
            "2026-11-02T13:00:00Z",
            "StopLogging",
            "c6",
            "cloudtrail.amazonaws.com",
            json!({"name": "main"}),
        ),
        sg("2026-11-02T13:05:00Z", "AuthorizeSecurityGroupEgress", "a6"),
        record(
            "2026-11-02T13:30:00Z",
            "StartLogging",
            "c7",
            "cloudtrail.amazonaws.com",
            json!({"name": "main"}),
        ),
        sg("2026-11-02T14:00:00Z", "ModifySecurityGroupRules", "a7"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let doc = json!({ "Records": records });
    write_gz(
        &dir.path().join("planted.json.gz"),
        doc.to_string().as_bytes(),
    );
    dir
}

fn statuses(v: &Value) -> Vec<(String, String, String)> {
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["eventID"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
                c["why"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

#[test]
fn planted_disable_then_change_sequences_are_found() {
    let dir = planted_trail();
    let (v, code) = audit_json(&[
        dir.path().to_str().unwrap(),
        "--metric-filters",
        &export("metric-filters-cis5.json"),
        "--alarms",
        &export("alarms.json"),
    ]);
    assert_eq!(code, 3);
    let st = statuses(&v);
    let get = |id: &str| {
        st.iter()
            .find(|(i, _, _)| i == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {st:?}"))
    };
    assert_eq!(get("a1").1, "notified");
    assert_eq!(get("a2").1, "not_notified");
    assert!(
        get("a2").2.contains("actions were disabled"),
        "{:?}",
        get("a2")
    );
    assert!(get("a3").2.contains("was not in place"), "{:?}", get("a3"));
    assert!(get("a4").2.contains("does not match"), "{:?}", get("a4"));
    assert_eq!(
        get("a5").1,
        "notified",
        "the weakened pattern still names DeleteSecurityGroup"
    );
    assert!(
        get("a6").2.contains("trail main was not logging"),
        "{:?}",
        get("a6")
    );
    assert!(
        get("a7").2.contains("does not match"),
        "the weakened pattern is still in force: {:?}",
        get("a7")
    );
    let blind: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "change_while_blind")
        .collect();
    assert_eq!(blind.len(), 3, "{blind:?}");
    assert!(blind
        .iter()
        .all(|f| f["severity"] == "high" && f["time"].is_string()));
    // The silent episode for a2 is there, without a notification.
    let silent: Vec<&Value> = v["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["verdict"] == "silent")
        .collect();
    assert_eq!(silent.len(), 1);
    assert_eq!(silent[0]["why_silent"], "alarm actions were disabled");
    let events: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "DisableAlarmActions",
            "EnableAlarmActions",
            "DeleteMetricFilter",
            "PutMetricFilter",
            "UpdateTrail",
            "StopLogging",
            "StartLogging"
        ]
    );
}

#[test]
fn misconfigured_alarms_are_findings_with_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let mut alarms: Value =
        serde_json::from_str(&std::fs::read_to_string(export("alarms.json")).unwrap()).unwrap();
    let a = &mut alarms["MetricAlarms"][0];
    a["TreatMissingData"] = json!("breaching");
    a["ComparisonOperator"] = json!("GreaterThanThreshold");
    a["AlarmActions"] = json!([]);
    let file = dir.path().join("alarms.json");
    std::fs::write(&file, alarms.to_string()).unwrap();
    let (v, code) = audit_json(&[
        &sample(),
        "--metric-filters",
        &export("metric-filters-cis5.json"),
        "--alarms",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 3);
    let k = kinds(&v);
    for want in [
        "treat_missing_breaching",
        "single_event_cannot_alarm",
        "no_sns_action",
    ] {
        assert!(k.contains(&want.to_owned()), "{want} not in {k:?}");
    }
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["detail"].is_string() && f["kind"].is_string()));
    assert_eq!(v["summary"]["notified"], 0);

    // With defaultValue 0 the metric is dense: missing data never occurs,
    // the alarm sits in OK between bursts and notifies again.
    let mut alarms: Value =
        serde_json::from_str(&std::fs::read_to_string(export("alarms.json")).unwrap()).unwrap();
    alarms["MetricAlarms"][0]["TreatMissingData"] = json!("breaching");
    std::fs::write(&file, alarms.to_string()).unwrap();
    let mut filters: Value =
        serde_json::from_str(&std::fs::read_to_string(export("metric-filters-cis5.json")).unwrap())
            .unwrap();
    filters["metricFilters"][0]["metricTransformations"][0]["defaultValue"] = json!(0.0);
    let ffile = dir.path().join("filters.json");
    std::fs::write(&ffile, filters.to_string()).unwrap();
    let (v, code) = audit_json(&[
        &sample(),
        "--metric-filters",
        ffile.to_str().unwrap(),
        "--alarms",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{}", v["findings"]);
    assert_eq!(v["summary"]["notified"], 8);
    assert_eq!(v["summary"]["replayed_notifications"], 1);
}

#[test]
fn export_errors_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (sample, filters, alarms) = (
        sample(),
        export("metric-filters.json"),
        export("alarms.json"),
    );
    let bad = dir.path().join("alarms.json");
    std::fs::write(
        &bad,
        r#"{"MetricAlarms":[{"AlarmName":"x","Period":"five"}]}"#,
    )
    .unwrap();
    let (code, err) = audit_err(&[
        &sample,
        "--metric-filters",
        &filters,
        "--alarms",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("alarms.json") && err.contains("MetricAlarms[0].Period"),
        "{err}"
    );

    let hist = dir.path().join("history.json");
    std::fs::write(
        &hist,
        r#"{"AlarmHistoryItems":[{"AlarmName":"x","HistoryItemType":"StateUpdate"}]}"#,
    )
    .unwrap();
    let (code, err) = audit_err(&[
        &sample,
        "--metric-filters",
        &filters,
        "--alarms",
        &alarms,
        "--history",
        hist.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("history.json") && err.contains("Timestamp"),
        "{err}"
    );

    let (code, err) = audit_err(&[&sample, "--alarms", &alarms]);
    assert_eq!(code, Some(1), "--alarms needs --metric-filters: {err}");
}
