//! The HTML reports (`audit --format html`, `scan --format html`): one
//! self-contained page an auditor can attach. Inline CSS and SVG only: no
//! script, font, image or link outside the page, readable offline and
//! with JavaScript off, printable on A4 with a page break between
//! sections.
//!
//! Built with maud, whose `html!` escapes every interpolated value unless
//! told otherwise (nothing here is): userAgent, ARNs, group names and
//! error messages are the caller's to choose, and a `<script>` or
//! `"><img onerror=...>` in them must stay text. Bidirectional overrides
//! and other invisible characters, which HTML escaping leaves alone, are
//! shown as `\u{...}` ([`super::sanitize`]) before maud escapes the rest.
//! The chart is [`chart`]'s; what each section holds is this module's; the
//! numbers are the audit's and the scan's.

mod chart;

use std::io::{self, Write};

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::sanitize::sanitize;
use super::View;
use crate::audit::{Audit, ChangeStatus, ControlState, Verdict};
use crate::event::{format_time, Event};
use crate::scan::ErrorEntry;
use crate::scope::Scope;
use chart::{Lane, Mark, Points};

/// The page's style, inlined.
const STYLE: &str = include_str!("style.css");

/// Text from a log or an export, made visible and safe: maud escapes the
/// markup, this shows what escaping leaves invisible.
fn t(s: &str) -> String {
    sanitize(s).into_owned()
}

fn time(dt: &chrono::DateTime<chrono::Utc>) -> String {
    format_time(dt)
}

/// The page up to its body: head, the inline style, the title. The body
/// follows, then [`PAGE_END`]; the scan streams its rows in between.
fn page_start(title: &str) -> String {
    let head = html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        // Nothing may load: no script, no network, no inline handlers.
        meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'";
        title { (title) }
        style { (PreEscaped(STYLE)) }
    };
    format!(
        "{}<html lang=\"en\"><head>{}</head><body>",
        DOCTYPE.into_string(),
        head.into_string()
    )
}

/// What closes the page.
const PAGE_END: &str = "</body></html>\n";

/// `audit --verify`'s integrity figures: what the digests prove, the
/// chains and gaps, and every digest and object that is not valid.
fn integrity_section(i: &crate::audit::integrity::AuditIntegrity) -> Markup {
    use crate::integrity::counts;
    html! {
        section id="integrity" {
            h2 { "Integrity (CloudTrail digests)" }
            p { (t(&super::integrity::proven_line(&i.summary))) }
            p { "Objects: " (counts(&i.summary.objects)) ". Digests: " (counts(&i.summary.digests)) "." }
            @if !i.gaps.is_empty() {
                table {
                    thead { tr { th { "Account / region / trail" } th { "No digest from" } th { "to" } th { "Likely cause" } th { "Evidence" } } }
                    tbody {
                        @for g in &i.gaps {
                            tr {
                                td { (t(&g.account)) " / " (t(&g.region)) " / " (t(&g.trail)) }
                                td.mono { (time(&g.from)) }
                                td.mono { (time(&g.to)) }
                                td { (g.likely_cause.as_str()) }
                                td { @for e in &g.evidence { div.mono { (t(e)) } } }
                            }
                        }
                    }
                }
            }
            @if !i.digests_not_valid.is_empty() || !i.objects_not_proven.is_empty() {
                table {
                    thead { tr { th { "Status" } th { "Object or digest" } th { "Reason" } } }
                    tbody {
                        @for d in &i.digests_not_valid {
                            tr { td.mono { "digest " (d.status.as_str()) } td.mono { (t(&d.key)) } td { (d.reason.as_deref().map_or(String::new(), t)) } }
                        }
                        @for o in &i.objects_not_proven {
                            tr { td.mono { (o.status.as_str()) } td.mono { (t(&o.key)) } td { (o.reason.as_deref().map_or(String::new(), t)) } }
                        }
                    }
                }
            }
            @for n in &i.notes { p.note { (t(n)) } }
        }
    }
}

