//! `ctreplay audit`: what the alarm would have caught, and whether the
//! deployed one fired (`docs/metric-and-alarm.md`, `docs/exports.md`,
//! `docs/cloudtrail.md` "Events that change the alarm pipeline").
//!
//! 1. The scan finds the events each filter version matches, and the
//!    pipeline changes CloudTrail recorded ([`timeline`]); [`run`] scans a
//!    second time when CloudTrail shows patterns the exports lack, with
//!    every pattern in the [`plan`].
//! 2. [`model`] turns exports and changes into what was in force when:
//!    filter versions, alarm versions, actions on or off, trails logging
//!    or not.
//! 3. [`replay`] builds each alarm's metric (datapoint at eventTime plus
//!    the delivery delay) and runs the state machine over it: episodes of
//!    ALARM and the notifications they send.
//! 4. [`matching`] pairs replayed notifications with the exported
//!    history: caught, delivery failed, missed, unexplained, unjudgeable.
//! 5. [`checks`] checks the exported configuration itself.
//!
//! Nothing here prints: [`crate::report::audit`] writes the result.

pub mod checks;
pub mod deployment;
pub mod findings;
pub mod integrity;
pub mod matching;
pub mod model;
pub mod plan;
pub mod replay;
pub mod timeline;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::{format_time, Event};
use crate::progress::Progress;
use crate::scan::{self, Detector, ScanError, ScanOptions, ScanReport, SpillError};
use crate::scope::{list, Scope, TimeSpan};
use crate::source::{Selection, Source};

pub use findings::{Finding, FindingKind, Severity};

/// Replay and matching assumptions (`docs/metric-and-alarm.md`: "Replay
/// model", "When an alarm is evaluated", "Missing data").
#[derive(Debug, Clone, Serialize)]
pub struct Assumptions {
    /// Delay from eventTime to the log event's timestamp, which stamps the
    /// datapoint (CloudTrail delivers to CloudWatch Logs in about 5 min).
    pub delivery_delay_seconds: i64,
    /// How long after its first event an actual ALARM transition still
    /// counts as the replayed one (delivery up to 15 min, evaluation lag
    /// up to 3 min, and slack).
    pub match_window_seconds: i64,
    /// Periods fetched per evaluation, when not the default for N.
    pub evaluation_range_periods: Option<usize>,
    /// The interval the delivery delay can lie in: the replay is run at
    /// both ends too, and a verdict that differs inside it is uncertain.
    pub delivery_delay_range_seconds: (i64, i64),
    /// The interval of the evaluation lag: how long after its datapoint
    /// the transition can appear (`docs/metric-and-alarm.md` W4).
    pub evaluation_lag_range_seconds: (i64, i64),
    /// The replay with the shortest possible evaluation range (N periods,
    /// or the calibrated lower bound), one end of the range's interval.
    #[serde(skip)]
    pub shortest_range: bool,
    /// The evaluation range's bounds as the history calibrated them.
    #[serde(skip)]
    pub range_bounds: Option<(usize, usize)>,
    /// The delivery delay's interval as the history narrowed it, and the
    /// caught notifications that narrowed it (null without history, or
    /// when nothing was caught).
    pub calibration: Option<Calibration>,
}

/// What the exported history showed of the uncertain parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Calibration {
    /// The delivery delay's interval, narrowed.
    pub delivery_delay_seconds: (i64, i64),
    /// How many caught notifications it rests on.
    pub episodes: u64,
    /// The evaluation range's interval, in periods, from when the caught
    /// alarm left ALARM after its last datapoint (null when the history
    /// does not show it, or the alarms disagree).
    pub evaluation_range_periods: Option<(usize, usize)>,
    /// How many episodes that rests on.
    pub range_episodes: u64,
}

/// Caught notifications needed before the delivery delay is narrowed.
const CALIBRATION_MIN_EPISODES: usize = 3;
/// Kept on each side of the observed delays.
const CALIBRATION_MARGIN_SECONDS: i64 = 120;

/// Default interval of the delivery delay: 0 to 15 minutes
/// (`docs/metric-and-alarm.md#replay-model`).
pub const DEFAULT_DELIVERY_DELAY_RANGE_SECONDS: (i64, i64) = (0, 15 * 60);
/// The evaluation lag's interval: 0 to 3 minutes (W4).
pub const EVALUATION_LAG_RANGE_SECONDS: (i64, i64) = (0, 3 * 60);

/// Default delay from eventTime to the datapoint: 5 minutes.
pub const DEFAULT_DELIVERY_DELAY_SECONDS: i64 = 300;
/// Default window in which an actual ALARM counts as the replayed one.
pub const DEFAULT_MATCH_WINDOW_SECONDS: i64 = 20 * 60;

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            delivery_delay_seconds: DEFAULT_DELIVERY_DELAY_SECONDS,
            match_window_seconds: DEFAULT_MATCH_WINDOW_SECONDS,
            evaluation_range_periods: None,
            delivery_delay_range_seconds: DEFAULT_DELIVERY_DELAY_RANGE_SECONDS,
            evaluation_lag_range_seconds: EVALUATION_LAG_RANGE_SECONDS,
            shortest_range: false,
            range_bounds: None,
            calibration: None,
        }
    }
}

use crate::cis;
use crate::exports::alarms::MetricAlarm;
use crate::exports::history::Item;
use crate::exports::metric_filters::{MetricFilter, MetricTransformation};
use model::{ConfigSource, Model};
use plan::ScanPlan;
use replay::{Episode, EpisodeVerdict, Fate, Unnotified};
use timeline::Change;

/// What the audit compares against.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Metric filters (exported, or the default one).
    pub filters: Vec<MetricFilter>,
    /// Metric alarms (exported, or the recommended one).
    pub alarms: Vec<MetricAlarm>,
    /// Alarm history, when exported.
    pub history: Option<Vec<Item>>,
    /// No filter or alarm export was given.
    pub defaulted: bool,
    /// The benchmark judged against.
    pub benchmark: cis::Benchmark,
    /// What reading the deployed configuration could not tell (a call
    /// denied or failed): each is a reason the verdict is not `covered`.
    pub unknown: Vec<String>,
    /// The filters or alarms themselves could not be read, so the
    /// recommended ones were replayed: only findings AWS's own answers
    /// support (a trail not logging) can make the verdict `gaps`; else it
    /// is `inconclusive`.
    pub config_unknown: bool,
    /// The trail, topics and evidence, when read from AWS.
    pub deployment: Option<deployment::Deployment>,
}

