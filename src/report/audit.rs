//! The audit report: a one-screen text verdict an auditor can paste, the
//! JSON document, and the line formats for data tools (NDJSON and CSV: a
//! line per change with its fate, then a line per finding; schemas in the
//! README). What the verdict is, is [`crate::audit`]'s; this only writes
//! it.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use super::sanitize::sanitize;
use super::terminal::{Look, Tone};
use crate::audit::{Audit, ControlState, Finding, FindingKind, Severity, Verdict};
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

/// One NDJSON line: what it is, then the item's own keys.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    item: &'a T,
}

/// Write a line per change (`"type":"change"`) then per finding
/// (`"type":"finding"`), each with the keys it has in the JSON document.
pub fn write_ndjson(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    for c in &audit.changes {
        serde_json::to_writer(
            &mut *out,
            &Line {
                kind: "change",
                item: c,
            },
        )?;
        out.write_all(b"\n")?;
    }
    for f in &audit.findings {
        serde_json::to_writer(
            &mut *out,
            &Line {
                kind: "finding",
                item: f,
            },
        )?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The audit CSV's columns: a change fills the first nine, a finding the
/// first, `time` and the last six.
const CSV_HEADER: &str = "type,time,eventName,eventID,actor,recipientAccountId,awsRegion,status,alarm,why,severity,finding,detail,controls,evidence,fix";

/// Write the changes and the findings as one CSV table (escaped as the
/// scan's; account IDs quoted).
pub fn write_csv(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let json_name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    writeln!(out, "{CSV_HEADER}")?;
    for c in &audit.changes {
        let cells = [
            "change".to_owned(),
            format_time(&c.time),
            c.name.clone(),
            c.id.clone(),
            c.actor.clone(),
            c.account.clone(),
            c.region.clone(),
            json_name(serde_json::to_value(c.status).unwrap_or_default()),
            c.alarm.clone().unwrap_or_default(),
            c.why.as_ref().map(|w| w.to_string()).unwrap_or_default(),
        ];
        super::csv::row(out, &cells, &[5], 16)?;
    }
    for f in &audit.findings {
        let cells = [
            "finding".to_owned(),
            f.time.map(|t| format_time(&t)).unwrap_or_default(),
            String::new(),
            f.about.event_id.clone().unwrap_or_default(),
            String::new(),
            f.about.account.clone().unwrap_or_default(),
            f.about.region.clone().unwrap_or_default(),
            String::new(),
            f.about.alarm.clone().unwrap_or_default(),
            String::new(),
            json_name(serde_json::to_value(f.severity).unwrap_or_default()),
            f.kind.as_str().to_owned(),
            f.detail.clone(),
            f.controls.join("; "),
            f.evidence.join("; "),
            f.fix.clone(),
        ];
        super::csv::row(out, &cells, &[5], 16)?;
    }
    Ok(())
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

/// Gaps of one kind shown in the text report.
const PER_KIND: usize = 3;
/// Notes of one kind shown.
const NOTES_PER_KIND: usize = 2;

/// Pipeline changes shown on the text screen.
const TIMELINE: usize = 4;

fn finding_line(out: &mut dyn Write, f: &Finding, look: Look) -> io::Result<()> {
    let when = f
        .time
        .map_or(String::new(), |t| format!(" {}", format_time(&t)));
    let (severity, tone) = match f.severity {
        Severity::High => ("high ", Some(Tone::Bad)),
        Severity::Medium => ("medium ", Some(Tone::Bad)),
        Severity::Low => ("low ", Some(Tone::Warn)),
        Severity::Info => ("", None),
    };
    let tag = format!("[{severity}{}]", f.kind);
    writeln!(
        out,
        "  {}{when} {}",
        tone.map_or(Cow::Borrowed(tag.as_str()), |t| look.paint(t, &tag)),
        sanitize(&f.detail)
    )
}

fn control_state(s: ControlState) -> (&'static str, Tone) {
    match s {
        ControlState::Pass => ("pass", Tone::Good),
        ControlState::Fail => ("FAIL", Tone::Bad),
        ControlState::Unknown => ("unknown", Tone::Warn),
    }
}

/// The colour of an episode's verdict.
fn episode_tone(v: crate::audit::replay::EpisodeVerdict) -> Tone {
    use crate::audit::replay::EpisodeVerdict as V;
    match v {
        V::Caught => Tone::Good,
        V::Missed | V::DeliveryFailed => Tone::Bad,
        _ => Tone::Warn,
    }
}

/// A few findings of each kind (the first with its fix, for gaps); the
/// JSON lists them all.
fn limited(
    out: &mut dyn Write,
    findings: &[&Finding],
    fixes: bool,
    per_kind: usize,
    look: Look,
) -> io::Result<()> {
    let mut shown: Vec<(FindingKind, usize)> = Vec::new();
    for f in findings {
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
        if n > per_kind {
            continue;
        }
        finding_line(out, f, look)?;
        if fixes && !f.fix.is_empty() && n == 1 {
            writeln!(out, "      fix: {}", sanitize(&f.fix))?;
        }
    }
    for (kind, n) in shown.iter().filter(|(_, n)| *n > per_kind) {
        writeln!(
            out,
            "  ... and {} more [{kind}] (--format json lists them all)",
            n - per_kind
        )?;
    }
    Ok(())
}

/// The configuration read from AWS: who looked, when, the bundle, the
/// trail followed, the topics.
fn write_deployment(
    d: &crate::audit::deployment::Deployment,
    out: &mut dyn Write,
) -> io::Result<()> {
    let e = &d.evidence;
    writeln!(
        out,
        "  read from AWS at {} by {}: {} calls, {} unanswered; evidence manifest sha256 {}",
        sanitize(&e.collected_at),
        e.caller
            .as_ref()
            .map_or("an unknown caller".into(), |c| sanitize(&c.arn)
                .into_owned()),
        e.calls,
        e.unanswered.len(),
        sanitize(&e.manifest_sha256)
    )?;
    let known = |b: Option<bool>, yes: &str, no: &str| match b {
        Some(true) => yes.to_owned(),
        Some(false) => no.to_owned(),
        None => "unknown".to_owned(),
    };
    match &d.trail {
        Some(t) => writeln!(
            out,
            "  trail {} ({}{}): logging {}, management writes {}, log group {}",
            sanitize(&t.name),
            if t.multi_region {
                "multi-region"
            } else {
                "single-region"
            },
            if t.organization { ", organization" } else { "" },
            known(t.logging, "yes", "NO"),
            known(t.management_writes, "logged", "NOT logged"),
            t.log_group_arn
                .as_deref()
                .map_or("none".into(), |g| sanitize(g).into_owned())
        )?,
        None => writeln!(out, "  trail: none found")?,
    }
    for t in &d.topics {
        writeln!(
            out,
            "  topic {}: {} confirmed, {} pending subscription(s)",
            sanitize(&t.arn),
            t.confirmed.map_or("unknown".into(), |n| n.to_string()),
            t.pending.map_or("unknown".into(), |n| n.to_string())
        )?;
    }
    Ok(())
}

/// Write the text verdict.
pub fn write_text(
    audit: &Audit,
    errors: &[ErrorEntry],
    look: Look,
    out: &mut dyn Write,
) -> io::Result<()> {
    let s = &audit.summary;
    let a = &audit.assumptions;
    let scope = &audit.scope;
    if scope.hypothetical {
        writeln!(
            out,
            "{}",
            look.paint(Tone::Warn, if scope.deployment.is_some() {
                "Hypothetical audit: the deployed filters or alarms could not be read from AWS, so this replays the recommended CIS alarm, not yours"
            } else {
                "Hypothetical audit: no deployed configuration was given (--metric-filters, --alarms), so this replays the recommended CIS alarm, not yours"
            })
        )?;
    }
    writeln!(
        out,
        "{}",
        look.paint(
            Tone::Strong,
            "Audit of the security-group-changes alarm pipeline"
        )
    )?;
    super::text::write_scope(&scope.logs, look, out)?;
    if let Some(d) = &scope.deployment {
        write_deployment(d, out)?;
    }
    if let Some(h) = &scope.history_span {
        writeln!(out, "  history: {} to {}", h.from, h.to)?;
    }
    if let Some(i) = &audit.integrity {
        writeln!(
            out,
            "  integrity: {}; {} digest(s) not valid, {} gap(s) in the chains",
            super::integrity::proven_line(&i.summary),
            i.digests_not_valid.len(),
            i.gaps.len()
        )?;
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
        "  assumptions: datapoint at eventTime + {} s; ALARM within {} s counts; evaluation range {}",
        a.delivery_delay_seconds,
        a.match_window_seconds,
        a.evaluation_range_periods.map_or("5 periods (not published)".into(), |r| format!("{r} periods"))
    )?;
    let (lo, hi) = a.delivery_delay_range_seconds;
    writeln!(
        out,
        "  intervals: delay {lo}..{hi} s{}, lag {}..{} s, range {}: {}..{} notification(s)",
        a.calibration.map_or(String::new(), |c| format!(
            " (from {} caught in the history)",
            c.episodes
        )),
        a.evaluation_lag_range_seconds.0,
        a.evaluation_lag_range_seconds.1,
        a.calibration
            .and_then(|c| c.evaluation_range_periods)
            .map_or("N..assumed".to_owned(), |(lo, hi)| format!(
                "{lo}..{hi} periods (calibrated)"
            )),
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
        Some(n) => {
            // Only the counts that are not zero: the JSON has them all.
            let parts: Vec<String> = [
                (s.verdicts.caught, "caught"),
                (s.verdicts.delivery_failed, "delivery failed"),
                (s.verdicts.missed, "missed"),
                (s.verdicts.uncertain, "uncertain"),
                (s.verdicts.unexplained, "unexplained"),
                (s.verdicts.unjudgeable, "not judgeable"),
            ]
            .iter()
            .filter(|(k, _)| *k > 0)
            .map(|(k, what)| format!("{k} {what}"))
            .collect();
            writeln!(
                out,
                "Notifications: {} replayed, {n} in the history: {}",
                s.replayed_notifications,
                if parts.is_empty() {
                    "none judged".to_owned()
                } else {
                    parts.join(", ")
                }
            )?
        }
        None => writeln!(
            out,
            "Notifications: {} replayed (no --history given, so none judged)",
            s.replayed_notifications
        )?,
    }
    if !audit.episodes.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", look.paint(Tone::Strong, "ALARM episodes"))?;
        for e in &audit.episodes {
            writeln!(
                out,
                "  {} .. {}  {}  {} event(s)  {}{}",
                format_time(&e.start),
                e.end.map_or("(still in ALARM)".into(), |t| format_time(&t)),
                sanitize(&e.alarm),
                e.events.len(),
                look.paint(episode_tone(e.verdict), e.verdict.as_str()),
                e.why_silent
                    .as_ref()
                    .map_or(String::new(), |w| format!(": {w}"))
            )?;
        }
    }
    let gaps: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| f.severity.is_gap())
        .collect();
    writeln!(out)?;
    if audit.verdict == Verdict::Inconclusive {
        writeln!(
            out,
            "{} {}. Nothing here says the alarm is covered.",
            look.paint(Tone::Warn, "Verdict: inconclusive:"),
            sanitize(&audit.verdict_reasons.join("; "))
        )?;
    } else if gaps.is_empty() {
        writeln!(
            out,
            "{} No gaps found.",
            look.paint(Tone::Good, "Verdict: covered.")
        )?;
    } else {
        let v = format!("Verdict: {} gap(s)", gaps.len());
        writeln!(out, "{}", look.paint(Tone::Bad, &v))?;
        limited(out, &gaps, true, PER_KIND, look)?;
    }
    let controls: Vec<String> = audit
        .controls
        .iter()
        .map(|c| {
            let (state, tone) = control_state(c.status);
            format!("{} {}", c.id, look.paint(tone, state))
        })
        .collect();
    writeln!(out, "Controls: {}", controls.join("; "))?;
    let info: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    if !info.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", look.paint(Tone::Strong, "Notes"))?;
        limited(out, &info, false, NOTES_PER_KIND, look)?;
    }
    if !audit.timeline.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            look.paint(Tone::Strong, "Pipeline changes recorded by CloudTrail")
        )?;
        for c in audit.timeline.iter().take(TIMELINE) {
            writeln!(
                out,
                "  {}  {}  {}",
                format_time(&c.time),
                sanitize(super::text::short_actor(&c.actor)),
                sanitize(&c.detail)
            )?;
        }
        if audit.timeline.len() > TIMELINE {
            writeln!(
                out,
                "  ... and {} more (--format json lists them all)",
                audit.timeline.len() - TIMELINE
            )?;
        }
    }
    if s.gaps > 0 {
        writeln!(out)?;
        writeln!(
            out,
            "The fixes, as code with the real names: add --fix cli (or boto3, cloudformation, terraform)"
        )?;
    }
    crate::report::write_errors(errors, look, out)
}
