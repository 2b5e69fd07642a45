//! One pool thread's reusable state and the per-object loop: inflate the
//! stored bytes (whole, through [`oneshot`], when the object is small
//! enough and one clean gzip member; else streamed through [`inflate`] in
//! blocks), split them into records, prefilter, decode the candidates,
//! classify them and extract the events, into the thread's [`Totals`].
//!
//! Memory per worker: an object read whole holds its stored bytes (at most
//! [`oneshot::MAX_STORED`]) and its inflated bytes (at most
//! [`oneshot::MAX_INFLATED`]); a streamed one, one inflated block plus the
//! largest record. Nothing here panics on bad data; every problem is
//! recorded against the object's name.

use std::io::{self, Read};
use std::ops::Range;

use simd_json::BorrowedValue;

use super::classify::{Detector, Verdict};
use super::exact::{self, Pick, Want};
use super::extract::{self, event_time};
use super::inflate::{InflateStream, Inflater, NameHint};
use super::oneshot::{self, OneShot};
use super::prefilter::Prefilter;
use super::split::{DocKind, Splitter};
use super::totals::{ErrorEntry, ObjectHash, Totals};
use super::ScanOptions;
use crate::coverage::{self, Span, TimeProbe};
use crate::error::{InflateError, ObjectError};
use crate::event::Reading;
use crate::filter::FilterId;
use crate::progress::Progress;
use crate::source::{KeyKind, ObjectRef, Opened, Selection, SkipReason};

/// Inflated bytes handed to the splitter at a time. 256 KiB, 1 MiB and
/// 4 MiB measured the same within noise (`cargo bench -- scan/`: 530, 501
/// and 504 MiB/s); the block bounds memory per worker, not speed.
pub const BLOCK: usize = 1 << 20;

/// What every object of one scan is scanned with.
#[derive(Clone, Copy)]
pub(super) struct Job<'a> {
    pub(super) det: &'a Detector,
    pub(super) prefilter: &'a Prefilter,
    pub(super) sel: &'a Selection,
    pub(super) opts: &'a ScanOptions,
    pub(super) progress: &'a dyn Progress,
}

/// Inflated buffers larger than this are given back after the object, so
/// one large object does not keep a worker's memory high for the rest of
/// the scan; below it, reusing them saves the page faults of a fresh one.
const KEEP: usize = 16 << 20;

/// Per-thread reusable state.
pub(super) struct Worker {
    inflater: Inflater,
    oneshot: OneShot,
    /// The stored bytes of an object read whole.
    stored: Vec<u8>,
    bufs: Buffers,
}

/// Everything but the inflater, which the open stream borrows.
struct Buffers {
    buf: Vec<u8>,
    spans: Vec<Range<usize>>,
    candidates: Vec<usize>,
    scratch: Vec<u8>,
    json: simd_json::Buffers,
    probe: TimeProbe,
    /// The eventTime span of the object being read.
    times: Option<Span>,
    /// The eventTime of the last record seen, which may be the object's
    /// last (sampled whatever its index).
    last_time: Option<i64>,
}

/// The object being read: its reference and the name errors and events
/// carry, computed once.
struct Current<'a> {
    obj: &'a ObjectRef,
    name: String,
}

impl Worker {
    pub(super) fn new() -> Self {
        Worker {
            inflater: Inflater::new(),
            oneshot: OneShot::new(),
            stored: Vec::new(),
            bufs: Buffers {
                buf: Vec::with_capacity(2 * BLOCK),
                spans: Vec::new(),
                candidates: Vec::new(),
                scratch: Vec::new(),
                json: simd_json::Buffers::default(),
                probe: TimeProbe::default(),
                times: None,
                last_time: None,
            },
        }
    }

