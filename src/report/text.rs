//! The human report: events table, blind spots, summary, alarm periods.

use std::io::{self, Write};

use super::sanitize::sanitize;
use super::View;
use crate::event::{format_time, Event};
use crate::scan::EventList;
use crate::scope::{list, Scope};

/// The part of an ARN after the account, which is in its own column.
pub(crate) fn short_actor(actor: &str) -> &str {
    if actor.starts_with("arn:") {
        actor.splitn(6, ':').nth(5).unwrap_or(actor)
    } else {
        actor
    }
}

fn row(e: &Event, view: &View<'_>, with_filters: bool) -> Vec<String> {
    let groups = if e.group_ids.is_empty() {
        e.group_names.join(",")
    } else {
        e.group_ids.join(",")
    };
    [
        format_time(&e.time),
        e.account.clone(),
        e.region.clone(),
        e.name.clone(),
        short_actor(&e.actor).to_owned(),
        e.source_ip.clone(),
        groups,
        e.error_code.clone().unwrap_or_else(|| "OK".into()),
        view.filter_names(&e.filters).join(","),
    ]
    .into_iter()
    .take(if with_filters { 9 } else { 8 })
    .map(|s| clip(&sanitize(&s)))
    .collect()
}

/// Longest cell of the text tables, in characters. Log fields are the
/// caller's to choose (a thousand group ids, escaped control characters);
/// the JSON keeps them whole.
const CELL: usize = 200;

/// `s`, cut to [`CELL`] characters with a marker that says how much more.
fn clip(s: &str) -> String {
    let n = s.chars().count();
    if n <= CELL {
        return s.to_owned();
    }
    let kept: String = s.chars().take(CELL).collect();
    format!("{kept}...[+{} chars]", n - CELL)
}

const HEADER: [&str; 9] = [
    "TIME (UTC)",
    "ACCOUNT",
    "REGION",
    "EVENT",
    "ACTOR",
    "SOURCE IP",
    "GROUPS",
    "RESULT",
    "FILTERS",
];

/// The events as a table: one pass for the column widths, one for the
/// rows, so no more than one row is held (the list may have spilled).
fn table(
    out: &mut dyn Write,
    view: &View<'_>,
    events: &EventList,
    with_filters: bool,
) -> io::Result<()> {
    let header = &HEADER[..if with_filters { 9 } else { 8 }];
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for e in events.iter() {
        for (w, c) in width.iter_mut().zip(row(&*e?, view, with_filters)) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &[&str]| -> io::Result<()> {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&width).enumerate() {
            s.push_str(c);
            if i + 1 < cells.len() {
                // Padded by hand: a format width is at most 65,535.
                let pad = w.saturating_sub(c.chars().count()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, header)?;
    for e in events.iter() {
        let r = row(&*e?, view, with_filters);
        line(out, &r.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    Ok(())
}

pub(super) fn write(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let t = view.report;
    let s = &view.summary;
    let filters = &view.query.filters;
    let several = filters.len() > 1;
    for f in filters {
        writeln!(
            out,
            "Filter {}: {}",
            sanitize(&f.name),
            sanitize(&f.pattern)
        )?;
        for n in &f.notes {
            writeln!(out, "  note: {}", sanitize(n))?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "Events the filter{} match{}: {}",
        if several { "s" } else { "" },
        if several { "" } else { "es" },
        t.events.len()
    )?;
    if !t.events.is_empty() {
        table(out, view, &t.events, several)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Blind spots (security-group changes no filter matches): {}",
        t.blind_spots.len()
    )?;
    if !t.blind_spots.is_empty() {
        table(out, view, &t.blind_spots, false)?;
        let mut seen: std::collections::BTreeMap<String, &str> = Default::default();
        for e in t.blind_spots.iter() {
            let e = e?;
            if let Some(why) = e.why_unseen {
                if !seen.contains_key(&e.name) {
                    seen.insert(e.name.clone(), why);
                }
            }
        }
        for (name, why) in seen {
            writeln!(out, "  {}: {why}", sanitize(&name))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Summary")?;
    let skipped: Vec<String> = s
        .objects_skipped_by_reason
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(
        out,
        "  objects: {} listed, {} scanned, {} skipped{}, {} failed",
        s.objects_listed,
        s.objects_scanned,
        s.objects_skipped,
        if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", skipped.join(", "))
        },
        s.objects_failed
    )?;
    if let (Some(l), Some(g)) = (s.list_calls, s.get_calls) {
        writeln!(out, "  S3 requests: {l} LIST, {g} GET")?;
    }
    writeln!(
        out,
        "  records: {} scanned, {} decoded; {:.1} MB stored, {:.1} MB of JSON",
        s.records_scanned,
        s.records_decoded,
        s.bytes_stored as f64 / 1e6,
        s.bytes_inflated as f64 / 1e6
    )?;
    writeln!(
        out,
        "  matched: {} ({} failed or DryRun calls), {} duplicate(s) dropped",
        s.matched, s.matched_failed_calls, s.duplicates_dropped
    )?;
    for (name, n) in &s.matched_by_event {
        let name = clip(&sanitize(name));
        let pad = 32usize.saturating_sub(name.chars().count());
        writeln!(out, "    {name}{} {n}", " ".repeat(pad))?;
    }
    if !s.matched_by_account.is_empty() {
        let per = |m: &std::collections::BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{} {v}", sanitize(k)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(out, "  by account: {}", per(&s.matched_by_account))?;
        writeln!(out, "  by region: {}", per(&s.matched_by_region))?;
    }
    if several {
        for (name, n) in &s.matched_by_filter {
            writeln!(out, "  filter {}: {n} matched", sanitize(name))?;
        }
    }
    for fe in &view.periods {
        let p = &fe.estimate;
        writeln!(
            out,
            "  alarm on {} (Sum over {} s >= 1): {} breaching period(s); {} ALARM notification(s) (up to {} if the alarm left ALARM after one quiet period)",
            sanitize(fe.filter),
            p.period_seconds,
            p.breaching.len(),
            p.notifications,
            p.notifications_max
        )?;
        for b in &p.breaching {
            writeln!(
                out,
                "    {} .. {}  sum {}{}",
                format_time(&b.start),
                format_time(&b.end),
                b.sum,
                if b.notifies {
                    "  -> ALARM notification"
                } else {
                    ""
                }
            )?;
        }
    }
    write_scope(view.scope, out)?;
    super::write_errors(view.errors(), out)
}

/// The scope lines shared by the scan and audit text reports.
pub(crate) fn write_scope(scope: &Scope, out: &mut dyn Write) -> io::Result<()> {
    let span = scope
        .log_span
        .as_ref()
        .map_or("no records in the query's range".into(), |s| {
            format!("events {} to {}", s.from, s.to)
        });
    writeln!(
        out,
        "  scope: {} log object(s), {} record(s) read from {}; accounts {}; regions {}; {span}",
        scope.objects_read,
        scope.records_read,
        sanitize(&scope.inputs.join(" ")),
        sanitize(&list(&scope.accounts)),
        sanitize(&list(&scope.regions)),
    )?;
    for st in &scope.streams {
        for g in &st.gaps {
            writeln!(
                out,
                "  gap: no object from {} {} between {} and {}",
                sanitize(st.account.as_deref().unwrap_or("?")),
                sanitize(st.region.as_deref().unwrap_or("?")),
                g.from,
                g.to
            )?;
        }
    }
    for w in &scope.warnings {
        writeln!(out, "  warning: {}", sanitize(w))?;
    }
    Ok(())
}
