//! The parallel scan: objects -> inflate -> split -> prefilter -> decode ->
//! classify, merged into one [`ScanReport`].
//!
//! Each pool thread owns one `Worker` (inflater, block buffer, simd-json
//! buffers) and one [`Totals`] accumulator for the whole scan. Threads take
//! the next object from a shared cursor over the list sorted largest first,
//! so the long poles start early and small objects fill the gaps at the
//! end. Totals merge associatively and everything reported is sorted before
//! output, so the result does not depend on the thread count.
//!
//! Memory per worker is one inflated block plus the largest record, not the
//! object: objects are streamed, never held whole.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::detect::{Detector, Verdict};
use crate::error::{InflateError, ObjectErrorKind};
use crate::inflate::{Inflater, NameHint};
use crate::prefilter::Prefilter;
use crate::record::{self, Event};
use crate::source::{KeyKind, Listing, ObjectRef, TimeWindow};
use crate::split::{DocKind, Splitter};

/// Inflated bytes handed to the splitter at a time. 256 KiB, 1 MiB and
/// 4 MiB measured the same within noise (`cargo bench -- scan/`: 530, 501
/// and 504 MiB/s); the block bounds memory per worker, not speed.
pub const BLOCK: usize = 1 << 20;

/// What to scan for and the safety limits.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Event-time range and delivery skew.
    pub window: TimeWindow,
    /// Only these accounts (empty: all).
    pub accounts: Vec<String>,
    /// Only these regions (empty: all).
    pub regions: Vec<String>,
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
    /// The command line's defaults: no range, 1 h delivery skew, 4 GiB per
    /// object, 16 MiB per record, prefiltered, all cores.
    fn default() -> Self {
        ScanOptions {
            window: TimeWindow {
                since: None,
                until: None,
                skew: chrono::Duration::hours(1),
            },
            accounts: Vec::new(),
            regions: Vec::new(),
            max_inflated: 4 << 30,
            max_record: 16 << 20,
            validate: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Why an object was not opened (or, for digests found by content, not
/// scanned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// A CloudTrail digest file.
    Digest,
    /// A CloudTrail Insights file.
    Insight,
    /// Its key date cannot hold events in the time range.
    OutOfRange,
    /// Its key names an account or region that was not asked for.
    NotSelected,
}

impl SkipReason {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Digest => "digest",
            SkipReason::Insight => "insight",
            SkipReason::OutOfRange => "out_of_range",
            SkipReason::NotSelected => "not_selected",
        }
    }
}

/// A per-object problem as reported.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Matched events (before de-duplication).
    pub events: Vec<Event>,
    /// Blind-spot events (before de-duplication).
    pub blind_spots: Vec<Event>,
    /// Changes to the alarm pipeline, when the detector collects them.
    pub pipeline: Vec<Event>,
    /// Problems, per object.
    pub errors: Vec<ErrorEntry>,
}

impl Totals {
    fn merge(mut self, o: Totals) -> Totals {
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
        self.events.extend(o.events);
        self.blind_spots.extend(o.blind_spots);
        self.pipeline.extend(o.pipeline);
        self.errors.extend(o.errors);
        self
    }

    /// Count one object skipped for `r`.
    pub fn skip(&mut self, r: SkipReason) {
        *self.objects_skipped.entry(r).or_default() += 1;
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

/// Requests made to a remote source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Requests {
    /// Listing pages requested.
    pub list_calls: u64,
    /// Objects requested (retries not counted).
    pub get_calls: u64,
}

/// Receives progress as the scan goes; must be cheap and thread-safe.
pub trait Progress: Sync {
    /// `n` more stored bytes were consumed.
    fn bytes(&self, n: u64);
    /// One more object is done.
    fn object_done(&self);
}

/// A progress sink that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {
    fn bytes(&self, _: u64) {}
    fn object_done(&self) {}
}

/// What every object of one scan is scanned with.
#[derive(Clone, Copy)]
struct Job<'a> {
    det: &'a Detector,
    prefilter: &'a Prefilter,
    opts: &'a ScanOptions,
    progress: &'a dyn Progress,
}

