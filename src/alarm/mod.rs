//! CloudWatch metric alarms, replayed offline: the only alarm model.
//!
//! [`Rule`] is an alarm's evaluation configuration, [`Series`] the metric
//! a metric filter would have published (per-minute aggregates), and
//! [`machine::Machine`] the state machine that evaluates one over the other
//! every minute, with CloudWatch's missing-data rules
//! (`docs/metric-and-alarm.md`;
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html>).
//! [`estimate`] is the scan's quick use of it; the audit's full replay is
//! [`crate::audit::replay`]. Nothing here reads a clock or a file.

pub mod estimate;
pub mod machine;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Alarm state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Within the threshold.
    Ok,
    /// Outside the threshold.
    Alarm,
    /// Not enough data (the state of a new alarm).
    InsufficientData,
}

impl State {
    /// As CloudWatch spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Alarm => "ALARM",
            State::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// Parse CloudWatch's spelling.
    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "OK" => State::Ok,
            "ALARM" => State::Alarm,
            "INSUFFICIENT_DATA" => State::InsufficientData,
            _ => return None,
        })
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ComparisonOperator` (the statistic is the left operand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// `GreaterThanOrEqualToThreshold`
    GreaterThanOrEqualToThreshold,
    /// `GreaterThanThreshold`
    GreaterThanThreshold,
    /// `LessThanThreshold`
    LessThanThreshold,
    /// `LessThanOrEqualToThreshold`
    LessThanOrEqualToThreshold,
}

impl Comparison {
    /// Parse the API name; anomaly-detection operators are not replayable.
    pub fn parse(s: &str) -> Option<Comparison> {
        Some(match s {
            "GreaterThanOrEqualToThreshold" => Comparison::GreaterThanOrEqualToThreshold,
            "GreaterThanThreshold" => Comparison::GreaterThanThreshold,
            "LessThanThreshold" => Comparison::LessThanThreshold,
            "LessThanOrEqualToThreshold" => Comparison::LessThanOrEqualToThreshold,
            _ => return None,
        })
    }

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            Comparison::GreaterThanThreshold => "GreaterThanThreshold",
            Comparison::LessThanThreshold => "LessThanThreshold",
            Comparison::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    /// Whether `value` breaches `threshold`.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
            Comparison::GreaterThanThreshold => value > threshold,
            Comparison::LessThanThreshold => value < threshold,
            Comparison::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// For reason texts.
    pub fn phrase(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "greater than or equal to",
            Comparison::GreaterThanThreshold => "greater than",
            Comparison::LessThanThreshold => "less than",
            Comparison::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

/// `TreatMissingData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Missing {
    /// The default: all missing means INSUFFICIENT_DATA.
    Missing,
    /// Missing datapoints are within the threshold.
    NotBreaching,
    /// Missing datapoints breach.
    Breaching,
    /// Keep the current state.
    Ignore,
}

impl Missing {
    /// Parse the API value (absent means `missing`).
    pub fn parse(s: &str) -> Option<Missing> {
        Some(match s {
            "missing" => Missing::Missing,
            "notBreaching" => Missing::NotBreaching,
            "breaching" => Missing::Breaching,
            "ignore" => Missing::Ignore,
            _ => return None,
        })
    }
}

/// `Statistic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Statistic {
    /// `Sum`
    Sum,
    /// `SampleCount`
    SampleCount,
    /// `Average`
    Average,
    /// `Minimum`
    Minimum,
    /// `Maximum`
    Maximum,
}

impl Statistic {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Sum => "Sum",
            Statistic::SampleCount => "SampleCount",
            Statistic::Average => "Average",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
        }
    }

    /// Parse the API name; extended statistics (pNN) are not replayable.
    pub fn parse(s: &str) -> Option<Statistic> {
        Some(match s {
            "Sum" => Statistic::Sum,
            "SampleCount" => Statistic::SampleCount,
            "Average" => Statistic::Average,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            _ => return None,
        })
    }
}

/// How an alarm evaluates its metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// `Period`, seconds (a multiple of 60 here).
    pub period: i64,
    /// `EvaluationPeriods` (N).
    pub evaluation_periods: usize,
    /// `DatapointsToAlarm` (M); N when absent.
    pub datapoints_to_alarm: usize,
    /// `Threshold`.
    pub threshold: f64,
    /// `ComparisonOperator`.
    pub comparison: Comparison,
    /// `TreatMissingData`.
    pub missing: Missing,
    /// `Statistic`.
    pub statistic: Statistic,
    /// Periods fetched per evaluation (the *evaluation range*). AWS does not
    /// publish it; its example gives 5 for N = 3 (`docs/metric-and-alarm.md#missing-data`).
    pub range: usize,
}

