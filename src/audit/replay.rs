//! Replay each alarm over the metric its filters would have published.
//!
//! A matched event publishes `metricValue` on every linked filter whose
//! version in force at the datapoint time matched it; the datapoint time
//! is eventTime plus the delivery delay (`docs/metric-and-alarm.md` CT6 and
//! "Replay model"). No datapoint is published while a trail-level blind
//! window is open. Every event the alarm did not notify for carries an
//! [`Unnotified`] reason, a typed value the findings are built from.

use std::fmt;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Serialize;

use super::model::{AlarmModel, ConfigSource, Model, TrailCause};
use super::plan::ScanPlan;
use super::Assumptions;
use crate::alarm::machine::{self, Machine};
use crate::alarm::{Series, State};
use crate::event::{format_time, Event};

/// What became of a replayed ALARM episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeVerdict {
    /// The history shows the transition and a successful action.
    Caught,
    /// The history shows the transition, but the action failed or did not
    /// run.
    DeliveryFailed,
    /// The history shows no such transition.
    Missed,
    /// Older than the history.
    Unjudgeable,
    /// The history shows no such transition, but inside the parameters'
    /// intervals the replay does not always send it: not a miss.
    Uncertain,
    /// Replayed, no history given to judge it.
    Replayed,
    /// The episode sends no notification.
    Silent,
}

impl EpisodeVerdict {
    /// The machine-readable name.
    pub fn as_str(self) -> &'static str {
        match self {
            EpisodeVerdict::Caught => "caught",
            EpisodeVerdict::DeliveryFailed => "delivery_failed",
            EpisodeVerdict::Missed => "missed",
            EpisodeVerdict::Unjudgeable => "unjudgeable",
            EpisodeVerdict::Uncertain => "uncertain",
            EpisodeVerdict::Replayed => "replayed",
            EpisodeVerdict::Silent => "silent",
        }
    }
}

/// Why an ALARM transition sent no notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Silence {
    /// The alarm did not exist at the transition.
    AlarmAbsent,
    /// Its actions were disabled.
    ActionsDisabled,
    /// No SNS topic among its actions.
    NoSnsAction,
    /// SetAlarmState forced it.
    Forced,
}

impl Silence {
    /// Whether the alarm pipeline was blind (rather than misconfigured).
    fn blinds(&self) -> bool {
        matches!(self, Silence::AlarmAbsent | Silence::ActionsDisabled)
    }
}

impl fmt::Display for Silence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Silence::AlarmAbsent => "the alarm did not exist",
            Silence::ActionsDisabled => "alarm actions were disabled",
            Silence::NoSnsAction => "no SNS topic among the alarm actions",
            Silence::Forced => "forced by SetAlarmState",
        })
    }
}

impl Serialize for Silence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a matched event notified nobody, for one alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unnotified {
    /// A trail feeding CloudWatch Logs did not deliver it.
    TrailBlind(TrailCause),
    /// No metric filter publishes the alarm's metric.
    NoFilterPublishes {
        /// Metric namespace.
        namespace: String,
        /// Metric name.
        metric: String,
    },
    /// The filter did not exist then.
    FilterAbsent(String),
    /// The filter's pattern then does not match it.
    PatternMisses(String),
    /// No filter matched it.
    NoFilterMatched,
    /// A datapoint, but the alarm did not exist.
    AlarmAbsent,
    /// A datapoint, but the alarm did not go to ALARM for it.
    NoTransition,
    /// Inside an episode that sent nothing.
    Silent(Silence),
    /// Inside an ALARM that began long before: nobody was told again.
    DuringAlarm(DateTime<Utc>),
    /// No alarm watches a metric that matches it.
    NoAlarmWatches,
    /// The record is over 256 KB: CloudTrail never sent it to CloudWatch
    /// Logs.
    TooLarge(u64),
    /// The filter's metric value is a field the record lacks, or holds no
    /// number in.
    NoMetricValue(String, String),
    /// The alarm cannot be replayed (metric math, extended statistics, a
    /// configuration past AWS's limits): not judged.
    AlarmNotReplayable(String),
    /// The pattern in force is one AWS accepts and ctreplay cannot
    /// evaluate: the filter's name, the pattern, and why.
    PatternUnsupported(String, String, String),
}

