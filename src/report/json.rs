//! The JSON document and JSON Lines outputs (schema in the README).

use std::io::{self, Write};

use serde::Serialize;

use super::{FilterInfo, Summary, View};
use crate::periods::AlarmPeriods;
use crate::record::{format_time, Event};
use crate::scan::ErrorEntry;

/// Bumped when a key is renamed or removed (adding keys does not bump it).
/// 2: `query.pattern` became `query.filters`, `alarm_periods` a list with
/// one entry per filter.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct Query<'a> {
    filters: &'a [FilterInfo],
    since: Option<String>,
    until: Option<String>,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    query: Query<'a>,
    summary: &'a Summary,
    events: &'a [Event],
    blind_spots: &'a [Event],
    alarm_periods: &'a [AlarmPeriods],
    errors: &'a [ErrorEntry],
}

pub fn write(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        query: Query {
            filters: &view.query.filters,
            since: view.query.since.as_ref().map(format_time),
            until: view.query.until.as_ref().map(format_time),
        },
        summary: &view.summary,
        events: &view.report.totals.events,
        blind_spots: &view.report.totals.blind_spots,
        alarm_periods: &view.periods,
        errors: view.errors(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

pub fn write_lines(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    for e in &view.report.totals.events {
        serde_json::to_writer(&mut *out, e)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
