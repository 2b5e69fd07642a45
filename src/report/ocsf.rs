//! The audit as OCSF 1.5.0 events (`audit --format ocsf`, a JSON array):
//! one Compliance Finding (class 2003) per control the audit judged, with
//! status Pass, Fail or Unknown (Unknown where the audit could not judge),
//! and one Detection Finding (class 2004) per security-group change the
//! alarm missed or could not see, with the CloudTrail eventID and the log
//! object (key or path, and the record's index) as evidence (<https://schema.ocsf.io/1.5.0/classes/compliance_finding>,
//! <https://schema.ocsf.io/1.5.0/classes/detection_finding>).
//!
//! Times are the logs' own (the change's eventTime; the end of the logs'
//! span for a control), never the clock, so the same input gives the same
//! events. Finding uids are hashes of what they are about.

use std::io::{self, Write};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::audit::{Audit, ChangeStatus, ControlState};

/// The OCSF version emitted.
pub const OCSF_VERSION: &str = "1.5.0";

fn uid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

fn metadata() -> Value {
    json!({
        "version": OCSF_VERSION,
        "product": {
            "name": "ctreplay",
            "vendor_name": "ctreplay",
            "version": env!("CARGO_PKG_VERSION")
        }
    })
}

fn millis(t: &chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// Write the events.
pub fn write(a: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let scope = &a.scope.logs;
    let at = scope.span.map_or(0, |s| s.to * 1000);
    let mut events = Vec::new();
    for c in &a.controls {
        let (status_id, severity_id) = match c.status {
            ControlState::Pass => (1, 1),
            ControlState::Fail => (3, 4),
            ControlState::Unknown => (0, 0),
        };
        let (standard, control) = match c.id.rsplit_once(' ') {
            Some((s, n)) => (s.to_owned(), n.to_owned()),
            None => (c.id.clone(), c.id.clone()),
        };
        let resources: Vec<Value> = scope
            .accounts
            .iter()
            .map(|acct| json!({ "type": "AWS::::Account", "uid": acct }))
            .collect();
        let desc = if a.verdict_reasons.is_empty() {
            format!("{} gap(s) bear on this control", c.gaps)
        } else {
            format!("{} gap(s); {}", c.gaps, a.verdict_reasons.join("; "))
        };
        events.push(json!({
            "activity_id": 1,
            "category_uid": 2,
            "class_uid": 2003,
            "type_uid": 200301,
            "severity_id": severity_id,
            "time": at,
            "metadata": metadata(),
            "status_id": 1,
            "finding_info": {
                "uid": uid(&[&c.id, &scope.inputs.join(","), &scope.accounts.join(","), &scope.regions.join(",")]),
                "title": format!("{}: the security-group changes alarm", c.id),
                "desc": desc,
                "types": [a.verdict.as_str()]
            },
            "compliance": {
                "standards": [standard],
                "control": control,
                "status_id": status_id,
                "desc": format!("audit verdict {}", a.verdict.as_str())
            },
            "resources": resources
        }));
    }
    for ch in &a.changes {
        if !matches!(
            ch.status,
            ChangeStatus::Missed
                | ChangeStatus::NotNotified
                | ChangeStatus::BlindSpot
                | ChangeStatus::DeliveryFailed
        ) {
            continue;
        }
        let status = serde_json::to_value(ch.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let object = a
            .findings
            .iter()
            .filter(|f| f.about.event_id.as_deref() == Some(&ch.id))
            .flat_map(|f| f.evidence.iter().cloned())
            .collect::<Vec<_>>();
        events.push(json!({
            "activity_id": 1,
            "category_uid": 2,
            "class_uid": 2004,
            "type_uid": 200401,
            "severity_id": if ch.status == ChangeStatus::BlindSpot { 3 } else { 4 },
            "time": millis(&ch.time),
            "metadata": metadata(),
            "status_id": 1,
            "finding_info": {
                "uid": uid(&[&ch.id, &ch.time.to_rfc3339(), &status]),
                "title": format!("{} {} by {}: {}", ch.name, ch.id, ch.actor, status),
                "desc": ch.why.as_ref().map_or_else(|| status.clone(), |w| w.to_string()),
                "types": [status]
            },
            "evidences": [{
                "name": ch.name,
                "data": {
                    "eventID": ch.id,
                    "eventTime": crate::event::format_time(&ch.time),
                    "actor": ch.actor,
                    "recipientAccountId": ch.account,
                    "awsRegion": ch.region,
                    "alarm": ch.alarm,
                    "object": ch.object.0,
                    "record": ch.object.1,
                    "evidence": object
                }
            }],
            "resources": [{ "type": "AWS::::Account", "uid": ch.account, "region": ch.region }]
        }));
    }
    serde_json::to_writer_pretty(&mut *out, &events)?;
    out.write_all(b"\n")
}