impl<'a> Job<'a> {
    fn new(det: &'a Detector, opts: &'a ScanOptions, progress: &'a dyn Progress) -> Self {
        let prefilter = if opts.validate {
            &Prefilter::EVERYTHING
        } else {
            det.prefilter()
        };
        Job {
            det,
            prefilter,
            opts,
            progress,
        }
    }
}

/// Per-thread reusable state.
struct Worker {
    inflater: Inflater,
    bufs: Buffers,
}

/// Everything but the inflater, which the open stream borrows.
struct Buffers {
    buf: Vec<u8>,
    spans: Vec<Range<usize>>,
    candidates: Vec<usize>,
    scratch: Vec<u8>,
    json: simd_json::Buffers,
}

impl Worker {
    fn new() -> Self {
        Worker {
            inflater: Inflater::new(),
            bufs: Buffers {
                buf: Vec::with_capacity(2 * BLOCK),
                spans: Vec::new(),
                candidates: Vec::new(),
                scratch: Vec::new(),
                json: simd_json::Buffers::default(),
            },
        }
    }
}

/// Scan everything in `listing`.
pub fn scan(
    listing: &Listing,
    det: &Detector,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> ScanReport {
    let mut pre = Totals {
        objects_listed: listing.objects.len() as u64,
        ..Totals::default()
    };
    pre.errors.extend(listing.errors.iter().map(|e| ErrorEntry {
        object: e.location.clone(),
        reason: e.reason.clone(),
    }));
    let mut todo: Vec<&ObjectRef> = Vec::new();
    for obj in &listing.objects {
        match pre_skip(obj, opts) {
            Some(r) => {
                pre.skip(r);
                progress.bytes(obj.size);
                progress.object_done();
            }
            None => todo.push(obj),
        }
    }
    todo.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then_with(|| a.location.cmp(&b.location))
    });
    let job = Job::new(det, opts, progress);
    let next = AtomicUsize::new(0);
    // One worker per thread for the whole scan: its buffers are allocated
    // (and their pages faulted in) once, not once per object.
    let run_thread = || {
        let mut w = Worker::new();
        let mut acc = Totals::default();
        while let Some(obj) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
            scan_object(&mut w, obj, job, &mut acc);
            progress.object_done();
        }
        acc
    };
    finish(
        on_every_thread(opts.threads, run_thread)
            .into_iter()
            .fold(pre, Totals::merge),
    )
}

/// Run `f` once on each of `threads` pool threads (on this thread if no
/// pool can be built) and collect what each returns.
fn on_every_thread(threads: usize, f: impl Fn() -> Totals + Sync) -> Vec<Totals> {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.broadcast(|_| f()),
        Err(_) => vec![f()],
    }
}

/// One object from a remote source: its reference and a stream of its
/// stored bytes, or why the stream could not be opened.
pub type Fetched = (ObjectRef, Result<Box<dyn Read + Send>, String>);