impl Rule {
    /// The evaluation range ctreplay assumes for `n` evaluation periods:
    /// at least 5, and `n + max(n / 3, 2)` for long ones.
    pub const fn default_range(n: usize) -> usize {
        let extra = if n / 3 > 2 { n / 3 } else { 2 };
        if n + extra > 5 {
            n + extra
        } else {
            5
        }
    }
}

/// Per-minute aggregate of the datapoints a metric filter published.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agg {
    /// Sum of values.
    pub sum: f64,
    /// Number of datapoints.
    pub count: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Agg {
    fn one(v: f64) -> Agg {
        Agg {
            sum: v,
            count: 1.0,
            min: v,
            max: v,
        }
    }

    fn add(&mut self, o: &Agg) {
        self.sum += o.sum;
        self.count += o.count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// The statistic over this aggregate.
    pub fn stat(&self, s: Statistic) -> f64 {
        match s {
            Statistic::Sum => self.sum,
            Statistic::SampleCount => self.count,
            Statistic::Average => self.sum / self.count,
            Statistic::Minimum => self.min,
            Statistic::Maximum => self.max,
        }
    }
}

/// A metric: minute start (epoch seconds) -> aggregate, and optionally a
/// default value for every minute of a span that holds no datapoint (a
/// metric filter's `defaultValue`). The default is kept as one run, not a
/// datapoint per minute, so memory and time follow the datapoints, not the
/// calendar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    minutes: BTreeMap<i64, Agg>,
    dense: Option<Dense>,
}

/// `value` in every minute of `[from, to]` (minute starts) without data.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dense {
    from: i64,
    to: i64,
    value: f64,
}

impl Series {
    /// Add one datapoint at `t` (epoch seconds; floored to the minute).
    pub fn add(&mut self, t: i64, value: f64) {
        let m = t.div_euclid(60) * 60;
        let a = Agg::one(value);
        self.minutes.entry(m).and_modify(|x| x.add(&a)).or_insert(a);
    }

    /// Publish `value` in every minute of `[from, to]` that has no
    /// datapoint.
    pub fn set_default(&mut self, from: i64, to: i64, value: f64) {
        let from = from.div_euclid(60) * 60;
        let to = to.div_euclid(60) * 60;
        self.dense = (from <= to).then_some(Dense { from, to, value });
    }

    /// The span of the default value, when there is one.
    pub fn dense_span(&self) -> Option<(i64, i64)> {
        self.dense.map(|d| (d.from, d.to))
    }

    /// The aggregate of `[from, to)`; None when no datapoint falls there.
    pub fn window(&self, from: i64, to: i64) -> Option<Agg> {
        let mut out: Option<Agg> = None;
        let mut explicit_in_dense = 0i64;
        for (m, a) in self.minutes.range(from..to) {
            if self.dense.is_some_and(|d| *m >= d.from && *m <= d.to) {
                explicit_in_dense += 1;
            }
            match &mut out {
                Some(o) => o.add(a),
                None => out = Some(*a),
            }
        }
        if let Some(d) = self.dense {
            // Minute starts in [from, to) ∩ [d.from, d.to].
            let lo = from.max(d.from);
            let hi = (to - 1).min(d.to);
            if lo <= hi {
                let first = lo.div_euclid(60) * 60 + if lo % 60 == 0 { 0 } else { 60 };
                let n = if first > hi { 0 } else { (hi - first) / 60 + 1 } - explicit_in_dense;
                if n > 0 {
                    let agg = Agg {
                        sum: d.value * n as f64,
                        count: n as f64,
                        min: d.value,
                        max: d.value,
                    };
                    match &mut out {
                        Some(o) => o.add(&agg),
                        None => out = Some(agg),
                    }
                }
            }
        }
        out
    }

    /// The newest minute holding data before `t`.
    pub fn last_minute_before(&self, t: i64) -> Option<i64> {
        self.minutes.range(..t).next_back().map(|(m, _)| *m)
    }

    /// Minutes holding data, in order.
    pub fn minutes(&self) -> impl Iterator<Item = i64> + '_ {
        self.minutes.keys().copied()
    }

    /// Whether the metric has no data at all.
    pub fn is_empty(&self) -> bool {
        self.minutes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_fills_the_minutes_without_data() {
        let mut s = Series::default();
        s.add(600, 5.0);
        s.set_default(0, 1140, 0.5); // minutes 0..=19, one with data
        let w = s.window(0, 1200).unwrap();
        assert_eq!(w.count, 20.0);
        assert_eq!(w.sum, 5.0 + 19.0 * 0.5);
        assert_eq!((w.min, w.max), (0.5, 5.0));
        // Partly outside the default's span.
        let w = s.window(1080, 1500).unwrap();
        assert_eq!(w.count, 2.0);
        assert!(s.window(1200, 1800).is_none());
        // A millennium of defaults is one run.
        let mut big = Series::default();
        big.set_default(-30_610_224_000, 1_793_000_000, 0.0);
        assert_eq!(big.window(0, 600).unwrap().count, 10.0);
    }
}
