//! gzip framing + record splitter + decoder + classifier: any bytes, read
//! as a plain `.json` object and, gzipped, as a `.json.gz` one, never
//! panic, and the two readings agree.
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use ctreplay::scan::{run_bytes, Detector, ScanOptions};
use libfuzzer_sys::fuzz_target;

static DETECTOR: OnceLock<Detector> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let det = DETECTOR.get_or_init(|| {
        Detector::for_audit(vec![ctreplay::filter::Filter::security_group_changes()])
    });
    let opts = ScanOptions {
        max_inflated: 16 << 20,
        max_record: 1 << 20,
        validate: data.first().is_some_and(|b| b & 1 == 1),
        threads: 1,
        // Every other input spills each event as it is found: the merged
        // list must not change.
        max_memory: if data.first().is_some_and(|b| b & 2 == 2) {
            0
        } else {
            64 << 20
        },
        // And some hash every object as `verify` does.
        hash_objects: data.first().is_some_and(|b| b & 4 == 4),
    };
    // The raw bytes as stored, gzip or not: the inflater's framing.
    let stored = run_bytes("fuzz.json.gz", data.to_vec(), det, &opts);
    drop(stored);
    // Bytes that start as gzip are inflated whatever the name says.
    if data.starts_with(&[0x1f, 0x8b]) {
        return;
    }
    let plain = run_bytes("fuzz.json", data.to_vec(), det, &opts);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    let zipped = run_bytes("fuzz.json.gz", gz.finish().unwrap(), det, &opts);
    let ids = |r: &ctreplay::scan::ScanReport| -> Vec<(String, u64)> {
        r.events
            .iter()
            .map(|e| e.expect("spilled events read back"))
            .map(|e| (e.id.clone(), e.record))
            .collect()
    };
    assert_eq!(ids(&plain), ids(&zipped));
    assert_eq!(plain.totals.records_scanned, zipped.totals.records_scanned);
});
