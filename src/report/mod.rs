//! Every output format of every subcommand: the scan's text, JSON, NDJSON,
//! CSV and HTML ([`write_scan`]), the audit's text, JSON and HTML
//! ([`audit`], [`html`]), the preset list ([`presets`]) and test-pattern's
//! response.
//!
//! Every format is built from merged, sorted results, so output is
//! byte-identical at any thread count. Machine formats carry no wall clock
//! times or durations for the same reason; those go to stderr. Text that
//! comes from logs or exports is escaped before it reaches a terminal
//! ([`sanitize`]).

pub mod asff;
pub mod audit;
mod csv;
pub mod html;
pub mod integrity;
mod json;
pub mod ocsf;
pub mod presets;
pub mod sanitize;
pub mod terminal;
pub(crate) mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alarm::estimate::{Estimate, Tally};
use crate::cis;
use crate::filter::FilterId;
use crate::scan::{ErrorEntry, ScanReport, SpillError};
use crate::scope::Scope;

pub use json::SCHEMA_VERSION;

/// `scan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    /// Tables and a summary, for people.
    Text,
    /// One JSON document with summary, events, blind spots, periods, errors.
    Json,
    /// One matched event per line.
    Ndjson,
    /// The matched-events table with a header row.
    Csv,
    /// One self-contained HTML page (inline CSS and SVG, no script).
    Html,
    /// The state `ctreplay merge` joins (with --shard): gzipped JSON,
    /// documented in docs/sharding.md.
    Partial,
}

/// `audit --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// The one-screen verdict, for people.
    Text,
    /// One JSON document.
    Json,
    /// One self-contained HTML page an auditor can attach (inline CSS and
    /// SVG, no script, printable).
    Html,
    /// A line per change with its fate, then per finding.
    Ndjson,
    /// The changes and the findings as one table.
    Csv,
    /// OCSF 1.5.0: a Compliance Finding per control, a Detection Finding
    /// per change the alarm missed or could not see.
    Ocsf,
    /// AWS Security Finding Format, for Security Hub's
    /// BatchImportFindings (100 findings a call: split the array).
    Asff,
    /// With --shard: the shard's scan, for `audit --partial` after the
    /// shards (docs/sharding.md).
    Partial,
}

/// `verify --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    /// Counts, chains, gaps and what is not valid, for people.
    Text,
    /// One JSON document with every object and digest.
    Json,
}

/// `presets --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// One block per preset, for people.
    Text,
    /// One JSON array.
    Json,
    /// One preset per line.
    Ndjson,
}

/// One filter as echoed in reports.
#[derive(Debug, Clone, Serialize)]
pub struct FilterInfo {
    /// Its name.
    pub name: String,
    /// Its pattern text.
    pub pattern: String,
    /// Choices made where AWS's behaviour is not documented.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What was asked for, echoed in reports.
#[derive(Debug, Clone)]
pub struct Query {
    /// The filters evaluated.
    pub filters: Vec<FilterInfo>,
    /// The event names they compare `eventName` with (every one appears
    /// in `matched_by_event`, with 0 when absent).
    pub names: Vec<String>,
    /// Inclusive start of the event-time range.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub until: Option<DateTime<Utc>>,
}

/// The summary block shared by the text and JSON reports.
#[derive(Debug, Serialize)]
pub struct Summary {
    objects_listed: u64,
    objects_scanned: u64,
    objects_skipped: u64,
    objects_skipped_by_reason: BTreeMap<&'static str, u64>,
    objects_failed: u64,
    records_scanned: u64,
    records_decoded: u64,
    bytes_stored: u64,
    bytes_inflated: u64,
    duplicates_dropped: u64,
    matched: u64,
    matched_failed_calls: u64,
    matched_by_filter: BTreeMap<String, u64>,
    matched_by_event: BTreeMap<String, u64>,
    matched_by_account: BTreeMap<String, u64>,
    matched_by_region: BTreeMap<String, u64>,
    blind_spots: u64,
    blind_spots_by_event: BTreeMap<String, u64>,
    errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    list_calls: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    get_calls: Option<u64>,
}

impl Summary {
    /// Count everything in a report; the query's filters and names are
    /// listed even when nothing matched them. `periods` get every matched
    /// event CloudWatch Logs would have seen, by filter, in the same pass.
    fn of(r: &ScanReport, query: &Query, periods: &mut [Tally]) -> Result<Summary, SpillError> {
        let t = &r.totals;
        let names = &query.names;
        let mut by_filter: BTreeMap<String, u64> =
            query.filters.iter().map(|f| (f.name.clone(), 0)).collect();
        let mut by_event: BTreeMap<String, u64> = names.iter().map(|n| (n.clone(), 0)).collect();
        let mut by_account = BTreeMap::new();
        let mut by_region = BTreeMap::new();
        let mut failed = 0;
        for e in r.events.iter() {
            let e = e?;
            for f in &e.filters {
                *by_filter
                    .entry(query.filters[f.index()].name.clone())
                    .or_default() += 1;
                // CloudWatch Logs never sees a record over 256 KB.
                if !e.too_large_for_cloudwatch_logs() {
                    periods[f.index()].add(e.time.timestamp());
                }
            }
            count(&mut by_event, &e.name);
            count(&mut by_account, &e.account);
            count(&mut by_region, &e.region);
            failed += u64::from(e.error_code.is_some());
        }
        let mut blind_by_event = BTreeMap::new();
        for e in r.blind_spots.iter() {
            count(&mut blind_by_event, &e?.name);
        }
        Ok(Summary {
            objects_listed: t.objects_listed,
            objects_scanned: t.objects_scanned,
            objects_skipped: t.objects_skipped.values().sum(),
            objects_skipped_by_reason: t
                .objects_skipped
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect(),
            objects_failed: t.objects_failed,
            records_scanned: t.records_scanned,
            records_decoded: t.records_decoded,
            bytes_stored: t.bytes_stored,
            bytes_inflated: t.bytes_inflated,
            duplicates_dropped: r.duplicates_dropped,
            matched: r.events.len(),
            matched_failed_calls: failed,
            matched_by_filter: by_filter,
            matched_by_event: by_event,
            matched_by_account: by_account,
            matched_by_region: by_region,
            blind_spots: r.blind_spots.len(),
            blind_spots_by_event: blind_by_event,
            errors: t.errors.len() as u64,
            list_calls: r.requests.map(|q| q.list_calls),
            get_calls: r.requests.map(|q| q.get_calls),
        })
    }
}

/// One more of `key` (cloned only the first time it is seen).
fn count(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

/// The recommended alarm's estimate on one filter's matches.
#[derive(Debug)]
struct FilterEstimate<'a> {
    filter: &'a str,
    estimate: Estimate,
}

/// Everything a report shows, computed once.
#[derive(Debug)]
pub struct View<'a> {
    query: &'a Query,
    scope: &'a Scope,
    report: &'a ScanReport,
    summary: Summary,
    periods: Vec<FilterEstimate<'a>>,
    look: terminal::Look,
}

