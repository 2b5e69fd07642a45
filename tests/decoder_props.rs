//! Property tests for the decoder (the fuzzing of this issue: cargo-fuzz
//! needs a nightly toolchain, which this project's machines do not have).
//!
//! 1. The splitter finds exactly the records serde_json finds, whatever the
//!    content of the strings and however the bytes are cut into blocks.
//! 2. Arbitrary and mutated input, gzipped or not, never panics and always
//!    ends in either a clean scan or a reported error.

use proptest::prelude::*;
use serde_json::{json, Value};

use ctreplay::scan::{run_bytes, Detector, ScanOptions};

/// Small caps keep hostile cases fast.
fn opts() -> ScanOptions {
    ScanOptions {
        max_inflated: 1 << 24,
        max_record: 1 << 20,
        threads: 1,
        ..ScanOptions::default()
    }
}

/// Strings rich in the characters that trip structural scanners.
fn tricky_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(",".to_string()),
            Just("\u{1b}".to_string()),
            Just("é".to_string()),
            Just("CreateSecurityGroup".to_string()),
            "[a-z]{1,8}",
        ],
        0..12,
    )
    .prop_map(|v| v.concat())
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(tricky_string(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn records() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(
        (value(), prop::bool::ANY).prop_map(|(v, sg)| {
            let mut rec = json!({"payload": v, "eventTime": "2026-11-02T10:00:00Z"});
            rec["eventName"] = json!(if sg {
                "AuthorizeSecurityGroupIngress"
            } else {
                "GetObject"
            });
            rec
        }),
        0..20,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn splitter_agrees_with_serde_json(recs in records(), pretty in any::<bool>()) {
        let doc = json!({ "Records": recs });
        let bytes = if pretty { serde_json::to_vec_pretty(&doc).unwrap() } else { serde_json::to_vec(&doc).unwrap() };
        let r = run_bytes("x.json", bytes.clone(), &Detector::security_group_changes(), &opts());
        prop_assert!(r.totals.errors.is_empty(), "{:?}", r.totals.errors);
        prop_assert_eq!(r.totals.records_scanned, recs.len() as u64);
        let want = recs.iter().filter(|r| r["eventName"] == "AuthorizeSecurityGroupIngress").count();
        prop_assert_eq!(r.events.len(), want as u64);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000), gz in any::<bool>()) {
        let name = if gz { "x.json.gz" } else { "x.json" };
        let r = run_bytes(name, bytes.clone(), &Detector::security_group_changes(), &opts());
        prop_assert!(r.totals.objects_failed + r.totals.objects_scanned <= 1);
    }

    #[test]
    fn mutated_documents_never_panic(recs in records(), cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), gz in any::<bool>()) {
        let mut bytes = serde_json::to_vec(&json!({ "Records": recs })).unwrap();
        if gz {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&bytes).unwrap();
            bytes = e.finish().unwrap();
        }
        for (i, b) in &cuts {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        let name = if gz { "x.json.gz" } else { "x.json" };
        let r = run_bytes(name, bytes.clone(), &Detector::security_group_changes(), &opts());
        // Either everything was read, or the failure is reported.
        prop_assert!(r.totals.objects_scanned == 1 || !r.totals.errors.is_empty());
    }
}