impl Inputs {
    /// The CIS six-name filter and the recommended alarm
    /// ([`cis::ALARM`]), with an SNS action.
    pub fn recommended() -> Inputs {
        let (a, r) = (&cis::ALARM, &cis::ALARM.rule);
        Inputs {
            filters: vec![MetricFilter {
                filter_name: crate::filter::presets::DEFAULT.into(),
                filter_pattern: cis::SECURITY_GROUP_PATTERN.into(),
                metric_transformations: vec![MetricTransformation {
                    metric_name: a.metric_name.into(),
                    metric_namespace: a.namespace.into(),
                    metric_value: a.metric_value.to_string(),
                    default_value: None,
                    unit: None,
                }],
                creation_time: None,
                log_group_name: None,
            }],
            alarms: vec![MetricAlarm {
                alarm_name: a.name.into(),
                alarm_arn: None,
                actions_enabled: true,
                alarm_actions: vec!["arn:aws:sns:recommended".into()],
                ok_actions: vec![],
                insufficient_data_actions: vec![],
                state_value: None,
                alarm_configuration_updated_timestamp: None,
                metric_name: Some(a.metric_name.into()),
                namespace: Some(a.namespace.into()),
                statistic: Some(r.statistic.as_str().into()),
                extended_statistic: None,
                dimensions: vec![],
                period: Some(r.period),
                unit: None,
                evaluation_periods: Some(r.evaluation_periods),
                datapoints_to_alarm: Some(r.datapoints_to_alarm),
                threshold: Some(r.threshold),
                comparison_operator: Some(r.comparison.as_str().into()),
                treat_missing_data: None,
                metrics: None,
            }],
            history: None,
            defaulted: true,
            benchmark: cis::benchmark(cis::DEFAULT_BENCHMARK)
                .expect("the default benchmark exists"),
            unknown: Vec::new(),
            config_unknown: false,
            deployment: None,
        }
    }
}

/// What became of one security-group change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// Notified, and the history shows the notification delivered.
    Caught,
    /// Notified in the replay (no history given to judge it).
    Notified,
    /// Notified, but the action failed or did not run.
    DeliveryFailed,
    /// The replay notifies; the history shows no transition.
    Missed,
    /// The replay notifies, at a time older than the history.
    Unjudgeable,
    /// The history shows no notification, but not every parameter set
    /// inside the intervals sends one.
    Uncertain,
    /// No alarm notified anyone for it.
    NotNotified,
    /// No filter matches it at all.
    BlindSpot,
}

impl ChangeStatus {
    /// The status of a change inside a notifying episode with `verdict`.
    fn of_episode(verdict: EpisodeVerdict) -> ChangeStatus {
        match verdict {
            EpisodeVerdict::Caught => ChangeStatus::Caught,
            EpisodeVerdict::DeliveryFailed => ChangeStatus::DeliveryFailed,
            EpisodeVerdict::Missed => ChangeStatus::Missed,
            EpisodeVerdict::Unjudgeable => ChangeStatus::Unjudgeable,
            EpisodeVerdict::Uncertain => ChangeStatus::Uncertain,
            EpisodeVerdict::Replayed | EpisodeVerdict::Silent => ChangeStatus::Notified,
        }
    }
}

/// Why a change was not notified: the replay's reason, or that no filter
/// matches its name at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotNotified {
    /// The replay's reason.
    Replay(Unnotified),
    /// A blind spot: the name, and what the change does.
    NoFilter(String, &'static str),
}

impl std::fmt::Display for NotNotified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotNotified::Replay(u) => write!(f, "{u}"),
            NotNotified::NoFilter(name, what) => write!(f, "no filter matches {name}: {what}"),
        }
    }
}

impl Serialize for NotNotified {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One security-group change and what the alarm made of it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeOutcome {
    /// eventTime.
    #[serde(rename = "eventTime", serialize_with = "crate::event::ser_time")]
    pub time: DateTime<Utc>,
    /// eventName.
    #[serde(rename = "eventName")]
    pub name: String,
    /// eventID.
    #[serde(rename = "eventID")]
    pub id: String,
    /// Who.
    pub actor: String,
    /// recipientAccountId.
    #[serde(rename = "recipientAccountId")]
    pub account: String,
    /// awsRegion.
    #[serde(rename = "awsRegion")]
    pub region: String,
    /// What became of it.
    pub status: ChangeStatus,
    /// The alarm concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm: Option<String>,
    /// Why it was not notified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<NotNotified>,
    /// The log object the record was read from, and its index there (the
    /// OCSF evidence; the JSON lists changes by eventID).
    #[serde(skip)]
    pub object: (String, u64),
    /// With --verify: the status of that object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<crate::integrity::ObjectStatus>,
}

impl ChangeOutcome {
    fn of(
        e: &Event,
        status: ChangeStatus,
        alarm: Option<String>,
        why: Option<NotNotified>,
    ) -> Self {
        ChangeOutcome {
            time: e.time,
            name: e.name.clone(),
            id: e.id.clone(),
            actor: e.actor.clone(),
            account: e.account.clone(),
            region: e.region.clone(),
            status,
            alarm,
            why,
            object: (e.object.clone(), e.record),
            integrity: None,
        }
    }
}

/// The one-screen numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Security-group changes found (the six names and the others).
    pub security_group_changes: u64,
    /// Of those, notified (caught, with history).
    pub notified: u64,
    /// notified / security_group_changes (null without changes).
    pub coverage: Option<f64>,
    /// Notifications the replay sends.
    pub replayed_notifications: u64,
    /// The fewest and most notifications over the parameter sets inside
    /// the intervals.
    pub replayed_notifications_range: (u64, u64),
    /// Transitions into ALARM in the history (null without history).
    pub actual_notifications: Option<u64>,
    /// caught, delivery_failed, missed, unexplained, unjudgeable,
    /// uncertain (zero without history).
    #[serde(flatten)]
    pub verdicts: matching::Verdicts,
    /// Actual transitions into ALARM outside the logs' coverage (null
    /// without history): not judged, each listed as a finding.
    pub actual_outside_logs: Option<u64>,
    /// Findings of severity gap.
    pub gaps: u64,
}

/// An alarm as audited.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmInfo {
    /// Name.
    pub name: String,
    /// export, cloudtrail or recommended.
    pub source: ConfigSource,
    /// `namespace/metric`.
    pub metric: String,
    /// Filters publishing that metric.
    pub filters: Vec<String>,
}

/// The audit's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Judged, and no gap found.
    Covered,
    /// At least one gap.
    Gaps,
    /// Nothing in scope could be judged (no logs, or none that meet what is
    /// judged); never "covered".
    Inconclusive,
}

impl Verdict {
    /// The machine-readable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Covered => "covered",
            Verdict::Gaps => "gaps",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// A control's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlState {
    /// Judged, and no gap.
    Pass,
    /// At least one gap.
    Fail,
    /// The evidence does not decide: an inconclusive or hypothetical audit,
    /// or notifications the history cannot judge. Never pass.
    Unknown,
}

