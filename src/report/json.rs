//! The scan's JSON document and JSON Lines outputs (schema in the README).

use std::io::{self, Write};

use serde::ser::SerializeSeq;
use serde::Serialize;

use super::{FilterEstimate, FilterInfo, Summary, View};
use crate::event::{format_time, ser_time, Event, Reading};
use crate::scan::{ErrorEntry, EventList};
use crate::scope::Scope;

/// Bumped when a key is renamed or removed, or a value changes meaning
/// (adding keys does not bump it).
/// 2: `query.pattern` became `query.filters`, `alarm_periods` a list with
/// one entry per filter.
/// 3: `alarm_periods` come from the alarm state machine (the one the
/// audit replays), not a separate period count: `notifications_max` is
/// the count with a one-period evaluation range, and `notifies` marks the
/// period of the datapoint that sent the alarm to ALARM.
pub const SCHEMA_VERSION: u32 = 3;

#[derive(Serialize)]
struct Query<'a> {
    filters: &'a [FilterInfo],
    since: Option<String>,
    until: Option<String>,
}

/// One event as written: the [`Event`] fields under CloudTrail's names,
/// with the names of the filters that matched it. Every event has every
/// key (`null`, `[]` or `false` when it has nothing there), so a reader
/// of `.events[]` sees one shape; only NDJSON's `kind` is that format's.
#[derive(Serialize)]
struct EventJson<'a> {
    /// NDJSON only: `match` or `blind_spot`, the list the line belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(rename = "eventTime", serialize_with = "ser_time")]
    time: &'a chrono::DateTime<chrono::Utc>,
    #[serde(rename = "eventName")]
    name: &'a str,
    #[serde(rename = "eventID")]
    id: &'a str,
    #[serde(rename = "eventSource")]
    source: &'a str,
    #[serde(rename = "awsRegion")]
    region: &'a str,
    #[serde(rename = "recipientAccountId")]
    account: &'a str,
    actor: &'a str,
    #[serde(rename = "actorType")]
    actor_type: &'a str,
    #[serde(rename = "invokedBy")]
    invoked_by: Option<&'a str>,
    #[serde(rename = "sourceIPAddress")]
    source_ip: &'a str,
    #[serde(rename = "userAgent")]
    user_agent: &'a str,
    #[serde(rename = "groupIds")]
    group_ids: &'a [String],
    #[serde(rename = "groupNames")]
    group_names: &'a [String],
    #[serde(rename = "errorCode")]
    error_code: Option<&'a str>,
    #[serde(rename = "errorMessage")]
    error_message: Option<&'a str>,
    object: &'a str,
    record: u64,
    filters: Vec<&'a str>,
    #[serde(rename = "requestParameters")]
    request: Option<&'a serde_json::Value>,
    #[serde(rename = "whyUnseen")]
    why_unseen: Option<&'static str>,
    /// True for records over 256 KB, which CloudTrail never sends to
    /// CloudWatch Logs.
    #[serde(rename = "notInCloudWatchLogs")]
    not_in_cloudwatch_logs: bool,
    /// Set only for records read with a caveat (repeated keys, numbers
    /// beyond a double, deep nesting, invalid text).
    reading: Option<&'a Reading>,
}

impl<'a> EventJson<'a> {
    fn of(e: &'a Event, view: &View<'a>) -> Self {
        EventJson {
            kind: None,
            time: &e.time,
            name: &e.name,
            id: &e.id,
            source: &e.source,
            region: &e.region,
            account: &e.account,
            actor: &e.actor,
            actor_type: &e.actor_type,
            invoked_by: e.invoked_by.as_deref(),
            source_ip: &e.source_ip,
            user_agent: &e.user_agent,
            group_ids: &e.group_ids,
            group_names: &e.group_names,
            error_code: e.error_code.as_deref(),
            error_message: e.error_message.as_deref(),
            object: &e.object,
            record: e.record,
            filters: view.filter_names(&e.filters),
            request: e.request.as_ref(),
            why_unseen: e.why_unseen,
            not_in_cloudwatch_logs: e.too_large_for_cloudwatch_logs(),
            reading: e.reading.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct BreachJson {
    start: String,
    end: String,
    sum: u64,
    notifies: bool,
}

#[derive(Serialize)]
struct PeriodsJson<'a> {
    filter: &'a str,
    period_seconds: i64,
    evaluation_range_periods: usize,
    breaching: Vec<BreachJson>,
    notifications: u64,
    notifications_max: u64,
}

impl<'a> PeriodsJson<'a> {
    fn of(p: &'a FilterEstimate<'a>) -> Self {
        let e = &p.estimate;
        PeriodsJson {
            filter: p.filter,
            period_seconds: e.period_seconds,
            evaluation_range_periods: e.evaluation_range_periods,
            breaching: e
                .breaching
                .iter()
                .map(|b| BreachJson {
                    start: format_time(&b.start),
                    end: format_time(&b.end),
                    sum: b.sum,
                    notifies: b.notifies,
                })
                .collect(),
            notifications: e.notifications,
            notifications_max: e.notifications_max,
        }
    }
}

/// A list of events written as a JSON array as it is read, never held
/// whole (it may have spilled to disk).
struct Events<'a> {
    list: &'a EventList,
    view: &'a View<'a>,
}

impl Serialize for Events<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len = usize::try_from(self.list.len()).ok();
        let mut seq = s.serialize_seq(len)?;
        for e in self.list.iter() {
            let e = e.map_err(serde::ser::Error::custom)?;
            seq.serialize_element(&EventJson::of(&e, self.view))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    query: Query<'a>,
    scope: &'a Scope,
    summary: &'a Summary,
    events: Events<'a>,
    blind_spots: Events<'a>,
    alarm_periods: Vec<PeriodsJson<'a>>,
    errors: &'a [ErrorEntry],
}

pub(super) fn write(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let r = view.report;
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        query: Query {
            filters: &view.query.filters,
            since: view.query.since.as_ref().map(format_time),
            until: view.query.until.as_ref().map(format_time),
        },
        scope: view.scope,
        summary: &view.summary,
        events: Events {
            list: &r.events,
            view,
        },
        blind_spots: Events {
            list: &r.blind_spots,
            view,
        },
        alarm_periods: view.periods.iter().map(PeriodsJson::of).collect(),
        errors: view.errors(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// One line per matched event (`"kind":"match"`), then one per change no
/// filter matches (`"kind":"blind_spot"`), each list sorted as in the JSON.
pub(super) fn write_lines(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    for (kind, list) in [
        ("match", &view.report.events),
        ("blind_spot", &view.report.blind_spots),
    ] {
        for e in list.iter() {
            let e = e?;
            let line = EventJson {
                kind: Some(kind),
                ..EventJson::of(&e, view)
            };
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
