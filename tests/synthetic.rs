//! Generated trails: exact agreement with the manifest, and byte-identical
//! output at any thread count.

use serde_json::Value;

use crate::util::*;

fn synth(dir: &std::path::Path, size: &str, seed: &str) -> Value {
    let out = ctreplay(&[
        "synth",
        "--out",
        dir.to_str().unwrap(),
        "--size",
        size,
        "--seed",
        seed,
        "--largest",
        "3MB",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn ids(list: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["eventTime"].as_str().unwrap().to_owned(),
                e["eventID"].as_str().unwrap().to_owned(),
                e["eventName"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn scan_agrees_with_the_manifest_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let m = synth(dir.path(), "25MB", "11");
    let (v, code) = scan_json(&[dir.path().join("AWSLogs").to_str().unwrap()]);
    assert_eq!(code, 0, "{}", v["errors"]);
    let s = &v["summary"];
    assert_eq!(s["records_scanned"], m["records"]);
    assert_eq!(s["objects_scanned"], m["objects"]);
    assert_eq!(s["objects_skipped_by_reason"]["digest"], m["digests"]);
    assert_eq!(
        s["objects_skipped_by_reason"]["digest_signature"],
        m["digest_sidecars"]
    );
    assert_eq!(s["bytes_inflated"], m["bytes_inflated"]);
    assert_eq!(ids(&v["events"]), ids(&m["matched"]));
    assert_eq!(ids(&v["blind_spots"]), ids(&m["blind_spots"]));
    assert_eq!(s["duplicates_dropped"], m["duplicates"]);
    assert!(m["decoys"].as_u64().unwrap() > 0);
    let failed = m["matched"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["failed"] == true)
        .count();
    assert_eq!(s["matched_failed_calls"].as_u64().unwrap() as usize, failed);
    // The organization trail's accounts are found under AWSLogs/o-.../
    assert!(s["matched_by_account"].as_object().unwrap().len() >= 3);
}

#[test]
fn output_is_byte_identical_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "12MB", "5");
    let path = dir.path().join("AWSLogs");
    let run = |threads: &str, format: &str| {
        let out = ctreplay(&[
            "scan",
            "-q",
            "-j",
            threads,
            "-f",
            format,
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success());
        out.stdout
    };
    for format in ["json", "ndjson", "csv", "text"] {
        let one = run("1", format);
        assert!(!one.is_empty());
        assert_eq!(
            one,
            run("2", format),
            "{format} differs between 1 and 2 threads"
        );
        assert_eq!(
            one,
            run("7", format),
            "{format} differs between 1 and 7 threads"
        );
    }
}

#[test]
fn spilled_output_is_byte_identical_to_the_in_memory_output() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "6MB", "3");
    let path = dir.path().join("AWSLogs");
    // Every record matches: the most a scan can hold.
    let run = |threads: &str, budget: &str, format: &str| {
        let out = ctreplay(&[
            "scan",
            "-j",
            threads,
            "--max-memory",
            budget,
            "--pattern",
            "{ $.eventID = * || $.eventID NOT EXISTS }",
            "-f",
            format,
            path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let spilled = String::from_utf8_lossy(&out.stderr).contains("merged from temporary files");
        (out.stdout, spilled)
    };
    for format in ["json", "ndjson", "csv", "text"] {
        let (memory, spilled) = run("1", "1GiB", format);
        assert!(!spilled, "a 1 GiB budget holds a 6 MB trail");
        assert!(memory.len() > 100_000, "{format}: every record is reported");
        for (threads, budget) in [("1", "4KiB"), ("2", "1"), ("3", "300KiB")] {
            let (spill, spilled) = run(threads, budget, format);
            assert!(spilled, "{format}: {budget} on {threads} threads spills");
            assert!(
                spill == memory,
                "{format}: {budget} on {threads} threads differs from the in-memory output"
            );
        }
    }
}

#[test]
fn synth_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ma = synth(a.path(), "3MB", "9");
    let mb = synth(b.path(), "3MB", "9");
    assert_eq!(ma, mb);
    let mc = synth(tempfile::tempdir().unwrap().path(), "3MB", "10");
    assert_ne!(ma["matched"], mc["matched"]);
}

/// The same trail with every object stored as two gzip members (which the
/// whole-object libdeflate path leaves to the streaming inflater) gives
/// the same report: events, blind spots, coverage spans and counts; only
/// the stored byte counts differ.
#[test]
fn whole_and_streamed_objects_give_the_same_report() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    synth(&dir.path().join("one"), "12MB", "9");
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let mut streamed = 0;
    for (key, stored) in files_under(&one.join("AWSLogs")) {
        if !key.ends_with(".json.gz") {
            let dest = two.join("AWSLogs").join(key);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(&dest, stored).unwrap();
            continue;
        }
        let mut json = Vec::new();
        flate2::read::MultiGzDecoder::new(&stored[..])
            .read_to_end(&mut json)
            .unwrap();
        let (first, second) = json.split_at(json.len() / 2);
        let mut out = gzip(first);
        out.extend(gzip(second));
        let dest = two.join("AWSLogs").join(key);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, out).unwrap();
        streamed += 1;
    }
    assert!(streamed > 10);
    let report = |root: &std::path::Path| {
        let (mut v, code) = scan_json(&[root.join("AWSLogs").to_str().unwrap()]);
        assert_eq!(code, 0, "{}", v["errors"]);
        v["summary"]
            .as_object_mut()
            .unwrap()
            .remove("bytes_stored")
            .expect("bytes_stored is reported");
        v.to_string().replace(root.to_str().unwrap(), "ROOT")
    };
    let (a, b) = (report(&one), report(&two));
    assert!(a.contains("\"events\":[{"), "the trail has events");
    assert_eq!(a, b);
}

/// The prefilter and the rule that drops candidates by name lose nothing:
/// `--validate` decodes every record, and finds the same events and blind
/// spots, having decoded more.
#[test]
fn prefiltering_and_ruling_out_by_name_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "12MB", "13");
    let path = dir.path().join("AWSLogs");
    let (fast, code) = scan_json(&[path.to_str().unwrap()]);
    assert_eq!(code, 0, "{}", fast["errors"]);
    let (all, code) = scan_json(&["--validate", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{}", all["errors"]);
    assert_eq!(fast["events"], all["events"]);
    assert_eq!(fast["blind_spots"], all["blind_spots"]);
    let decoded = |v: &serde_json::Value| v["summary"]["records_decoded"].as_u64().unwrap();
    assert_eq!(
        decoded(&all),
        all["summary"]["records_scanned"].as_u64().unwrap()
    );
    assert!(
        decoded(&fast) * 20 < decoded(&all),
        "{} of {}",
        decoded(&fast),
        decoded(&all)
    );
}
