//! The human report: events table, blind spots, summary, alarm periods.

use std::io::{self, Write};

use super::sanitize::sanitize;
use super::terminal::{columns, cut, fit_widths, span, Look, Tone};
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

/// Columns that may be left out to fit a terminal, the first to go first:
/// the source IP, the filters, then the account and region (a column with
/// one value in every row goes before any other, its value said above the
/// table). Time, event, actor, groups and result stay.
const DROP_ORDER: [usize; 4] = [5, 8, 2, 1];

/// Columns that are never cut: the time, the account (a cut account ID is
/// no ID) and the event name.
const WHOLE: [usize; 3] = [0, 1, 3];

/// The result column, coloured when the call was refused.
const RESULT: usize = 7;

/// The narrowest a column that may be cut is cut to: with the time and the
/// longest event name whole, three such columns fit 80 terminal columns.
const NARROWEST: usize = 6;

/// Spaces between the cells of a table.
const GAP: usize = 2;

/// The events as a table: one pass for the column widths, one for the
/// rows, so no more than one row is held (the list may have spilled).
///
/// On a terminal ([`Look::width`]) a table wider than it is fitted: a
/// column with the same value in every row is left out and its value said
/// above the table, then whole columns are left out in [`DROP_ORDER`]
/// while even their narrowest widths do not fit, then the widest columns
/// give way (cells cut with `…`); a line says what was left out and that
/// `--wide` shows everything. A terminal too narrow for what is left wraps
/// the rows. Piped output keeps every cell whole.
fn table(
    out: &mut dyn Write,
    view: &View<'_>,
    events: &EventList,
    with_filters: bool,
) -> io::Result<()> {
    let look = view.look;
    let header = &HEADER[..if with_filters { 9 } else { 8 }];
    let mut width: Vec<usize> = header.iter().map(|h| columns(h)).collect();
    // The value of a column when every row has the same one (the callers
    // write no table without rows).
    let mut same: Vec<Option<String>> = vec![None; header.len()];
    for (n, e) in events.iter().enumerate() {
        let r = row(&*e?, view, with_filters);
        for (i, c) in r.into_iter().enumerate() {
            width[i] = width[i].max(columns(&c));
            if n == 0 {
                same[i] = Some(c);
            } else if same[i].as_ref() != Some(&c) {
                same[i] = None;
            }
        }
    }
    let mut keep = vec![true; header.len()];
    let mut said = Vec::new();
    let mut dropped = Vec::new();
    if let Some(total) = look.width() {
        if span(width.iter().copied(), GAP) > total {
            for &i in DROP_ORDER.iter().rev().filter(|&&i| i < header.len()) {
                if let Some(v) = &same[i] {
                    keep[i] = false;
                    let v = if v.is_empty() { "(none)" } else { v };
                    said.push(format!("{} {v}", header[i].to_lowercase()));
                }
            }
        }
        let floor = |i: usize| {
            if WHOLE.contains(&i) {
                width[i]
            } else {
                width[i].min(NARROWEST)
            }
        };
        for &i in DROP_ORDER.iter().filter(|&&i| i < header.len()) {
            if span((0..header.len()).filter(|&j| keep[j]).map(floor), GAP) <= total {
                break;
            }
            if keep[i] {
                keep[i] = false;
                dropped.push(header[i].to_lowercase());
            }
        }
        let kept: Vec<usize> = (0..header.len()).filter(|&j| keep[j]).collect();
        let natural: Vec<usize> = kept.iter().map(|&j| width[j]).collect();
        let floors: Vec<usize> = kept.iter().map(|&j| floor(j)).collect();
        for (&j, w) in kept.iter().zip(fit_widths(&natural, &floors, GAP, total)) {
            width[j] = w;
        }
    }
    if !said.is_empty() {
        writeln!(out, "  (in every row: {})", said.join(", "))?;
    }
    if !dropped.is_empty() {
        writeln!(
            out,
            "  (left out to fit the terminal: {}; --wide shows every column)",
            dropped.join(", ")
        )?;
    }
    let shown: Vec<usize> = (0..header.len()).filter(|&i| keep[i]).collect();
    let line = |out: &mut dyn Write, cells: &[&str], tone: &dyn Fn(usize, &str) -> Option<Tone>| {
        let mut s = String::new();
        for (n, &i) in shown.iter().enumerate() {
            let c = cut(cells[i], width[i]);
            match tone(i, &c) {
                Some(t) => s.push_str(&look.paint(t, &c)),
                None => s.push_str(&c),
            }
            if n + 1 < shown.len() {
                // Padded by hand: a format width is at most 65,535.
                let pad = width[i].saturating_sub(columns(&c)) + GAP;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, header, &|_, _| Some(Tone::Strong))?;
    for e in events.iter() {
        let r = row(&*e?, view, with_filters);
        // A refused or DryRun call in its result column.
        line(
            out,
            &r.iter().map(String::as_str).collect::<Vec<_>>(),
            &|i, c| (i == RESULT && c != "OK").then_some(Tone::Bad),
        )?;
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
    let matched = format!(
        "Events the filter{} match{}: {}",
        if several { "s" } else { "" },
        if several { "" } else { "es" },
        t.events.len()
    );
    writeln!(out, "{}", view.look.paint(Tone::Strong, &matched))?;
    if !t.events.is_empty() {
        table(out, view, &t.events, several)?;
    }
    writeln!(out)?;
    let blind = format!(
        "Blind spots (security-group changes no filter matches): {}",
        t.blind_spots.len()
    );
    let tone = if t.blind_spots.is_empty() {
        Tone::Strong
    } else {
        Tone::Warn
    };
    writeln!(out, "{}", view.look.paint(tone, &blind))?;
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
    writeln!(out, "{}", view.look.paint(Tone::Strong, "Summary"))?;
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
    write_scope(view.scope, view.look, out)?;
    super::write_errors(view.errors(), view.look, out)
}

/// The range a text report covers, when one was asked for: resolved once
/// (a relative `--since` is a time before the run's start) and in UTC, the
/// range a replay or a shard must reuse. `open` names the ends not given.
pub(crate) fn range_line(
    subject: &str,
    since: Option<&str>,
    until: Option<&str>,
    open: [&str; 2],
) -> Option<String> {
    if since.is_none() && until.is_none() {
        return None;
    }
    let end = |t: Option<&str>, open: &str, which: &str| {
        t.map_or(open.to_owned(), |t| format!("{} ({which})", sanitize(t)))
    };
    Some(format!(
        "range: {subject} from {} to {}, UTC",
        end(since, open[0], "inclusive"),
        end(until, open[1], "exclusive")
    ))
}

/// The scope lines shared by the scan and audit text reports.
pub(crate) fn write_scope(scope: &Scope, look: Look, out: &mut dyn Write) -> io::Result<()> {
    let span = scope
        .log_span
        .as_ref()
        .map_or("no records in the query's range".into(), |s| {
            format!("events {} to {}", s.from, s.to)
        });
    let q = &scope.query;
    let ends = ["the first record", "the last record"];
    if let Some(range) = range_line("eventTime", q.since.as_deref(), q.until.as_deref(), ends) {
        writeln!(out, "  {range}")?;
    }
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
                "  {} no object from {} {} between {} and {}",
                look.paint(Tone::Warn, "gap:"),
                sanitize(st.account.as_deref().unwrap_or("?")),
                sanitize(st.region.as_deref().unwrap_or("?")),
                g.from,
                g.to
            )?;
        }
    }
    for w in &scope.warnings {
        writeln!(
            out,
            "  {} {}",
            look.paint(Tone::Warn, "warning:"),
            sanitize(w)
        )?;
    }
    Ok(())
}
