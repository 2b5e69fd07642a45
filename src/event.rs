//! The event ctreplay reports: one matched, blind-spot or pipeline
//! CloudTrail record, reduced to the fields the reports and the audit read,
//! and the one time format of all machine output.
//!
//! [`crate::scan::extract`] fills it from a decoded record; how it is
//! written out (key names, order, filter names) is [`crate::report`]'s.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::filter::FilterId;

/// A reported event: one matched or blind-spot CloudTrail record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `eventTime` (UTC).
    pub time: DateTime<Utc>,
    /// `eventName`.
    pub name: String,
    /// `eventID` (empty when the record has none).
    pub id: String,
    /// `eventSource`.
    pub source: String,
    /// `awsRegion`.
    pub region: String,
    /// `recipientAccountId`, or the account in the object key when absent.
    pub account: String,
    /// The account the object key names, when it names one.
    pub key_account: Option<String>,
    /// Who made the call: the identity ARN, or the best name available.
    pub actor: String,
    /// `userIdentity.type`.
    pub actor_type: String,
    /// `userIdentity.invokedBy`, set when a service acted for the caller.
    pub invoked_by: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: String,
    /// `userAgent`.
    pub user_agent: String,
    /// Security-group ids the call acted on, from request and response.
    pub group_ids: Vec<String>,
    /// Security-group names when the call named groups instead of ids.
    pub group_names: Vec<String>,
    /// `errorCode`; None when the call succeeded.
    pub error_code: Option<String>,
    /// `errorMessage`.
    pub error_message: Option<String>,
    /// File path or S3 location of the object the record came from.
    pub object: String,
    /// Zero-based position of the record in its object.
    pub record: u64,
    /// The record's size in bytes, as stored in the log file.
    pub record_bytes: u64,
    /// The filters that match it (empty for blind spots and pipeline
    /// changes), in the scan's filter order.
    pub filters: Vec<FilterId>,
    /// For filters whose metric value is a field: the number it held
    /// (None: absent or not a number), by filter.
    pub values: Vec<(FilterId, Option<f64>)>,
    /// For pipeline changes: `requestParameters` as recorded.
    pub request: Option<serde_json::Value>,
    /// For blind spots: what the change does (no filter matches it).
    pub why_unseen: Option<&'static str>,
    /// How the record was read, when JSON left a choice or the fast
    /// decoder refused it (boxed: almost every event has none).
    pub reading: Option<Box<Reading>>,
}

/// How a record was read where the fast decoder refused it or JSON left a
/// choice (`docs/filter-patterns.md#duplicate-keys`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reading {
    /// Keys repeated in one object, by path (at most eight).
    pub repeated_keys: Vec<String>,
    /// Whether the readings of those keys disagree on what the record is:
    /// it is reported as the reading that matches, and how CloudWatch Logs
    /// reads repeated keys is undocumented.
    pub match_depends_on_reading: bool,
    /// A number beyond the range of a double, read as ±infinity.
    pub numbers_out_of_range: bool,
    /// Nesting deeper than 1,024 levels, read as null (no filter selector
    /// reaches that deep).
    pub nesting_cut: bool,
    /// Invalid UTF-8 or a lone surrogate escape, read as U+FFFD.
    pub lossy_text: bool,
    /// The filters that match some readings of the repeated keys but not
    /// all: a metric from them rests on CloudWatch Logs' reading.
    #[serde(skip)]
    pub unsure: Vec<FilterId>,
}

impl Reading {
    /// What a reviewer should know, in words.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.repeated_keys.is_empty() {
            parts.push(format!(
                "repeats the keys {}{}",
                self.repeated_keys.join(", "),
                if self.match_depends_on_reading {
                    " and matches under one reading of them but not another (how CloudWatch Logs reads repeated keys is undocumented)"
                } else {
                    " (every reading classifies it the same)"
                }
            ));
        }
        if self.numbers_out_of_range {
            parts.push("holds a number beyond a double's range, read as infinity".into());
        }
        if self.nesting_cut {
            parts.push("nests deeper than 1,024 levels, read as null there".into());
        }
        if self.lossy_text {
            parts.push("holds invalid UTF-8 or a lone surrogate, read as U+FFFD".into());
        }
        if parts.is_empty() {
            parts.push("was refused by the fast decoder and read exactly".into());
        }
        parts.join("; ")
    }
}

/// The largest event CloudTrail sends to CloudWatch Logs: 256 KB
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-alarms-for-cloudtrail.html>;
/// `docs/metric-and-alarm.md` CT5). A larger record is in the S3 log file
/// but no metric filter ever sees it.
pub const CLOUDWATCH_LOGS_MAX_EVENT: u64 = 256 * 1024;

impl Event {
    /// Whether CloudTrail never delivered it to CloudWatch Logs.
    pub fn too_large_for_cloudwatch_logs(&self) -> bool {
        self.record_bytes > CLOUDWATCH_LOGS_MAX_EVENT
    }
}

/// The one timestamp format of all machine output.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Serde helper: a time in [`format_time`]'s format.
pub fn ser_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(t))
}

/// Serde helper: an optional time in [`format_time`]'s format, or null.
pub fn ser_opt_time<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_time(t)),
        None => s.serialize_none(),
    }
}
