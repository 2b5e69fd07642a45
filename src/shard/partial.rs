//! The partial a shard writes (`scan --format partial`) and the merge of
//! any set of them (`ctreplay merge`), `docs/sharding.md`.
//!
//! A partial is gzipped JSON: the format name and version, the query (every
//! option that changes the answer; partials of different queries are
//! refused), the shards it holds, the scan's counters, errors and coverage
//! (delivery times included, so gaps are found after the merge), and its
//! events, blind spots and pipeline changes, each already sorted and
//! de-duplicated inside the shard. Merging sums the counters, unions the
//! coverage and the lists, and de-duplicates again across shards, which is
//! associative and commutative: a merge of merges gives the same answer, and
//! the merge of every shard gives the single run's report.
//!
//! Events are stored as the spill files store them ([`Stored`]: every
//! field, floats by their bits), so nothing is rounded on the way.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};

use flate2::{read::MultiGzDecoder, write::GzEncoder, Compression};
use serde::{Deserialize, Serialize};

use super::Shard;
use crate::coverage::{Coverage, Span, Stream, StreamKey};
use crate::scan::collect::{Sink, Stored};
use crate::scan::{ErrorEntry, ScanReport, SpillError, Totals};
use crate::source::{Requests, SkipReason};

/// The format's name, first in every partial.
pub const FORMAT: &str = "ctreplay-partial";
/// The format's version: a partial of another version is refused.
pub const VERSION: u32 = 1;
/// The largest partial read, inflated.
pub const MAX_PARTIAL_BYTES: u64 = 16 << 30;

/// What a partial answers: every option that changes the answer. Two
/// partials merge only when their queries are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialQuery {
    /// `scan` or `audit`.
    pub command: String,
    /// The paths or URLs read.
    pub inputs: Vec<String>,
    /// The filters evaluated, in the order the events' filter ids count.
    pub filters: Vec<PartialFilter>,
    /// `--since`, RFC 3339.
    pub since: Option<String>,
    /// `--until`, RFC 3339.
    pub until: Option<String>,
    /// `--account`.
    pub accounts: Vec<String>,
    /// `--region`.
    pub regions: Vec<String>,
    /// `--delivery-skew`, seconds.
    pub delivery_skew_seconds: i64,
    /// `--max-inflated-size`.
    pub max_inflated: u64,
    /// `--max-record-size`.
    pub max_record: u64,
    /// `--validate`.
    pub validate: bool,
}

/// One filter a partial's scan evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialFilter {
    /// Its name.
    pub name: String,
    /// Its pattern.
    pub pattern: String,
    /// The field its metric value reads (`$.x`), for an audit's filters.
    pub value: Option<String>,
}

