//! Command-line conventions (issue "first contact"): relative and epoch
//! times, `--output`, S3 URL spelling, region and account syntax, synth
//! into a used folder, preset search by control number.

use serde_json::Value;

use crate::util::{ctreplay, scan_json, testdata};

#[test]
fn relative_and_epoch_times_resolve_to_absolute_ones_in_the_query() {
    let sample = testdata("sample");
    let (v, code) = scan_json(&["--since", "1700000000", sample.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(v["query"]["since"], "2023-11-14T22:13:20Z");
    let (v, _) = scan_json(&["--since", "500w", "--until", "1h", sample.to_str().unwrap()]);
    let since = v["query"]["since"].as_str().unwrap();
    assert!(since.ends_with('Z') && since.len() == 20, "{since}");
    // 500 weeks back: the sample's 2023 events are in range.
    assert_eq!(v["summary"]["matched"], 8);
}

#[test]
fn output_is_an_alias_of_format() {
    let sample = testdata("sample");
    let out = ctreplay(&["scan", "-q", "--output", "json", sample.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["matched"], 8);
}

#[test]
fn mistyped_urls_regions_and_accounts_are_usage_errors() {
    for args in [
        vec!["scan", "-q", "s3:/bucket/AWSLogs/"],
        vec!["scan", "-q", "--region", "us-east-l", "x"],
        vec!["scan", "-q", "--account", "12345", "x"],
    ] {
        let out = ctreplay(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("write s3://") || err.contains("region name") || err.contains("12 digits"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn synth_refuses_a_used_folder_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let synth = |extra: &[&str]| {
        let mut args = vec!["synth", "--out", d, "--size", "1MB", "--largest", "256KB"];
        args.extend_from_slice(extra);
        ctreplay(&args)
    };
    assert_eq!(synth(&[]).status.code(), Some(0));
    let again = synth(&["--seed", "2"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(synth(&["--seed", "2", "--force"]).status.code(), Some(0));
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["seed"], 2);
    // The old trail is gone: the scan matches the new manifest exactly.
    let (v, _) = scan_json(&[dir.path().join("AWSLogs").to_str().unwrap()]);
    assert_eq!(v["summary"]["objects_scanned"], m["objects"]);
}

#[test]
fn presets_are_found_by_control_number_across_versions() {
    let out = ctreplay(&["presets", "-f", "json", "4.10"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for want in ["cis-1.2-3.10", "cis-6.0-5.10", "securityhub-cloudwatch-10"] {
        assert!(names.contains(&want), "{want}: {names:?}");
    }
}
