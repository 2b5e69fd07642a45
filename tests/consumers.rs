//! Each machine format read by a real consumer: Python's csv module and
//! DuckDB for the CSVs (account IDs stay text, leading zeros kept), the
//! OCSF events validated by py-ocsf-models (OCSF 1.5.0), the NDJSON line
//! by line. The consumers come from scripts/moto.sh's virtualenv.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::util::{ct_record, ctreplay, venv_bin, write_gz};

/// An account whose ID starts with a zero.
const ACCOUNT: &str = "012345678901";

/// A trail with a caught-by-the-pattern change, a change it cannot see
/// (ModifySecurityGroupRules under cis-4.0) and a failed call.
fn trail(dir: &Path) {
    let day = dir.join(format!("AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/2026/11/02"));
    std::fs::create_dir_all(&day).unwrap();
    let records: Vec<Value> = [
        ("AuthorizeSecurityGroupIngress", "a"),
        ("ModifySecurityGroupRules", "b"),
        ("CreateSecurityGroup", "c"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, id))| {
        let mut r = ct_record(
            &format!("2026-11-02T10:0{i}:00Z"),
            "eu-west-1",
            name,
            id,
            "ec2.amazonaws.com",
            json!({"groupId": "sg-1", "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "sgr-1"}]}}),
        );
        r["recipientAccountId"] = json!(ACCOUNT);
        r
    })
    .collect();
    write_gz(
        &day.join(format!(
            "{ACCOUNT}_CloudTrail_eu-west-1_20261102T1010Z_x.json.gz"
        )),
        json!({ "Records": records }).to_string().as_bytes(),
    );
}

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new(venv_bin("python"))
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn save(dir: &Path, name: &str, args: &[&str]) -> String {
    let out = ctreplay(args);
    let file = dir.join(name);
    std::fs::write(&file, &out.stdout).unwrap();
    file.display().to_string()
}

#[test]
fn csv_reads_in_python_and_duckdb_with_account_ids_as_text() {
    let dir = tempfile::tempdir().unwrap();
    trail(dir.path());
    let logs = dir.path().join("AWSLogs");
    let logs = logs.to_str().unwrap();
    let scan = save(dir.path(), "scan.csv", &["scan", "-q", "-f", "csv", logs]);
    let audit = save(dir.path(), "audit.csv", &["audit", "-q", "-f", "csv", logs]);
    // Python's csv module: every row has the header's width; the kinds.
    let rows = python(
        "import csv, json, sys\nfor f in sys.argv[1:]:\n    r = list(csv.DictReader(open(f, newline='')))\n    print(json.dumps(r))",
        &[&scan, &audit],
    );
    let mut lines = rows.lines();
    let scan_rows: Vec<Value> = serde_json::from_str(lines.next().unwrap()).unwrap();
    let audit_rows: Vec<Value> = serde_json::from_str(lines.next().unwrap()).unwrap();
    let kinds: Vec<&str> = scan_rows
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["match", "match", "blind_spot"]);
    assert_eq!(scan_rows[0]["recipientAccountId"], ACCOUNT);
    assert_eq!(scan_rows[0]["filters"], "security-group-changes");
    assert_eq!(scan_rows[2]["filters"], "");
    let types: Vec<&str> = audit_rows
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(&types[..3], ["change", "change", "change"]);
    assert!(types[3..].iter().all(|t| *t == "finding") && types.len() > 3);
    assert_eq!(audit_rows[1]["eventName"], "ModifySecurityGroupRules");
    assert_eq!(audit_rows[1]["status"], "blind_spot");
    // DuckDB, told the column is text as the README shows: the zero stays.
    let duck = python(
        "import duckdb, sys\nfor f in sys.argv[1:]:\n    print(duckdb.sql(f\"SELECT DISTINCT recipientAccountId FROM read_csv('{f}', types={{'recipientAccountId': 'VARCHAR'}}) WHERE recipientAccountId IS NOT NULL\").fetchall())",
        &[&scan, &audit],
    );
    for line in duck.lines() {
        assert!(line.contains("'012345678901'"), "{duck}");
    }
}