impl PartialFilter {
    /// The filter as a partial records it.
    pub fn of(f: &crate::filter::Filter) -> PartialFilter {
        PartialFilter {
            name: f.name.clone(),
            pattern: f.pattern.text().to_owned(),
            value: f.value.as_ref().map(|v| v.path().to_owned()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredStream {
    account: Option<String>,
    region: Option<String>,
    objects_listed: u64,
    objects_read: u64,
    deliveries: Vec<i64>,
    events: Option<(i64, i64)>,
    records: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredTotals {
    objects_listed: u64,
    objects_scanned: u64,
    objects_skipped: BTreeMap<String, u64>,
    objects_failed: u64,
    records_scanned: u64,
    records_decoded: u64,
    bytes_stored: u64,
    bytes_inflated: u64,
    errors: Vec<ErrorEntry>,
    coverage: Vec<StoredStream>,
}

/// One partial, read or about to be written.
#[derive(Debug, Serialize, Deserialize)]
pub struct Partial {
    format: String,
    version: u32,
    tool: String,
    /// The query.
    pub query: PartialQuery,
    /// The shards it holds (one for a shard's run, several for a merge),
    /// all of the same count.
    pub shards: Vec<Shard>,
    totals: StoredTotals,
    events: Vec<Stored>,
    blind_spots: Vec<Stored>,
    pipeline: Vec<Stored>,
    duplicates_dropped: u64,
    requests: Option<Requests>,
}

/// Why partials cannot be read or merged; each names its file.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    /// Not a readable partial: truncated, not gzip, not this format.
    #[error("{file}: not a readable ctreplay partial ({reason})")]
    Corrupt {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// Another version of the format.
    #[error("{file}: a partial of format version {found}; this ctreplay reads version {VERSION} (merge with the version that wrote it)")]
    Version {
        /// The file.
        file: String,
        /// Its version.
        found: u32,
    },
    /// A partial of another query.
    #[error(
        "{file}: its query differs from {first}'s in {field}; only partials of one query merge"
    )]
    Mismatch {
        /// The file.
        file: String,
        /// The first file.
        first: String,
        /// What differs.
        field: &'static str,
    },
    /// Shards given twice, or of different counts.
    #[error("{file}: {why}")]
    Shards {
        /// The file.
        file: String,
        /// What is wrong.
        why: String,
    },
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Spilled events could not be read back.
    #[error(transparent)]
    Spill(#[from] SpillError),
}

fn stored_coverage(c: &Coverage) -> Vec<StoredStream> {
    c.streams
        .iter()
        .map(|(k, s)| StoredStream {
            account: k.account.clone(),
            region: k.region.clone(),
            objects_listed: s.objects_listed,
            objects_read: s.objects_read,
            deliveries: s.deliveries.clone(),
            events: s.events.map(|e| (e.from, e.to)),
            records: s.records,
        })
        .collect()
}

fn coverage_of(streams: Vec<StoredStream>) -> Coverage {
    let mut c = Coverage::default();
    for s in streams {
        c.streams.insert(
            StreamKey {
                account: s.account,
                region: s.region,
            },
            Stream {
                objects_listed: s.objects_listed,
                objects_read: s.objects_read,
                deliveries: s.deliveries,
                events: s.events.map(|(from, to)| Span { from, to }),
                records: s.records,
                gaps: Vec::new(),
            },
        );
    }
    c
}

fn stored_totals(t: &Totals) -> StoredTotals {
    StoredTotals {
        objects_listed: t.objects_listed,
        objects_scanned: t.objects_scanned,
        objects_skipped: t
            .objects_skipped
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), *v))
            .collect(),
        objects_failed: t.objects_failed,
        records_scanned: t.records_scanned,
        records_decoded: t.records_decoded,
        bytes_stored: t.bytes_stored,
        bytes_inflated: t.bytes_inflated,
        errors: t.errors.clone(),
        coverage: stored_coverage(&t.coverage),
    }
}

fn stored_list(list: &crate::scan::EventList) -> Result<Vec<Stored>, SpillError> {
    list.iter().map(|e| e.map(|e| Stored::of(&e))).collect()
}

impl Partial {
    /// The partial of one shard's finished scan.
    pub fn of(
        report: &ScanReport,
        query: PartialQuery,
        shard: Shard,
    ) -> Result<Partial, SpillError> {
        Ok(Partial {
            format: FORMAT.to_owned(),
            version: VERSION,
            tool: format!("ctreplay {}", env!("CARGO_PKG_VERSION")),
            query,
            shards: vec![shard],
            totals: stored_totals(&report.totals),
            events: stored_list(&report.events)?,
            blind_spots: stored_list(&report.blind_spots)?,
            pipeline: report.pipeline.iter().map(Stored::of).collect(),
            duplicates_dropped: report.duplicates_dropped,
            requests: report.requests,
        })
    }

    /// Write it, gzipped.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut gz = GzEncoder::new(out, Compression::new(6));
        serde_json::to_writer(&mut gz, self)?;
        gz.finish()?;
        Ok(())
    }

    /// Read one from `r` (named `file` in errors).
    pub fn read(file: &str, r: impl Read) -> Result<Partial, PartialError> {
        let corrupt = |reason: String| PartialError::Corrupt {
            file: file.to_owned(),
            reason,
        };
        let mut json = Vec::new();
        MultiGzDecoder::new(r)
            .take(MAX_PARTIAL_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| corrupt(format!("not complete gzip: {e}")))?;
        if json.len() as u64 > MAX_PARTIAL_BYTES {
            return Err(corrupt(format!(
                "larger than {MAX_PARTIAL_BYTES} bytes inflated"
            )));
        }
        #[derive(Deserialize)]
        struct Head {
            format: String,
            version: u32,
        }
        let head: Head = serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))?;
        if head.format != FORMAT {
            return Err(corrupt(format!("format {:?}", head.format)));
        }
        if head.version != VERSION {
            return Err(PartialError::Version {
                file: file.to_owned(),
                found: head.version,
            });
        }
        let p: Partial = serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))?;
        if p.shards.is_empty() {
            return Err(corrupt("it names no shard".into()));
        }
        let count = p.shards[0].count;
        if p.shards
            .iter()
            .any(|s| s.count != count || s.index >= count)
        {
            return Err(corrupt("its shards are not of one count".into()));
        }
        if let Some(k) = p
            .totals
            .objects_skipped
            .keys()
            .find(|k| SkipReason::from_name(k).is_none())
        {
            return Err(corrupt(format!("an unknown skip reason {k:?}")));
        }
        let n = p.query.filters.len();
        let lists = [&p.events, &p.blind_spots, &p.pipeline];
        if lists.iter().any(|l| l.iter().any(|e| !e.filters_below(n))) {
            return Err(corrupt(format!(
                "an event names a filter beyond its query's {n}"
            )));
        }
        Ok(p)
    }

    /// The shard count every shard of it has.
    pub fn count(&self) -> u32 {
        self.shards[0].count
    }

    /// The shards missing from a complete set.
    pub fn missing(&self) -> Vec<u32> {
        let have: BTreeSet<u32> = self.shards.iter().map(|s| s.index).collect();
        (0..self.count()).filter(|i| !have.contains(i)).collect()
    }
}