    /// Scan one opened object into `acc`.
    pub(super) fn scan(&mut self, opened: Opened, job: Job<'_>, acc: &mut Totals) {
        let cur = Current {
            obj: &opened.object,
            name: opened.object.location.to_string(),
        };
        let mut errors = Vec::new();
        let outcome = match opened.body {
            Ok(reader) => self.read(reader, &cur, job, acc, &mut errors),
            Err(e) => Err(ObjectError::Open(e)),
        };
        if self.bufs.buf.capacity() > KEEP {
            self.bufs.buf = Vec::with_capacity(2 * BLOCK);
        }
        if self.stored.capacity() > KEEP {
            self.stored = Vec::new();
        }
        if let Err(e) = outcome {
            errors.push(e);
        }
        if !errors.is_empty() {
            acc.objects_failed += 1;
            acc.errors.extend(errors.into_iter().map(|e| ErrorEntry {
                object: cur.name.clone(),
                reason: e.to_string(),
            }));
        }
    }

    /// Read one object: whole through libdeflate when its stored size
    /// allows and it is one clean gzip member, else streamed. Records found
    /// before a fatal error are already in `acc` when this returns the
    /// error; per-record problems go to `errors`.
    fn read(
        &mut self,
        mut src: Box<dyn Read + Send>,
        cur: &Current<'_>,
        job: Job<'_>,
        acc: &mut Totals,
        errors: &mut Vec<ObjectError>,
    ) -> Result<(), ObjectError> {
        let (inflater, b) = (&mut self.inflater, &mut self.bufs);
        let hint = NameHint::from_name(&cur.name);
        let max = job.opts.max_inflated;
        let mut streamed = |src: &mut dyn Read, b: &mut Buffers| {
            b.read_blocks(
                Blocks::Stream(inflater.stream(src, hint, max)),
                cur,
                job,
                acc,
                errors,
            )
        };
        if cur.obj.size > oneshot::MAX_STORED as u64 {
            return streamed(&mut src, b);
        }
        // One byte past the limit tells an object that grew since it was
        // listed: it is streamed, the rest read on from `src`.
        let (filled, read) = fill(
            &mut src,
            &mut self.stored,
            cur.obj.size as usize + 1,
            oneshot::MAX_STORED + 1,
        );
        let stored = &self.stored[..filled];
        let limit = usize::try_from(max)
            .unwrap_or(usize::MAX)
            .min(oneshot::MAX_INFLATED);
        match read {
            Ok(()) if stored.len() <= oneshot::MAX_STORED => {
                if self.oneshot.inflate(stored, limit, &mut b.buf) {
                    let whole = Blocks::Whole {
                        stored: stored.len() as u64,
                        shown: 0,
                    };
                    return b.read_blocks::<&[u8]>(whole, cur, job, acc, errors);
                }
                streamed(&mut { stored }, b)
            }
            Ok(()) => streamed(&mut io::Cursor::new(stored).chain(src), b),
            // The bytes read, then the error: what streaming would have
            // seen, so the records before it are kept as before.
            Err(e) => streamed(&mut io::Cursor::new(stored).chain(Failing(Some(e))), b),
        }
    }
}

/// Where an object's inflated bytes come from.
enum Blocks<'a, R> {
    /// Streamed, a block at a time, appended to the block buffer.
    Stream(InflateStream<'a, R>),
    /// Inflated whole into the block buffer already, and handed to the
    /// splitter a block at a time all the same, so that splitting,
    /// prefiltering and decoding each block run while it is in cache.
    Whole {
        /// Its stored size.
        stored: u64,
        /// How much of the buffer has been handed out.
        shown: usize,
    },
}

impl<R: Read> Blocks<'_, R> {
    /// Make the next inflated bytes available in `buf`; 0 at the end.
    fn next(&mut self, buf: &mut Vec<u8>) -> Result<usize, InflateError> {
        match self {
            Blocks::Stream(s) => s.read_block(buf, BLOCK),
            Blocks::Whole { shown, .. } => {
                let n = (buf.len() - *shown).min(BLOCK);
                *shown += n;
                Ok(n)
            }
        }
    }

    /// The end of the bytes available in `buf`.
    fn end(&self, buf: &[u8]) -> usize {
        match self {
            Blocks::Stream(_) => buf.len(),
            Blocks::Whole { shown, .. } => *shown,
        }
    }

    /// Inflated bytes so far (for a stream, also those a failing read
    /// appended before its error).
    fn inflated(&self) -> u64 {
        match self {
            Blocks::Stream(s) => s.inflated(),
            Blocks::Whole { shown, .. } => *shown as u64,
        }
    }

    /// Stored bytes consumed so far (all of a whole object's).
    fn compressed_offset(&self) -> u64 {
        match self {
            Blocks::Stream(s) => s.compressed_offset(),
            Blocks::Whole { stored, .. } => *stored,
        }
    }
}