#[test]
fn ocsf_events_validate_against_the_1_5_0_models() {
    let dir = tempfile::tempdir().unwrap();
    trail(dir.path());
    let logs = dir.path().join("AWSLogs");
    let file = save(
        dir.path(),
        "audit.ocsf.json",
        &["audit", "-q", "-f", "ocsf", logs.to_str().unwrap()],
    );
    let out = python(
        "import json, sys\nfrom py_ocsf_models.events.findings.compliance_finding import ComplianceFinding\nfrom py_ocsf_models.events.findings.detection_finding import DetectionFinding\nfor e in json.load(open(sys.argv[1])):\n    cls = {2003: ComplianceFinding, 2004: DetectionFinding}[e['class_uid']]\n    m = cls.model_validate(e)\n    print(e['class_uid'], m.metadata.version, getattr(getattr(m, 'compliance', None), 'status_id', None), m.finding_info.types)",
        &[&file],
    );
    let lines: Vec<&str> = out.lines().collect();
    // Two controls (CIS and Security Hub), failed by the change the
    // six-name pattern cannot see (a low gap): the Detection Finding.
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[..2]
            .iter()
            .all(|l| l.starts_with("2003 1.5.0 3 ['gaps']")),
        "{out}"
    );
    assert!(
        lines[2].starts_with("2004 1.5.0 None ['blind_spot']"),
        "{out}"
    );
    let events: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(events[2]["evidences"][0]["data"]["eventID"], "b");
    let object = events[2]["evidences"][0]["data"]["object"]
        .as_str()
        .unwrap();
    assert!(object.ends_with("_x.json.gz"), "{object}");
    assert_eq!(events[2]["evidences"][0]["data"]["record"], 1);
    assert_eq!(events[2]["resources"][0]["uid"], ACCOUNT);
}

#[test]
fn ndjson_lines_each_parse_and_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    trail(dir.path());
    let logs = dir.path().join("AWSLogs");
    let logs = logs.to_str().unwrap();
    let scan = ctreplay(&["scan", "-q", "-f", "ndjson", logs]).stdout;
    let kinds: Vec<String> = String::from_utf8(scan)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds, ["match", "match", "blind_spot"]);
    let audit = ctreplay(&["audit", "-q", "-f", "ndjson", logs]).stdout;
    let lines: Vec<Value> = String::from_utf8(audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "change");
    assert_eq!(lines[0]["recipientAccountId"], ACCOUNT);
    assert!(lines
        .iter()
        .any(|l| l["type"] == "finding" && l["kind"] == "blind_spot"));
}

#[test]
fn asff_findings_import_into_security_hub_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    trail(dir.path());
    let logs = dir.path().join("AWSLogs");
    let file = save(
        dir.path(),
        "audit.asff.json",
        &["audit", "-q", "-f", "asff", logs.to_str().unwrap()],
    );
    let findings: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let findings = findings.as_array().unwrap();
    assert!(findings.len() >= 3, "two controls and a finding");
    assert_eq!(findings[0]["AwsAccountId"], ACCOUNT);
    assert_eq!(findings[0]["Compliance"]["Status"], "FAILED");
    // boto3 checks every finding against Security Hub's model (required
    // attributes, types) before sending; the server (moto) imports them,
    // 100 a call as the README shows.
    let endpoint = crate::s3::endpoint();
    let out = python(
        "import json, sys, boto3\nf = json.load(open(sys.argv[1]))\nsh = boto3.client('securityhub', endpoint_url=sys.argv[2], region_name='eu-west-1', aws_access_key_id='t', aws_secret_access_key='t')\nok = 0\nfor i in range(0, len(f), 100):\n    r = sh.batch_import_findings(Findings=f[i:i + 100])\n    assert r['FailedCount'] == 0, r\n    ok += r['SuccessCount']\nprint(ok)",
        &[&file, &endpoint],
    );
    assert_eq!(out.trim(), findings.len().to_string());
}
