//! The audit report: a one-screen text verdict an auditor can paste, and
//! the JSON document (schema in the README). What the verdict is, is
//! [`crate::audit`]'s; this only writes it.

use std::io::{self, Write};

use serde::Serialize;

use super::sanitize::sanitize;
use crate::audit::{Audit, Finding, FindingKind, Severity, Verdict};
use crate::event::format_time;
use crate::scan::ErrorEntry;

/// Bumped when a key is renamed or removed.
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    #[serde(flatten)]
    audit: &'a Audit,
    errors: &'a [ErrorEntry],
}

/// Write the JSON document.
pub fn write_json(audit: &Audit, errors: &[ErrorEntry], out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: AUDIT_SCHEMA_VERSION,
        audit,
        errors,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// Findings of one kind shown in the text report.
const PER_KIND: usize = 5;

fn finding_line(out: &mut dyn Write, f: &Finding) -> io::Result<()> {
    let when = f
        .time
        .map_or(String::new(), |t| format!(" {}", format_time(&t)));
    writeln!(out, "  [{}]{when} {}", f.kind, sanitize(&f.detail))
}

/// Write the text verdict.
pub fn write_text(audit: &Audit, errors: &[ErrorEntry], out: &mut dyn Write) -> io::Result<()> {
    let s = &audit.summary;
    let a = &audit.assumptions;
    let scope = &audit.scope;
    if scope.hypothetical {
        writeln!(
            out,
            "Hypothetical audit: no deployed configuration was given (--metric-filters, --alarms), so this replays the recommended CIS alarm, not yours"
        )?;
    }
    writeln!(out, "Audit of the security-group-changes alarm pipeline")?;
    super::text::write_scope(&scope.logs, out)?;
    if let Some(h) = &scope.history_span {
        writeln!(out, "  history: {} to {}", h.from, h.to)?;
    }
    for al in &audit.alarms {
        writeln!(
            out,
            "  alarm {} ({:?}) on {} fed by {}",
            sanitize(&al.name),
            al.source,
            sanitize(&al.metric),
            if al.filters.is_empty() {
                "no metric filter".into()
            } else {
                sanitize(&al.filters.join(", ")).into_owned()
            }
        )?;
    }
    writeln!(
        out,
        "  assumptions: datapoint at eventTime + {} s; ALARM within {} s of the change counts as the same; evaluation range {}",
        a.delivery_delay_seconds,
        a.match_window_seconds,
        a.evaluation_range_periods.map_or("5 periods (AWS does not publish it)".into(), |r| format!("{r} periods"))
    )?;
    let (lo, hi) = a.delivery_delay_range_seconds;
    writeln!(
        out,
        "  intervals: delivery delay {lo}..{hi} s{}, evaluation lag {}..{} s, evaluation range N..assumed; {}..{} notification(s) over them",
        a.calibration.map_or(String::new(), |c| format!(
            " (narrowed by {} caught notification(s) in the history)",
            c.episodes
        )),
        a.evaluation_lag_range_seconds.0,
        a.evaluation_lag_range_seconds.1,
        s.replayed_notifications_range.0,
        s.replayed_notifications_range.1,
    )?;
    writeln!(out)?;
    match s.coverage {
        Some(c) => writeln!(
            out,
            "Coverage: {} of {} security-group changes {} ({:.0}%)",
            s.notified,
            s.security_group_changes,
            if s.actual_notifications.is_some() {
                "produced a delivered notification"
            } else {
                "would have produced a notification"
            },
            c * 100.0
        )?,
        None => writeln!(
            out,
            "Coverage: no security-group changes in the scanned logs"
        )?,
    }
    match s.actual_notifications {
        Some(n) => writeln!(
            out,
            "Notifications: {} replayed, {} in the history; {} caught, {} delivery failed, {} missed, {} uncertain, {} unexplained, {} not judgeable",
            s.replayed_notifications, n, s.caught, s.delivery_failed, s.missed, s.uncertain, s.unexplained, s.unjudgeable
        )?,
        None => writeln!(
            out,
            "Notifications: {} replayed (no --history given, so none judged)",
            s.replayed_notifications
        )?,
    }
    if !audit.episodes.is_empty() {
        writeln!(out)?;
        writeln!(out, "ALARM episodes")?;
        for e in &audit.episodes {
            writeln!(
                out,
                "  {} .. {}  {}  {} event(s)  {}{}",
                format_time(&e.start),
                e.end.map_or("(still in ALARM)".into(), |t| format_time(&t)),
                sanitize(&e.alarm),
                e.events.len(),
                e.verdict.as_str(),
                e.why_silent
                    .as_ref()
                    .map_or(String::new(), |w| format!(": {w}"))
            )?;
        }
    }
    let gaps: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Gap)
        .collect();
    writeln!(out)?;
    if audit.verdict == Verdict::Inconclusive {
        writeln!(
            out,
            "Verdict: inconclusive: {}. Nothing here says the alarm is covered.",
            sanitize(&audit.verdict_reasons.join("; "))
        )?;
    } else if gaps.is_empty() {
        writeln!(out, "Verdict: covered. No gaps found.")?;
    } else {
        writeln!(out, "Verdict: {} gap(s)", gaps.len())?;
        // One screen: a few of each kind; JSON lists them all.
        let mut shown: Vec<(FindingKind, usize)> = Vec::new();
        for f in &gaps {
            let n = match shown.iter_mut().find(|(k, _)| *k == f.kind) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    shown.push((f.kind, 1));
                    1
                }
            };
            if n > PER_KIND {
                continue;
            }
            finding_line(out, f)?;
            if !f.fix.is_empty() && n == 1 {
                writeln!(out, "      fix: {}", sanitize(&f.fix))?;
            }
        }
        for (kind, n) in shown.iter().filter(|(_, n)| *n > PER_KIND) {
            writeln!(
                out,
                "  ... and {} more [{kind}] (--format json lists them all)",
                n - PER_KIND
            )?;
        }
    }
    let info: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    if !info.is_empty() {
        writeln!(out)?;
        writeln!(out, "Notes")?;
        for f in info {
            finding_line(out, f)?;
        }
    }
    if !audit.timeline.is_empty() {
        writeln!(out)?;
        writeln!(out, "Pipeline changes recorded by CloudTrail")?;
        for c in &audit.timeline {
            writeln!(
                out,
                "  {}  {}  {}",
                format_time(&c.time),
                sanitize(&c.actor),
                sanitize(&c.detail)
            )?;
        }
    }
    crate::report::write_errors(errors, out)
}
