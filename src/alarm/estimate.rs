//! The scan's quick estimate of the recommended alarm on one filter's
//! matches: which 300-second periods breach, and how many ALARM
//! notifications the state machine sends for them.
//!
//! It runs the same [`machine`](super::machine) as the audit, with the rule
//! it is given (the scan gives the recommended one, `crate::cis::ALARM`:
//! Sum over 300 s, `>= 1`, 1 of 1, missing data left missing). Two things
//! make it an estimate, and the
//! audit the real replay:
//! - datapoints are placed at eventTime; the real metric is stamped at
//!   delivery to CloudWatch Logs, minutes later (`docs/metric-and-alarm.md`,
//!   "Delivery to CloudWatch Logs");
//! - the evaluation range is not published by AWS. `notifications` uses the
//!   range ctreplay assumes ([`Rule::default_range`], 5 periods for the CIS
//!   alarm); `notifications_max` replays with a range of one period, the
//!   shortest the alarm could have, so it leaves ALARM as soon as a period
//!   passes without data and notifies again sooner.
//!
//! Breaching periods are shown aligned to the epoch (00:00, 00:05, ...),
//! as a metric graph shows them; the machine itself evaluates every minute
//! over a sliding window, so a burst that straddles a period boundary
//! appears as two breaching periods and one notification.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use super::machine;
use super::{Rule, Series, State};

/// One breaching period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// Period start (UTC).
    pub start: DateTime<Utc>,
    /// Period end, exclusive.
    pub end: DateTime<Utc>,
    /// Sum of the metric in the period (matched events).
    pub sum: u64,
    /// Whether an ALARM notification is sent for a datapoint in this period
    /// (under the assumed evaluation range).
    pub notifies: bool,
}

/// The estimate for one filter's metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// The alarm's period, seconds.
    pub period_seconds: i64,
    /// The evaluation range assumed for `notifications`, in periods.
    pub evaluation_range_periods: usize,
    /// Breaching periods, in time order.
    pub breaching: Vec<Breach>,
    /// ALARM notifications under the assumed evaluation range.
    pub notifications: u64,
    /// ALARM notifications with the shortest possible range (one period).
    pub notifications_max: u64,
}

/// Epoch seconds to a time; out-of-range values clamp to the epoch, which
/// no CloudTrail event has.
fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// The datapoint minutes (epoch seconds) whose arrival sends the alarm to
/// ALARM under `rule`.
fn alarm_minutes(rule: &Rule, series: &Series) -> Vec<i64> {
    let (Some(first), Some(last)) = (series.minutes().next(), series.minutes().last()) else {
        return Vec::new();
    };
    let reach = rule.range.max(rule.evaluation_periods) as i64 * rule.period;
    machine::run(rule, series, first, last + reach + 120)
        .into_iter()
        .filter(|t| t.to == State::Alarm)
        // The newest datapoint the evaluation at `t` saw is in the minute
        // before it: that datapoint is the one that notified.
        .filter_map(|t| series.last_minute_before(t.at))
        .collect()
}

/// Estimate the alarm `rule` (the recommended one, for the scan) over
/// matched events at `times` (epoch seconds, in any order), each publishing
/// `value`.
pub fn estimate(times: &[i64], rule: &Rule, value: f64) -> Estimate {
    let mut tally = Tally::new(rule.period, value);
    times.iter().for_each(|&t| tally.add(t));
    tally.finish(rule)
}

/// The matched events of one filter, counted as they stream past: per
/// minute and per period, so it holds no more than the minutes with data.
#[derive(Debug, Clone)]
pub struct Tally {
    series: Series,
    periods: BTreeMap<i64, u64>,
    period: i64,
    value: f64,
}

impl Tally {
    /// An empty tally for an alarm of `period` seconds on a metric whose
    /// every match publishes `value`.
    pub fn new(period: i64, value: f64) -> Tally {
        Tally {
            series: Series::default(),
            periods: BTreeMap::new(),
            period: period.max(1),
            value,
        }
    }

    /// Count one matched event at `t` (epoch seconds).
    pub fn add(&mut self, t: i64) {
        self.series.add(t, self.value);
        *self.periods.entry(t.div_euclid(self.period)).or_default() += 1;
    }

    /// The estimate under `rule` (whose period the tally was made for).
    pub fn finish(self, rule: &Rule) -> Estimate {
        let rule = rule.clone();
        let notifying = alarm_minutes(&rule, &self.series);
        let shortest = Rule {
            range: rule.evaluation_periods,
            ..rule.clone()
        };
        let notifications_max = alarm_minutes(&shortest, &self.series).len() as u64;
        let period = self.period;
        let notifies: std::collections::BTreeSet<i64> =
            notifying.iter().map(|m| m.div_euclid(period)).collect();
        let breaching = self
            .periods
            .into_iter()
            .map(|(p, sum)| Breach {
                start: at(p * period),
                end: at((p + 1) * period),
                sum,
                notifies: notifies.contains(&p),
            })
            .collect();
        Estimate {
            period_seconds: period,
            evaluation_range_periods: rule.range,
            breaching,
            notifications: notifying.len() as u64,
            notifications_max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    fn estimate(times: &[i64]) -> Estimate {
        super::estimate(times, &crate::cis::ALARM.rule, 1.0)
    }

    #[test]
    fn bursts_merge_inside_the_evaluation_range() {
        let e = estimate(&[
            t("2023-07-10T12:10:01Z"),
            t("2023-07-10T12:14:59Z"),
            t("2023-07-10T12:15:00Z"), // next period: still ALARM
            t("2023-07-10T12:30:00Z"), // within the 5-period range: still ALARM
            t("2023-07-10T13:00:00Z"), // long after: notifies again
        ]);
        assert_eq!(e.breaching.len(), 4);
        assert_eq!(e.breaching[0].sum, 2);
        assert_eq!(
            e.breaching.iter().map(|b| b.notifies).collect::<Vec<_>>(),
            [true, false, false, true]
        );
        assert_eq!(e.notifications, 2);
        // With a one-period range the alarm leaves ALARM five minutes after
        // 12:15 and again after 12:30, so 12:30 notifies too.
        assert_eq!(e.notifications_max, 3);
        assert_eq!(estimate(&[]).notifications, 0);
    }
}