fn errors_section(errors: &[ErrorEntry]) -> Markup {
    html! {
        @if !errors.is_empty() {
            section id="errors" {
                h2 { "Could not read (" (errors.len()) ")" }
                table {
                    thead { tr { th { "Object" } th { "Reason" } } }
                    tbody {
                        @for e in errors {
                            tr { td.mono { (t(&e.object)) } td { (t(&e.reason)) } }
                        }
                    }
                }
            }
        }
    }
}

fn scope_rows(s: &Scope) -> Markup {
    html! {
        tr { th { "Tool" } td { (t(&s.tool)) } }
        tr { th { "Inputs" } td.mono { (t(&s.inputs.join(", "))) } }
        tr { th { "Query" } td {
            "since " (s.query.since.as_deref().map_or("(any)".into(), t))
            ", until " (s.query.until.as_deref().map_or("(any)".into(), t))
        } }
        tr { th { "Accounts" } td { (t(&list_or_none(&s.accounts))) } }
        tr { th { "Regions" } td { (t(&list_or_none(&s.regions))) } }
        tr { th { "Read" } td { (s.objects_read) " objects, " (s.records_read) " records" } }
        tr { th { "Log span" } td {
            @match &s.log_span {
                Some(span) => { (t(&span.from)) " to " (t(&span.to)) }
                None => { "no records in range" }
            }
        } }
        @for w in &s.warnings {
            tr { th { "Warning" } td.warn { (t(w)) } }
        }
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "(none)".into()
    } else {
        v.join(", ")
    }
}

fn status_name(s: ChangeStatus) -> &'static str {
    match s {
        ChangeStatus::Caught => "caught",
        ChangeStatus::Notified => "notified",
        ChangeStatus::DeliveryFailed => "delivery_failed",
        ChangeStatus::Missed => "missed",
        ChangeStatus::Unjudgeable => "unjudgeable",
        ChangeStatus::Uncertain => "uncertain",
        ChangeStatus::NotNotified => "not_notified",
        ChangeStatus::BlindSpot => "blind_spot",
    }
}

/// The CSS class that colours a change's fate.
fn status_class(s: ChangeStatus) -> &'static str {
    match s {
        ChangeStatus::Caught | ChangeStatus::Notified => "good",
        ChangeStatus::Missed | ChangeStatus::DeliveryFailed | ChangeStatus::BlindSpot => "bad",
        ChangeStatus::NotNotified => "bad",
        ChangeStatus::Unjudgeable | ChangeStatus::Uncertain => "unknown",
    }
}

fn secs(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp())
}

/// Datapoints are counted in periods of this length on the chart.
const CHART_PERIOD: i64 = 300;

