//! The recommended alarm, roughly: which 300-second periods breach and how
//! many ALARM notifications that gives.
//!
//! The CIS alarm is Sum over 300 s, `>= 1`, 1 of 1 evaluation periods, no
//! default value (domain.md 3.6). Every period holding at least one matched
//! event breaches. An alarm already in ALARM sends nothing for the next
//! breach (actions run on transitions only), and it stays in ALARM while a
//! breaching datapoint is inside its *evaluation range*, which CloudWatch
//! makes longer than the one evaluated period: 5 periods is what the domain
//! notes recommend, UNCONFIRMED. `notifications` uses that range;
//! `notifications_max` assumes the alarm leaves ALARM after one quiet period.
//!
//! Datapoints are placed at eventTime here. The real metric is stamped at
//! delivery to CloudWatch Logs, minutes later (domain.md 2.3); the full
//! replay with delivery delay belongs to `ctreplay audit`.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::record::Event;

/// Alarm period length in seconds.
pub const PERIOD: i64 = 300;

/// Evaluation range, in periods, assumed for `notifications`.
pub const EVALUATION_RANGE: i64 = 5;

/// One breaching period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Breach {
    /// Period start (UTC).
    #[serde(serialize_with = "crate::record::ser_time")]
    pub start: DateTime<Utc>,
    /// Period end, exclusive.
    #[serde(serialize_with = "crate::record::ser_time")]
    pub end: DateTime<Utc>,
    /// Sum of the metric in the period (matched events).
    pub sum: u64,
    /// Whether the alarm sends an ALARM notification at this period
    /// (under the `EVALUATION_RANGE` assumption).
    pub notifies: bool,
}

/// The periods and notification counts of one filter's metric.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AlarmPeriods {
    /// The filter whose matches make the metric.
    pub filter: String,
    /// Always 300.
    pub period_seconds: i64,
    /// Assumed evaluation range in periods.
    pub evaluation_range_periods: i64,
    /// Breaching periods, in time order.
    pub breaching: Vec<Breach>,
    /// ALARM notifications under the evaluation-range assumption.
    pub notifications: u64,
    /// ALARM notifications if the alarm left ALARM after one quiet period.
    pub notifications_max: u64,
}

/// Periods from the matched events of `filter` (sorted by time or not).
pub fn alarm_periods(filter: &str, events: &[Event]) -> AlarmPeriods {
    let mut idx: Vec<i64> = events
        .iter()
        .filter(|e| e.filters.iter().any(|f| f == filter))
        .map(|e| e.time.timestamp().div_euclid(PERIOD))
        .collect();
    idx.sort_unstable();
    let mut breaching: Vec<Breach> = Vec::new();
    let mut last: Option<i64> = None;
    let (mut notifications, mut notifications_max) = (0, 0);
    for p in idx {
        if last == Some(p) {
            breaching.last_mut().expect("pushed with last").sum += 1;
            continue;
        }
        let notifies = last.is_none_or(|l| p - l >= EVALUATION_RANGE);
        notifications += notifies as u64;
        notifications_max += last.is_none_or(|l| p - l > 1) as u64;
        let start = Utc.timestamp_opt(p * PERIOD, 0).single().expect("in range");
        breaching.push(Breach {
            start,
            end: start + chrono::Duration::seconds(PERIOD),
            sum: 1,
            notifies,
        });
        last = Some(p);
    }
    AlarmPeriods {
        filter: filter.to_owned(),
        period_seconds: PERIOD,
        evaluation_range_periods: EVALUATION_RANGE,
        breaching,
        notifications,
        notifications_max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: &str) -> Event {
        Event {
            time: DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc),
            name: String::new(),
            id: String::new(),
            source: String::new(),
            region: String::new(),
            account: String::new(),
            actor: String::new(),
            actor_type: String::new(),
            invoked_by: None,
            source_ip: String::new(),
            user_agent: String::new(),
            group_ids: vec![],
            group_names: vec![],
            error_code: None,
            error_message: None,
            object: String::new(),
            record: 0,
            filters: vec!["f".into()],
            request: None,
            why_unseen: None,
        }
    }

    #[test]
    fn bursts_merge_inside_the_evaluation_range() {
        let p = alarm_periods(
            "f",
            &[
                ev("2023-07-10T12:10:01Z"),
                ev("2023-07-10T12:14:59Z"),
                ev("2023-07-10T12:15:00Z"), // next period: still ALARM
                ev("2023-07-10T12:30:00Z"), // 3 periods later: within range 5
                ev("2023-07-10T13:00:00Z"), // 6 periods later: notifies again
            ],
        );
        assert_eq!(p.breaching.len(), 4);
        assert_eq!(p.breaching[0].sum, 2);
        assert_eq!(p.notifications, 2);
        assert_eq!(p.notifications_max, 3);
        assert_eq!(alarm_periods("f", &[]).notifications, 0);
    }
}
