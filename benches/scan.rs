//! Criterion benches for each stage of the hot path, in bytes per second of
//! inflated JSON, on one synthetic 16 MB object (generated, not committed).
//!
//! Each bench asserts its result inside the loop so a fast wrong answer
//! fails. `cargo bench` runs them; CI only builds them.

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use ctreplay::detect::Detector;
use ctreplay::inflate::{Inflater, NameHint};
use ctreplay::scan::{scan_reader, ScanOptions, BLOCK};
use ctreplay::source::{KeyInfo, ObjectRef};
use ctreplay::split::Splitter;

const SIZE: u64 = 16_000_000;

fn corpus() -> (Vec<u8>, Vec<u8>, u64) {
    ctreplay::synth::object_in_memory(SIZE, 42)
}

fn spans_of(json: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut sp = Splitter::new(1 << 24);
    let mut spans = Vec::new();
    sp.feed(json, true, &mut spans).unwrap();
    spans
}

fn inflate(c: &mut Criterion) {
    let (gz, json, _) = corpus();
    let mut g = c.benchmark_group("inflate");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("decompress_blocks", |b| {
        let mut inf = Inflater::new();
        let mut out = Vec::with_capacity(2 * BLOCK);
        b.iter(|| {
            let mut s = inf.stream(&gz[..], NameHint::Gzip, u64::MAX);
            let mut n = 0;
            loop {
                out.clear();
                let k = s.read_block(&mut out, BLOCK).unwrap();
                if k == 0 {
                    break;
                }
                n += k;
            }
            assert_eq!(n, json.len());
        })
    });
    g.bench_function("multigzdecoder_read", |b| {
        let mut out = vec![0u8; 1 << 16];
        b.iter(|| {
            let mut d = flate2::read::MultiGzDecoder::new(&gz[..]);
            let mut n = 0;
            loop {
                let k = d.read(&mut out).unwrap();
                if k == 0 {
                    break;
                }
                n += k;
            }
            assert_eq!(n, json.len());
        })
    });
    g.finish();
}

fn split(c: &mut Criterion) {
    let (_, json, records) = corpus();
    let mut g = c.benchmark_group("split");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("records", |b| {
        let mut spans = Vec::new();
        b.iter(|| {
            spans.clear();
            let mut sp = Splitter::new(1 << 24);
            sp.feed(black_box(&json), true, &mut spans).unwrap();
            assert_eq!(spans.len() as u64, records);
        })
    });
    g.finish();
}

fn prefilter_and_decode(c: &mut Criterion) {
    let (_, json, records) = corpus();
    let spans = spans_of(&json);
    let det = Detector::security_group_changes();
    let mut g = c.benchmark_group("match");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("prefilter", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            det.prefilter()
                .candidates(black_box(&json), &spans, &mut out);
            assert!(!out.is_empty() && (out.len() as u64) < records / 4);
        })
    });
    g.bench_function("decode_every_record_simd_json", |b| {
        let mut scratch = Vec::new();
        let mut bufs = simd_json::Buffers::default();
        b.iter(|| {
            let mut n = 0;
            for r in &spans {
                scratch.clear();
                scratch.extend_from_slice(&json[r.clone()]);
                let v = simd_json::to_borrowed_value_with_buffers(&mut scratch, &mut bufs).unwrap();
                n += (det.classify(&v).0 == ctreplay::detect::Verdict::Match) as usize;
            }
            assert!(n > 0);
        })
    });
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let (gz, json, records) = corpus();
    let det = Detector::security_group_changes();
    let opts = ScanOptions {
        threads: 1,
        ..ScanOptions::default()
    };
    let obj = ObjectRef {
        location: "bench.json.gz".into(),
        path: PathBuf::from("bench.json.gz"),
        size: gz.len() as u64,
        key: KeyInfo::parse("bench.json.gz"),
    };
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("one_object_one_thread", |b| {
        b.iter_batched_ref(
            || (),
            |_| {
                let r = scan_reader(&gz[..], &obj, &det, &opts);
                assert_eq!(r.totals.records_scanned, records);
                assert!(r.totals.errors.is_empty());
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(15)
}

criterion_group! {
    name = benches;
    config = config();
    targets = inflate, split, prefilter_and_decode, end_to_end
}
criterion_main!(benches);