/// The audit's timeline: the lanes and the span they cover.
fn audit_chart(a: &Audit) -> Option<Markup> {
    let delay = a.assumptions.delivery_delay_seconds;
    let mut times: Vec<i64> = Vec::new();
    if let Some(span) = &a.scope.logs.span {
        times.extend([span.from, span.to]);
    }
    // Not the history's span: 30 days of it would squash the logs' hour
    // into a pixel; the scope table gives it.
    times.extend(a.changes.iter().map(|c| c.time.timestamp()));
    // Each change's datapoint period, whole.
    times.extend(a.changes.iter().map(|c| {
        (c.time.timestamp() + delay).div_euclid(CHART_PERIOD) * CHART_PERIOD + CHART_PERIOD
    }));
    for e in &a.episodes {
        times.push(e.start.timestamp());
        times.extend(e.end.map(|t| t.timestamp()));
        times.extend(e.expected.as_ref().map(|x| x.until.timestamp()));
        times.extend(e.actual.map(|t| t.timestamp()));
    }
    times.extend(a.timeline.iter().map(|c| c.time.timestamp()));
    let (from, to) = (*times.iter().min()?, *times.iter().max()?);

    // Replayed datapoints: each change a filter matched, at eventTime plus
    // the delivery delay, summed per period.
    let mut periods: std::collections::BTreeMap<i64, u64> = Default::default();
    for c in a
        .changes
        .iter()
        .filter(|c| c.status != ChangeStatus::BlindSpot)
    {
        let p = (c.time.timestamp() + delay).div_euclid(CHART_PERIOD) * CHART_PERIOD;
        *periods.entry(p).or_default() += 1;
    }
    let datapoints = periods
        .iter()
        .map(|(&p, &n)| Mark::Bar {
            from: p,
            to: p + CHART_PERIOD,
            value: n as f64,
            title: format!(
                "{} event(s) in the period from {}",
                n,
                time(&crate::scope::at(p))
            ),
        })
        .collect();
    let mut replayed = Vec::new();
    let mut notifications = Vec::new();
    let mut actual = Vec::new();
    for e in &a.episodes {
        if let Some(x) = &e.expected {
            replayed.push(Mark::Band {
                from: x.from.timestamp(),
                to: x.until.timestamp(),
                class: "interval",
                title: format!(
                    "{}: ALARM expected between {} and {}",
                    t(&e.alarm),
                    time(&x.from),
                    time(&x.until)
                ),
            });
        }
        let end = e.end.map_or(to, |t| t.timestamp());
        replayed.push(Mark::Band {
            from: e.start.timestamp(),
            to: end,
            class: "alarm",
            title: format!(
                "{}: replayed ALARM from {} ({}, {} event(s))",
                t(&e.alarm),
                time(&e.start),
                e.verdict.as_str(),
                e.events.len()
            ),
        });
        if e.notifies {
            notifications.push(Mark::Point {
                t: e.start.timestamp(),
                class: "notify",
                title: format!("{}: notification at {}", t(&e.alarm), time(&e.start)),
                n: 1,
            });
        }
        if let Some(at) = e.actual {
            actual.push(Mark::Point {
                t: at.timestamp(),
                class: "actual",
                title: format!("{}: actual ALARM at {}", t(&e.alarm), time(&at)),
                n: 1,
            });
        }
    }
    for f in a.findings.iter().filter(|f| {
        matches!(
            f.kind,
            crate::audit::findings::FindingKind::Unexplained
                | crate::audit::findings::FindingKind::ForcedTransition
        )
    }) {
        if let Some(at) = f.time {
            actual.push(Mark::Point {
                t: at.timestamp(),
                class: "actual",
                title: t(&f.detail),
                n: 1,
            });
        }
    }
    // The history's states, inside the chart's span.
    let states = a
        .actual_states
        .iter()
        .filter(|st| st.to.is_none_or(|x| x.timestamp() >= from) && st.from.timestamp() <= to)
        .map(|st| Mark::Band {
            from: st.from.timestamp().max(from),
            to: st.to.map_or(to, |x| x.timestamp()).min(to),
            class: match st.state {
                crate::alarm::State::Alarm => "alarm",
                crate::alarm::State::Ok => "okband",
                crate::alarm::State::InsufficientData => "insufficient",
            },
            title: format!(
                "{}: {} from {}{}",
                t(&st.alarm),
                st.state.as_str(),
                time(&st.from),
                st.to.map_or(String::new(), |x| format!(" to {}", time(&x)))
            ),
        })
        .collect();
    let mut changes = Points::new(from, to);
    for c in &a.changes {
        changes.add(c.time.timestamp(), status_class(c.status), || {
            format!(
                "{} {} by {}: {}",
                time(&c.time),
                t(&c.name),
                t(&c.actor),
                status_name(c.status)
            )
        });
    }
    let mut pipeline = Points::new(from, to);
    for c in &a.timeline {
        pipeline.add(c.time.timestamp(), "pipeline", || {
            format!("{} {}: {}", time(&c.time), t(&c.event), t(&c.detail))
        });
    }
    let gaps = a
        .scope
        .logs
        .streams
        .iter()
        .flat_map(|s| s.gaps.iter().map(move |g| (s, g)))
        .filter_map(|(s, g)| {
            Some(Mark::Band {
                from: secs(&g.from)?,
                to: secs(&g.to)?,
                class: "gap",
                title: format!(
                    "no log object from {} to {} ({} {})",
                    t(&g.from),
                    t(&g.to),
                    t(s.account.as_deref().unwrap_or("?")),
                    t(s.region.as_deref().unwrap_or("?"))
                ),
            })
        })
        .collect();
    let lanes = [
        Lane {
            label: "datapoints / 5 min",
            marks: datapoints,
        },
        Lane {
            label: "replayed ALARM",
            marks: replayed,
        },
        Lane {
            label: "notifications",
            marks: notifications,
        },
        Lane {
            label: "actual state",
            marks: states,
        },
        Lane {
            label: "actual ALARM",
            marks: actual,
        },
        Lane {
            label: "security-group changes",
            marks: changes.into_marks(),
        },
        Lane {
            label: "pipeline changes",
            marks: pipeline.into_marks(),
        },
        Lane {
            label: "log coverage gaps",
            marks: gaps,
        },
    ];
    Some(chart::timeline(from, to, &lanes))
}