/// Scan objects handed out by `next` (a remote source's fetch queue) until
/// it returns None. `pre` holds what the source counted itself (objects
/// listed, skipped by key, listing errors).
pub fn scan_queue(
    next: &(dyn Fn() -> Option<Fetched> + Sync),
    pre: Totals,
    det: &Detector,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> ScanReport {
    let job = Job::new(det, opts, progress);
    let run_thread = || {
        let mut w = Worker::new();
        let mut acc = Totals::default();
        while let Some((obj, src)) = next() {
            let mut errors = Vec::new();
            let outcome = match src {
                Ok(reader) => read_stream(&mut w, reader, &obj, job, &mut acc, &mut errors),
                Err(reason) => Err(ObjectErrorKind::Fetch(reason)),
            };
            if let Err(kind) = outcome {
                errors.push(kind);
            }
            note_errors(&mut acc, &obj.location, errors);
            progress.object_done();
        }
        acc
    };
    finish(
        on_every_thread(opts.threads, run_thread)
            .into_iter()
            .fold(pre, Totals::merge),
    )
}

/// Add what a source counted itself (objects listed, skipped by key,
/// listing errors) to a finished report.
pub fn merge_into(mut report: ScanReport, pre: Totals) -> ScanReport {
    let t = &mut report.totals;
    t.objects_listed += pre.objects_listed;
    for (k, v) in pre.objects_skipped {
        *t.objects_skipped.entry(k).or_default() += v;
    }
    t.errors.extend(pre.errors);
    t.errors.sort();
    report
}

/// Whether the key layout rules the object out before it is fetched.
pub fn skip_reason(obj: &ObjectRef, opts: &ScanOptions) -> Option<SkipReason> {
    pre_skip(obj, opts)
}

/// Scan one object from any reader (tests, fuzzing, benches, remote
/// sources). `obj.path` is not used; `obj.location` names it.
pub fn scan_reader<R: Read>(
    src: R,
    obj: &ObjectRef,
    det: &Detector,
    opts: &ScanOptions,
) -> ScanReport {
    let mut w = Worker::new();
    let mut acc = Totals {
        objects_listed: 1,
        ..Totals::default()
    };
    let mut errors = Vec::new();
    let job = Job::new(det, opts, &NoProgress);
    if let Err(kind) = read_stream(&mut w, src, obj, job, &mut acc, &mut errors) {
        errors.push(kind);
    }
    note_errors(&mut acc, &obj.location, errors);
    finish(acc)
}

fn pre_skip(obj: &ObjectRef, opts: &ScanOptions) -> Option<SkipReason> {
    let key = &obj.key;
    match key.kind {
        KeyKind::Digest => return Some(SkipReason::Digest),
        KeyKind::Insight => return Some(SkipReason::Insight),
        KeyKind::Log => {}
    }
    if !key.may_hold(&opts.window) {
        return Some(SkipReason::OutOfRange);
    }
    let unselected = |want: &[String], have: &Option<String>| {
        !want.is_empty() && have.as_ref().is_some_and(|h| !want.contains(h))
    };
    if unselected(&opts.accounts, &key.account) || unselected(&opts.regions, &key.region) {
        return Some(SkipReason::NotSelected);
    }
    None
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
        list.sort_by(|a, b| {
            a.time
                .cmp(&b.time)
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.object.cmp(&b.object))
                .then_with(|| a.record.cmp(&b.record))
        });
    }
    t.errors.sort();
    ScanReport {
        totals: t,
        duplicates_dropped: dropped,
        requests: None,
    }
}

/// Scan one object into `acc`; never panics on bad data.
fn scan_object(w: &mut Worker, obj: &ObjectRef, job: Job<'_>, acc: &mut Totals) {
    let mut errors = Vec::new();
    if let Err(kind) = read_object(w, obj, job, acc, &mut errors) {
        errors.push(kind);
    }
    note_errors(acc, &obj.location, errors);
}

/// Count an object with problems as failed and keep its problems.
fn note_errors(acc: &mut Totals, location: &str, errors: Vec<ObjectErrorKind>) {
    if !errors.is_empty() {
        acc.objects_failed += 1;
        acc.errors.extend(errors.into_iter().map(|kind| ErrorEntry {
            object: location.to_owned(),
            reason: kind.to_string(),
        }));
    }
}

/// Open a local object and stream it.
fn read_object(
    w: &mut Worker,
    obj: &ObjectRef,
    job: Job<'_>,
    acc: &mut Totals,
    errors: &mut Vec<ObjectErrorKind>,
) -> Result<(), ObjectErrorKind> {
    let file = File::open(&obj.path).map_err(InflateError::from)?;
    read_stream(w, file, obj, job, acc, errors)
}

/// The streaming loop. Records found before a fatal error are already in
/// `acc` when it returns the error; per-record problems go to `errors`.
fn read_stream<R: Read>(
    w: &mut Worker,
    src: R,
    obj: &ObjectRef,
    job: Job<'_>,
    acc: &mut Totals,
    errors: &mut Vec<ObjectErrorKind>,
) -> Result<(), ObjectErrorKind> {
    let opts = job.opts;
    let mut stream = w
        .inflater
        .stream(src, NameHint::from_name(&obj.location), opts.max_inflated);
    let mut splitter = Splitter::new(opts.max_record);
    let b = &mut w.bufs;
    b.buf.clear();
    let mut reported = 0;
    let result: Result<(), ObjectErrorKind> = loop {
        let read = stream.read_block(&mut b.buf, BLOCK);
        let off = stream.compressed_offset();
        job.progress.bytes(off - reported);
        reported = off;
        let (eof, fatal) = match read {
            Ok(n) => (n == 0, None),
            // Harvest the complete records already inflated, then stop.
            Err(e) => (false, Some(e)),
        };
        b.spans.clear();
        let before = splitter.records();
        let keep = splitter.feed(&b.buf, eof, &mut b.spans);
        process_spans(b, before, obj, job, acc, errors);
        acc.records_scanned += b.spans.len() as u64;
        if let Some(e) = fatal {
            break Err(e.into());
        }
        let keep = keep?;
        b.buf.drain(..keep);
        splitter.rebase(keep);
        if eof {
            break Ok(());
        }
    };
    acc.bytes_stored += stream.compressed_offset();
    acc.bytes_inflated += stream.inflated();
    result?;
    match splitter.finish()? {
        DocKind::Records => {
            if errors.is_empty() {
                acc.objects_scanned += 1;
            }
        }
        DocKind::Digest => acc.skip(SkipReason::Digest),
    }
    Ok(())
}

