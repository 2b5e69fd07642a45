//! Bytes to classified events: one driver over any [`Source`].
//!
//! ```text
//! Source::objects ─▶ worker (one per thread): inflate ─▶ split ─▶ prefilter
//!                    ─▶ decode ─▶ classify ─▶ extract ─▶ Totals ─▶ merge ─▶ collect
//!                    ─▶ ScanReport
//! ```
//!
//! - [`inflate`] turns stored bytes into JSON bytes, block by block;
//!   [`oneshot`] does it for a whole object at once, when it can;
//! - [`split`] finds the records in those bytes without decoding them
//!   ([`bitmask`] finds where each ends, with the CPU's widest SIMD);
//! - [`prefilter`] rules out records that cannot matter, and
//!   [`sole_name`] the candidates whose name says they cannot;
//! - [`classify`] decides, on the decoded record: matched by a filter, a
//!   blind spot, a pipeline change, or nothing;
//! - [`extract`] copies out the fields of an [`Event`];
//! - [`worker`] runs that loop for one object; [`totals`] holds what each
//!   worker counted;
//! - [`collect`] sorts and de-duplicates the events, spilling them to
//!   temporary files past `--max-memory`.
//!
//! Each pool thread owns one worker (inflater, block buffer, simd-json
//! buffers) and one [`Totals`] for the whole scan, and takes the next object
//! from the source. Totals merge associatively and everything reported is
//! sorted before output, so the result does not depend on the thread count.
//! Where objects come from is [`crate::source`]'s; what the events mean for
//! an alarm is [`crate::alarm`]'s and [`crate::audit`]'s; printing them is
//! [`crate::report`]'s.

pub mod bitmask;
pub mod classify;
pub mod collect;
pub mod exact;
pub mod extract;
pub mod inflate;
pub mod oneshot;
pub mod prefilter;
pub mod sole_name;
pub mod split;
mod totals;
mod worker;

pub use classify::{Detector, Verdict};
pub use collect::{EventList, SpillError, DEFAULT_MAX_MEMORY};
pub use totals::{ErrorEntry, ObjectHash, Totals};
pub use worker::{BLOCK, LARGE_RECORD};

use crate::event::Event;
use crate::progress::{NoProgress, Progress};
use crate::source::memory::MemorySource;
use crate::source::{Requests, Selection, Source, SourceError};
use prefilter::Prefilter;
use worker::{Job, Worker};

/// Default cap on one object's inflated size: 4 GiB.
pub const DEFAULT_MAX_INFLATED: u64 = 4 << 30;
/// Default cap on one record's size: 16 MiB.
pub const DEFAULT_MAX_RECORD: u64 = 16 << 20;

/// How to read: the safety limits, the thoroughness and the threads.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Cap on one object's inflated size.
    pub max_inflated: u64,
    /// Cap on one record's size.
    pub max_record: usize,
    /// Decode every record, not only prefilter candidates.
    pub validate: bool,
    /// Worker threads.
    pub threads: usize,
    /// Bytes the held events may take before they spill to temporary
    /// files (an estimate of what they own, for the whole scan).
    pub max_memory: u64,
    /// Take the SHA-256 of each object's inflated bytes as they are
    /// inflated ([`ScanReport::hashes`], for `verify`).
    pub hash_objects: bool,
}

impl Default for ScanOptions {
    /// The command line's defaults: 4 GiB per object, 16 MiB per record,
    /// prefiltered, all cores, 64 MiB of held events.
    fn default() -> Self {
        ScanOptions {
            max_inflated: DEFAULT_MAX_INFLATED,
            max_record: DEFAULT_MAX_RECORD as usize,
            validate: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_memory: DEFAULT_MAX_MEMORY,
            hash_objects: false,
        }
    }
}

/// The merged, sorted, de-duplicated result of a scan.
#[derive(Debug)]
pub struct ScanReport {
    /// Counters and the sorted errors.
    pub totals: Totals,
    /// Matched events, in [`collect::order`].
    pub events: EventList,
    /// Blind-spot events, in the same order.
    pub blind_spots: EventList,
    /// Changes to the alarm pipeline, in the same order (collected only
    /// for the audit).
    pub pipeline: Vec<Event>,
    /// Events and blind spots dropped because a record with the same
    /// eventID and eventTime was already reported.
    pub duplicates_dropped: u64,
    /// Requests a remote source made, when the source was remote.
    pub requests: Option<Requests>,
    /// The SHA-256 of every object read to its end, sorted by object, when
    /// [`ScanOptions::hash_objects`] asked for them.
    pub hashes: Vec<ObjectHash>,
    /// The digest files listed, sorted, when the selection collects them.
    pub digests: Vec<crate::source::ObjectRef>,
    /// What the listing says of itself (how old an inventory is).
    pub notes: Vec<String>,
}