/// The headline: pass or fail only when the controls are (a hypothetical
/// audit, or one whose notifications the history cannot judge, is
/// `covered` with its controls `unknown`: inconclusive, never pass).
fn verdict_word(a: &Audit) -> (&'static str, &'static str) {
    let states: Vec<ControlState> = a.controls.iter().map(|c| c.status).collect();
    match a.verdict {
        Verdict::Gaps => ("fail", "bad"),
        Verdict::Covered
            if !states.is_empty() && states.iter().all(|s| *s == ControlState::Pass) =>
        {
            ("pass", "good")
        }
        _ => ("inconclusive", "unknown"),
    }
}

fn control_class(s: ControlState) -> (&'static str, &'static str) {
    match s {
        ControlState::Pass => ("pass", "good"),
        ControlState::Fail => ("fail", "bad"),
        ControlState::Unknown => ("unknown", "unknown"),
    }
}

/// Write the audit as one HTML page.
pub fn write_audit(a: &Audit, errors: &[ErrorEntry], out: &mut dyn Write) -> io::Result<()> {
    let s = &a.summary;
    let v = &s.verdicts;
    let (word, class) = verdict_word(a);
    let body = html! {
        header {
            h1 { "Security-group-changes alarm audit" }
            p.verdict.(class) { "Verdict: " strong { (word) } " (audit verdict " (a.verdict.as_str()) ")" }
            @if a.scope.hypothetical {
                p.warn { "Hypothetical: no deployed configuration was read; this replays the recommended CIS alarm, not the deployed one." }
            }
            @for r in &a.verdict_reasons {
                p.reason { (t(r)) }
            }
            table.controls {
                thead { tr { th { "Control" } th { "Status" } th { "Gaps" } } }
                tbody {
                    @for c in &a.controls {
                        @let (w, cl) = control_class(c.status);
                        tr { td { (t(&c.id)) } td.(cl) { (w) } td.num { (c.gaps) } }
                    }
                }
            }
        }
        section id="scope" {
            h2 { "Scope" }
            table.kv {
                tbody {
                    (scope_rows(&a.scope.logs))
                    tr { th { "History span" } td {
                        @match &a.scope.history_span {
                            Some(h) => { (t(&h.from)) " to " (t(&h.to)) }
                            None => { "no alarm history" }
                        }
                    } }
                    tr { th { "Alarms judged" } td { (t(&a.scope.alarms.iter().map(|j| j.name.clone()).collect::<Vec<_>>().join(", "))) } }
                    tr { th { "Filters evaluated" } td { (t(&a.scope.filters.iter().map(|j| j.name.clone()).collect::<Vec<_>>().join(", "))) } }
                    @if let Some(d) = &a.scope.deployment {
                        tr { th { "Read from AWS" } td {
                            (t(&d.evidence.collected_at)) " by "
                            (d.evidence.caller.as_ref().map_or("an unknown caller".into(), |c| t(&c.arn)))
                            "; " (d.evidence.calls) " calls, " (d.evidence.unanswered.len()) " unanswered"
                        } }
                        tr { th { "Evidence" } td.mono { "manifest sha256 " (t(&d.evidence.manifest_sha256)) } }
                        @if let Some(tr_) = &d.trail {
                            tr { th { "Trail" } td { (t(&tr_.name)) " (" (t(&tr_.arn)) ")" } }
                        }
                    }
                }
            }
        }
        section id="summary" {
            h2 { "Summary" }
            table.kv {
                tbody {
                    tr { th { "Security-group changes" } td.num { (s.security_group_changes) } }
                    tr { th { "Coverage" } td {
                        @match s.coverage {
                            Some(c) => { (format!("{:.0}%", c * 100.0)) " (" (s.notified) " of " (s.security_group_changes) ")" }
                            None => { "no changes" }
                        }
                    } }
                    tr { th { "Replayed notifications" } td.num { (s.replayed_notifications) " (" (s.replayed_notifications_range.0) ".." (s.replayed_notifications_range.1) " over the intervals)" } }
                    tr { th { "Actual notifications" } td.num { (s.actual_notifications.map_or("no history".into(), |n| n.to_string())) } }
                    tr { th { "Gaps" } td.num { (s.gaps) } }
                }
            }
            table.counts {
                thead { tr {
                    th { "caught" } th { "delivery failed" } th { "missed" } th { "unexplained" } th { "unjudgeable" } th { "uncertain" }
                } }
                tbody { tr {
                    td.num.good { (v.caught) } td.num.bad { (v.delivery_failed) } td.num.bad { (v.missed) }
                    td.num.bad { (v.unexplained) } td.num.unknown { (v.unjudgeable) } td.num.unknown { (v.uncertain) }
                } }
            }
        }
        @if let Some(chart) = audit_chart(a) {
            section id="timeline" {
                h2 { "Timeline" }
                (chart)
                p.legend {
                    "Datapoints: each matched change at eventTime + " (a.assumptions.delivery_delay_seconds) " s, summed per 5 minutes. "
                    "Replayed ALARM: dark bands, with the interval the transition is expected in shaded. "
                    "Actual state: the history's ALARM (red), OK (green) and INSUFFICIENT_DATA (grey) stretches. "
                    "Changes: green notified, red not, grey unjudgeable or uncertain. Hover a mark for details."
                }
            }
        }
        section id="changes" {
            h2 { "Changes and their fate (" (a.changes.len()) ")" }
            table {
                thead { tr {
                    th { "Time (UTC)" } th { "Event" } th { "eventID" } th { "Actor" } th { "Account / region" }
                    th { "Fate" } th { "Alarm" } th { "Replayed ALARM" } th { "Actual ALARM" } th { "SNS action" } th { "Why not" }
                } }
                tbody {
                    @for c in &a.changes {
                        @let ep = a.episodes.iter().find(|e| e.events.contains(&c.id) && Some(&e.alarm) == c.alarm.as_ref());
                        tr id={ "change-" (t(&c.id)) } {
                            td.mono { (time(&c.time)) }
                            td { (t(&c.name)) }
                            td.mono { (t(&c.id)) }
                            td.mono { (t(&c.actor)) }
                            td { (t(&c.account)) " / " (t(&c.region)) }
                            td.(status_class(c.status)) { (status_name(c.status)) }
                            td { (c.alarm.as_deref().map_or(String::new(), t)) }
                            td.mono { (ep.map_or(String::new(), |e| time(&e.start))) }
                            td.mono { (ep.and_then(|e| e.actual).map_or(String::new(), |x| time(&x))) }
                            td { (ep.map_or("", |e| if e.notifies { "sent" } else { "none" })) }
                            td { (c.why.as_ref().map_or(String::new(), |w| t(&w.to_string()))) }
                        }
                    }
                }
            }
        }
        section id="episodes" {
            h2 { "ALARM episodes (" (a.episodes.len()) ")" }
            table {
                thead { tr {
                    th { "Alarm" } th { "Start" } th { "End" } th { "Events" } th { "Notifies" } th { "Verdict" } th { "Actual ALARM" } th { "Assumption" }
                } }
                tbody {
                    @for e in &a.episodes {
                        tr {
                            td { (t(&e.alarm)) }
                            td.mono { (time(&e.start)) }
                            td.mono { (e.end.map_or("still in ALARM".into(), |x| time(&x))) }
                            td.num { (e.events.len()) }
                            td { (if e.notifies { "yes" } else { "no" }) }
                            td { (e.verdict.as_str()) }
                            td.mono { (e.actual.map_or(String::new(), |x| time(&x))) }
                            td { (e.assumption.as_deref().map_or(String::new(), t)) }
                        }
                    }
                }
            }
        }
        section id="findings" {
            h2 { "Findings (" (a.findings.len()) ")" }
            table {
                thead { tr { th { "Severity" } th { "Kind" } th { "Time" } th { "Detail" } th { "Controls" } th { "Evidence" } th { "Fix" } } }
                tbody {
                    @for f in &a.findings {
                        @let sev = serde_json::to_value(f.severity).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                        tr.(sev) {
                            td { (sev) }
                            td.mono { (f.kind.as_str()) }
                            td.mono { (f.time.map_or(String::new(), |x| time(&x))) }
                            td { (t(&f.detail)) }
                            td { (t(&f.controls.join(", "))) }
                            td { @for e in &f.evidence { div.mono { (t(e)) } } }
                            td.mono { (t(&f.fix)) }
                        }
                    }
                }
            }
        }
        @if let Some(i) = &a.integrity {
            (integrity_section(i))
        }
        (errors_section(errors))
    };
    out.write_all(page_start("ctreplay audit").as_bytes())?;
    out.write_all(body.into_string().as_bytes())?;
    out.write_all(PAGE_END.as_bytes())
}