/// Whether `--account` / `--region` keep the event.
fn selected(opts: &ScanOptions, ev: &Event) -> bool {
    (opts.accounts.is_empty() || opts.accounts.contains(&ev.account))
        && (opts.regions.is_empty() || opts.regions.contains(&ev.region))
}

fn process_spans(
    w: &mut Buffers,
    first_index: u64,
    obj: &ObjectRef,
    job: Job<'_>,
    acc: &mut Totals,
    errors: &mut Vec<ObjectErrorKind>,
) {
    let Job {
        det,
        prefilter,
        opts,
        ..
    } = job;
    w.candidates.clear();
    prefilter.candidates(&w.buf, &w.spans, &mut w.candidates);
    acc.records_decoded += w.candidates.len() as u64;
    for &i in &w.candidates {
        let index = first_index + i as u64;
        let span = w.spans[i].clone();
        w.scratch.clear();
        w.scratch.extend_from_slice(&w.buf[span]);
        let value = match simd_json::to_borrowed_value_with_buffers(&mut w.scratch, &mut w.json) {
            Ok(v) => v,
            Err(e) => {
                errors.push(ObjectErrorKind::Record {
                    index,
                    reason: format!("invalid JSON: {e}"),
                });
                continue;
            }
        };
        let (verdict, name) = det.classify(&w.buf[w.spans[i].clone()], &value);
        let time = record::event_time(&value);
        if let (Some(n), Ok(t)) = (name, &time) {
            if det.is_pipeline(n) && opts.window.contains(*t) {
                let mut ev = record::extract(
                    &value,
                    n,
                    *t,
                    obj.key.account.as_deref(),
                    &obj.location,
                    index,
                );
                ev.request = record::get(&value, &["requestParameters"])
                    .and_then(|r| serde_json::to_value(r).ok());
                if selected(opts, &ev) {
                    acc.pipeline.push(ev);
                }
            }
        }
        let outcome = match (verdict, name) {
            (_, None) if opts.validate => {
                errors.push(ObjectErrorKind::Record {
                    index,
                    reason: "no eventName string".into(),
                });
                continue;
            }
            (Verdict::Other, _) => {
                if let (true, Err(e)) = (opts.validate, &time) {
                    errors.push(ObjectErrorKind::Record {
                        index,
                        reason: e.to_string(),
                    });
                }
                continue;
            }
            (Verdict::Match(m), _) => Ok(m),
            (Verdict::BlindSpot(why), _) => Err(why),
        };
        let name = name.unwrap_or_default();
        let time = match time {
            Ok(t) => t,
            Err(e) => {
                errors.push(ObjectErrorKind::Record {
                    index,
                    reason: format!("{name} matches, but {e}"),
                });
                continue;
            }
        };
        if !opts.window.contains(time) {
            continue;
        }
        let mut ev = record::extract(
            &value,
            name,
            time,
            obj.key.account.as_deref(),
            &obj.location,
            index,
        );
        if !selected(opts, &ev) {
            continue;
        }
        match outcome {
            Ok(matched) => {
                ev.filters = matched
                    .into_iter()
                    .map(|f| det.filters()[f].name.clone())
                    .collect();
                acc.events.push(ev);
            }
            Err(why) => {
                ev.why_unseen = Some(why);
                acc.blind_spots.push(ev);
            }
        }
    }
}
