//! `ctreplay test-pattern`: `aws logs test-metric-filter`, offline.
//!
//! Reads sample events (one per line, or the records of a CloudTrail file)
//! and returns the matches in the API's response shape:
//! `{"matches":[{"eventNumber":1,"eventMessage":"...","extractedValues":{}}]}`.
//! Event numbers count from 1 in input order, as the API does. The API takes
//! at most 50 events per call; offline there is no such limit.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;

use crate::error::{InflateError, SplitError};
use crate::filter::Pattern;
use crate::scan::inflate::{Inflater, NameHint};
use crate::scan::split::{DocKind, Splitter};

/// The response of `TestMetricFilter`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct TestResult {
    /// The events that match, in input order.
    pub matches: Vec<TestMatch>,
}

/// One matching event.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TestMatch {
    /// 1-based position in the input.
    pub event_number: usize,
    /// The event as given.
    pub event_message: String,
    /// Values extracted by named fields; JSON patterns name none.
    pub extracted_values: BTreeMap<String, String>,
}

/// Why the sample events could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// Reading or inflating failed.
    #[error(transparent)]
    Inflate(#[from] InflateError),
    /// Not UTF-8 text.
    #[error("line {0} is not UTF-8 text")]
    NotText(usize),
}

/// Read sample events: the records of a CloudTrail document (`{"Records":
/// [...]}` or a bare array, gzipped or not), else one event per non-blank
/// line.
pub fn read_events<R: Read>(src: R, name: &str, limit: u64) -> Result<Vec<String>, SampleError> {
    let mut inflater = Inflater::new();
    let mut stream = inflater.stream(src, NameHint::from_name(name), limit);
    let mut buf = Vec::new();
    while stream.read_block(&mut buf, 1 << 20)? > 0 {}
    if let Some(records) = cloudtrail_records(&buf) {
        return Ok(records);
    }
    let mut out = Vec::new();
    for (i, line) in buf.split(|&b| b == b'\n').enumerate() {
        let line = std::str::from_utf8(line).map_err(|_| SampleError::NotText(i + 1))?;
        let line = line.trim_end_matches('\r');
        if !line.trim().is_empty() {
            out.push(line.to_owned());
        }
    }
    Ok(out)
}

fn cloudtrail_records(buf: &[u8]) -> Option<Vec<String>> {
    let mut splitter = Splitter::new(usize::MAX);
    let mut spans = Vec::new();
    splitter.feed(buf, true, &mut spans).ok()?;
    match splitter.finish() {
        Ok(DocKind::Records) => spans
            .into_iter()
            .map(|s| String::from_utf8(buf[s].to_vec()).ok())
            .collect(),
        Ok(DocKind::Digest) | Err(SplitError::Empty) | Err(_) => None,
    }
}

/// Evaluate `pattern` on each event.
pub fn test(pattern: &Pattern, events: &[String]) -> TestResult {
    TestResult {
        matches: events
            .iter()
            .enumerate()
            .filter(|(_, m)| pattern.matches_message(m))
            .map(|(i, m)| TestMatch {
                event_number: i + 1,
                event_message: m.clone(),
                extracted_values: pattern.extracted_values(m.as_bytes()).into_iter().collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_cloudtrail_files_both_work() {
        let p = Pattern::parse("{ $.eventName = CreateSecurityGroup }").unwrap();
        let lines = "{\"eventName\":\"CreateSecurityGroup\"}\nnot json\n\n{\"eventName\":\"X\"}\n";
        let ev = read_events(lines.as_bytes(), "-", 1 << 20).unwrap();
        assert_eq!(ev.len(), 3);
        let r = test(&p, &ev);
        assert_eq!(r.matches.len(), 1);
        assert_eq!(r.matches[0].event_number, 1);
        let doc = r#"{"Records":[{"eventName":"X"},{"eventName":"CreateSecurityGroup"}]}"#;
        let ev = read_events(doc.as_bytes(), "f.json", 1 << 20).unwrap();
        assert_eq!(
            ev,
            vec![
                r#"{"eventName":"X"}"#,
                r#"{"eventName":"CreateSecurityGroup"}"#
            ]
        );
        assert_eq!(test(&p, &ev).matches[0].event_number, 2);
        let json = serde_json::to_string(&test(&p, &ev)).unwrap();
        assert!(
            json.starts_with(r#"{"matches":[{"eventNumber":2,"eventMessage":"#),
            "{json}"
        );
        assert!(json.ends_with(r#""extractedValues":{}}]}"#), "{json}");
    }
}