impl Unnotified {
    /// Whether the pipeline was blind for it: the trail, the filter, the
    /// alarm or its actions were not in place.
    pub fn blinds(&self) -> bool {
        match self {
            Unnotified::TrailBlind(_)
            | Unnotified::FilterAbsent(_)
            | Unnotified::AlarmAbsent
            | Unnotified::TooLarge(_) => true,
            // A space-delimited pattern splits the raw event on spaces;
            // CloudTrail writes its JSON without them between fields, so
            // such a pattern (other than `[]`, every event) in practice
            // matches no CloudTrail record: the alarm was blind.
            Unnotified::PatternUnsupported(_, p, _) => {
                let p = p.trim();
                p.starts_with('[') && p != "[]"
            }
            Unnotified::Silent(s) => s.blinds(),
            _ => false,
        }
    }
}

impl fmt::Display for Unnotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unnotified::TrailBlind(c) => write!(f, "{c}"),
            Unnotified::NoFilterPublishes { namespace, metric } => {
                write!(f, "no metric filter publishes {namespace}/{metric}")
            }
            Unnotified::FilterAbsent(n) => write!(f, "metric filter {n:?} was not in place"),
            Unnotified::PatternMisses(n) => {
                write!(f, "the pattern of {n:?} in force then does not match it")
            }
            Unnotified::NoFilterMatched => f.write_str("no filter matched it"),
            Unnotified::AlarmAbsent => f.write_str("the alarm did not exist"),
            Unnotified::NoTransition => f.write_str(
                "the alarm did not go to ALARM for it (threshold, statistic or datapoints to alarm)",
            ),
            Unnotified::Silent(s) => write!(f, "{s}"),
            Unnotified::DuringAlarm(t) => {
                write!(f, "the alarm had been in ALARM since {}", format_time(t))
            }
            Unnotified::NoAlarmWatches => f.write_str("no alarm watches a metric that matches it"),
            Unnotified::NoMetricValue(name, path) => write!(
                f,
                "metric filter {name:?} publishes {path}, which the record lacks or holds no number in: ctreplay publishes nothing (AWS does not document this case)"
            ),
            Unnotified::AlarmNotReplayable(why) => {
                write!(f, "the alarm is not judged: {why}")
            }
            Unnotified::PatternUnsupported(name, pattern, why) => write!(
                f,
                "the pattern of {name:?} in force then, {pattern:?}, cannot be evaluated ({why})"
            ),
            Unnotified::TooLarge(n) => write!(
                f,
                "the record is {n} bytes: CloudTrail does not send events over 256 KB to CloudWatch Logs"
            ),
        }
    }
}

/// One stretch of ALARM.
#[derive(Debug, Clone, Serialize)]
pub struct Episode {
    /// The alarm.
    pub alarm: String,
    /// Transition into ALARM (evaluation instant).
    #[serde(serialize_with = "crate::event::ser_time")]
    pub start: DateTime<Utc>,
    /// Transition out (None: still in ALARM when the logs end).
    #[serde(serialize_with = "crate::event::ser_opt_time")]
    pub end: Option<DateTime<Utc>>,
    /// eventIDs of the matched events whose datapoints fall inside.
    pub events: Vec<String>,
    /// eventTime of the earliest of those (the trigger).
    #[serde(serialize_with = "crate::event::ser_opt_time")]
    pub first_event: Option<DateTime<Utc>>,
    /// Whether the transition would have sent an SNS notification.
    pub notifies: bool,
    /// Why not, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_silent: Option<Silence>,
    /// What became of it.
    pub verdict: EpisodeVerdict,
    /// The matching actual ALARM transition, with history.
    #[serde(
        serialize_with = "crate::event::ser_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub actual: Option<DateTime<Utc>>,
    /// eventTime of the latest of those (what keeps it in ALARM longest).
    #[serde(skip)]
    pub last_event: Option<DateTime<Utc>>,
    /// Whether one datapoint alone sends the alarm to ALARM (1 of 1, and a
    /// single event's value breaches). When not, how the datapoints fall
    /// into periods decides, and that depends on each event's delay.
    #[serde(skip)]
    pub single_datapoint: bool,
    /// When the notification is expected, over every parameter set inside
    /// the intervals: the earliest and latest transition, plus the
    /// evaluation lag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    /// When the replay of this episode rests on an assumed configuration
    /// (an alarm or filter first seen at a Put), what is assumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
}

