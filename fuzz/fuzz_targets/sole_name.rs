//! The name read from a record's bytes without decoding it is the name
//! the decoder reads, or the record has no top-level `eventName` string:
//! a candidate ruled out by name is never one a filter could match.
#![no_main]

use ctreplay::scan::sole_name::sole_event_name;
use libfuzzer_sys::fuzz_target;
use simd_json::prelude::*;

fuzz_target!(|data: &[u8]| {
    let Some(name) = sole_event_name(data) else {
        return;
    };
    let mut copy = data.to_vec();
    let Ok(v) = simd_json::to_borrowed_value(&mut copy) else {
        return;
    };
    let Some(top) = v.as_object().and_then(|o| o.get("eventName")) else {
        return;
    };
    if let Some(s) = top.as_str() {
        assert_eq!(s.as_bytes(), name, "the bytes and the decoder disagree");
    }
});
