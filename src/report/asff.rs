//! The audit as AWS Security Finding Format findings (`audit --format
//! asff`), a JSON array for Security Hub's `BatchImportFindings`
//! (<https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format-syntax.html>):
//! one finding per control judged (Compliance PASSED, FAILED, or
//! NOT_AVAILABLE where the audit could not judge) and one per audit
//! finding, with its severity, controls, evidence and fix.
//!
//! BatchImportFindings takes at most 100 findings a call, each at most
//! 240 KB: titles and descriptions are cut to the format's 256 and 1024
//! characters, and the README shows how to split the array into calls. The product ARN is the
//! account's own default product in the region the findings belong to
//! (the caller's account and the trail's region with `--aws`, else the
//! first account and region of the logs). Times are the logs' own, so the
//! same input gives the same findings.

use std::io::{self, Write};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::audit::findings::Severity;
use crate::audit::{Audit, ControlState};

/// The ASFF version emitted.
pub const SCHEMA_VERSION: &str = "2018-10-08";

/// Most findings one BatchImportFindings call takes.
pub const BATCH: usize = 100;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("ctreplay/{}", hex::encode(&h.finalize()[..16]))
}

/// Write the findings.
pub fn write(a: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let scope = &a.scope.logs;
    let deployment = a.scope.deployment.as_ref();
    let account = deployment
        .and_then(|d| d.evidence.caller.as_ref().map(|c| c.account.clone()))
        .or_else(|| scope.accounts.first().cloned())
        .unwrap_or_else(|| "000000000000".into());
    let region = deployment
        .and_then(|d| d.trail.as_ref().map(|t| t.home_region.clone()))
        .or_else(|| scope.regions.first().cloned())
        .unwrap_or_else(|| "us-east-1".into());
    let product = format!("arn:aws:securityhub:{region}:{account}:product/{account}/default");
    let at = scope
        .span
        .map(|s| crate::event::format_time(&crate::scope::at(s.to)))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let account_resource = json!([{ "Type": "AwsAccount", "Id": format!("AWS::::Account:{account}"), "Region": region }]);
    let base = |fid: String, title: String, desc: String, label: &str, time: &str| {
        json!({
            "SchemaVersion": SCHEMA_VERSION,
            "Id": fid,
            "ProductArn": product,
            "GeneratorId": "ctreplay-security-group-changes-alarm",
            "AwsAccountId": account,
            "Types": ["Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"],
            "CreatedAt": time,
            "UpdatedAt": time,
            "Severity": { "Label": label },
            "Title": cut(&title, 256),
            "Description": cut(&desc, 1024),
            "Resources": account_resource,
            "RecordState": "ACTIVE",
            "ProductFields": { "ctreplay/verdict": a.verdict.as_str() }
        })
    };
    let mut findings: Vec<Value> = Vec::new();
    for c in &a.controls {
        let (status, label) = match c.status {
            ControlState::Pass => ("PASSED", "INFORMATIONAL"),
            ControlState::Fail => ("FAILED", "HIGH"),
            ControlState::Unknown => ("NOT_AVAILABLE", "INFORMATIONAL"),
        };
        let desc = if a.verdict_reasons.is_empty() {
            format!(
                "{} gap(s) bear on this control; audit verdict {}",
                c.gaps,
                a.verdict.as_str()
            )
        } else {
            format!(
                "{} gap(s); audit verdict {}: {}",
                c.gaps,
                a.verdict.as_str(),
                a.verdict_reasons.join("; ")
            )
        };
        let mut f = base(
            id(&[&c.id, &scope.inputs.join(","), &account, &region]),
            format!("{}: the security-group changes alarm", c.id),
            desc,
            label,
            &at,
        );
        f["Compliance"] = json!({ "Status": status, "RelatedRequirements": [c.id] });
        findings.push(f);
    }
    for g in &a.findings {
        let label = match g.severity {
            Severity::High => "HIGH",
            Severity::Medium => "MEDIUM",
            Severity::Low => "LOW",
            Severity::Info => "INFORMATIONAL",
        };
        let time = g
            .time
            .map_or_else(|| at.clone(), |t| crate::event::format_time(&t));
        let mut desc = g.detail.clone();
        if !g.evidence.is_empty() {
            desc += &format!(" Evidence: {}", g.evidence.join("; "));
        }
        let mut f = base(
            id(&[g.kind.as_str(), &g.detail, &time]),
            format!("{}: {}", g.kind, g.detail),
            desc,
            label,
            &time,
        );
        if g.severity.is_gap() {
            f["Compliance"] = json!({ "Status": "FAILED", "RelatedRequirements": g.controls });
        }
        if !g.fix.is_empty() {
            f["Remediation"] = json!({ "Recommendation": { "Text": cut(&g.fix, 512) } });
        }
        if let Some(arn) = &g.about.resource {
            f["Resources"] = json!([{ "Type": "Other", "Id": arn, "Region": g.about.region.clone().unwrap_or_else(|| region.clone()) }]);
        }
        findings.push(f);
    }
    serde_json::to_writer_pretty(&mut *out, &findings)?;
    out.write_all(b"\n")
}
