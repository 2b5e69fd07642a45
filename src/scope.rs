//! What a report covers, stated so a reviewer can tell what was judged:
//! the inputs read, the query as resolved absolute values, the accounts,
//! regions and time the logs hold, per-stream coverage and its gaps, and,
//! when the selection leaves nothing, what the input does hold.
//!
//! Built from the scan's [`Coverage`] and events; the audit adds its own
//! part (alarms and filters judged, history span). Writing it out is
//! [`crate::report`]'s.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::coverage::{Coverage, Span, StreamKey};
use crate::event::{format_time, Event};
use crate::scan::{ScanReport, SpillError};
use crate::source::Selection;

/// Records read with a caveat that the warnings name one by one.
const MAX_NAMED_READINGS: usize = 20;

/// `ctreplay <version>`.
pub fn tool() -> String {
    format!("ctreplay {}", env!("CARGO_PKG_VERSION"))
}

/// A span of time as reports write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeSpan {
    /// First instant (UTC).
    pub from: String,
    /// Last instant (UTC).
    pub to: String,
}

impl TimeSpan {
    /// A coverage span, formatted.
    pub fn of(s: Span) -> TimeSpan {
        TimeSpan {
            from: format_time(&at(s.from)),
            to: format_time(&at(s.to)),
        }
    }
}

/// Epoch seconds to a time (out-of-range values clamp to the epoch).
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// The query, as resolved.
#[derive(Debug, Clone, Serialize)]
pub struct QueryScope {
    /// `--since`, inclusive.
    pub since: Option<String>,
    /// `--until`, exclusive.
    pub until: Option<String>,
    /// `--account` (empty: all).
    pub accounts: Vec<String>,
    /// `--region` (empty: all).
    pub regions: Vec<String>,
}

/// One account and region of the archive.
#[derive(Debug, Clone, Serialize)]
pub struct StreamScope {
    /// The key's account (null when the key names none).
    pub account: Option<String>,
    /// The key's region.
    pub region: Option<String>,
    /// Log objects listed.
    pub objects_listed: u64,
    /// Log objects read.
    pub objects_read: u64,
    /// Records read.
    pub records: u64,
    /// Delivery times of the listed objects, from their keys.
    pub delivered: Option<TimeSpan>,
    /// eventTime span of the records read.
    pub events: Option<TimeSpan>,
    /// Stretches with no object in a stream that otherwise delivers
    /// regularly (see `src/coverage.rs` for the rule).
    pub gaps: Vec<TimeSpan>,
}

/// What the input holds, said when the selection left nothing to read.
#[derive(Debug, Clone, Serialize)]
pub struct Holdings {
    /// Accounts the keys name.
    pub accounts: Vec<String>,
    /// Regions the keys name.
    pub regions: Vec<String>,
    /// Log objects listed.
    pub objects: u64,
    /// Delivery times of every listed object.
    pub delivered: Option<TimeSpan>,
}

