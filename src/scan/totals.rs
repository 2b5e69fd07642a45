//! What one worker (and, merged, the whole scan) counted and found.
//!
//! [`Totals::merge`] is associative and commutative up to the order of the
//! lists, which [`super::collect`] puts in one total order at the end, so
//! the thread count cannot change the answer.

use std::collections::BTreeMap;

use serde::Serialize;

use super::collect::Sink;
use crate::coverage::Coverage;
use crate::event::Event;
use crate::source::SkipReason;

/// A per-object problem as reported.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ErrorEntry {
    /// File path or S3 location.
    pub object: String,
    /// What went wrong.
    pub reason: String,
}

/// Counters and findings; merged across workers.
#[derive(Debug, Default)]
pub struct Totals {
    /// Objects found by the listing.
    pub objects_listed: u64,
    /// Objects read to the end without error.
    pub objects_scanned: u64,
    /// Objects not opened (or digests), by reason.
    pub objects_skipped: BTreeMap<SkipReason, u64>,
    /// Objects with any error (their readable records still count).
    pub objects_failed: u64,
    /// Records found, in scanned and failed objects alike.
    pub records_scanned: u64,
    /// Records decoded because the prefilter could not rule them out.
    pub records_decoded: u64,
    /// Stored (compressed) bytes read.
    pub bytes_stored: u64,
    /// Inflated JSON bytes.
    pub bytes_inflated: u64,
    /// Matched events (before de-duplication); the sorted list is
    /// [`super::ScanReport::events`].
    pub(crate) events: Sink,
    /// Blind-spot events (before de-duplication).
    pub(crate) blind_spots: Sink,
    /// Changes to the alarm pipeline, when the detector collects them
    /// (held in memory: only the audit collects them).
    pub(crate) pipeline: Vec<Event>,
    /// Problems, per object.
    pub errors: Vec<ErrorEntry>,
    /// What the listing and the records read cover, by account and region.
    pub coverage: Coverage,
    /// Object hashes, when asked for.
    pub(crate) hashes: Vec<ObjectHash>,
}

/// The SHA-256 of one object's inflated bytes, read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHash {
    /// Where it is.
    pub object: crate::source::Location,
    /// The digest.
    pub sha256: [u8; 32],
    /// Records found in it.
    pub records: u64,
}

impl Totals {
    /// Fold `o` into `self`.
    pub fn merge(mut self, o: Totals) -> Totals {
        self.objects_listed += o.objects_listed;
        self.objects_scanned += o.objects_scanned;
        for (k, v) in o.objects_skipped {
            *self.objects_skipped.entry(k).or_default() += v;
        }
        self.objects_failed += o.objects_failed;
        self.records_scanned += o.records_scanned;
        self.records_decoded += o.records_decoded;
        self.bytes_stored += o.bytes_stored;
        self.bytes_inflated += o.bytes_inflated;
        self.events.absorb(o.events);
        self.blind_spots.absorb(o.blind_spots);
        self.pipeline.extend(o.pipeline);
        self.errors.extend(o.errors);
        self.hashes.extend(o.hashes);
        self.coverage = self.coverage.merge(o.coverage);
        self
    }

    /// Totals whose matched events and blind spots spill past `budget`
    /// bytes each.
    pub(crate) fn with_budget(budget: usize) -> Totals {
        Totals {
            events: Sink::with_budget(budget),
            blind_spots: Sink::with_budget(budget),
            ..Totals::default()
        }
    }

    /// Count one object skipped for `r`.
    pub fn skip(&mut self, r: SkipReason) {
        *self.objects_skipped.entry(r).or_default() += 1;
    }
}
