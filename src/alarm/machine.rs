//! The alarm state machine: one evaluation per minute over a sliding
//! window, with the missing-data rules of `docs/metric-and-alarm.md#missing-data`.
//!
//! At instant `t` (a whole minute) the alarm fetches the `range` periods
//! ending at `t`, newest first: `[t - P, t)`, `[t - 2P, t - P)`, ... Then:
//! 1. at least N periods hold data: the newest N of those are evaluated,
//!    ALARM when at least M breach, else OK (missing data is not used);
//! 2. fewer than N, but some: the gaps are filled with the
//!    `TreatMissingData` outcome (breaching or not; `missing` and `ignore`
//!    fill nothing) and the M-of-N test runs on real and filled points;
//!    with `missing`/`ignore` the "premature ALARM" rule also applies;
//! 3. none: `missing` gives INSUFFICIENT_DATA, `breaching` ALARM,
//!    `notBreaching` OK, `ignore` keeps the state.
//!
//! The evaluation lag (0-3 minutes, UNCONFIRMED) is not modelled here;
//! the audit's matching window absorbs it.

use super::{Missing, Rule, Series, State};

/// A change of state.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// Evaluation instant, epoch seconds.
    pub at: i64,
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// Why, in CloudWatch's manner.
    pub reason: String,
}

/// One alarm's evolving state.
#[derive(Debug, Clone)]
pub struct Machine {
    rule: Rule,
    state: State,
}

impl Machine {
    /// A new alarm: INSUFFICIENT_DATA until evaluated.
    pub fn new(rule: Rule) -> Self {
        Machine {
            rule,
            state: State::InsufficientData,
        }
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The rule in force.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// `PutMetricAlarm` on an existing alarm: new configuration, same state.
    pub fn set_rule(&mut self, rule: Rule) {
        self.rule = rule;
    }

    /// `SetAlarmState`: force a state until the next evaluation.
    pub fn force(&mut self, at: i64, state: State, reason: &str) -> Option<Transition> {
        self.go(at, state, reason.to_owned())
    }

    fn go(&mut self, at: i64, to: State, reason: String) -> Option<Transition> {
        if to == self.state {
            return None;
        }
        let from = std::mem::replace(&mut self.state, to);
        Some(Transition {
            at,
            from,
            to,
            reason,
        })
    }

    /// Evaluate at instant `t` (epoch seconds, a whole minute).
    pub fn evaluate(&mut self, series: &Series, t: i64) -> Option<Transition> {
        let (state, reason) = decide(&self.rule, series, t, self.state);
        self.go(t, state, reason)
    }
}

/// The state the rule gives at `t`, and why.
fn decide(r: &Rule, series: &Series, t: i64, current: State) -> (State, String) {
    let n = r.evaluation_periods.max(1);
    let m = r.datapoints_to_alarm.clamp(1, n);
    let range = r.range.max(n);
    // Newest first: Some(breaching) for periods with data, None for gaps.
    let points: Vec<Option<(bool, f64)>> = (0..range as i64)
        .map(|k| {
            series
                .window(t - (k + 1) * r.period, t - k * r.period)
                .map(|a| {
                    let v = a.stat(r.statistic);
                    (r.comparison.breaches(v, r.threshold), v)
                })
        })
        .collect();
    let real: Vec<(bool, f64)> = points.iter().flatten().copied().collect();
    let verdict = |breaching: usize, total: usize| {
        let state = if breaching >= m {
            State::Alarm
        } else {
            State::Ok
        };
        let values: Vec<String> = real
            .iter()
            .take(n)
            .map(|(_, v)| format!("{v:.1}"))
            .collect();
        let reason = format!(
            "Threshold Crossed: {breaching} out of the last {total} datapoints [{}] {} {} the threshold ({:.1}) (minimum {m} datapoint{} for ALARM)",
            values.join(", "),
            if breaching == 1 { "was" } else { "were" },
            r.comparison.phrase(),
            r.threshold,
            if m == 1 { "" } else { "s" },
        );
        (state, reason)
    };
    if real.len() >= n {
        let breaching = real.iter().take(n).filter(|(b, _)| *b).count();
        return verdict(breaching, n);
    }
    if real.is_empty() {
        return match r.missing {
            Missing::Missing => (
                State::InsufficientData,
                format!("Insufficient Data: {range} datapoints were unknown."),
            ),
            Missing::Breaching => (
                State::Alarm,
                format!("Threshold Crossed: no datapoints were received for {range} periods and {n} missing datapoints were treated as [Breaching]."),
            ),
            Missing::NotBreaching => (
                State::Ok,
                format!("Threshold Crossed: no datapoints were received for {range} periods and {n} missing datapoints were treated as [NonBreaching]."),
            ),
            Missing::Ignore => (current, "missing data ignored".to_owned()),
        };
    }
    let breaching_real = real.iter().filter(|(b, _)| *b).count();
    let fills = n - real.len();
    match r.missing {
        Missing::Breaching => verdict(breaching_real + fills, n),
        Missing::NotBreaching => verdict(breaching_real, n),
        Missing::Missing | Missing::Ignore => {
            if breaching_real >= m || premature(&points[..n], m) {
                (State::Alarm, verdict(breaching_real.max(m), real.len()).1)
            } else {
                verdict(breaching_real, real.len())
            }
        }
    }
}

/// The premature-ALARM rule: the oldest breaching point among the newest N
/// positions is at least M positions old and every newer position is
/// breaching or missing.
fn premature(newest_n: &[Option<(bool, f64)>], m: usize) -> bool {
    let Some(oldest) = newest_n.iter().rposition(|p| matches!(p, Some((true, _)))) else {
        return false;
    };
    oldest + 1 >= m
        && newest_n[..=oldest]
            .iter()
            .all(|p| !matches!(p, Some((false, _))))
}

/// The instants at which evaluating can change anything: `from`, then every
/// minute while some datapoint is inside the range, and the minute it
/// leaves. Between them every evaluation sees no data and gives the same
/// state, so skipping them changes nothing.
pub fn instants(r: &Rule, series: &Series, from: i64, to: i64) -> Vec<i64> {
    let reach = r.range.max(r.evaluation_periods) as i64 * r.period;
    let mut out = vec![from.div_euclid(60) * 60];
    // A default value is steady between datapoints: what can change is at
    // its start and when it ends (and leaves the range).
    let mut minutes: Vec<i64> = series.minutes().collect();
    if let Some((lo, hi)) = series.dense_span() {
        minutes.extend([lo - 60, hi + 60]);
        minutes.sort_unstable();
    }
    for m in minutes {
        let start = (m + 60).max(*out.last().expect("from") + 60);
        let mut t = start;
        while t <= m + 60 + reach && t <= to {
            out.push(t);
            t += 60;
        }
    }
    out.retain(|&t| t >= from && t <= to);
    out.sort_unstable();
    out.dedup();
    out
}

/// Replay `rule` over `series` from `from` to `to` (epoch seconds): the
/// transitions, starting from a new alarm's INSUFFICIENT_DATA.
pub fn run(rule: &Rule, series: &Series, from: i64, to: i64) -> Vec<Transition> {
    let mut machine = Machine::new(rule.clone());
    instants(rule, series, from, to)
        .into_iter()
        .filter_map(|t| machine.evaluate(series, t))
        .collect()
}