impl<'a> View<'a> {
    /// Prepare a report for output. `query.filters` are the detector's
    /// filters, in its order: the events' [`FilterId`]s index them. Fails
    /// only when spilled events cannot be read back.
    pub fn new(
        query: &'a Query,
        scope: &'a Scope,
        report: &'a ScanReport,
    ) -> Result<Self, SpillError> {
        let rule = &cis::ALARM.rule;
        let mut tallies: Vec<Tally> = query
            .filters
            .iter()
            .map(|_| Tally::new(rule.period, cis::ALARM.metric_value))
            .collect();
        let summary = Summary::of(report, query, &mut tallies)?;
        let periods = query
            .filters
            .iter()
            .zip(tallies)
            .map(|(f, tally)| FilterEstimate {
                filter: &f.name,
                estimate: tally.finish(rule),
            })
            .collect();
        Ok(View {
            query,
            scope,
            report,
            summary,
            periods,
            look: terminal::Look::PLAIN,
        })
    }

    /// Show the text report with this look (colours, a width to fit); the
    /// machine formats ignore it.
    pub fn with_look(mut self, look: terminal::Look) -> Self {
        self.look = look;
        self
    }

    fn errors(&self) -> &[ErrorEntry] {
        &self.report.totals.errors
    }

    /// The names of the filters `ids` name.
    fn filter_names(&self, ids: &[FilterId]) -> Vec<&'a str> {
        ids.iter()
            .map(|id| self.query.filters[id.index()].name.as_str())
            .collect()
    }
}

/// Write the scan report in `format` to `out`.
pub fn write_scan(format: ScanFormat, view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        ScanFormat::Text => text::write(view, out),
        ScanFormat::Json => json::write(view, out),
        ScanFormat::Ndjson => json::write_lines(view, out),
        ScanFormat::Csv => csv::write(view, out),
        ScanFormat::Html => html::write_scan(view, out),
        // A partial is the scan's state, not a view of it: written by
        // crate::shard::partial.
        ScanFormat::Partial => Err(io::Error::other(
            "the partial format is written from the scan, not from a report view",
        )),
    }
}

/// Write `value` as pretty JSON and a newline (test-pattern's response).
pub fn write_pretty_json<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The "Could not read" block of the text reports.
pub fn write_errors(
    errors: &[ErrorEntry],
    look: terminal::Look,
    out: &mut dyn Write,
) -> io::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let title = format!("Could not read ({}):", errors.len());
    writeln!(out, "{}", look.paint(terminal::Tone::Bad, &title))?;
    for e in errors {
        writeln!(
            out,
            "  {}: {}",
            sanitize::sanitize(&e.object),
            sanitize::sanitize(&e.reason)
        )?;
    }
    Ok(())
}
