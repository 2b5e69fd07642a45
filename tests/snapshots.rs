//! Snapshots of every report on the bundled sample trail, so a change to
//! any output format shows up in review as a diff of `tests/snapshots/`.
//!
//! Paths are given relative to the repository root (the binary runs
//! there), so the snapshots hold no machine-specific paths. Update with
//! `INSTA_UPDATE=always cargo test snapshots` and review the diff.

use std::path::Path;

use assert_cmd::Command;

/// Run `ctreplay` in the repository root; stdout and the exit code.
fn run(args: &[&str]) -> (String, i32) {
    let out = Command::cargo_bin("ctreplay")
        .expect("binary built")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .expect("binary runs");
    (
        String::from_utf8(out.stdout).expect("reports are UTF-8"),
        out.status.code().expect("exited"),
    )
}

const SAMPLE: &str = "testdata/sample";
const FILTERS: &str = "testdata/exports/audit/metric-filters.json";
const ALARMS: &str = "testdata/exports/audit/alarms.json";
const HISTORY: &str = "testdata/exports/audit/history-caught.json";

macro_rules! snapshot {
    ($name:ident, $code:expr, [$($arg:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let (out, code) = run(&[$($arg),*]);
            assert_eq!(code, $code, "exit code of {}", stringify!($name));
            insta::assert_snapshot!(stringify!($name), out);
        }
    };
}

/// The audit of the sample with its exports, in `$format`.
macro_rules! exports_snapshot {
    ($name:ident, $format:expr) => {
        snapshot!(
            $name,
            0,
            [
                "audit",
                "-q",
                "--format",
                $format,
                SAMPLE,
                "--metric-filters",
                FILTERS,
                "--alarms",
                ALARMS,
                "--history",
                HISTORY
            ]
        );
    };
}

snapshot!(scan_text, 0, ["scan", "-q", SAMPLE]);
snapshot!(scan_json, 0, ["scan", "-q", "--format", "json", SAMPLE]);
snapshot!(scan_csv, 0, ["scan", "-q", "--format", "csv", SAMPLE]);
snapshot!(scan_ndjson, 0, ["scan", "-q", "--format", "ndjson", SAMPLE]);
snapshot!(audit_recommended_text, 0, ["audit", "-q", SAMPLE]);
snapshot!(
    audit_exports_text,
    0,
    [
        "audit",
        "-q",
        SAMPLE,
        "--metric-filters",
        FILTERS,
        "--alarms",
        ALARMS,
        "--history",
        HISTORY
    ]
);
exports_snapshot!(audit_exports_json, "json");
snapshot!(scan_html, 0, ["scan", "-q", "--format", "html", SAMPLE]);
exports_snapshot!(audit_exports_html, "html");
exports_snapshot!(audit_exports_csv, "csv");
exports_snapshot!(audit_exports_ndjson, "ndjson");
exports_snapshot!(audit_exports_ocsf, "ocsf");
exports_snapshot!(audit_exports_asff, "asff");
snapshot!(presets_cis_5_text, 0, ["presets", "cis-5.0-4.1"]);

/// The audit's text report fits one screen: at most 40 lines of a
/// 100-column terminal on the sample trail with its exports.
#[test]
fn audit_text_fits_one_screen() {
    let (out, _) = run(&[
        "audit",
        "-q",
        SAMPLE,
        "--metric-filters",
        FILTERS,
        "--alarms",
        ALARMS,
        "--history",
        HISTORY,
    ]);
    let rows: usize = out
        .lines()
        .map(|l| l.chars().count().div_ceil(100).max(1))
        .sum();
    assert!(rows <= 40, "{rows} rows at 100 columns:\n{out}");
}