/// Why a scan could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The listing failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The events held past the memory budget could not be spilled.
    #[error(transparent)]
    Spill(#[from] SpillError),
}

/// Scan every object `source` lists that `sel` keeps, for what `det`
/// looks for. Fails only when the listing itself fails or spilled events
/// cannot be written; a problem with one object is in the report's errors.
pub fn run(
    source: &dyn Source,
    sel: &Selection,
    det: &Detector,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<ScanReport, ScanError> {
    let prefilter = if opts.validate {
        &Prefilter::EVERYTHING
    } else {
        det.prefilter()
    };
    let job = Job {
        det,
        prefilter,
        sel,
        opts,
        progress,
    };
    let objects = source.objects(sel, progress)?;
    // One worker per thread for the whole scan: its buffers are allocated
    // (and their pages faulted in) once, not once per object.
    // The budget is shared by the threads and by the two spilled lists.
    let threads = opts.threads.max(1) as u64;
    let budget = usize::try_from(opts.max_memory / threads / 2).unwrap_or(usize::MAX);
    let run_thread = || {
        let mut w = Worker::new();
        let mut acc = Totals::with_budget(budget);
        while let Some(opened) = objects.next() {
            w.scan(opened, job, &mut acc);
            progress.object_done();
        }
        acc
    };
    let merged = on_every_thread(opts.threads, run_thread)
        .into_iter()
        .fold(Totals::default(), Totals::merge);
    let listed = objects.finish()?;
    let mut totals = merged;
    totals.objects_listed += listed.objects;
    for (k, v) in listed.skipped {
        *totals.objects_skipped.entry(k).or_default() += v;
    }
    totals
        .errors
        .extend(listed.errors.into_iter().map(|e| ErrorEntry {
            object: e.location,
            reason: e.reason,
        }));
    totals.coverage = std::mem::take(&mut totals.coverage).merge(listed.coverage);
    totals.coverage.finish();
    let mut report = finish(totals)?;
    report.requests = listed.requests;
    report.digests = listed.digests;
    report.notes = listed.notes;
    report.digests.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(report)
}

/// Scan one object held in memory, named `name` (tests, benches, fuzz
/// targets): the same driver as any other source, with nothing selected
/// away and no progress shown.
pub fn run_bytes(
    name: &str,
    data: impl Into<bytes::Bytes>,
    det: &Detector,
    opts: &ScanOptions,
) -> ScanReport {
    let source = MemorySource::single(name, data);
    run(&source, &Selection::default(), det, opts, &NoProgress)
        .expect("an in-memory listing cannot fail, nor spill under the default budget")
}

/// Run `f` once on each of `threads` pool threads (on this thread if no
/// pool can be built) and collect what each returns.
fn on_every_thread(threads: usize, f: impl Fn() -> Totals + Sync) -> Vec<Totals> {
    // One thread needs no pool (starting one costs more than scanning a
    // small object: the fuzz targets ran at a tenth of the speed).
    if threads <= 1 {
        return vec![f()];
    }
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.broadcast(|_| f()),
        Err(_) => vec![f()],
    }
}

/// Sort and de-duplicate the lists, and sort the errors (also the merge's
/// last step, [`crate::shard::partial::into_report`]).
pub(crate) fn finish_totals(t: Totals) -> Result<ScanReport, SpillError> {
    finish(t)
}

/// Sort and de-duplicate the lists, and sort the errors.
fn finish(mut t: Totals) -> Result<ScanReport, SpillError> {
    let pushed = t.events.pushed() + t.blind_spots.pushed();
    let events = std::mem::take(&mut t.events).finish()?;
    let blind_spots = std::mem::take(&mut t.blind_spots).finish()?;
    let mut pipeline = std::mem::take(&mut t.pipeline);
    collect::sort_dedup(&mut pipeline);
    t.errors.sort();
    let mut hashes = std::mem::take(&mut t.hashes);
    hashes.sort_by(|a, b| a.object.cmp(&b.object));
    Ok(ScanReport {
        hashes,
        digests: Vec::new(),
        notes: Vec::new(),
        duplicates_dropped: pushed - events.len() - blind_spots.len(),
        totals: t,
        events,
        blind_spots,
        pipeline,
        requests: None,
    })
}
