//! Command-line conventions (issue "first contact"): relative and epoch
//! times, `--output`, S3 URL spelling, region and account syntax, synth
//! into a used folder, preset search by control number; on a terminal
//! (a pseudo-terminal from `script`), tables fitted to its width and
//! colours, and the JSON events' one shape.

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
    // The text report says the range it used, absolute and in UTC.
    let text = ctreplay(&[
        "scan",
        "-q",
        "--since",
        "1700000000",
        sample.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(
            "range: eventTime from 2023-11-14T22:13:20Z (inclusive) to the last record, UTC"
        ),
        "{text}"
    );
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
        vec!["scan", "-q", "--bucket-region", "us-east-l", "s3://b/x"],
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

/// Run ctreplay under a pseudo-terminal (`script`, util-linux's, in
/// Debian's essential bsdutils) with these environment settings: stdout
/// is a terminal, as for a person at one.
fn on_terminal(env: &str, args: &[&str]) -> String {
    let bin = assert_cmd::cargo::cargo_bin("ctreplay");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let command = format!("env {env} '{}' {}", bin.display(), quoted.join(" "));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .expect("script (util-linux, Debian's bsdutils) must be installed: it gives the test a terminal");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

/// `text` without its colour codes.
fn plain(text: &str) -> String {
    let codes = regex::Regex::new("\u{1b}\\[[0-9;]*m").unwrap();
    codes.replace_all(text, "").into_owned()
}

/// Whether every line fits `cols` columns, but for a line that is one word
/// (a pattern, a key) too long for any line, which is kept whole.
fn fits(text: &str, cols: usize) -> bool {
    plain(text)
        .lines()
        .all(|l| unicode_width::UnicodeWidthStr::width(l) <= cols || !l.trim().contains(' '))
}

/// The widest line, in terminal columns, with colour codes left out.
fn widest(text: &str) -> usize {
    plain(text)
        .lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

/// The sample's exports: filters, alarms, and a history where the alarm
/// never fired.
const EXPORTS: [&str; 6] = [
    "--metric-filters",
    "testdata/exports/audit/metric-filters.json",
    "--alarms",
    "testdata/exports/audit/alarms.json",
    "--history",
    "testdata/exports/audit/history-missed.json",
];

#[test]
fn text_reports_fit_a_terminal_and_keep_full_rows_when_piped() {
    let sample = testdata("sample");
    let s = sample.to_str().unwrap();
    let mut audit = vec!["audit", "-q", s];
    audit.extend_from_slice(&EXPORTS[..4]);
    for cols in [80usize, 120] {
        let scan = on_terminal(&format!("COLUMNS={cols} TERM=xterm"), &["scan", "-q", s]);
        assert!(scan.contains("Events the filter matches: 8"), "{scan}");
        assert!(fits(&scan, cols), "{cols}:\n{scan}");
        let a = on_terminal(&format!("COLUMNS={cols} TERM=xterm"), &audit);
        assert!(a.contains("Verdict:"), "{a}");
        assert!(fits(&a, cols), "{cols}:\n{a}");
        let p = on_terminal(&format!("COLUMNS={cols}"), &["presets"]);
        assert!(p.contains("security-group-changes"), "{p}");
        assert!(fits(&p, cols), "{cols}:\n{p}");
    }
    // At 80 columns the table leaves out what every row repeats, and says so.
    let narrow = on_terminal("COLUMNS=80", &["scan", "-q", s]);
    assert!(
        narrow.contains("(in every row: account 123837392027"),
        "{narrow}"
    );
    // --wide, and piped output, keep every row whole.
    let wide = on_terminal("COLUMNS=80", &["scan", "-q", "--wide", s]);
    let piped = String::from_utf8(ctreplay(&["scan", "-q", s]).stdout).unwrap();
    for full in [&wide, &piped] {
        assert!(widest(full) > 120, "{full}");
        assert!(plain(full).contains("sg-04cfb7a4712d75b00  Client.InvalidPermission.NotFound"));
        assert!(!full.contains('…'));
    }
}

/// A table with varying source IPs (a synthetic trail) at 80 columns: the
/// repeated account and region are said above it, the source IP column is
/// left out (the first in the drop order) and the line says so.
#[test]
fn a_column_is_left_out_to_fit_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().to_str().unwrap();
    let out = ctreplay(&["synth", "--out", trail, "--size", "2MB", "--seed", "4"]);
    assert!(out.status.success());
    let text = on_terminal("COLUMNS=80", &["scan", "-q", trail]);
    assert!(
        text.contains("(left out to fit the terminal: source ip; --wide shows every column)"),
        "{text}"
    );
    assert!(!plain(&text).contains("SOURCE IP"), "{text}");
    assert!(fits(&text, 80), "{text}");
    let wide = on_terminal("COLUMNS=80", &["scan", "-q", "--wide", trail]);
    assert!(plain(&wide).contains("SOURCE IP"), "{wide}");
}

#[test]
fn colours_on_a_terminal_unless_no_color_or_never() {
    let sample = testdata("sample");
    let s = sample.to_str().unwrap();
    let mut base = vec!["audit", "-q", s];
    base.extend_from_slice(&EXPORTS);
    let audit = |env: &str, extra: &[&str]| {
        let mut args = base.clone();
        args.extend_from_slice(extra);
        on_terminal(env, &args)
    };
    let esc = '\u{1b}';
    let coloured = audit("TERM=xterm", &[]);
    // The verdict and the failing controls in red.
    assert!(coloured.contains("\u{1b}[1m\u{1b}[31mFAIL"), "{coloured}");
    assert!(!audit("TERM=xterm NO_COLOR=1", &[]).contains(esc));
    assert!(!audit("TERM=dumb", &[]).contains(esc));
    assert!(!audit("TERM=xterm", &["--color", "never"]).contains(esc));
    // Piped: none, unless asked for; machine formats never.
    assert!(!String::from_utf8_lossy(&ctreplay(&base).stdout).contains(esc));
    let mut always = base.clone();
    always.extend(["--color", "always"]);
    let asked = ctreplay(&always);
    assert!(String::from_utf8_lossy(&asked.stdout).contains(esc));
    // clap's help follows --color and NO_COLOR too.
    assert!(on_terminal("TERM=xterm", &["scan", "--help"]).contains(esc));
    assert!(!on_terminal("TERM=xterm", &["scan", "--help", "--color", "never"]).contains(esc));
    assert!(!on_terminal("TERM=xterm NO_COLOR=1", &["scan", "--help"]).contains(esc));
    let json = on_terminal(
        "TERM=xterm",
        &["scan", "-q", "-f", "json", "--color", "always", s],
    );
    assert!(!json.contains(esc));
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["matched"], 8);
}

#[test]
fn every_json_event_has_every_key() {
    let sample = testdata("sample");
    let (v, _) = scan_json(&[sample.to_str().unwrap()]);
    let events = v["events"].as_array().unwrap();
    let keys = |e: &Value| e.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let first = keys(&events[0]);
    assert!(first.contains(&"invokedBy".to_owned()) && first.contains(&"reading".to_owned()));
    for e in events {
        assert_eq!(keys(e), first);
    }
    // Absent is null, not left out: the succeeded calls' errorMessage.
    assert!(events.iter().any(|e| e["errorMessage"].is_null()));
}
