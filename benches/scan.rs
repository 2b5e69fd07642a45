//! Criterion benches for each stage of the hot path, in bytes per second of
//! inflated JSON, on one synthetic 16 MB object (generated, not committed).
//!
//! Each bench asserts its result inside the loop so a fast wrong answer
//! fails. `cargo bench` runs them; CI only builds them.

use std::hint::black_box;
use std::io::Read;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use ctreplay::filter::{presets, Filter, Pattern};
use ctreplay::scan::inflate::{Inflater, NameHint};
use ctreplay::scan::prefilter::Prefilter;
use ctreplay::scan::split::Splitter;
use ctreplay::scan::{run_bytes, Detector, ScanOptions, Verdict, BLOCK};

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
    g.bench_function("libdeflate_whole", |b| {
        let mut z = ctreplay::scan::oneshot::OneShot::new();
        let mut out = Vec::new();
        b.iter(|| {
            assert!(z.inflate(black_box(&gz), usize::MAX, &mut out));
            assert_eq!(out.len(), json.len());
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
    // The whole object at once and in blocks as the worker feeds it: the
    // second keeps each block in cache for the passes after the split.
    g.bench_function("records", |b| {
        let mut spans = Vec::new();
        b.iter(|| {
            spans.clear();
            let mut sp = Splitter::new(1 << 24);
            sp.feed(black_box(&json), true, &mut spans).unwrap();
            assert_eq!(spans.len() as u64, records);
        })
    });
    g.bench_function("records_in_blocks", |b| {
        let mut spans = Vec::new();
        b.iter(|| {
            let mut sp = Splitter::new(1 << 24);
            let (mut base, mut n) = (0, 0);
            for end in (BLOCK..json.len() + BLOCK).step_by(BLOCK) {
                let end = end.min(json.len());
                spans.clear();
                let keep = sp.feed(black_box(&json[base..end]), end == json.len(), &mut spans);
                let keep = keep.unwrap();
                n += spans.len();
                base += keep;
                sp.rebase(keep);
            }
            assert_eq!(n as u64, records);
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
    // The two searchers, for one literal and for the default scan's ten.
    let ten: Vec<Vec<u8>> = [
        "SecurityGroup",
        "CreateManagedPrefixList",
        "ModifyManagedPrefixList",
        "RestoreManagedPrefixListVersion",
        "DeleteManagedPrefixList",
        "ModifyInstanceAttribute",
        "ModifyNetworkInterfaceAttribute",
        "ModifyVpcEndpoint",
        "CreateTags",
        "DeleteTags",
    ]
    .iter()
    .map(|l| l.as_bytes().to_vec())
    .collect();
    for (name, lits) in [("one_literal", ten[..1].to_vec()), ("ten_literals", ten)] {
        for (searcher, each) in [("memmem_each", true), ("automaton", false)] {
            let pf = Prefilter::with_searcher(lits.clone(), each);
            g.bench_function(format!("prefilter_{name}/{searcher}"), |b| {
                let mut out = Vec::new();
                b.iter(|| {
                    out.clear();
                    pf.candidates(black_box(&json), &spans, &mut out);
                    assert!(!out.is_empty() && (out.len() as u64) < records / 4);
                })
            });
        }
    }
    g.bench_function("decode_every_record_simd_json", |b| {
        let mut scratch = Vec::new();
        let mut bufs = simd_json::Buffers::default();
        b.iter(|| {
            let mut n = 0;
            for r in &spans {
                scratch.clear();
                scratch.extend_from_slice(&json[r.clone()]);
                let v = simd_json::to_borrowed_value_with_buffers(&mut scratch, &mut bufs).unwrap();
                n += matches!(det.classify(&json[r.clone()], &v).0, Verdict::Match(_)) as usize;
            }
            assert!(n > 0);
        })
    });
    g.finish();
}

/// Patterns for the evaluation benches: the CIS ones and a few heavy ones.
fn bench_patterns() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = [
        "security-group-changes",
        "cis-5.0-4.10",
        "cis-5.0-4.1",
        "cis-5.0-4.3",
        "cis-5.0-4.4",
        "cis-5.0-4.15",
    ]
    .iter()
    .map(|n| (n.to_string(), presets::find(n).unwrap().pattern.to_owned()))
    .collect();
    for (name, p) in [
        (
            "regex",
            r"{ $.eventName = %^[A-Z]\w+SecurityGroup\w*$% || $.userAgent = %aws-cli/\d+\.\d+% }",
        ),
        (
            "wildcards",
            "{ $.eventName = *Security*Group* || $.sourceIPAddress = 10.* }",
        ),
        (
            "array_wildcard",
            r#"{ $.requestParameters.ipPermissions.items[*].ipRanges.items[0].cidrIp = "0.0.0.0/0" }"#,
        ),
        ("object_wildcard", "{ $.userIdentity.* = Root }"),
        (
            "not_exists",
            "{ $.errorCode NOT EXISTS && $.readOnly IS FALSE }",
        ),
    ] {
        if Pattern::parse(p).is_ok() {
            out.push((name.to_owned(), p.to_owned()));
        }
    }
    out
}

fn pattern_eval(c: &mut Criterion) {
    let (_, json, _) = corpus();
    let spans = spans_of(&json);
    // Decode once; the bench measures evaluation alone.
    let mut bufs: Vec<Vec<u8>> = spans.iter().map(|r| json[r.clone()].to_vec()).collect();
    let values: Vec<_> = bufs
        .iter_mut()
        .map(|b| simd_json::to_borrowed_value(b).unwrap())
        .collect();
    let mut g = c.benchmark_group("pattern");
    g.throughput(Throughput::Elements(values.len() as u64));
    for (name, text) in bench_patterns() {
        let p = Pattern::parse(&text).unwrap();
        g.bench_function(format!("eval_every_record/{name}"), |b| {
            b.iter(|| {
                let mut n = 0usize;
                for (v, r) in values.iter().zip(&spans) {
                    n += p.matches(&json[r.clone()], Some(v)) as usize;
                }
                black_box(n)
            })
        });
    }
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let (gz, json, records) = corpus();
    let det = Detector::security_group_changes();
    let opts = ScanOptions {
        threads: 1,
        ..ScanOptions::default()
    };
    let gz = bytes::Bytes::from(gz);
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("one_object_one_thread", |b| {
        b.iter_batched_ref(
            || (),
            |_| {
                let r = run_bytes("bench.json.gz", gz.clone(), &det, &opts);
                assert_eq!(r.totals.records_scanned, records);
                assert!(r.totals.errors.is_empty());
            },
            BatchSize::SmallInput,
        )
    });
    // The same scan with other patterns: how much the prefilter saves or
    // costs when a pattern requires other literals, or none.
    for (name, text) in bench_patterns().into_iter().filter(|(n, _)| {
        ["cis-5.0-4.1", "cis-5.0-4.3", "regex", "not_exists"].contains(&n.as_str())
    }) {
        let det = Detector::new(vec![Filter::new(&name, &text).unwrap()]);
        g.bench_function(format!("one_object_one_thread/{name}"), |b| {
            b.iter(|| {
                let r = run_bytes("bench.json.gz", gz.clone(), &det, &opts);
                assert_eq!(r.totals.records_scanned, records);
            })
        });
    }
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
    targets = inflate, split, prefilter_and_decode, pattern_eval, end_to_end
}
criterion_main!(benches);
