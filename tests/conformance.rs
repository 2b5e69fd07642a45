//! The filter-pattern conformance table in testdata/filter-patterns: every
//! case parsed and evaluated, and every expected match checked against the
//! prefilter literals the pattern yields.

use std::collections::BTreeMap;

use ctreplay::filter::Pattern;
use serde::Deserialize;

use crate::util::testdata;

#[derive(Deserialize)]
struct Table {
    events: BTreeMap<String, String>,
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    pattern: String,
    event: Option<String>,
    expect: String,
    column: Option<usize>,
    reason: Option<String>,
    source: String,
    #[serde(default)]
    unconfirmed: bool,
}

fn tables() -> Vec<(String, Table)> {
    let dir = testdata("filter-patterns");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("testdata/filter-patterns")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            let t: Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), t)
        })
        .collect()
}

/// Whether the prefilter would let `event` through for `pattern`.
fn prefilter_passes(pattern: &Pattern, event: &str) -> bool {
    let Some(need) = pattern.need() else {
        return true;
    };
    event.contains("\\u")
        || need
            .literals
            .iter()
            .any(|l| memchr::memmem::find(event.as_bytes(), l).is_some())
}

#[test]
fn every_case_in_the_conformance_table() {
    let mut failures = Vec::new();
    let mut total = 0;
    let mut unconfirmed = 0;
    for (file, table) in tables() {
        for (i, c) in table.case.iter().enumerate() {
            total += 1;
            unconfirmed += c.unconfirmed as usize;
            let at = format!("{file} case {} ({}): {:?}", i + 1, c.source, c.pattern);
            let parsed = Pattern::parse(&c.pattern);
            match (c.expect.as_str(), parsed) {
                ("invalid", Ok(_)) => failures.push(format!("{at}: parsed, expected invalid")),
                ("invalid", Err(e)) => {
                    if let Some(col) = c.column {
                        if e.column != col {
                            failures.push(format!(
                                "{at}: error at column {}, expected {col}: {e}",
                                e.column
                            ));
                        }
                    }
                    if let Some(r) = &c.reason {
                        if !e.reason.contains(r.as_str()) {
                            failures.push(format!("{at}: error {e:?} does not mention {r:?}"));
                        }
                    }
                }
                (_, Err(e)) => failures.push(format!("{at}: {e}")),
                (expect, Ok(p)) => {
                    let name = c.event.as_deref().expect("match cases name an event");
                    let event = &table.events[name];
                    let want = match expect {
                        "match" => true,
                        "no match" => false,
                        other => panic!("{at}: unknown expectation {other}"),
                    };
                    if p.matches_message(event) != want {
                        failures.push(format!("{at}: expected {expect} on {name}"));
                    }
                    if want && !prefilter_passes(&p, event) {
                        failures.push(format!("{at}: the prefilter would drop this match"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total >= 150,
        "the table must hold at least 150 cases, has {total}"
    );
    assert!(unconfirmed > 0);
}