/// Read `src` into `buf` until it ends or `limit` bytes are in; returns
/// how many are, and the read error that stopped it, if one did. `buf`'s
/// length is the part of it ever initialised, kept from object to object
/// (`hint` is the expected size): `read_to_end` into a cleared vector
/// zeroes its spare room before every read from a reader that does not
/// fill it natively, such as an S3 body (callgrind put 2.9% of an S3
/// scan's instructions in memset, 100 objects; not measured again since).
fn fill(
    src: &mut dyn Read,
    buf: &mut Vec<u8>,
    hint: usize,
    limit: usize,
) -> (usize, io::Result<()>) {
    let mut filled = 0;
    if buf.len() < hint.min(limit) {
        buf.resize(hint.min(limit), 0);
    }
    loop {
        if filled == buf.len() {
            if filled >= limit {
                return (filled, Ok(()));
            }
            let grown = (filled * 2).clamp(64 << 10, limit);
            buf.resize(grown, 0);
        }
        match src.read(&mut buf[filled..]) {
            Ok(0) => return (filled, Ok(())),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Err(e)),
        }
    }
}

/// A reader that fails with the error it holds (once; then reads end).
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

impl Buffers {
    /// The loop over one object's blocks. For a whole object the block
    /// buffer holds it all on entry.
    fn read_blocks<R: Read>(
        &mut self,
        mut blocks: Blocks<'_, R>,
        cur: &Current<'_>,
        job: Job<'_>,
        acc: &mut Totals,
        errors: &mut Vec<ObjectError>,
    ) -> Result<(), ObjectError> {
        let opts = job.opts;
        let mut splitter = Splitter::new(opts.max_record);
        let b = self;
        if let Blocks::Stream(_) = blocks {
            b.buf.clear();
        }
        b.times = None;
        b.last_time = None;
        let records_before = acc.records_scanned;
        let mut reported = 0;
        // The object's SHA-256 for `verify`, over the bytes as they are
        // inflated, while they are in cache: no second pass.
        let mut hasher = opts
            .hash_objects
            .then(|| aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256));
        // The start of what the splitter has not let go of: a stream's
        // buffer is drained instead, a whole object's is not moved.
        let mut base = 0;
        let result: Result<(), ObjectError> = loop {
            let read = blocks.next(&mut b.buf);
            let off = blocks.compressed_offset();
            job.progress.bytes(off - reported);
            reported = off;
            let (eof, fatal) = match read {
                Ok(n) => {
                    if let Some(h) = hasher.as_mut() {
                        let end = blocks.end(&b.buf);
                        h.update(&b.buf[end - n..end]);
                    }
                    (n == 0, None)
                }
                // Harvest the complete records already inflated, then stop.
                Err(e) => (false, Some(e)),
            };
            b.spans.clear();
            let before = splitter.records();
            let end = blocks.end(&b.buf);
            let keep = splitter.feed(&b.buf[base..end], eof, &mut b.spans);
            b.process_spans(base, before, cur, job, acc, errors);
            acc.records_scanned += b.spans.len() as u64;
            if let Some(e) = fatal {
                break Err(e.into());
            }
            let keep = keep?;
            match blocks {
                Blocks::Stream(_) => drop(b.buf.drain(..keep)),
                Blocks::Whole { .. } => base += keep,
            }
            splitter.rebase(keep);
            if eof {
                break Ok(());
            }
        };
        acc.bytes_stored += blocks.compressed_offset();
        acc.bytes_inflated += blocks.inflated();
        // What was read counts as coverage, even from an object that fails
        // later: its records are in the report.
        let kind = match &result {
            Ok(()) => splitter.finish(),
            Err(_) => Ok(DocKind::Records),
        };
        if let Some(t) = b.last_time {
            b.times = coverage::union(b.times, Some(Span::at(t)));
        }
        if cur.obj.key.kind == KeyKind::Log && !matches!(kind, Ok(DocKind::Digest)) {
            acc.coverage.read(
                cur.obj.key.stream(),
                acc.records_scanned - records_before,
                b.times,
            );
        }
        result?;
        match kind? {
            DocKind::Records => {
                if errors.is_empty() {
                    acc.objects_scanned += 1;
                }
                if let Some(h) = hasher {
                    let mut sha256 = [0; 32];
                    sha256.copy_from_slice(h.finish().as_ref());
                    acc.hashes.push(ObjectHash {
                        object: cur.obj.location.clone(),
                        sha256,
                        records: acc.records_scanned - records_before,
                    });
                }
            }
            DocKind::Digest => acc.skip(SkipReason::Digest),
        }
        Ok(())
    }
}