/// The scope of one scan.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// The tool and its version.
    pub tool: String,
    /// Paths or `s3://` URLs read.
    pub inputs: Vec<String>,
    /// The query, as resolved.
    pub query: QueryScope,
    /// Accounts of the records and keys read.
    pub accounts: Vec<String>,
    /// Regions of the records and keys read.
    pub regions: Vec<String>,
    /// Log objects read.
    pub objects_read: u64,
    /// Records read.
    pub records_read: u64,
    /// eventTime span of the records read, inside the query's range: the
    /// log span.
    pub log_span: Option<TimeSpan>,
    /// Per account and region.
    pub streams: Vec<StreamScope>,
    /// When nothing was read: what the input holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_holds: Option<Holdings>,
    /// Things a reviewer should know about the scope.
    pub warnings: Vec<String>,
    /// The log span, for the audit's checks.
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Scope {
    /// The scope of `report`, which read `inputs` with `sel`; fails only
    /// when spilled events cannot be read back.
    pub fn of(
        inputs: Vec<String>,
        sel: &Selection,
        report: &ScanReport,
    ) -> Result<Scope, SpillError> {
        let t = &report.totals;
        let cov: &Coverage = &t.coverage;
        let mut accounts = BTreeSet::new();
        let mut regions = BTreeSet::new();
        for (k, s) in &cov.streams {
            if s.objects_read > 0 {
                accounts.extend(k.account.clone());
                regions.extend(k.region.clone());
            }
        }
        let mut mismatched: BTreeSet<(String, String)> = BTreeSet::new();
        // Records read with a caveat, by name: the first twenty.
        let mut odd: Vec<String> = Vec::new();
        let mut odd_more = 0u64;
        let mut note = |e: &Event| {
            if !accounts.contains(&e.account) {
                accounts.insert(e.account.clone());
            }
            if !regions.contains(&e.region) {
                regions.insert(e.region.clone());
            }
            if let Some(k) = &e.key_account {
                if *k != e.account {
                    mismatched.insert((e.account.clone(), k.clone()));
                }
            }
        };
        for e in report.events.iter().chain(report.blind_spots.iter()) {
            let e = e?;
            note(&e);
            match e.reading.as_deref() {
                None => {}
                Some(_) if odd.len() >= MAX_NAMED_READINGS => odd_more += 1,
                Some(r) => odd.push(format!(
                    "record {} of {} ({} {}) {}",
                    e.record,
                    e.object,
                    e.name,
                    e.id,
                    r.describe()
                )),
            }
        }
        report.pipeline.iter().for_each(note);
        accounts.remove("");
        regions.remove("");
        let mut warnings: Vec<String> = mismatched
            .into_iter()
            .map(|(rec, key)| {
                format!(
                    "records of account {rec} are stored under account {key}'s keys (a copied archive?); --account matches either"
                )
            })
            .collect();
        warnings.extend(odd);
        warnings.extend(report.notes.iter().cloned());
        if odd_more > 0 {
            warnings.push(format!(
                "{odd_more} more records were read with a caveat: see each event's \"reading\""
            ));
        }
        // The log span is what the records read cover inside the query's
        // range: objects are read whole, and their records can lie outside.
        let span = cov.events().and_then(|s| {
            let from = sel
                .window
                .since
                .map_or(s.from, |t| s.from.max(t.timestamp()));
            let to = sel
                .window
                .until
                .map_or(s.to, |t| s.to.min(t.timestamp() - 1));
            (from <= to).then_some(Span { from, to })
        });
        let objects_read = cov.objects_read();
        let input_holds = (objects_read == 0).then(|| holdings(cov));
        if let Some(h) = &input_holds {
            warnings.push(match h.objects {
                0 => "the input holds no CloudTrail log objects".to_owned(),
                n => format!(
                    "the selection keeps none of the {n} log objects the input holds (accounts {}; regions {}; delivered {})",
                    list(&h.accounts),
                    list(&h.regions),
                    h.delivered
                        .as_ref()
                        .map_or("at unknown times".into(), |d| format!("{} to {}", d.from, d.to))
                ),
            });
        }
        Ok(Scope {
            tool: tool(),
            inputs,
            query: QueryScope {
                since: sel.window.since.as_ref().map(format_time),
                until: sel.window.until.as_ref().map(format_time),
                accounts: sel.accounts.clone(),
                regions: sel.regions.clone(),
            },
            accounts: accounts.into_iter().collect(),
            regions: regions.into_iter().collect(),
            objects_read,
            records_read: cov.records(),
            log_span: span.map(TimeSpan::of),
            streams: cov
                .streams
                .iter()
                .map(|(k, s)| StreamScope {
                    account: k.account.clone(),
                    region: k.region.clone(),
                    objects_listed: s.objects_listed,
                    objects_read: s.objects_read,
                    records: s.records,
                    delivered: s.delivered().map(TimeSpan::of),
                    events: s.events.map(TimeSpan::of),
                    gaps: s.gaps.iter().copied().map(TimeSpan::of).collect(),
                })
                .collect(),
            input_holds,
            warnings,
            span,
        })
    }

    /// Whether the logs read hold any record inside the query's range.
    pub fn has_logs(&self) -> bool {
        self.span.is_some()
    }
}

fn holdings(cov: &Coverage) -> Holdings {
    let names = |f: fn(&StreamKey) -> &Option<String>| -> Vec<String> {
        cov.streams
            .keys()
            .filter_map(|k| f(k).clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    Holdings {
        accounts: names(|k| &k.account),
        regions: names(|k| &k.region),
        objects: cov.streams.values().map(|s| s.objects_listed).sum(),
        delivered: cov.delivered().map(TimeSpan::of),
    }
}

/// `a, b, c`, or `none`.
pub fn list(xs: &[String]) -> String {
    if xs.is_empty() {
        "none".to_owned()
    } else {
        xs.join(", ")
    }
}
