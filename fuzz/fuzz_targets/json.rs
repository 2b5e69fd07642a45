//! The exact decoder against serde_json and simd-json: never panics, and
//! where another decoder reads a document without a caveat, reads it the
//! same.
#![no_main]

use std::sync::OnceLock;

use ctreplay::filter::Filter;
use ctreplay::scan::{exact, Detector};
use libfuzzer_sys::fuzz_target;

static DETECTOR: OnceLock<Detector> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    // The pruned decode (large records) checks exactly what the whole one
    // checks.
    let det = DETECTOR.get_or_init(|| Detector::for_audit(vec![Filter::security_group_changes()]));
    let pruned = exact::decode_wanted(data, exact::Pick::FIRST, det.want()).map(|_| ());
    assert_eq!(
        pruned.is_ok(),
        exact::decode(data, exact::Pick::FIRST).is_ok(),
        "pruned and whole disagree"
    );
    let Ok((ours, odd)) = exact::decode(data, exact::Pick::FIRST) else {
        // What we refuse, serde_json refuses too (it is stricter on depth
        // only, which is not a refusal of ours).
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
            panic!("serde_json reads what the exact decoder refuses: {v}");
        }
        return;
    };
    let ours = serde_json::to_value(&ours).ok().map(norm);
    let plain = odd == exact::Oddities::default();
    if plain {
        if let Ok(theirs) = serde_json::from_slice::<serde_json::Value>(data) {
            // serde_json reads `-0` as the float -0.0, simd-json and we as
            // the integer 0: the same number.
            assert_eq!(ours, Some(norm(theirs)), "serde_json");
        }
        let mut copy = data.to_vec();
        let simd = simd_json::to_borrowed_value(&mut copy)
            .ok()
            .filter(|v| !exact::needs_exact(v))
            .map(|v| serde_json::to_value(&v).ok().map(norm));
        if let Some(theirs) = simd {
            assert_eq!(ours, theirs, "simd-json");
        }
    }
});

/// Numbers as doubles, -0 as 0.
fn norm(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            serde_json::Number::from_f64(if f == 0.0 { 0.0 } else { f })
                .map_or(Value::Null, Value::Number)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(norm).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, norm(v))).collect()),
        other => other,
    }
}