impl Buffers {
    /// Prefilter, decode, classify and extract the records of one block
    /// (`spans` are offsets from `base` in the buffer).
    fn process_spans(
        &mut self,
        base: usize,
        first_index: u64,
        cur: &Current<'_>,
        job: Job<'_>,
        acc: &mut Totals,
        errors: &mut Vec<ObjectError>,
    ) {
        let Job {
            det,
            prefilter,
            sel,
            opts,
            ..
        } = job;
        let key_account = cur.obj.key.account.as_deref();
        // The eventTime span, for the coverage: a search for one key that
        // stops at its first hit, in every eighth record of the object
        // (counted from its first) and its last. Probing every record cost
        // 8% of a scan (scripts/bench.sh, 1 GB: 0.68 s against 0.63 s); a
        // sampled span is at most the skipped records narrower, which only
        // makes the audit more cautious (fewer records in range, less
        // overlap). The sample is by record index, not by block, so it is
        // the same however the object was inflated.
        let n = self.spans.len();
        for (i, span) in self.spans.iter().enumerate() {
            let sampled = (first_index + i as u64).is_multiple_of(8);
            if !sampled && i + 1 != n {
                continue;
            }
            let t = self.probe.time(&self.buf[base..][span.clone()]);
            if sampled {
                if let Some(t) = t {
                    self.times = coverage::union(self.times, Some(Span::at(t)));
                }
            }
            if i + 1 == n {
                self.last_time = t;
            }
        }
        self.candidates.clear();
        prefilter.candidates(&self.buf[base..], &self.spans, &mut self.candidates);
        for &i in &self.candidates {
            let index = first_index + i as u64;
            let span = self.spans[i].clone();
            let span_len = span.len() as u64;
            let bad = |reason: String| ObjectError::Record { index, reason };
            let raw = &self.buf[base..][span.clone()];
            // Validation decodes every record; otherwise a candidate whose
            // name rules it out is counted like a non-candidate.
            if !opts.validate && det.rules_out(raw) {
                continue;
            }
            acc.records_decoded += 1;
            let Decoded {
                value,
                reading,
                verdict: union,
            } = match decode(raw, &mut self.scratch, &mut self.json, det) {
                Ok(d) => d,
                Err(e) => {
                    errors.push(bad(format!("invalid JSON: {e}")));
                    continue;
                }
            };
            // Readings of repeated keys were classified already.
            let (verdict, name) = match union {
                Some(v) => (v, extract::get_str(&value, &["eventName"])),
                None => det.classify(raw, &value),
            };
            let time = event_time(&value);
            if let (Some(n), Ok(t)) = (name, &time) {
                if det.is_pipeline(n) && sel.window.contains(*t) {
                    let mut ev = extract::extract(&value, n, *t, key_account, &cur.name, index);
                    ev.request = extract::get(&value, &["requestParameters"])
                        .and_then(|r| serde_json::to_value(r).ok());
                    ev.reading = reading.clone();
                    if sel.keeps(&ev.account, key_account, &ev.region) {
                        acc.pipeline.push(ev);
                    }
                }
            }
            let outcome = match (verdict, name) {
                (_, None) if opts.validate => {
                    errors.push(bad("no eventName string".into()));
                    continue;
                }
                (Verdict::Other, _) => {
                    if let (true, Err(e)) = (opts.validate, &time) {
                        errors.push(bad(e.to_string()));
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
                    errors.push(bad(format!("{name} matches, but {e}")));
                    continue;
                }
            };
            if !sel.window.contains(time) {
                continue;
            }
            let mut ev = extract::extract(&value, name, time, key_account, &cur.name, index);
            ev.record_bytes = span_len;
            ev.reading = reading;
            if !sel.keeps(&ev.account, key_account, &ev.region) {
                continue;
            }
            match outcome {
                Ok(matched) => {
                    ev.values = matched
                        .iter()
                        .filter_map(|id| {
                            let f = det.filters()[id.index()].value.as_ref()?;
                            Some((*id, f.read(&value)))
                        })
                        .collect();
                    ev.filters = matched;
                    acc.events.push(ev);
                }
                Err(why) => {
                    ev.why_unseen = Some(why);
                    acc.blind_spots.push(ev);
                }
            }
        }
    }
}

/// Records larger than this are decoded to the fields read only (see
/// [`decode`]). Below it simd-json's cost (about 17 MiB per thread at
/// most) is the price of its speed.
pub const LARGE_RECORD: usize = 1 << 20;

/// The readings of a record's repeated keys tried, at most.
const MAX_READINGS: usize = 16;

/// A candidate record, decoded.
struct Decoded<'b> {
    value: BorrowedValue<'b>,
    /// How it was read, when that was not plain (see [`exact`]).
    reading: Option<Box<Reading>>,
    /// For a record with repeated keys: what its readings, together, make
    /// of it (every filter any reading matches).
    verdict: Option<Verdict>,
}