/// One event's row in the scan's tables.
fn event_row(e: &Event, filters: &[&str]) -> Markup {
    let groups = if e.group_ids.is_empty() {
        e.group_names.join(", ")
    } else {
        e.group_ids.join(", ")
    };
    html! {
        tr id={ "event-" (t(&e.id)) } {
            td.mono { (time(&e.time)) }
            td { (t(&e.name)) }
            td { (t(&e.account)) " / " (t(&e.region)) }
            td.mono { (t(&e.actor)) }
            td.mono { (t(&e.source_ip)) }
            td.mono { (t(&e.user_agent)) }
            td.mono { (t(&groups)) }
            td { (e.error_code.as_deref().map_or("OK".into(), t)) }
            td { (t(&filters.join(", "))) }
            td.mono { (t(&e.id)) }
        }
    }
}

const EVENT_HEADER: [&str; 10] = [
    "Time (UTC)",
    "Event",
    "Account / region",
    "Actor",
    "Source IP",
    "User agent",
    "Groups",
    "Result",
    "Filters",
    "eventID",
];

/// Write the scan as one HTML page. Rows are written as they are read, so
/// a spilled event list is never held whole.
pub fn write_scan(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let sum = &view.summary;
    let spill = |e: crate::scan::SpillError| io::Error::other(e.to_string());
    // The chart: matched events and blind spots, and the breaching periods.
    // The logs' span, widened to the breaching periods it starts.
    let span = view.scope.span.map(|s| {
        let ends = view
            .periods
            .iter()
            .flat_map(|p| p.estimate.breaching.iter().map(|b| b.end.timestamp()));
        (s.from, ends.fold(s.to, i64::max))
    });
    let chart = match span {
        Some((from, to)) => {
            // Gathered a pixel column at a time: the lists may have
            // spilled, and are never held here.
            let mut matched = Points::new(from, to);
            for e in view.report.events.iter() {
                let e = e.map_err(spill)?;
                let class = if e.error_code.is_some() {
                    "unknown"
                } else {
                    "good"
                };
                matched.add(e.time.timestamp(), class, || {
                    format!("{} {} by {}", time(&e.time), t(&e.name), t(&e.actor))
                });
            }
            let mut blind = Points::new(from, to);
            for e in view.report.blind_spots.iter() {
                let e = e.map_err(spill)?;
                blind.add(e.time.timestamp(), "bad", || {
                    format!("{} {} by {}", time(&e.time), t(&e.name), t(&e.actor))
                });
            }
            let mut breaching = Vec::new();
            for p in &view.periods {
                for b in &p.estimate.breaching {
                    breaching.push(Mark::Band {
                        from: b.start.timestamp(),
                        to: b.end.timestamp(),
                        class: "alarm",
                        title: format!(
                            "{}: {} event(s) from {}{}",
                            t(p.filter),
                            b.sum,
                            time(&b.start),
                            if b.notifies { ", notifies" } else { "" }
                        ),
                    });
                }
            }
            Some(chart::timeline(
                from,
                to,
                &[
                    Lane {
                        label: "matched events",
                        marks: matched.into_marks(),
                    },
                    Lane {
                        label: "breaching periods",
                        marks: breaching,
                    },
                    Lane {
                        label: "unseen changes",
                        marks: blind.into_marks(),
                    },
                ],
            ))
        }
        None => None,
    };
    let head = html! {
        header {
            h1 { "Security-group changes in CloudTrail" }
            p.verdict { strong { (sum.matched) } " matched event(s), " strong { (sum.blind_spots) } " change(s) the filter cannot see, " (sum.errors) " object(s) or record(s) unreadable" }
            table.kv { tbody {
                @for f in &view.query.filters {
                    tr { th { "Filter " (t(&f.name)) } td.mono { (t(&f.pattern)) } }
                }
            } }
        }
        section id="scope" {
            h2 { "Scope" }
            table.kv { tbody {
                (scope_rows(view.scope))
                tr { th { "Objects" } td { (sum.objects_listed) " listed, " (sum.objects_scanned) " scanned, " (sum.objects_skipped) " skipped, " (sum.objects_failed) " failed" } }
                tr { th { "Records" } td { (sum.records_scanned) " scanned, " (sum.duplicates_dropped) " duplicates dropped" } }
            } }
        }
        @if let Some(c) = chart {
            section id="timeline" { h2 { "Timeline" } (c) }
        }
    };
    out.write_all(page_start("ctreplay scan").as_bytes())?;
    out.write_all(head.into_string().as_bytes())?;
    for (id, title, list) in [
        ("events", "Matched events", &view.report.events),
        (
            "blind-spots",
            "Changes the filter cannot see",
            &view.report.blind_spots,
        ),
    ] {
        // The section and its table open; the rows stream; both close.
        let open = html! {
            h2 { (title) " (" (list.len()) ")" }
        };
        let header = html! { @for h in EVENT_HEADER { th { (h) } } };
        write!(
            out,
            "<section id=\"{id}\">{}<table><thead><tr>{}</tr></thead><tbody>",
            open.into_string(),
            header.into_string()
        )?;
        for e in list.iter() {
            let e = e.map_err(spill)?;
            out.write_all(
                event_row(&e, &view.filter_names(&e.filters))
                    .into_string()
                    .as_bytes(),
            )?;
        }
        out.write_all(b"</tbody></table></section>")?;
    }
    out.write_all(errors_section(view.errors()).into_string().as_bytes())?;
    out.write_all(PAGE_END.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_become_markup_or_hide_itself() {
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>\u{202e}evil";
        let html = html! { td { (t(hostile)) } }.into_string();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains('\u{202e}'), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("\\u{202e}evil"), "{html}");
    }
}