/// One control and its status.
#[derive(Debug, Clone, Serialize)]
pub struct ControlStatus {
    /// `CIS AWS Foundations v4.0.0 4.10`, `AWS Security Hub CloudWatch.10`.
    pub id: String,
    /// Pass, fail or unknown.
    pub status: ControlState,
    /// Gaps (high, medium or low findings) bearing on it.
    pub gaps: u64,
}

/// An alarm or filter named in the scope.
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    /// Its name.
    pub name: String,
    /// The alarm's ARN, or the filter's log group, when the export gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// The audit's scope: the logs' scope, and what was judged against them.
#[derive(Debug, Clone, Serialize)]
pub struct AuditScope {
    /// The logs read.
    #[serde(flatten)]
    pub logs: Scope,
    /// No deployed configuration was given: the recommended alarm was
    /// replayed instead, so nothing here speaks of the deployed one.
    pub hypothetical: bool,
    /// The exported alarm history's first and last item.
    pub history_span: Option<TimeSpan>,
    /// The alarms replayed and judged.
    pub alarms: Vec<Judged>,
    /// The metric filters evaluated.
    pub filters: Vec<Judged>,
    /// Alarms the history names that the alarm export does not hold:
    /// their items are not judged.
    pub alarms_not_judged: Vec<NotJudged>,
    /// The configuration as read from AWS (`--aws`, `--evidence`): the
    /// evidence bundle, the trail followed, the SNS topics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<deployment::Deployment>,
}

/// An alarm of the history that is not judged.
#[derive(Debug, Clone, Serialize)]
pub struct NotJudged {
    /// Its name.
    pub name: String,
    /// Its history items.
    pub history_items: u64,
    /// Why it is not judged.
    pub why: String,
}

/// The audit's result.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// covered, gaps or inconclusive.
    pub verdict: Verdict,
    /// Why the verdict is not simply the findings': what could not be
    /// judged, and why.
    pub verdict_reasons: Vec<String>,
    /// Pass, fail or unknown for each control the findings bear on.
    pub controls: Vec<ControlStatus>,
    /// What was read and judged.
    pub scope: AuditScope,
    /// Numbers.
    pub summary: Summary,
    /// Replay assumptions.
    pub assumptions: Assumptions,
    /// Alarms replayed.
    pub alarms: Vec<AlarmInfo>,
    /// ALARM episodes.
    pub episodes: Vec<Episode>,
    /// Findings, gaps first, by time.
    pub findings: Vec<Finding>,
    /// Pipeline changes CloudTrail recorded.
    pub timeline: Vec<Change>,
    /// Every security-group change and its outcome.
    pub changes: Vec<ChangeOutcome>,
    /// The judged alarms' actual states, from the history's StateUpdate
    /// items: each from its transition to the next (None: still in it when
    /// the history ends). For the HTML timeline; the JSON has the items'
    /// effect in `episodes`.
    #[serde(skip)]
    pub actual_states: Vec<ActualState>,
    /// With --verify: how much of what was read CloudTrail's digests
    /// prove, and what they do not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<integrity::AuditIntegrity>,
}

/// One stretch of an alarm's actual state.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualState {
    /// The alarm.
    pub alarm: String,
    /// The state.
    pub state: crate::alarm::State,
    /// From the transition into it.
    pub from: DateTime<Utc>,
    /// To the next transition.
    pub to: Option<DateTime<Utc>>,
}

/// The actual states of the alarms `model` judges, from `history` (sorted).
fn actual_states(model: &Model, history: &[Item]) -> Vec<ActualState> {
    let mut out = Vec::new();
    for al in &model.alarms {
        let updates: Vec<(DateTime<Utc>, crate::alarm::State)> = history
            .iter()
            .filter(|i| i.alarm == al.name)
            .filter_map(|i| match i.kind {
                crate::exports::history::Kind::StateUpdate { to, .. } => Some((i.time, to)),
                _ => None,
            })
            .collect();
        for (k, (from, state)) in updates.iter().enumerate() {
            out.push(ActualState {
                alarm: al.name.clone(),
                state: *state,
                from: *from,
                to: updates.get(k + 1).map(|n| n.0),
            });
        }
    }
    out
}

/// Name the CloudTrail events behind the pipeline findings (a blind
/// window, actions disabled, an alarm or filter deleted): the changes at the
/// finding's time whose effect opened it.
fn attach_evidence(findings: &mut [Finding], changes: &[Change]) {
    use timeline::Effect;
    for f in findings.iter_mut().filter(|f| f.evidence.is_empty()) {
        let Some(t) = f.time else { continue };
        let opens = |e: &Effect| match f.kind {
            FindingKind::BlindWindow => matches!(
                e,
                Effect::LoggingStopped(_)
                    | Effect::TrailDeleted(_)
                    | Effect::TrailLogGroup(_, None)
                    | Effect::Selectors(_, false)
            ),
            FindingKind::ActionsDisabledWindow => matches!(e, Effect::ActionsDisabled(_)),
            FindingKind::AlarmDeleted => matches!(e, Effect::AlarmsDeleted(_)),
            FindingKind::FilterDeleted => {
                matches!(e, Effect::FilterDeleted { .. } | Effect::LogGroupDeleted(_))
            }
            _ => false,
        };
        // The change must name the trail, alarm or filter the finding is about.
        let names = |e: &Effect| match e {
            Effect::LoggingStopped(n)
            | Effect::TrailDeleted(n)
            | Effect::TrailLogGroup(n, _)
            | Effect::Selectors(n, _) => f.detail.contains(&format!("trail {n} ")),
            _ => true,
        };
        f.evidence = changes
            .iter()
            .filter(|c| c.time == t && opens(&c.effect) && names(&c.effect))
            .map(|c| {
                format!(
                    "CloudTrail eventID {} ({} at {})",
                    c.id,
                    c.event,
                    format_time(&c.time)
                )
            })
            .collect();
    }
}

