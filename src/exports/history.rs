//! `aws cloudwatch describe-alarm-history` (`docs/exports.md#describe-alarm-history`).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{parse_pages, read_bytes, ExportError};
use crate::alarm::State;

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(rename = "AlarmHistoryItems")]
    items: Vec<RawItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawItem {
    alarm_name: String,
    #[serde(deserialize_with = "crate::time::deserialize_export")]
    timestamp: DateTime<Utc>,
    history_item_type: String,
    #[serde(default)]
    history_summary: String,
    #[serde(default)]
    history_data: Option<String>,
}

/// One history item, with what ctreplay uses of its `HistoryData`.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `AlarmName`.
    pub alarm: String,
    /// `Timestamp`, UTC.
    pub time: DateTime<Utc>,
    /// What happened.
    pub kind: Kind,
    /// `HistorySummary`.
    pub summary: String,
}

/// The history item types ctreplay reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `StateUpdate`: a transition.
    StateUpdate {
        /// Old state, when known.
        from: Option<State>,
        /// New state.
        to: State,
    },
    /// `Action`: an action ran (or failed).
    Action {
        /// Whether it succeeded.
        succeeded: bool,
        /// The action's target (SNS topic ARN), when known.
        target: Option<String>,
    },
    /// `ConfigurationUpdate`.
    Configuration,
    /// Anything else (contributor items, future types).
    Other,
}

fn state_update(summary: &str, data: Option<&str>) -> Option<Kind> {
    // HistoryData may be truncated (4095 characters): fall back to the
    // summary "Alarm updated from OK to ALARM".
    let parsed: Option<serde_json::Value> = data.and_then(|d| serde_json::from_str(d).ok());
    let state = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v[k]["stateValue"].as_str())
            .and_then(State::parse)
    };
    let (mut from, mut to) = (state("oldState"), state("newState"));
    if to.is_none() {
        let rest = summary.strip_prefix("Alarm updated from ")?;
        let (a, b) = rest.split_once(" to ")?;
        from = State::parse(a.trim());
        to = State::parse(b.trim());
    }
    Some(Kind::StateUpdate { from, to: to? })
}

fn action(summary: &str, data: Option<&str>) -> Kind {
    let parsed: Option<serde_json::Value> = data.and_then(|d| serde_json::from_str(d).ok());
    let state = parsed
        .as_ref()
        .and_then(|v| v["actionState"].as_str().map(str::to_owned));
    let succeeded = match state.as_deref() {
        Some(s) => s == "Succeeded",
        None => summary.starts_with("Successfully executed action"),
    };
    let target = parsed
        .as_ref()
        .and_then(|v| v["notificationResource"].as_str().map(str::to_owned))
        .or_else(|| {
            summary
                .split_whitespace()
                .find(|w| w.starts_with("arn:"))
                .map(|w| w.trim_end_matches(['.', ',']).to_owned())
        });
    Kind::Action { succeeded, target }
}

/// Read every item of a `describe-alarm-history` export, sorted by time
/// (StateUpdate before Action at the same instant).
pub fn read(file: &Path) -> Result<Vec<Item>, ExportError> {
    parse(file, &read_bytes(file)?)
}

/// As [`read`], of `bytes` read from `file`.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<Vec<Item>, ExportError> {
    let pages: Vec<Page> = parse_pages(file, bytes)?;
    let mut out = Vec::new();
    for (i, raw) in pages.into_iter().flat_map(|p| p.items).enumerate() {
        let data = raw.history_data.as_deref();
        let kind = match raw.history_item_type.as_str() {
            "StateUpdate" => state_update(&raw.history_summary, data).ok_or_else(|| {
                ExportError::new(
                    file,
                    format!("AlarmHistoryItems[{i}]"),
                    "a StateUpdate item whose new state cannot be read from HistoryData or HistorySummary",
                )
            })?,
            "Action" => action(&raw.history_summary, data),
            "ConfigurationUpdate" => Kind::Configuration,
            _ => Kind::Other,
        };
        out.push(Item {
            alarm: raw.alarm_name,
            time: raw.timestamp,
            kind,
            summary: raw.history_summary,
        });
    }
    sort(&mut out);
    Ok(out)
}

/// Sort items by time, a configuration change before the transition it
/// causes and a transition before its action (stable: equal items keep
/// their order).
pub fn sort(items: &mut [Item]) {
    let rank = |k: &Kind| match k {
        Kind::Configuration => 0,
        Kind::StateUpdate { .. } => 1,
        Kind::Action { .. } => 2,
        Kind::Other => 3,
    };
    items.sort_by(|a, b| a.time.cmp(&b.time).then(rank(&a.kind).cmp(&rank(&b.kind))));
}