/// Merge `parts` (file name, partial): the same query, disjoint shards of
/// one count. Associative and commutative: the result does not depend on
/// the order or the grouping.
pub fn merge(parts: Vec<(String, Partial)>) -> Result<Partial, PartialError> {
    let mut parts = parts.into_iter();
    let Some((first_file, mut acc)) = parts.next() else {
        return Err(PartialError::Shards {
            file: "merge".into(),
            why: "no partial given".into(),
        });
    };
    let mut seen: BTreeMap<u32, String> = acc
        .shards
        .iter()
        .map(|s| (s.index, first_file.clone()))
        .collect();
    // The counters, errors and coverage fold as the scan's workers' do,
    // once for all the partials; the lists are joined, then put in order
    // by into_report below.
    let mut totals = totals_of(&acc.totals)?;
    for (file, p) in parts {
        let field = differs(&acc.query, &p.query);
        if let Some(field) = field {
            return Err(PartialError::Mismatch {
                file,
                first: first_file,
                field,
            });
        }
        if p.count() != acc.count() {
            return Err(PartialError::Shards {
                why: format!(
                    "its shards are of {} and {first_file}'s of {}",
                    p.count(),
                    acc.count()
                ),
                file,
            });
        }
        for s in &p.shards {
            if let Some(other) = seen.insert(s.index, file.clone()) {
                return Err(PartialError::Shards {
                    why: format!("shard {s} is also in {other}"),
                    file,
                });
            }
        }
        acc.shards.extend(p.shards);
        totals = totals.merge(totals_of(&p.totals)?);
        acc.events.extend(p.events);
        acc.blind_spots.extend(p.blind_spots);
        acc.pipeline.extend(p.pipeline);
        acc.duplicates_dropped += p.duplicates_dropped;
        acc.requests = match (acc.requests, p.requests) {
            (Some(x), Some(y)) => Some(Requests {
                list_calls: x.list_calls + y.list_calls,
                get_calls: x.get_calls + y.get_calls,
            }),
            (x, y) => x.or(y),
        };
    }
    acc.shards.sort();
    acc.totals = stored_totals(&totals);
    // Put the merged lists back in the one order, without the events two
    // shards both saw, so that a merge written again is canonical.
    let report = into_report(&mut acc)?;
    acc.totals = stored_totals(&report.totals);
    acc.events = stored_list(&report.events)?;
    acc.blind_spots = stored_list(&report.blind_spots)?;
    acc.pipeline = report.pipeline.iter().map(Stored::of).collect();
    acc.duplicates_dropped = report.duplicates_dropped;
    Ok(acc)
}

/// Which field of the query differs, if one does.
fn differs(a: &PartialQuery, b: &PartialQuery) -> Option<&'static str> {
    [
        ("the command", a.command != b.command),
        ("the inputs", a.inputs != b.inputs),
        ("the filters", a.filters != b.filters),
        ("--since", a.since != b.since),
        ("--until", a.until != b.until),
        ("--account", a.accounts != b.accounts),
        ("--region", a.regions != b.regions),
        (
            "--delivery-skew",
            a.delivery_skew_seconds != b.delivery_skew_seconds,
        ),
        ("--max-inflated-size", a.max_inflated != b.max_inflated),
        ("--max-record-size", a.max_record != b.max_record),
        ("--validate", a.validate != b.validate),
    ]
    .into_iter()
    .find(|(_, d)| *d)
    .map(|(f, _)| f)
}

/// The counters, errors and coverage of a stored partial, as a scan's.
fn totals_of(t: &StoredTotals) -> Result<Totals, PartialError> {
    let mut totals = Totals {
        objects_listed: t.objects_listed,
        objects_scanned: t.objects_scanned,
        objects_failed: t.objects_failed,
        records_scanned: t.records_scanned,
        records_decoded: t.records_decoded,
        bytes_stored: t.bytes_stored,
        bytes_inflated: t.bytes_inflated,
        errors: t.errors.clone(),
        coverage: coverage_of(t.coverage.clone()),
        ..Totals::default()
    };
    for (k, v) in &t.objects_skipped {
        let r = SkipReason::from_name(k).ok_or_else(|| PartialError::Corrupt {
            file: "merge".into(),
            reason: format!("an unknown skip reason {k:?}"),
        })?;
        totals.objects_skipped.insert(r, *v);
    }
    Ok(totals)
}

/// The report a partial stands for: for a complete set of shards, the
/// single run's. Its lists are de-duplicated again (events two shards both
/// read), and the duplicates its shards dropped are counted.
pub fn into_report(p: &mut Partial) -> Result<ScanReport, PartialError> {
    let mut totals = totals_of(&p.totals)?;
    let sink = |list: &[Stored]| -> Result<Sink, SpillError> {
        let mut s = Sink::default();
        for e in list {
            s.push(e.clone().into_event()?);
        }
        Ok(s)
    };
    totals.events = sink(&p.events)?;
    totals.blind_spots = sink(&p.blind_spots)?;
    totals.pipeline = p
        .pipeline
        .iter()
        .map(|e| e.clone().into_event())
        .collect::<Result<_, _>>()?;
    totals.coverage.finish();
    let mut report = crate::scan::finish_totals(totals)?;
    report.duplicates_dropped += p.duplicates_dropped;
    report.requests = p.requests;
    Ok(report)
}