/// The CloudTrail event that caused `u` for change `o`: the latest one
/// before it that opened the blind window.
fn cause_evidence(u: &Unnotified, o: &ChangeOutcome, changes: &[Change]) -> Option<String> {
    use timeline::Effect;
    let alarm = o.alarm.as_deref().unwrap_or_default();
    let names = |n: &[String]| n.iter().any(|x| x == alarm);
    let cause =
        changes
            .iter()
            .rev()
            .filter(|c| c.time <= o.time)
            .find(|c| match (u, &c.effect) {
                (Unnotified::TrailBlind(t), Effect::LoggingStopped(n))
                | (Unnotified::TrailBlind(t), Effect::TrailDeleted(n))
                | (Unnotified::TrailBlind(t), Effect::TrailLogGroup(n, None))
                | (Unnotified::TrailBlind(t), Effect::Selectors(n, false)) => *n == t.trail,
                (Unnotified::FilterAbsent(f), Effect::FilterDeleted { filter, .. }) => filter == f,
                (Unnotified::FilterAbsent(_), Effect::LogGroupDeleted(_)) => true,
                (Unnotified::AlarmAbsent, Effect::AlarmsDeleted(n))
                | (Unnotified::Silent(replay::Silence::AlarmAbsent), Effect::AlarmsDeleted(n))
                | (
                    Unnotified::Silent(replay::Silence::ActionsDisabled),
                    Effect::ActionsDisabled(n),
                ) => names(n),
                _ => false,
            })?;
    Some(format!(
        "CloudTrail eventID {} ({} at {})",
        cause.id,
        cause.event,
        format_time(&cause.time)
    ))
}

