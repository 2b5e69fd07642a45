//! Bytes to classified events: one driver over any [`Source`].
//!
//! ```text
//! Source::objects ─▶ worker (one per thread): inflate ─▶ split ─▶ prefilter
//!                    ─▶ decode ─▶ classify ─▶ extract ─▶ Totals ─▶ merge ─▶ ScanReport
//! ```
//!
//! - [`inflate`] turns stored bytes into JSON bytes, block by block;
//! - [`split`] finds the records in those bytes without decoding them;
//! - [`prefilter`] rules out records that cannot matter;
//! - [`classify`] decides, on the decoded record: matched by a filter, a
//!   blind spot, a pipeline change, or nothing;
//! - [`extract`] copies out the fields of an [`Event`];
//! - [`worker`] runs that loop for one object; [`totals`] holds what each
//!   worker counted.
//!
//! Each pool thread owns one worker (inflater, block buffer, simd-json
//! buffers) and one [`Totals`] for the whole scan, and takes the next object
//! from the source. Totals merge associatively and everything reported is
//! sorted before output, so the result does not depend on the thread count.
//! Where objects come from is [`crate::source`]'s; what the events mean for
//! an alarm is [`crate::alarm`]'s and [`crate::audit`]'s; printing them is
//! [`crate::report`]'s.

pub mod classify;
pub mod exact;
pub mod extract;
pub mod inflate;
pub mod prefilter;
pub mod split;
mod totals;
mod worker;

pub use classify::{Detector, Verdict};
pub use totals::{ErrorEntry, Totals};
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
}

impl Default for ScanOptions {
    /// The command line's defaults: 4 GiB per object, 16 MiB per record,
    /// prefiltered, all cores.
    fn default() -> Self {
        ScanOptions {
            max_inflated: DEFAULT_MAX_INFLATED,
            max_record: DEFAULT_MAX_RECORD as usize,
            validate: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// The merged, sorted, de-duplicated result of a scan.
#[derive(Debug)]
pub struct ScanReport {
    /// Counters; `events`, `blind_spots` and `errors` are final here.
    pub totals: Totals,
    /// Events dropped because their eventID was already reported.
    pub duplicates_dropped: u64,
    /// Requests a remote source made, when the source was remote.
    pub requests: Option<Requests>,
}

/// Scan every object `source` lists that `sel` keeps, for what `det`
/// looks for. Fails only when the listing itself fails; a problem with one
/// object is in the report's errors.
pub fn run(
    source: &dyn Source,
    sel: &Selection,
    det: &Detector,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<ScanReport, SourceError> {
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
    let run_thread = || {
        let mut w = Worker::new();
        let mut acc = Totals::default();
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
    let mut report = finish(totals);
    report.requests = listed.requests;
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
        .expect("an in-memory listing cannot fail")
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

/// Sort, de-duplicate by eventID, and sort the errors.
fn finish(mut t: Totals) -> ScanReport {
    let mut dropped = 0;
    for (list, counted) in [
        (&mut t.events, true),
        (&mut t.blind_spots, true),
        (&mut t.pipeline, false),
    ] {
        // Keep the copy from the first object by location, whichever
        // worker found it, so the choice is deterministic.
        list.sort_by(|a, b| {
            a.id.cmp(&b.id)
                .then_with(|| a.object.cmp(&b.object))
                .then_with(|| a.record.cmp(&b.record))
        });
        let before = list.len();
        list.dedup_by(|later, first| !later.id.is_empty() && later.id == first.id);
        if counted {
            dropped += (before - list.len()) as u64;
        }
        list.sort_by(by_time);
    }
    t.errors.sort();
    ScanReport {
        totals: t,
        duplicates_dropped: dropped,
        requests: None,
    }
}

/// The order of every event list: time, then eventID, then where it was.
fn by_time(a: &Event, b: &Event) -> std::cmp::Ordering {
    a.time
        .cmp(&b.time)
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.object.cmp(&b.object))
        .then_with(|| a.record.cmp(&b.record))
}