/// "ALARM expected between `from` and `until`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Expected {
    /// The earliest transition of any parameter set.
    #[serde(serialize_with = "crate::event::ser_time")]
    pub from: DateTime<Utc>,
    /// The latest, plus the longest evaluation lag.
    #[serde(serialize_with = "crate::event::ser_time")]
    pub until: DateTime<Utc>,
}

/// What happened to one matched event, per alarm.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Inside a notifying episode of this alarm (index into episodes).
    Notified(usize),
    /// Notified nobody, and why.
    Unnotified(Unnotified),
}

/// The replay of every alarm.
#[derive(Debug, Default)]
pub struct Replay {
    /// Episodes, by alarm then time.
    pub episodes: Vec<Episode>,
    /// Per matched event (same order as the scan's events): per alarm.
    pub fates: Vec<Vec<(String, Fate)>>,
    /// Alarms that could not be replayed, and why.
    pub skipped: Vec<(String, String)>,
}

/// Whether, at `t`, one event's datapoint alone sends `alarm` to ALARM.
fn single_datapoint(
    alarm: &AlarmModel,
    linked: &[&crate::audit::model::FilterModel],
    a: &Assumptions,
    t: DateTime<Utc>,
) -> bool {
    let Some(rule) = alarm.at(t).and_then(|c| rule_of(c, a).ok()) else {
        return false;
    };
    let value = match rule.statistic {
        crate::alarm::Statistic::SampleCount => 1.0,
        _ => linked.iter().find_map(|f| f.value).unwrap_or(1.0),
    };
    rule.evaluation_periods == 1
        && rule.datapoints_to_alarm == 1
        && rule.comparison.breaches(value, rule.threshold)
}

/// An alarm the state machine cannot run: every event's fate says so,
/// rather than "no alarm watches it".
fn not_replayable(alarm: &AlarmModel, events: usize, why: &str, out: &mut Replay) {
    for fates in out.fates.iter_mut().take(events) {
        fates.push((
            alarm.name.clone(),
            Fate::Unnotified(Unnotified::AlarmNotReplayable(why.to_owned())),
        ));
    }
}