/// The alarms the history names that the audit does not replay.
fn not_judged(inputs: &Inputs, model: &Model) -> Vec<NotJudged> {
    let mut out: Vec<NotJudged> = Vec::new();
    for item in inputs.history.iter().flatten() {
        if model.alarms.iter().any(|a| a.name == item.alarm) {
            continue;
        }
        match out.iter_mut().find(|n| n.name == item.alarm) {
            Some(n) => n.history_items += 1,
            None => out.push(NotJudged {
                name: item.alarm.clone(),
                history_items: 1,
                why:
                    "the alarm export does not hold it (or it watches no exported filter's metric)"
                        .into(),
            }),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// What the history's caught notifications say of the delivery delay: each
/// transition came `delay + lag` after its first change, give or take the
/// minute the datapoint is floored to, so the delay lies in
/// `[observed - lag_max - 2 min, observed]`. The delay belongs to the
/// trail's delivery to CloudWatch Logs, not to an alarm, so one
/// calibration serves every alarm. None when nothing was caught, or when
/// the observations leave the prior interval.
fn calibrate(
    episodes: &[Episode],
    a: &Assumptions,
    model: &Model,
    history: &[Item],
) -> Option<Calibration> {
    let observed: Vec<i64> = episodes
        .iter()
        .filter(|e| {
            matches!(
                e.verdict,
                EpisodeVerdict::Caught | EpisodeVerdict::DeliveryFailed
            )
        })
        .filter_map(|e| Some((e.actual? - e.first_event?).num_seconds()))
        .collect();
    let prior = a.delivery_delay_range_seconds;
    // The delay varies from event to event: a few observations do not
    // bound the next one. Narrow only on enough of them, and keep a margin,
    // so calibration cannot turn an uncertain verdict into a false miss.
    let delay = match (observed.iter().min(), observed.iter().max()) {
        (Some(&lo), Some(&hi)) if observed.len() >= CALIBRATION_MIN_EPISODES => {
            let lo = lo - a.evaluation_lag_range_seconds.1 - 120 - CALIBRATION_MARGIN_SECONDS;
            let hi = hi + CALIBRATION_MARGIN_SECONDS;
            let range = (lo.max(prior.0), hi.min(prior.1));
            (range.0 <= range.1).then_some(range)
        }
        _ => None,
    };
    let narrowed = delay.unwrap_or(prior);
    // The evaluation range is the alarm's own, the same every time: one
    // episode bounds it.
    let (periods, range_episodes) = calibrate_range(episodes, a, narrowed, model, history);
    if delay.is_none() && periods.is_none() {
        return None;
    }
    Some(Calibration {
        delivery_delay_seconds: narrowed,
        episodes: if delay.is_some() {
            observed.len() as u64
        } else {
            0
        },
        evaluation_range_periods: periods,
        range_episodes,
    })
}

/// What the history's leaving ALARM says of the evaluation range: the
/// alarm leaves ALARM at the first evaluation whose range no longer holds
/// its last datapoint, so `R × Period = OK − datapoint − 1 min − lag`, with
/// the datapoint inside the calibrated delay and the lag inside its
/// interval. Every caught episode of the alarm narrows `R`; alarms that
/// disagree, or a range below N, leave it uncalibrated.
fn calibrate_range(
    episodes: &[Episode],
    a: &Assumptions,
    delay: (i64, i64),
    model: &Model,
    history: &[Item],
) -> (Option<(usize, usize)>, u64) {
    // The bounds are one alarm's (its Period, its N): with several alarms
    // replayed, one alarm's episodes say nothing of another's range.
    if model.alarms.len() != 1 {
        return (None, 0);
    }
    let mut bounds: Option<(i64, i64)> = None;
    let mut n = 0;
    for e in episodes
        .iter()
        .filter(|e| e.verdict == EpisodeVerdict::Caught)
    {
        let (Some(actual), Some(last)) = (e.actual, e.last_event) else {
            continue;
        };
        let Some(cfg) = model
            .alarms
            .iter()
            .find(|al| al.name == e.alarm)
            .and_then(|al| al.at(e.start))
        else {
            continue;
        };
        let Ok(rule) = cfg.rule(None) else { continue };
        let ok = history.iter().find(|i| {
            i.alarm == e.alarm
                && i.time > actual
                && matches!(i.kind, crate::exports::history::Kind::StateUpdate { to, .. } if to != crate::alarm::State::Alarm)
        });
        let Some(ok) = ok else { continue };
        let p = rule.period;
        let since = |d: i64| (ok.time - last).num_seconds() - d - 60;
        let lo = since(delay.1) - a.evaluation_lag_range_seconds.1;
        let hi = since(delay.0) + 60;
        let r = (
            (lo + p - 1)
                .div_euclid(p)
                .max(rule.evaluation_periods as i64),
            hi.div_euclid(p),
        );
        bounds = Some(match bounds {
            None => r,
            Some(b) => (b.0.max(r.0), b.1.min(r.1)),
        });
        n += 1;
    }
    match bounds {
        Some((lo, hi)) if lo <= hi && lo >= 1 => (Some((lo as usize, hi as usize)), n),
        _ => (None, n),
    }
}

/// The parameter sets at the ends of the intervals, besides the point
/// estimate: each end of the delivery delay, with the assumed and with the
/// shortest evaluation range.
fn parameter_sets(a: &Assumptions) -> Vec<(String, Assumptions)> {
    let (lo, hi) = a.delivery_delay_range_seconds;
    let mut out = Vec::new();
    // A range given with --evaluation-range is known: no interval for it.
    let shortest_too: &[bool] = if a.evaluation_range_periods.is_some() {
        &[false]
    } else {
        &[false, true]
    };
    for delay in [lo, a.delivery_delay_seconds, hi] {
        for &shortest in shortest_too {
            if (delay == a.delivery_delay_seconds && !shortest)
                || out.iter().any(|(_, b): &(String, Assumptions)| {
                    b.delivery_delay_seconds == delay && b.shortest_range == shortest
                })
            {
                continue;
            }
            let label = format!(
                "a delivery delay of {delay} s{}",
                if shortest {
                    " and the shortest evaluation range (N periods)"
                } else {
                    ""
                }
            );
            out.push((
                label,
                Assumptions {
                    delivery_delay_seconds: delay,
                    shortest_range: shortest,
                    ..a.clone()
                },
            ));
        }
    }
    out
}

/// Why an audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The logs could not be listed, or spilled events written.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// Spilled events could not be read back.
    #[error(transparent)]
    Spill(#[from] SpillError),
}

/// An audit and the scan it rests on.
#[derive(Debug)]
pub struct AuditRun {
    /// The verdict.
    pub audit: Audit,
    /// The scan the replay used (its errors are the audit's).
    pub scan: ScanReport,
    /// The patterns that scan evaluated.
    pub plan: ScanPlan,
    /// Whether a second scan ran because CloudTrail showed patterns the
    /// exports lack.
    pub rescanned: bool,
}

/// Audit `inputs` against the logs `source` holds.
///
/// The first scan evaluates the exported patterns and collects the
/// pipeline changes. When CloudTrail shows patterns the exports lack
/// (a filter edited during the logs), a second scan evaluates every
/// version, so each event is judged by the pattern in force at its time.
pub fn run(
    source: &dyn Source,
    sel: &Selection,
    opts: &ScanOptions,
    inputs: &Inputs,
    a: &Assumptions,
    progress: &dyn Progress,
) -> Result<AuditRun, AuditError> {
    let first = first_plan(inputs);
    let mut report = scan::run(
        source,
        sel,
        &Detector::for_audit(first.filters().to_vec()),
        opts,
        progress,
    )?;
    let full = Plans::of(inputs, &report.pipeline);
    let rescanned = !first.covers(&full.plan);
    let plan = if rescanned {
        report = scan::run(
            source,
            sel,
            &Detector::for_audit(full.plan.filters().to_vec()),
            opts,
            progress,
        )?;
        full.plan.clone()
    } else {
        first
    };
    judge(
        source.describe(),
        sel,
        inputs,
        a,
        report,
        plan,
        full,
        rescanned,
    )
}

/// The patterns of the exports alone: what the first scan evaluates.
pub fn first_plan(inputs: &Inputs) -> ScanPlan {
    let history = inputs.history.as_deref().unwrap_or_default();
    ScanPlan::of(&model::build(
        &inputs.filters,
        &inputs.alarms,
        &[],
        history,
        inputs.defaulted,
    ))
}

/// What the pipeline changes of a scan make of the exports: the model of
/// what was in force when, and every pattern it needs scanned.
#[derive(Debug)]
pub struct Plans {
    /// The changes CloudTrail recorded.
    changes: Vec<Change>,
    /// What was in force when.
    model: Model,
    /// Every pattern version to evaluate.
    pub plan: ScanPlan,
}

impl Plans {
    /// From the exports and the pipeline changes read.
    pub fn of(inputs: &Inputs, pipeline: &[Event]) -> Plans {
        let history = inputs.history.as_deref().unwrap_or_default();
        let changes = timeline::changes(pipeline);
        let model = model::build(
            &inputs.filters,
            &inputs.alarms,
            &changes,
            history,
            inputs.defaulted,
        );
        let plan = ScanPlan::of(&model);
        Plans {
            changes,
            model,
            plan,
        }
    }
}

/// The audit of a finished scan of `plan`'s patterns (its events carry
/// that plan's filter ids): the replay, the matching, the checks and the
/// verdict. `full` must come from the same scan's pipeline changes.
#[allow(clippy::too_many_arguments)] // the phases' results, each once
pub fn judge(
    inputs_shown: Vec<String>,
    sel: &Selection,
    inputs: &Inputs,
    a: &Assumptions,
    report: ScanReport,
    plan: ScanPlan,
    full: Plans,
    rescanned: bool,
) -> Result<AuditRun, AuditError> {
    let Plans { changes, model, .. } = full;
    let scope = Scope::of(inputs_shown, sel, &report)?;
    // The time the logs cover, from the records themselves (inside the
    // query's range): actual transitions outside it are not judged.
    let span = scope
        .span
        .map(|s| (crate::scope::at(s.from), crate::scope::at(s.to)));
    let foreign = foreign_alarms(&inputs.alarms, &scope);
    // The replay indexes the matched events: they are read back whole
    // when they spilled.
    let events = report.events.load()?;
    let blind_spots = report.blind_spots.load()?;
    let mut audit = assemble(
        inputs,
        &model,
        &plan,
        (&events, &blind_spots),
        changes,
        a,
        span,
        &foreign,
        scope,
    );
    drop((events, blind_spots));
    judge_scope(&mut audit, inputs, &foreign, a);
    Ok(AuditRun {
        audit,
        scan: report,
        plan,
        rescanned,
    })
}

/// The alarms whose ARN names an account or region the logs do not hold,
/// and why: judging them against these logs would say "missed" for lack
/// of evidence.
fn foreign_alarms(alarms: &[MetricAlarm], scope: &Scope) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for al in alarms {
        let Some((region, account)) = al.arn_region_account() else {
            continue;
        };
        let why = if !scope.accounts.is_empty() && !scope.accounts.iter().any(|a| a == account) {
            format!(
                "it is in account {account}, and the logs hold accounts {}",
                list(&scope.accounts)
            )
        } else if !scope.regions.is_empty() && !scope.regions.iter().any(|r| r == region) {
            format!(
                "it is in region {region}, and the logs hold regions {}",
                list(&scope.regions)
            )
        } else {
            continue;
        };
        out.push((al.alarm_name.clone(), why));
    }
    out
}

/// Set the verdict from the findings and what the scope lets the audit
/// judge.
fn judge_scope(audit: &mut Audit, inputs: &Inputs, foreign: &[(String, String)], a: &Assumptions) {
    let scope = &mut audit.scope;
    let mut reasons = Vec::new();
    if !scope.logs.has_logs() {
        reasons.push("the scope holds no log records".to_owned());
    }
    for (name, why) in foreign {
        scope
            .logs
            .warnings
            .push(format!("alarm {name:?} is not judged: {why}"));
    }
    if !inputs.alarms.is_empty()
        && inputs
            .alarms
            .iter()
            .all(|al| foreign.iter().any(|(n, _)| *n == al.alarm_name))
    {
        reasons.push("every alarm exported is in another account or region than the logs".into());
    }
    if let Some(h) = &inputs.history {
        let first = h.iter().map(|i| i.time.timestamp()).min();
        let last = h.iter().map(|i| i.time.timestamp()).max();
        match (first, last, scope.logs.span) {
            (None, _, _) | (_, None, _) => {
                reasons.push("the exported alarm history is empty".to_owned());
            }
            (Some(f), Some(l), Some(logs)) => {
                let history = crate::coverage::Span { from: f, to: l };
                let reach = crate::coverage::Span {
                    from: logs.from,
                    to: logs.to + a.delivery_delay_seconds + a.match_window_seconds,
                };
                if !history.overlaps(reach) {
                    let why = format!(
                        "the exported alarm history ({} to {}) does not overlap the logs ({} to {})",
                        format_time(&crate::scope::at(f)),
                        format_time(&crate::scope::at(l)),
                        format_time(&crate::scope::at(logs.from)),
                        format_time(&crate::scope::at(logs.to)),
                    );
                    scope.logs.warnings.push(why.clone());
                    reasons.push(why);
                }
            }
            (Some(_), Some(_), None) => {}
        }
    }
    reasons.extend(inputs.unknown.iter().cloned());
    // With the configuration unread, the findings about it are the
    // recommended one's: only AWS's own answers can show a gap.
    let gaps = if inputs.config_unknown {
        audit
            .findings
            .iter()
            .filter(|f| f.severity.is_gap() && deployment::is_deployment_kind(f.kind))
            .count() as u64
    } else {
        audit.summary.gaps
    };
    audit.verdict = if gaps > 0 {
        Verdict::Gaps
    } else if !reasons.is_empty() {
        Verdict::Inconclusive
    } else {
        Verdict::Covered
    };
    audit.verdict_reasons = reasons;
    let s = &audit.summary;
    let state = match audit.verdict {
        Verdict::Gaps => ControlState::Fail,
        Verdict::Inconclusive => ControlState::Unknown,
        _ if audit.scope.hypothetical || s.verdicts.unjudgeable + s.verdicts.uncertain > 0 => {
            ControlState::Unknown
        }
        Verdict::Covered => ControlState::Pass,
    };
    audit.controls = [
        inputs.benchmark.control_id(),
        cis::SECURITY_HUB_CONTROL.to_owned(),
    ]
    .into_iter()
    .map(|id| ControlStatus {
        gaps: audit
            .findings
            .iter()
            .filter(|f| f.severity.is_gap() && f.controls.contains(&id))
            .count() as u64,
        id,
        status: state,
    })
    .collect();
}

/// Run the audit over a finished scan.
///
/// `span` is the time the logs cover (the scan's --since/--until, or the
/// first and last event): actual transitions outside it are not judged.
#[allow(clippy::too_many_arguments)] // one call site, each a different input
fn assemble(
    inputs: &Inputs,
    model: &Model,
    plan: &ScanPlan,
    (events, blind_spots): (&[Event], &[Event]),
    changes: Vec<Change>,
    a: &Assumptions,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    foreign: &[(String, String)],
    scope: Scope,
) -> Audit {
    let mut replay = replay::run(model, plan, events, a, span);
    let alternatives_of = |a: &Assumptions| -> Vec<matching::Alternative> {
        parameter_sets(a)
            .into_iter()
            .map(|(label, alt)| matching::Alternative {
                label,
                episodes: replay::run(model, plan, events, &alt, span).episodes,
                lag: chrono::Duration::seconds(a.evaluation_lag_range_seconds.1),
            })
            .collect()
    };
    let mut alternatives = alternatives_of(a);
    let mut a = a.clone();
    let sent = |eps: &[Episode]| eps.iter().filter(|e| e.notifies).count() as u64;
    let counts_range = alternatives.iter().fold(
        (sent(&replay.episodes), sent(&replay.episodes)),
        |(lo, hi), alt| (lo.min(sent(&alt.episodes)), hi.max(sent(&alt.episodes))),
    );
    let mut findings = Vec::new();

    // What AWS said of the trail and the topics.
    if let Some(d) = &inputs.deployment {
        findings.extend(deployment::findings(d, &inputs.alarms));
    }
    // Configuration.
    if !inputs.defaulted {
        let mut any_catching = false;
        for f in &inputs.filters {
            if let Ok(p) = crate::filter::Pattern::parse(&f.filter_pattern) {
                any_catching |= checks::filter_findings(&f.filter_name, &p, &mut findings);
            }
        }
        if !any_catching {
            findings.push(Finding::new(
                FindingKind::NoSecurityGroupFilter,
                Severity::High,
                None,
                "no exported metric filter matches any of the six security-group events".into(),
                "create the CIS metric filter (ctreplay presets cis-5.0-4.10) on the trail's log group",
            ));
        }
        for f in &model.filters {
            let watched = model
                .alarms
                .iter()
                .any(|al| al.metric() == Some((f.namespace.clone(), f.metric.clone())));
            let catches = f
                .exported
                .as_deref()
                .and_then(|p| crate::filter::Pattern::parse(p).ok())
                .is_some_and(|p| checks::misses(&p).0.len() < cis::SECURITY_GROUP_EVENTS.len());
            if catches && !watched {
                findings.push(
                    Finding::new(
                        FindingKind::NoAlarmOnFilter,
                        Severity::High,
                        None,
                        format!(
                            "no alarm watches {}/{}, the metric of filter {:?}",
                            f.namespace, f.metric, f.name
                        ),
                        "create the CIS alarm on this metric: Sum, 300 s, >= 1, 1 of 1, notBreaching, an SNS action (--fix cli prints the command)",
                    )
                    .about(findings::About {
                        filter: Some(f.name.clone()),
                        ..findings::About::default()
                    }),
                );
            }
        }
        for al in &model.alarms {
            if let Some(cfg) = al.versions.iter().rev().find_map(|(_, c)| c.as_ref()) {
                let f = model
                    .filters
                    .iter()
                    .find(|f| al.metric() == Some((f.namespace.clone(), f.metric.clone())));
                checks::alarm_findings(
                    cfg,
                    f.and_then(|f| f.value),
                    f.and_then(|f| f.unit.as_deref()),
                    f.is_some_and(|f| f.default_value.is_some()),
                    &mut findings,
                );
                if f.is_some_and(|f| f.value.is_none()) {
                    findings.push(Finding::new(
                        FindingKind::MetricValueFromField,
                        Severity::Info,
                        None,
                        format!("the filter feeding {:?} publishes a field's value; each matching event publishes that field's number, and one without a number there publishes nothing (AWS does not document that case)", al.name),
                        "",
                    ));
                }
            }
        }
    }
    for u in plan.unsupported() {
        findings.push(
            Finding::new(
                FindingKind::PatternNotEvaluated,
                Severity::Info,
                None,
                format!(
                    "metric filter {:?} has the pattern {:?}, which AWS accepts and ctreplay cannot evaluate ({}); the changes it would have matched are judged without it",
                    u.filter, u.pattern, u.error.reason
                ),
                "",
            )
            .about(findings::About {
                filter: Some(u.filter.clone()),
                ..findings::About::default()
            }),
        );
    }
    for (name, why) in &replay.skipped {
        findings.push(Finding::new(
            FindingKind::AlarmNotReplayable,
            Severity::Info,
            None,
            format!("alarm {name:?}: {why}"),
            "",
        ));
    }

    // Windows when the pipeline was blind.
    for w in &model.trail_blind {
        findings.push(Finding::new(
            FindingKind::BlindWindow,
            Severity::Info,
            Some(w.from),
            format!(
                "{} until {}{}",
                &w.cause,
                w.until
                    .map_or("the end of the logs".into(), |u| format_time(&u)),
                if w.blinds {
                    ": it delivers to CloudWatch Logs, so the alarms were blind"
                } else {
                    " (not known to feed the alarm's log group)"
                }
            ),
            "",
        ));
    }
    for al in &model.alarms {
        let mut prev_on = true;
        for (t, on) in &al.actions {
            if prev_on && !on {
                findings.push(Finding::new(
                    FindingKind::ActionsDisabledWindow,
                    Severity::Info,
                    Some(*t),
                    format!(
                        "alarm {:?}: actions disabled at {}",
                        al.name,
                        format_time(t)
                    ),
                    "",
                ));
            }
            prev_on = *on;
        }
        for (t, v) in al.versions.iter().skip(1) {
            if v.is_none() {
                if let Some(t) = t {
                    findings.push(Finding::new(
                        FindingKind::AlarmDeleted,
                        Severity::Info,
                        Some(*t),
                        format!("alarm {:?} deleted at {}", al.name, format_time(t)),
                        "",
                    ));
                }
            }
        }
    }
    for f in &model.filters {
        for (t, p) in f.versions.iter().skip(1) {
            if let (Some(t), None) = (t, p) {
                findings.push(Finding::new(
                    FindingKind::FilterDeleted,
                    Severity::Info,
                    Some(*t),
                    format!("metric filter {:?} deleted at {}", f.name, format_time(t)),
                    "",
                ));
            }
        }
    }

    // Did it fire.
    let window = chrono::Duration::seconds(a.match_window_seconds);
    let forced: Vec<(String, DateTime<Utc>)> = model
        .alarms
        .iter()
        .flat_map(|al| al.forced.iter().map(|(t, _)| (al.name.clone(), *t)))
        .collect();
    let counts = match &inputs.history {
        Some(h) => {
            let judged: Vec<String> = model.alarms.iter().map(|al| al.name.clone()).collect();
            // Calibration: judge once, narrow the delivery delay to what
            // the caught notifications show, then judge with it.
            let mut first = replay.episodes.clone();
            let base = matching::Judging {
                history: h,
                judged: &judged,
                window,
                span,
                forced: &forced,
                foreign,
                alternatives: &[],
            };
            let _ = matching::judge(
                &mut first,
                &matching::Judging {
                    alternatives: &alternatives,
                    ..base
                },
            );
            if let Some(c) = calibrate(&first, &a, model, h) {
                let before = a.clone();
                a.calibration = Some(c);
                a.delivery_delay_range_seconds = c.delivery_delay_seconds;
                // A point estimate the history contradicts is moved inside.
                let (lo, hi) = c.delivery_delay_seconds;
                a.delivery_delay_seconds = a.delivery_delay_seconds.clamp(lo, hi);
                if a.evaluation_range_periods.is_none() {
                    a.range_bounds = c.evaluation_range_periods;
                }
                // Replay again only with parameters that changed.
                if (a.delivery_delay_seconds, a.range_bounds)
                    != (before.delivery_delay_seconds, before.range_bounds)
                {
                    replay = replay::run(model, plan, events, &a, span);
                }
                let set = |x: &Assumptions| {
                    (
                        x.delivery_delay_seconds,
                        x.delivery_delay_range_seconds,
                        x.range_bounds,
                    )
                };
                if set(&a) != set(&before) {
                    alternatives = alternatives_of(&a);
                }
            }
            let (c, f) = matching::judge(
                &mut replay.episodes,
                &matching::Judging {
                    alternatives: &alternatives,
                    ..base
                },
            );
            findings.extend(f);
            Some(c)
        }
        // Without history the replay's own verdicts stand: replayed or
        // silent.
        None => None,
    };

    // Each security-group change.
    let mut outcomes = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if !cis::is_security_group_change(&e.name) {
            continue;
        }
        let fates = &replay.fates[i];
        let notified = fates.iter().find_map(|(al, f)| match f {
            Fate::Notified(k) => Some((al, *k)),
            _ => None,
        });
        let (status, alarm, why) = match notified {
            Some((al, k)) => (
                ChangeStatus::of_episode(replay.episodes[k].verdict),
                Some(al.clone()),
                None,
            ),
            None => match fates.first() {
                None => (
                    ChangeStatus::NotNotified,
                    None,
                    Some(Unnotified::NoAlarmWatches),
                ),
                Some((al, Fate::Unnotified(w))) => {
                    (ChangeStatus::NotNotified, Some(al.clone()), Some(w.clone()))
                }
                Some((_, Fate::Notified(_))) => unreachable!("found above"),
            },
        };
        outcomes.push(ChangeOutcome::of(
            e,
            status,
            alarm,
            why.map(NotNotified::Replay),
        ));
    }
    for e in blind_spots {
        let why = NotNotified::NoFilter(e.name.clone(), e.why_unseen.unwrap_or(""));
        outcomes.push(ChangeOutcome::of(
            e,
            ChangeStatus::BlindSpot,
            None,
            Some(why),
        ));
    }
    outcomes.sort_by(|x, y| x.time.cmp(&y.time).then_with(|| x.id.cmp(&y.id)));
    for o in &outcomes {
        let unnotified = match &o.why {
            Some(NotNotified::Replay(u)) => Some(u),
            _ => None,
        };
        let (kind, fix) = match (o.status, unnotified) {
            (ChangeStatus::BlindSpot, _) => (
                FindingKind::BlindSpot,
                "add the event name to the metric filter's pattern",
            ),
            (ChangeStatus::NotNotified, Some(u)) if u.blinds() => (
                FindingKind::ChangeWhileBlind,
                "keep the trail, filter, alarm and its actions in place; alarm on changes to them (CIS 4.5)",
            ),
            (ChangeStatus::NotNotified, Some(Unnotified::DuringAlarm(_))) => (
                FindingKind::ChangeDuringAlarm,
                "the alarm sends nothing while it stays in ALARM; notify per change with an EventBridge rule on the event names",
            ),
            (ChangeStatus::NotNotified, _) => (
                FindingKind::ChangeNotNotified,
                "fix the alarm configuration findings above",
            ),
            _ => continue,
        };
        let mut evidence = vec![format!("CloudTrail eventID {} ({})", o.id, o.name)];
        evidence.extend(unnotified.and_then(|u| cause_evidence(u, o, &changes)));
        // A gap that rests on an assumed configuration is not proven; one
        // that rests on a CloudTrail event that blinded the pipeline is.
        let assumed = o
            .alarm
            .as_deref()
            .and_then(|al| model.assumption_for_name(al, o.time))
            .filter(|_| o.status == ChangeStatus::NotNotified)
            .filter(|_| !unnotified.is_some_and(|u| u.blinds()))
            .or_else(|| match unnotified {
                Some(Unnotified::NoMetricValue(..)) => {
                    Some("what AWS publishes for such a record is not documented".to_owned())
                }
                Some(Unnotified::AlarmNotReplayable(_)) => {
                    Some("ctreplay cannot replay the alarm".to_owned())
                }
                Some(u @ Unnotified::PatternUnsupported(..)) if !u.blinds() => {
                    Some("ctreplay cannot evaluate the pattern in force".to_owned())
                }
                _ => None,
            });
        let (severity, suffix) = match &assumed {
            Some(why) => (
                Severity::Info,
                format!(" (not proven: it rests on an assumption: {why})"),
            ),
            None => (Severity::High, String::new()),
        };
        findings.push(
            Finding::new(
                kind,
                severity,
                Some(o.time),
                format!(
                    "{} {} by {} ({}, {}): {}{suffix}",
                    o.name,
                    o.id,
                    o.actor,
                    o.account,
                    o.region,
                    o.why.as_ref().map_or(String::new(), |w| w.to_string())
                ),
                fix,
            )
            .with_evidence(evidence)
            .about(findings::About {
                alarm: o.alarm.clone(),
                event_id: Some(o.id.clone()),
                account: Some(o.account.clone()),
                region: Some(o.region.clone()),
                ..findings::About::default()
            }),
        );
    }
    attach_evidence(&mut findings, &changes);
    findings::grade(&mut findings, &inputs.benchmark);
    findings.sort();
    findings.dedup();

    let total = outcomes.len() as u64;
    let notified = outcomes
        .iter()
        .filter(|o| matches!(o.status, ChangeStatus::Notified | ChangeStatus::Caught))
        .count() as u64;
    let c = counts.unwrap_or_default();
    let summary = Summary {
        security_group_changes: total,
        notified,
        coverage: (total > 0).then(|| notified as f64 / total as f64),
        replayed_notifications: replay.episodes.iter().filter(|e| e.notifies).count() as u64,
        replayed_notifications_range: counts_range,

        actual_notifications: counts.map(|c| c.actual_notifications),
        verdicts: c.verdicts,
        actual_outside_logs: counts.map(|c| c.actual_outside_logs),
        gaps: findings.iter().filter(|f| f.severity.is_gap()).count() as u64,
    };
    let alarms = model
        .alarms
        .iter()
        .map(|al| {
            let metric = al.metric().unwrap_or_default();
            AlarmInfo {
                name: al.name.clone(),
                source: al.source,
                metric: format!("{}/{}", metric.0, metric.1),
                filters: model
                    .filters
                    .iter()
                    .filter(|f| (f.namespace.clone(), f.metric.clone()) == metric)
                    .map(|f| f.name.clone())
                    .collect(),
            }
        })
        .collect();
    let mut episodes = replay.episodes;
    episodes.sort_by(|x, y| x.start.cmp(&y.start).then_with(|| x.alarm.cmp(&y.alarm)));
    let history_span = inputs.history.as_ref().and_then(|h| {
        let first = h.iter().map(|i| i.time.timestamp()).min()?;
        let last = h.iter().map(|i| i.time.timestamp()).max()?;
        Some(TimeSpan::of(crate::coverage::Span {
            from: first,
            to: last,
        }))
    });
    let scope = AuditScope {
        logs: scope,
        hypothetical: inputs.defaulted,
        history_span,
        alarms: inputs
            .alarms
            .iter()
            .map(|al| Judged {
                name: al.alarm_name.clone(),
                at: al.alarm_arn.clone(),
            })
            .collect(),
        filters: inputs
            .filters
            .iter()
            .map(|f| Judged {
                name: f.filter_name.clone(),
                at: f.log_group_name.clone(),
            })
            .collect(),
        alarms_not_judged: not_judged(inputs, model),
        deployment: inputs.deployment.clone(),
    };
    Audit {
        verdict: Verdict::Covered,
        verdict_reasons: Vec::new(),
        controls: Vec::new(),
        scope,
        summary,
        assumptions: a,
        alarms,
        episodes,
        findings,
        timeline: changes,
        changes: outcomes,
        actual_states: actual_states(model, inputs.history.as_deref().unwrap_or_default()),
        integrity: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caught(first: &str, actual: &str) -> Episode {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        Episode {
            alarm: "A".into(),
            start: t(actual),
            end: None,
            events: vec!["e".into()],
            first_event: Some(t(first)),
            last_event: Some(t(first)),
            single_datapoint: true,
            notifies: true,
            why_silent: None,
            verdict: EpisodeVerdict::Caught,
            actual: Some(t(actual)),
            expected: None,
            assumption: None,
        }
    }

    fn empty_model() -> Model {
        model::build(&[], &[], &[], &[], false)
    }

    #[test]
    fn the_delay_narrows_only_on_enough_caught_notifications() {
        let a = Assumptions::default();
        let one = [caught("2026-11-02T10:00:00Z", "2026-11-02T10:06:00Z")];
        assert!(calibrate(&one, &a, &empty_model(), &[]).is_none());
        let three = [
            caught("2026-11-02T10:00:00Z", "2026-11-02T10:06:00Z"),
            caught("2026-11-02T11:00:00Z", "2026-11-02T11:04:00Z"),
            caught("2026-11-02T12:00:00Z", "2026-11-02T12:07:00Z"),
        ];
        let c = calibrate(&three, &a, &empty_model(), &[]).unwrap();
        // Observed 240..420 s: minus the lag, the minute and the margin
        // below, plus the margin above.
        assert_eq!(c.delivery_delay_seconds, (0, 540));
        assert_eq!(c.episodes, 3);
    }
}