/// Decode one candidate record with simd-json, or with the exact decoder
/// when simd-json refuses it or may have read it other than exactly.
///
/// A record with a repeated key is read several ways ([`Pick`]: the n-th
/// value of every repeated key for n up to [`MAX_READINGS`], the last, and
/// simd-json's mix of first and last): a filter matches it when it matches
/// any reading, so no reading's match is lost, and the filters that match
/// only some readings are named in its [`Reading`]. The value kept for the
/// reported fields is a reading that matches (else one that is a blind
/// spot, else one that is a pipeline change).
fn decode<'b>(
    raw: &'b [u8],
    scratch: &'b mut Vec<u8>,
    json: &mut simd_json::Buffers,
    det: &Detector,
) -> Result<Decoded<'b>, String> {
    // A large record is decoded to the fields its readers read: simd-json
    // takes 12 to 17 times a record's size (a 13.6 MiB record, 170 MB per
    // thread), the pruned exact decoder what those fields take. A
    // pipeline change is read whole: its requestParameters are reported.
    let large = raw.len() > LARGE_RECORD;
    let want = if large { det.want() } else { &Want::All };
    let mut refused = None;
    if !large {
        scratch.clear();
        scratch.extend_from_slice(raw);
        match simd_json::to_borrowed_value_with_buffers(scratch, json) {
            Ok(v) if !exact::needs_exact(&v) => {
                return Ok(Decoded {
                    value: v,
                    reading: None,
                    verdict: None,
                })
            }
            Ok(_) => {}
            Err(e) => refused = Some(e.to_string()),
        }
    }
    let fail = |e: exact::SyntaxError| match &refused {
        // simd-json's message for what both refuse, as before.
        Some(s) => s.clone(),
        None => e.to_string(),
    };
    let pipeline = |v: &BorrowedValue<'_>| {
        extract::get_str(v, &["eventName"]).is_some_and(|n| det.is_pipeline(n))
    };
    let (value, odd) = exact::decode_wanted(raw, Pick::FIRST, want).map_err(fail)?;
    let mut reading = Reading {
        repeated_keys: odd.repeated.clone(),
        numbers_out_of_range: odd.out_of_range,
        nesting_cut: odd.depth_cut,
        lossy_text: odd.lossy_text,
        ..Reading::default()
    };
    if odd.max_repeats < 2 {
        let plain = odd == exact::Oddities::default() && refused.is_none();
        let value = if large && pipeline(&value) {
            exact::decode(raw, Pick::FIRST).map_err(fail)?.0
        } else {
            value
        };
        return Ok(Decoded {
            value,
            reading: (!plain).then(|| Box::new(reading)),
            verdict: None,
        });
    }
    // Reading 0 is the one just decoded; the last value is reading
    // max_repeats - 1 unless there are more values than readings.
    let mut picks: Vec<Pick> = (1..odd.max_repeats.min(MAX_READINGS))
        .map(Pick::Nth)
        .collect();
    if odd.max_repeats > MAX_READINGS {
        picks.push(Pick::LAST);
    }
    picks.push(Pick::AsSimdJson);
    let rank = |v: &Verdict, pipe: bool| match v {
        Verdict::Match(m) => 3 + m.len(),
        Verdict::BlindSpot(_) => 2,
        Verdict::Other => usize::from(pipe),
    };
    let first = det.classify(raw, &value).0;
    let mut any_pipeline = pipeline(&value);
    let mut best = (rank(&first, any_pipeline), Pick::FIRST, value);
    let mut verdicts = vec![first];
    for pick in picks {
        let (v, _) = exact::decode_wanted(raw, pick, want).map_err(fail)?;
        let verdict = det.classify(raw, &v).0;
        let pipe = pipeline(&v);
        any_pipeline |= pipe;
        let r = rank(&verdict, pipe);
        if r > best.0 {
            best = (r, pick, v);
        }
        verdicts.push(verdict);
    }
    let matched_in = |id: &FilterId, v: &Verdict| matches!(v, Verdict::Match(m) if m.contains(id));
    let mut union: Vec<FilterId> = verdicts
        .iter()
        .flat_map(|v| match v {
            Verdict::Match(m) => m.clone(),
            _ => Vec::new(),
        })
        .collect();
    union.sort();
    union.dedup();
    reading.unsure = union
        .iter()
        .copied()
        .filter(|id| !verdicts.iter().all(|v| matched_in(id, v)))
        .collect();
    reading.match_depends_on_reading = verdicts.iter().any(|v| *v != verdicts[0]);
    let verdict = if union.is_empty() {
        verdicts
            .into_iter()
            .find(|v| matches!(v, Verdict::BlindSpot(_)))
            .unwrap_or(Verdict::Other)
    } else {
        Verdict::Match(union)
    };
    // A large pipeline change is reported whole, from the reading kept.
    let (_, pick, value) = best;
    let value = if large && any_pipeline {
        exact::decode(raw, pick).map_err(fail)?.0
    } else {
        value
    };
    Ok(Decoded {
        value,
        reading: Some(Box::new(reading)),
        verdict: Some(verdict),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Filter;
    use crate::scan::{run_bytes, ScanOptions};

    fn scan(det: &Detector, records: &[String]) -> crate::scan::ScanReport {
        let doc = format!("{{\"Records\":[{}]}}", records.join(","));
        let opts = ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        };
        run_bytes("t.json", doc.into_bytes(), det, &opts)
    }

    fn filters(patterns: &[&str]) -> Vec<Filter> {
        patterns
            .iter()
            .enumerate()
            .map(|(i, p)| Filter::new(&format!("f{i}"), p).unwrap())
            .collect()
    }

    const T: &str = r#""eventTime":"2026-11-02T12:00:00Z","eventID":"e""#;

    fn pad(n: usize) -> String {
        (0..n).map(|i| format!(",\"pad{i}\":{i}")).collect()
    }

    /// Every filter that matches any reading matches; the ones that match
    /// only some are named, and only those.
    #[test]
    fn readings_are_united_per_filter() {
        let det = Detector::new(filters(&[
            "{ $.eventName = CreateSecurityGroup }",
            "{ $.eventName = DeleteSecurityGroup }",
            "{ $.errorCode = X }",
        ]));
        let r = format!(
            r#"{{{T},"eventName":"DeleteSecurityGroup","eventName":"CreateSecurityGroup","errorCode":"Y","errorCode":"X"}}"#
        );
        let report = scan(&det, &[r]);
        let events = report.events.load().unwrap();
        let e = &events[0];
        assert_eq!(
            e.filters,
            [FilterId::new(0), FilterId::new(1), FilterId::new(2)]
        );
        let reading = e.reading.as_deref().unwrap();
        assert_eq!(reading.unsure.len(), 3, "each matches one reading only");
        let r =
            format!(r#"{{{T},"eventName":"CreateSecurityGroup","errorCode":"Y","errorCode":"X"}}"#);
        let report = scan(&det, &[r]);
        let events = report.events.load().unwrap();
        let e = &events[0];
        assert_eq!(e.filters, [FilterId::new(0), FilterId::new(2)]);
        assert_eq!(
            e.reading.as_deref().unwrap().unsure,
            [FilterId::new(2)],
            "the eventName filter matches every reading"
        );
    }

    /// The last of many values, and simd-json's mix of first and last.
    #[test]
    fn the_last_value_and_mixed_readings_are_tried() {
        let det = Detector::security_group_changes();
        let repeats: String = (0..20).map(|_| ",\"eventName\":\"X\"").collect();
        let r = format!(
            r#"{{{T}{repeats},"eventName":"CreateSecurityGroup"{}}}"#,
            pad(40)
        );
        assert_eq!(scan(&det, &[r]).events.len(), 1, "the 21st value");
        let det = Detector::new(filters(&[
            "{ $.eventName = CreateSecurityGroup && $.requestParameters.groupId = sg-1 }",
        ]));
        let r = format!(
            r#"{{{T},"eventName":"X","requestParameters":{{"groupId":"sg-1","groupId":"zz"}},"eventName":"CreateSecurityGroup"{}}}"#,
            pad(40)
        );
        assert_eq!(
            scan(&det, &[r]).events.len(),
            1,
            "first in the small object, last in the large"
        );
    }

    /// A pipeline change under any reading is collected, whole even when
    /// the record is large.
    #[test]
    fn pipeline_changes_under_any_reading_are_collected_whole() {
        let det = Detector::for_audit(vec![Filter::security_group_changes()]);
        let r = format!(
            r#"{{{T},"eventName":"X","eventName":"DeleteMetricFilter","requestParameters":{{"filterName":"f"}}}}"#
        );
        let report = scan(&det, &[r]);
        assert_eq!(report.pipeline.len(), 1);
        let big = "y".repeat(LARGE_RECORD);
        let r = format!(
            r#"{{{T},"eventName":"X","eventName":"PutMetricFilter","requestParameters":{{"filterName":"f","metricTransformations":[{{"metricName":"m"}}],"pad":"{big}"}}}}"#
        );
        let report = scan(&det, &[r]);
        assert_eq!(report.pipeline.len(), 1);
        let req = report.pipeline[0].request.as_ref().unwrap();
        assert_eq!(
            req["metricTransformations"][0]["metricName"], "m",
            "read whole"
        );
    }

    /// Past the value budget a record is an error by name, not a memory
    /// spike: here a large pipeline change, which is built whole.
    #[test]
    fn a_record_past_the_value_budget_is_refused_by_name() {
        let det = Detector::for_audit(vec![Filter::security_group_changes()]);
        let zeros = vec!["0"; exact::MAX_VALUES + 1].join(",");
        let r = format!(
            r#"{{{T},"eventName":"PutMetricFilter","requestParameters":{{"x":[{zeros}]}}}}"#
        );
        let report = scan(&det, &[r]);
        assert!(report.pipeline.is_empty());
        let e = &report.totals.errors[0];
        assert!(
            e.reason.contains("record 0") && e.reason.contains("budget"),
            "{e:?}"
        );
    }
}