/// The rule an alarm configuration gives under the assumptions: the
/// evaluation range assumed, or the shortest possible (N periods).
fn rule_of(
    cfg: &crate::exports::alarms::MetricAlarm,
    a: &Assumptions,
) -> Result<crate::alarm::Rule, String> {
    let mut r = cfg.rule(a.evaluation_range_periods)?;
    let (lo, hi) = a.range_bounds.unwrap_or((r.evaluation_periods, usize::MAX));
    r.range = if a.shortest_range {
        lo.max(r.evaluation_periods)
    } else {
        r.range.clamp(lo, hi)
    };
    Ok(r)
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// Replay every alarm of `model` over `events`, whose filter ids are
/// `plan`'s; `span` is the time the logs cover, over which a filter's
/// `defaultValue` is published.
pub fn run(
    model: &Model,
    plan: &ScanPlan,
    events: &[Event],
    a: &Assumptions,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Replay {
    let mut out = Replay {
        fates: vec![Vec::new(); events.len()],
        ..Replay::default()
    };
    for alarm in &model.alarms {
        replay_alarm(model, plan, alarm, events, a, span, &mut out);
    }
    out
}

/// `defaultValue` is published for every minute in which the log group
/// received events and the filter matched none (`docs/metric-and-alarm.md` MF5). A
/// trail receives events every minute on any busy account, so every
/// minute of the span without a match gets the default: the metric is
/// dense and missing-data handling no longer applies.
fn add_defaults(
    series: &mut Series,
    value: f64,
    span: (DateTime<Utc>, DateTime<Utc>),
    delay: Duration,
) {
    // One run, not a datapoint per minute: the cost follows the matches,
    // not the calendar (an eventTime in year 1000 must not cost gigabytes).
    series.set_default(
        (span.0 + delay).timestamp(),
        (span.1 + delay).timestamp(),
        value,
    );
}

fn replay_alarm(
    model: &Model,
    plan: &ScanPlan,
    alarm: &AlarmModel,
    events: &[Event],
    a: &Assumptions,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    out: &mut Replay,
) {
    let Some(metric) = alarm.metric() else {
        out.skipped
            .push((alarm.name.clone(), "no metric (metric math?)".into()));
        not_replayable(alarm, events.len(), "it has no metric (metric math?)", out);
        return;
    };
    let linked: Vec<_> = model
        .filters
        .iter()
        .filter(|f| (f.namespace.clone(), f.metric.clone()) == metric)
        .collect();
    let delay = Duration::seconds(a.delivery_delay_seconds);
    let mut series = Series::default();
    let mut points: Vec<Option<i64>> = vec![None; events.len()];
    let mut no_point: Vec<Option<Unnotified>> = vec![None; events.len()];
    let mut unsure = vec![false; events.len()];
    let mut matched_minutes = std::collections::BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        let d = e.time + delay;
        if let Some(w) = model
            .trail_blind
            .iter()
            .find(|w| w.blinds && w.contains(e.time))
        {
            no_point[i] = Some(Unnotified::TrailBlind(w.cause.clone()));
            continue;
        }
        if e.too_large_for_cloudwatch_logs() {
            no_point[i] = Some(Unnotified::TooLarge(e.record_bytes));
            continue;
        }
        let mut hit = false;
        let mut why = linked.is_empty().then(|| Unnotified::NoFilterPublishes {
            namespace: metric.0.clone(),
            metric: metric.1.clone(),
        });
        for f in &linked {
            match f.at(d) {
                None => why = Some(Unnotified::FilterAbsent(f.name.clone())),
                Some(p) => {
                    let id = plan
                        .id(p, &f.value_text)
                        .filter(|id| e.filters.contains(id));
                    // A field's number, or the filter's constant; a field
                    // absent or not a number publishes nothing (AWS does
                    // not document this case: docs/metric-and-alarm.md MF2).
                    let value = id.and_then(|id| match f.value {
                        Some(v) => Some(v),
                        None => e
                            .values
                            .iter()
                            .find(|(i, _)| *i == id)
                            .and_then(|(_, v)| *v),
                    });
                    if let Some(v) = value {
                        series.add(d.timestamp(), v);
                        // A metric only a reading of repeated keys gives.
                        let sure = id.is_some_and(|id| {
                            e.reading.as_ref().is_none_or(|r| !r.unsure.contains(&id))
                        });
                        unsure[i] = !sure && (!hit || unsure[i]);
                        hit = true;
                    } else if id.is_some() {
                        why = Some(Unnotified::NoMetricValue(
                            f.name.clone(),
                            f.value_text.clone(),
                        ));
                    } else if let Some(u) = plan.unsupported_why(p) {
                        why = Some(Unnotified::PatternUnsupported(
                            f.name.clone(),
                            p.to_owned(),
                            u.error.reason.clone(),
                        ));
                    } else if why.is_none() {
                        why = Some(Unnotified::PatternMisses(f.name.clone()));
                    }
                }
            }
        }
        if hit {
            points[i] = Some(d.timestamp().div_euclid(60) * 60);
            matched_minutes.insert(d.timestamp().div_euclid(60) * 60);
        } else {
            no_point[i] = Some(why.unwrap_or(Unnotified::NoFilterMatched));
        }
    }
    // With a default value the metric is dense while the logs last; past
    // their end nothing is known, so the replay stops there.
    let mut dense_until = None;
    if let (Some(span), Some(v)) = (span, linked.iter().find_map(|f| f.default_value)) {
        add_defaults(&mut series, v, span, delay);
        dense_until = Some((span.1 + delay).timestamp());
    }
    // Evaluate.
    let first_data = series
        .minutes()
        .next()
        .into_iter()
        .chain(series.dense_span().map(|d| d.0))
        .min();
    let changes: Vec<i64> = alarm
        .versions
        .iter()
        .filter_map(|(t, _)| *t)
        .chain(alarm.actions.iter().map(|(t, _)| *t))
        .chain(alarm.forced.iter().map(|(t, _)| *t))
        .map(|t| t.timestamp())
        .collect();
    let Some(start) = first_data.into_iter().chain(changes.iter().copied()).min() else {
        for (i, why) in no_point.into_iter().enumerate() {
            if let Some(w) = why {
                out.fates[i].push((alarm.name.clone(), Fate::Unnotified(w)));
            }
        }
        return;
    };
    let mut rules = Vec::new();
    for (_, v) in &alarm.versions {
        if let Some(cfg) = v {
            match rule_of(cfg, a) {
                Ok(r) => rules.push(r),
                Err(why) => out.skipped.push((alarm.name.clone(), why)),
            }
        }
    }
    let Some(widest) = rules
        .iter()
        .max_by_key(|r| r.range.max(r.evaluation_periods) as i64 * r.period)
    else {
        not_replayable(
            alarm,
            events.len(),
            "its configuration cannot be replayed",
            out,
        );
        return;
    };
    let reach = widest.range.max(widest.evaluation_periods) as i64 * widest.period;
    let from = (start - widest.period).div_euclid(60) * 60;
    let to = series
        .minutes()
        .last()
        .unwrap_or(start)
        .max(changes.iter().copied().max().unwrap_or(start))
        + reach
        + 120;
    let to = dense_until.map_or(to, |d| to.min(d + 60));
    let mut instants = machine::instants(widest, &series, from, to);
    instants.extend(changes.iter().map(|t| (t.div_euclid(60) + 1) * 60));
    instants.sort_unstable();
    instants.dedup();

    let mut m: Option<Machine> = None;
    let mut current: Option<usize> = None;
    let mut transitions: Vec<(i64, State, State, bool, Option<Silence>)> = Vec::new();
    let mut forced = alarm.forced.iter().peekable();
    for t in instants {
        let now = at(t);
        let cfg = alarm.at(now - Duration::seconds(1));
        let version = alarm.version_at(now - Duration::seconds(1));
        match cfg {
            None => {
                if let Some(old) = m.take() {
                    if old.state() == State::Alarm {
                        transitions.push((
                            t,
                            State::Alarm,
                            State::InsufficientData,
                            false,
                            Some(Silence::AlarmAbsent),
                        ));
                    }
                }
                current = None;
            }
            Some(c) => {
                if current != version {
                    current = version;
                    match rule_of(c, a) {
                        Ok(r) => match &mut m {
                            Some(mm) => mm.set_rule(r),
                            None => {
                                let mut fresh = Machine::new(r);
                                // An alarm that existed before the logs
                                // begin is already in its steady state.
                                let preexisting =
                                    version.is_some_and(|v| alarm.versions[v].0.is_none());
                                if preexisting {
                                    let _ = fresh.evaluate(&series, t);
                                }
                                m = Some(fresh);
                            }
                        },
                        Err(_) => m = None,
                    }
                }
            }
        }
        let Some(mm) = m.as_mut() else { continue };
        while let Some((ft, st)) = forced.peek() {
            if ft.timestamp() >= t {
                break;
            }
            if let Some(tr) = mm.force(ft.timestamp(), *st, "SetAlarmState") {
                transitions.push((tr.at, tr.from, tr.to, false, Some(Silence::Forced)));
            }
            forced.next();
        }
        if let Some(tr) = mm.evaluate(&series, t) {
            let cfg = alarm.at(now).or(cfg);
            let (notifies, why) = match cfg {
                _ if tr.to != State::Alarm => (false, None),
                None => (false, Some(Silence::AlarmAbsent)),
                Some(_) if !alarm.actions_at(now) => (false, Some(Silence::ActionsDisabled)),
                Some(c)
                    if !c.alarm_actions.iter().any(|x| x.contains(":sns:"))
                        && alarm.source != ConfigSource::Recommended =>
                {
                    (false, Some(Silence::NoSnsAction))
                }
                Some(_) => (true, None),
            };
            transitions.push((tr.at, tr.from, tr.to, notifies, why));
        }
    }
    // Episodes.
    let first_episode = out.episodes.len();
    let mut open: Option<Episode> = None;
    for (t, _from, to, notifies, why) in transitions {
        if to == State::Alarm {
            if open.is_none() {
                open = Some(Episode {
                    alarm: alarm.name.clone(),
                    start: at(t),
                    end: None,
                    events: vec![],
                    first_event: None,
                    last_event: None,
                    single_datapoint: single_datapoint(alarm, &linked, a, at(t)),
                    notifies,
                    why_silent: if notifies {
                        None
                    } else {
                        why.or(Some(Silence::Forced))
                    },
                    verdict: if notifies {
                        EpisodeVerdict::Replayed
                    } else {
                        EpisodeVerdict::Silent
                    },
                    actual: None,
                    expected: None,
                    assumption: model.assumption_for(alarm, at(t)),
                });
            }
        } else if let Some(mut e) = open.take() {
            e.end = Some(at(t));
            out.episodes.push(e);
        }
    }
    if let Some(e) = open.take() {
        out.episodes.push(e);
    }
    // Attribution: an episode is caused by the datapoints its evaluation at
    // the transition saw, those of the `reach` before its start (with M of
    // N the transition can come periods after the first datapoint), and
    // holds those that arrive while it lasts.
    let episodes = &mut out.episodes[first_episode..];
    let caused = |e: &Episode, minute: i64| {
        let start = e.start.timestamp();
        minute < start && start - minute <= reach
    };
    let inside = |e: &Episode, seen: i64| {
        e.start.timestamp() <= seen && e.end.is_none_or(|end| seen < end.timestamp())
    };
    // Per episode: (any, every) of its events unsure.
    let mut doubt = vec![(false, true); episodes.len()];
    for (i, p) in points.iter().enumerate() {
        let Some(minute) = *p else { continue };
        for (k, ep) in episodes.iter_mut().enumerate() {
            if caused(ep, minute) || inside(ep, minute + 60) {
                doubt[k].0 |= unsure[i];
                doubt[k].1 &= unsure[i];
                if !ep.events.contains(&events[i].id) {
                    ep.events.push(events[i].id.clone());
                }
                ep.first_event = Some(
                    ep.first_event
                        .map_or(events[i].time, |f| f.min(events[i].time)),
                );
                ep.last_event = Some(
                    ep.last_event
                        .map_or(events[i].time, |l| l.max(events[i].time)),
                );
            }
        }
    }
    // An episode whose changes came under an assumed configuration rests on
    // the assumption too, even if it was confirmed by the transition time.
    // So does one that rests on a metric only one reading of a record's
    // repeated keys gives: all its datapoints, or any when one datapoint
    // alone does not decide the alarm.
    for (k, ep) in episodes.iter_mut().enumerate() {
        if ep.assumption.is_none() {
            if let Some(first) = ep.first_event {
                ep.assumption = model.assumption_for(alarm, first);
            }
        }
        let (any, every) = doubt[k];
        if ep.assumption.is_none() && any && (every || !ep.single_datapoint) {
            ep.assumption = Some(
                "CloudWatch Logs read the repeated keys of these records as ctreplay's matching reading (its reading is undocumented)".into(),
            );
        }
    }
    // Fates: the first episode an event caused or fell into.
    for (i, p) in points.iter().enumerate() {
        let fate = match p {
            None => match &no_point[i] {
                Some(w) => Fate::Unnotified(w.clone()),
                None => continue,
            },
            Some(minute) => {
                let seen = minute + 60;
                match episodes
                    .iter()
                    .position(|e| inside(e, seen) || caused(e, *minute))
                {
                    Some(k) => {
                        let idx = first_episode + k;
                        let ep = &episodes[k];
                        // Inside an ALARM that started long before: the
                        // alarm was stuck there; this change notified no one.
                        let stuck = seen - ep.start.timestamp() > reach + widest.period;
                        if ep.notifies && !stuck {
                            Fate::Notified(idx)
                        } else if stuck {
                            Fate::Unnotified(Unnotified::DuringAlarm(ep.start))
                        } else {
                            Fate::Unnotified(Unnotified::Silent(
                                ep.why_silent.clone().unwrap_or(Silence::Forced),
                            ))
                        }
                    }
                    None => Fate::Unnotified(match alarm.at(at(*minute)) {
                        None => Unnotified::AlarmAbsent,
                        Some(_) => Unnotified::NoTransition,
                    }),
                }
            }
        };
        out.fates[i].push((alarm.name.clone(), fate));
    }
}
