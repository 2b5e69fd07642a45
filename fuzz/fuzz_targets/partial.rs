//! Partial files (`ctreplay merge`): any bytes, gzipped or not, are read
//! as a partial or refused with a named error, never a panic; one that
//! reads merges with itself only as a refusal (its shards repeat), and
//! alone turns into a report.
#![no_main]

use ctreplay::shard::partial::{into_report, merge, Partial};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, data).unwrap();
    let wrapped = gz.finish().unwrap();
    for bytes in [data, &wrapped[..]] {
        let Ok(p) = Partial::read("fuzz.ctr", bytes) else {
            continue;
        };
        let Ok(again) = Partial::read("fuzz.ctr", bytes) else {
            panic!("a partial read once reads twice");
        };
        assert!(merge(vec![("a".into(), p), ("b".into(), again)]).is_err());
        if let Ok(mut one) = Partial::read("fuzz.ctr", bytes) {
            let _ = into_report(&mut one);
        }
    }
});
