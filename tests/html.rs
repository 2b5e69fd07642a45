//! The HTML reports in a real browser: Debian's chromium, headless, loads
//! each page from `file://`; the rendered DOM must show the verdict, the
//! counts and every change's row, hold no element or attribute that
//! log text planted, and reference nothing outside the page. Screenshots
//! are kept in target/test-artefacts/. Without chromium these tests fail
//! and say how to install it; they never skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::util::{ct_record, ctreplay, write_gz};

/// The attacker's strings: markup, an attribute break-out, a bidi override.
const SCRIPT: &str = "<script>alert('ua')</script>";
const BREAKOUT: &str = "\"><img src=x onerror=alert('arn')>";
const BIDI: &str = "sg-name\u{202e}txt.exe";

fn chromium() -> PathBuf {
    let bin = std::env::var_os("CTREPLAY_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("chromium"));
    let ok = Command::new(&bin)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the HTML tests need a headless browser: run `bash scripts/test.sh`, which installs Debian's \
         chromium, or `apt-get install chromium` (or set CTREPLAY_CHROMIUM to a Chromium binary)"
    );
    bin
}

/// Run chromium headless on `page` with `extra` arguments; its stdout.
fn browse(page: &Path, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A trail whose caller-chosen fields carry markup and a bidi override.
fn hostile_trail(dir: &Path) -> Vec<String> {
    let day = dir.join("AWSLogs/123837392027/CloudTrail/us-east-1/2023/07/10");
    std::fs::create_dir_all(&day).unwrap();
    let mut records = Vec::new();
    let mut ids = Vec::new();
    for (i, name) in [
        "AuthorizeSecurityGroupIngress",
        "CreateSecurityGroup",
        "ModifySecurityGroupRules",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("evil-{i}");
        let mut r = ct_record(
            &format!("2023-07-10T12:0{i}:00Z"),
            "us-east-1",
            name,
            &id,
            "ec2.amazonaws.com",
            json!({"groupId": "sg-0abc", "groupName": BIDI, "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "sgr-1"}]}}),
        );
        r["userAgent"] = json!(SCRIPT);
        r["userIdentity"]["arn"] =
            json!(format!("arn:aws:iam::123837392027:user/{BREAKOUT}{BIDI}"));
        if i == 1 {
            r["errorCode"] = json!("Client.UnauthorizedOperation");
            r["errorMessage"] = json!(SCRIPT);
        }
        records.push(r);
        ids.push(id);
    }
    write_gz(
        &day.join("123837392027_CloudTrail_us-east-1_20230710T1210Z_evil.json.gz"),
        json!({ "Records": records }).to_string().as_bytes(),
    );
    ids
}

/// Every start tag of `html` (text never holds a raw `<`: it is escaped).
fn tags(html: &str) -> Vec<&str> {
    html.match_indices('<')
        .filter_map(|(i, _)| {
            let rest = &html[i + 1..];
            rest.chars()
                .next()
                .filter(char::is_ascii_alphabetic)
                .map(|_| &rest[..rest.find('>').unwrap_or(rest.len())])
        })
        .collect()
}

/// Checks every page must pass, on its source and on the browser's DOM.
fn assert_safe_and_self_contained(html: &str, what: &str) {
    for tag in tags(html) {
        let name = tag
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            !matches!(
                name.as_str(),
                "script" | "img" | "iframe" | "object" | "embed" | "link" | "base"
            ),
            "{what}: a <{name}> element: <{tag}>"
        );
        let lower = tag.to_ascii_lowercase();
        for attr in [" src=", " href=", "xlink:href", " on", "url(", "@import"] {
            // `on` only as an attribute name start (onerror=, onload=).
            let hit = if attr == " on" {
                lower
                    .split_whitespace()
                    .skip(1)
                    .any(|a| a.starts_with("on") && a.contains('='))
            } else {
                lower.contains(attr)
            };
            assert!(!hit, "{what}: {attr:?} in <{tag}>");
        }
    }
    assert!(!html.contains('\u{202e}'), "{what}: a raw bidi override");
    assert!(!html.contains("url("), "{what}: a url() in the style");
}

fn artefact(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn the_audit_page_renders_every_change_and_no_planted_markup() {
    let dir = tempfile::tempdir().unwrap();
    let ids = hostile_trail(dir.path());
    // Exports are text someone else wrote too: the names carry markup.
    let pattern =
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = CreateSecurityGroup) }";
    let filters = dir.path().join("filters.json");
    std::fs::write(
        &filters,
        json!({"metricFilters": [{"filterName": SCRIPT, "filterPattern": pattern, "logGroupName": "g",
            "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}]}]})
        .to_string(),
    )
    .unwrap();
    let alarms = dir.path().join("alarms.json");
    std::fs::write(
        &alarms,
        json!({"MetricAlarms": [{"AlarmName": format!("alarm-{SCRIPT}"), "ActionsEnabled": true,
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123837392027:alarm:x",
            "AlarmActions": ["arn:aws:sns:us-east-1:123837392027:t"], "MetricName": "m", "Namespace": "n",
            "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold"}]})
        .to_string(),
    )
    .unwrap();
    let out = ctreplay(&[
        "audit",
        "-q",
        "-f",
        "html",
        dir.path().join("AWSLogs").to_str().unwrap(),
        "--metric-filters",
        filters.to_str().unwrap(),
        "--alarms",
        alarms.to_str().unwrap(),
    ]);
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert_safe_and_self_contained(&page, "audit source");
    // The planted strings are there, as text.
    assert!(page.contains("&lt;script&gt;alert('ua')&lt;/script&gt;"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert('arn')&gt;"));
    assert!(
        page.contains("sg-name\\u{202e}txt.exe"),
        "the override, shown"
    );

    let file = dir.path().join("audit.html");
    std::fs::write(&file, &page).unwrap();
    let dom = browse(&file, &["--dump-dom"]);
    assert_safe_and_self_contained(&dom, "audit DOM");
    assert!(dom.contains("Verdict: <strong>"), "{dom}");
    assert!(
        dom.contains("Security-group changes</th><td class=\"num\">3</td>"),
        "{dom}"
    );
    for id in &ids {
        assert!(
            dom.contains(&format!("<tr id=\"change-{id}\">")),
            "no row for {id}"
        );
    }
    assert!(dom.contains("<svg class=\"timeline\""));

    let png = artefact("audit-hostile.png");
    browse(
        &file,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
        ],
    );
    assert!(
        std::fs::metadata(&png).unwrap().len() > 10_000,
        "a screenshot"
    );
}

#[test]
fn the_scan_page_renders_every_event_and_no_planted_markup() {
    let dir = tempfile::tempdir().unwrap();
    let ids = hostile_trail(dir.path());
    let out = ctreplay(&["scan", "-q", "-f", "html", dir.path().to_str().unwrap()]);
    let page = String::from_utf8(out.stdout).unwrap();
    assert_safe_and_self_contained(&page, "scan source");
    let file = dir.path().join("scan.html");
    std::fs::write(&file, &page).unwrap();
    let dom = browse(&file, &["--dump-dom"]);
    assert_safe_and_self_contained(&dom, "scan DOM");
    // Two of the six names match; ModifySecurityGroupRules is unseen.
    assert!(dom.contains("<strong>2</strong> matched event(s)"), "{dom}");
    assert!(dom.contains("<strong>1</strong> change(s) the filter cannot see"));
    for id in &ids {
        assert!(
            dom.contains(&format!("<tr id=\"event-{id}\">")),
            "no row for {id}"
        );
    }
    let png = artefact("scan-hostile.png");
    browse(
        &file,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,1400",
        ],
    );
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}

#[test]
fn the_page_is_the_same_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    hostile_trail(dir.path());
    let path = dir.path().to_str().unwrap();
    for cmd in ["scan", "audit"] {
        let one = ctreplay(&[cmd, "-q", "-f", "html", "-j", "1", path]).stdout;
        let three = ctreplay(&[cmd, "-q", "-f", "html", "-j", "3", path]).stdout;
        assert!(!one.is_empty());
        assert_eq!(one, three, "{cmd}");
    }
}
