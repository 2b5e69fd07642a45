//! What was in force when: filter versions, alarm versions, alarm actions,
//! trail logging, from the exports and CloudTrail's own changes.
//!
//! Rules (stated in the report's assumptions):
//! - an exported filter is in force from its `creationTime`, or always when
//!   it has none, unless CloudTrail shows otherwise;
//! - a `PutMetricFilter`/`PutMetricAlarm` sets the configuration from its
//!   time on. Put creates *or updates*, and CloudTrail does not say which
//!   (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html>),
//!   so the first Put seen for a name does not prove the thing was absent
//!   before: before it, the Put's configuration is *assumed* in force, and
//!   the assumption, with the evidence for it (an earlier operation on the
//!   name, a history item), is stated; a verdict that rests on it is never
//!   "missed". Only a delete proves absence;
//! - `DisableAlarmActions`/`EnableAlarmActions` switch notifications;
//! - a trail known to deliver to CloudWatch Logs (CloudTrail shows it
//!   set `cloudWatchLogsLogGroupArn`) that stopped logging, lost that
//!   delivery, or stopped logging write management events makes every
//!   alarm blind; the same on other trails is only reported, since the
//!   logs being read show some trail kept logging.

use std::fmt;

use chrono::{DateTime, Utc};

use super::timeline::{Change, Effect};
use crate::alarm::State;
use crate::event::format_time;
use crate::exports::alarms::MetricAlarm;
use crate::exports::history::Item;
use crate::exports::metric_filters::MetricFilter;
use crate::time::from_millis;

/// A filter and the patterns it had over time.
#[derive(Debug, Clone)]
pub struct FilterModel {
    /// `filterName`.
    pub name: String,
    /// Metric namespace.
    pub namespace: String,
    /// Metric name.
    pub metric: String,
    /// `metricValue` when it is a number (None for `$.field`).
    pub value: Option<f64>,
    /// `metricValue` as written.
    pub value_text: String,
    /// The unit it publishes.
    pub unit: Option<String>,
    /// `defaultValue`: published for minutes with events but no match.
    pub default_value: Option<f64>,
    /// From when (None: from the beginning), which pattern (None: absent).
    pub versions: Vec<(Option<DateTime<Utc>>, Option<String>)>,
    /// The exported pattern, if the filter was exported.
    pub exported: Option<String>,
    /// Its log group, when known.
    pub log_group: Option<String>,
    /// Before this instant its pattern is assumed, not known, and why.
    pub assumed_before: Option<(DateTime<Utc>, String)>,
}

impl FilterModel {
    /// The pattern in force at `t`.
    pub fn at(&self, t: DateTime<Utc>) -> Option<&str> {
        in_force(&self.versions, t).and_then(|p| p.as_deref())
    }

    /// Every pattern it ever had.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.versions.iter().filter_map(|(_, p)| p.as_deref())
    }
}

fn in_force<T>(versions: &[(Option<DateTime<Utc>>, T)], t: DateTime<Utc>) -> Option<&T> {
    versions
        .iter()
        .rev()
        .find(|(from, _)| from.is_none_or(|f| f <= t))
        .map(|(_, v)| v)
}

/// Where an alarm's configuration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigSource {
    /// A `describe-alarms` export.
    Export,
    /// Only CloudTrail's PutMetricAlarm events.
    Cloudtrail,
    /// No export: the alarm CIS recommends.
    Recommended,
}

/// An alarm over time.
#[derive(Debug, Clone)]
pub struct AlarmModel {
    /// `AlarmName`.
    pub name: String,
    /// Where it comes from.
    pub source: ConfigSource,
    /// Configuration versions (None: the alarm does not exist).
    pub versions: Vec<(Option<DateTime<Utc>>, Option<MetricAlarm>)>,
    /// Actions switched on or off.
    pub actions: Vec<(DateTime<Utc>, bool)>,
    /// SetAlarmState calls.
    pub forced: Vec<(DateTime<Utc>, State)>,
    /// Before this instant its configuration is assumed, not known, and why.
    pub assumed_before: Option<(DateTime<Utc>, String)>,
}

impl AlarmModel {
    /// The configuration in force at `t`.
    pub fn at(&self, t: DateTime<Utc>) -> Option<&MetricAlarm> {
        in_force(&self.versions, t).and_then(|a| a.as_ref())
    }

    /// Which version is in force at `t` (an index into `versions`).
    pub fn version_at(&self, t: DateTime<Utc>) -> Option<usize> {
        self.versions
            .iter()
            .rposition(|(from, _)| from.is_none_or(|f| f <= t))
    }

    /// Whether actions are enabled at `t`.
    pub fn actions_at(&self, t: DateTime<Utc>) -> bool {
        let put = self
            .versions
            .iter()
            .rev()
            .find(|(from, _)| from.is_none_or(|f| f <= t));
        let (put_time, enabled) = match put {
            Some((from, Some(a))) => (*from, a.actions_enabled),
            _ => return false,
        };
        self.actions
            .iter()
            .rev()
            .find(|(at, _)| *at <= t && put_time.is_none_or(|p| *at >= p))
            .map_or(enabled, |(_, on)| *on)
    }

    /// The metric it watches (from its latest configuration).
    pub fn metric(&self) -> Option<(String, String)> {
        self.versions.iter().rev().find_map(|(_, a)| {
            let a = a.as_ref()?;
            Some((a.namespace.clone()?, a.metric_name.clone()?))
        })
    }
}

/// What a trail stopped doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrailGap {
    /// `StopLogging`.
    Stopped,
    /// `DeleteTrail`.
    Deleted,
    /// `UpdateTrail` removed its CloudWatch Logs delivery.
    NoCloudWatchLogs,
    /// `PutEventSelectors` stopped write management events.
    NoWriteEvents,
}

/// Why a trail did not deliver: which trail, and what it stopped doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailCause {
    /// The trail's name or ARN, as the event gave it.
    pub trail: String,
    /// What it stopped doing.
    pub gap: TrailGap,
}

impl fmt::Display for TrailCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.trail;
        match self.gap {
            TrailGap::Stopped => write!(f, "trail {t} was not logging (StopLogging)"),
            TrailGap::Deleted => write!(f, "trail {t} was deleted"),
            TrailGap::NoCloudWatchLogs => write!(
                f,
                "trail {t} did not deliver to CloudWatch Logs (UpdateTrail)"
            ),
            TrailGap::NoWriteEvents => write!(
                f,
                "trail {t} did not log write management events (PutEventSelectors)"
            ),
        }
    }
}

/// A time when a trail did not deliver write management events.
#[derive(Debug, Clone, PartialEq)]
pub struct BlindWindow {
    /// Whether the trail is known to deliver to CloudWatch Logs, so that
    /// alarms were blind; windows of other trails are only reported.
    pub blinds: bool,
    /// Start.
    pub from: DateTime<Utc>,
    /// End (None: still blind at the end of the logs).
    pub until: Option<DateTime<Utc>>,
    /// Why.
    pub cause: TrailCause,
}

impl BlindWindow {
    /// Whether `t` is inside.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && self.until.is_none_or(|u| t < u)
    }
}

/// Everything in force over time.
#[derive(Debug, Clone)]
pub struct Model {
    /// Metric filters.
    pub filters: Vec<FilterModel>,
    /// Alarms on their metrics.
    pub alarms: Vec<AlarmModel>,
    /// Trail-level blind windows.
    pub trail_blind: Vec<BlindWindow>,
}

fn parse_value(v: &str) -> Option<f64> {
    v.trim().parse().ok()
}

/// Build the model. `defaulted` means no exports were given: the default
/// filter and the recommended alarm stand in for them, and CloudTrail's
/// filter and alarm changes (for unknown names) are only reported.
/// `history` is the exported alarm history: its items prove an alarm
/// existed at their times.
pub fn build(
    filters: &[MetricFilter],
    alarms: &[MetricAlarm],
    changes: &[Change],
    history: &[Item],
    defaulted: bool,
) -> Model {
    let mut fmodels: Vec<FilterModel> = filters
        .iter()
        .map(|f| {
            let t = &f.metric_transformations[0];
            let created = f.creation_time.and_then(from_millis);
            let p = Some(f.filter_pattern.clone());
            let versions = match created {
                Some(c) => vec![(None, None), (Some(c), p)],
                None => vec![(None, p)],
            };
            FilterModel {
                name: f.filter_name.clone(),
                namespace: t.metric_namespace.clone(),
                metric: t.metric_name.clone(),
                value: parse_value(&t.metric_value),
                value_text: t.metric_value.clone(),
                unit: t.unit.clone(),
                default_value: t.default_value,
                versions,
                exported: Some(f.filter_pattern.clone()),
                log_group: f.log_group_name.clone(),
                assumed_before: None,
            }
        })
        .collect();
    let mut amodels: Vec<AlarmModel> = alarms
        .iter()
        .map(|a| AlarmModel {
            name: a.alarm_name.clone(),
            source: if defaulted {
                ConfigSource::Recommended
            } else {
                ConfigSource::Export
            },
            versions: vec![(None, Some(a.clone()))],
            actions: vec![],
            forced: vec![],
            // The export is the configuration since its last update: before
            // that, unless CloudTrail shows the change, it is assumed.
            assumed_before: a.alarm_configuration_updated_timestamp.map(|t| {
                (
                    t,
                    format!(
                        "alarm {:?}'s exported configuration dates from {}; before then it is assumed to have been the same",
                        a.alarm_name,
                        format_time(&t)
                    ),
                )
            }),
        })
        .collect();
    if !defaulted {
        apply_filter_changes(&mut fmodels, changes);
        apply_alarm_changes(&mut amodels, &fmodels, changes, history);
    }
    Model {
        filters: fmodels,
        alarms: amodels,
        trail_blind: trail_windows(changes),
    }
}

fn metrics_of(fmodels: &[FilterModel]) -> Vec<(String, String)> {
    fmodels
        .iter()
        .map(|f| (f.namespace.clone(), f.metric.clone()))
        .collect()
}

fn apply_filter_changes(fmodels: &mut Vec<FilterModel>, changes: &[Change]) {
    let alarm_metrics = metrics_of(fmodels);
    let mut seen: Vec<String> = Vec::new();
    for c in changes {
        match &c.effect {
            Effect::FilterPut {
                filter,
                pattern,
                namespace,
                metric,
                log_group,
            } => {
                let idx = match fmodels.iter().position(|f| &f.name == filter) {
                    Some(i) => i,
                    None if alarm_metrics.contains(&(namespace.clone(), metric.clone())) => {
                        fmodels.push(FilterModel {
                            name: filter.clone(),
                            namespace: namespace.clone(),
                            metric: metric.clone(),
                            value: Some(1.0),
                            value_text: "1".into(),
                            unit: None,
                            default_value: None,
                            versions: vec![(None, None)],
                            exported: None,
                            log_group: Some(log_group.clone()),
                            assumed_before: None,
                        });
                        fmodels.len() - 1
                    }
                    None => continue,
                };
                let f = &mut fmodels[idx];
                if !seen.contains(filter) {
                    seen.push(filter.clone());
                    // The first Put seen creates or updates: unless the
                    // export says the filter is older, its pattern before
                    // the Put is assumed to be the Put's.
                    let older = f.versions.last().is_some_and(|(from, p)| {
                        p.is_some() && from.is_some_and(|created| created < c.time)
                    });
                    if !older {
                        f.versions = vec![(None, Some(pattern.clone()))];
                        f.assumed_before = Some((
                            c.time,
                            format!(
                                "metric filter {filter:?} is first seen at its PutMetricFilter at {} (eventID {}), which creates or updates it; before then its pattern is assumed to be that one",
                                format_time(&c.time),
                                c.id
                            ),
                        ));
                    }
                }
                f.versions.push((Some(c.time), Some(pattern.clone())));
            }
            Effect::FilterDeleted { filter, .. } => {
                if let Some(f) = fmodels.iter_mut().find(|f| &f.name == filter) {
                    seen.push(filter.clone());
                    f.versions.push((Some(c.time), None));
                }
            }
            Effect::LogGroupDeleted(group) => {
                for f in fmodels
                    .iter_mut()
                    .filter(|f| f.log_group.as_ref() == Some(group))
                {
                    f.versions.push((Some(c.time), None));
                }
            }
            _ => {}
        }
    }
}

fn apply_alarm_changes(
    amodels: &mut Vec<AlarmModel>,
    fmodels: &[FilterModel],
    changes: &[Change],
    history: &[Item],
) {
    let metrics = metrics_of(fmodels);
    // Alarms only CloudTrail knows, on a filter's metric: modelled from the
    // start, so operations on them before their first Put count too.
    for c in changes {
        if let Effect::AlarmPut(a) = &c.effect {
            let watched = matches!((&a.namespace, &a.metric_name), (Some(n), Some(m)) if metrics.contains(&(n.clone(), m.clone())));
            if watched && !amodels.iter().any(|m| m.name == a.alarm_name) {
                amodels.push(AlarmModel {
                    name: a.alarm_name.clone(),
                    source: ConfigSource::Cloudtrail,
                    versions: vec![(None, None)],
                    actions: vec![],
                    forced: vec![],
                    assumed_before: None,
                });
            }
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for c in changes {
        match &c.effect {
            Effect::AlarmPut(a) => {
                let Some(m) = amodels.iter_mut().find(|m| m.name == a.alarm_name) else {
                    continue;
                };
                if !seen.contains(&m.name) {
                    seen.push(m.name.clone());
                    // Put creates or updates: before the first one seen,
                    // the alarm is assumed to have had this configuration.
                    m.versions = vec![(None, Some((**a).clone()))];
                    let evidence = existence_before(&m.name, c.time, changes, history);
                    m.assumed_before = Some((
                        c.time,
                        format!(
                            "alarm {:?} is first seen at its PutMetricAlarm at {} (eventID {}), which creates or updates it; {}; its configuration before then is assumed to be that Put's",
                            m.name,
                            format_time(&c.time),
                            c.id,
                            evidence.unwrap_or_else(|| "nothing in the logs or the history says whether it existed before".into())
                        ),
                    ));
                }
                m.versions.push((Some(c.time), Some((**a).clone())));
            }
            Effect::AlarmsDeleted(names) => {
                for m in amodels.iter_mut().filter(|m| names.contains(&m.name)) {
                    seen.push(m.name.clone());
                    m.versions.push((Some(c.time), None));
                }
            }
            Effect::ActionsDisabled(names) | Effect::ActionsEnabled(names) => {
                let on = matches!(c.effect, Effect::ActionsEnabled(_));
                for m in amodels.iter_mut().filter(|m| names.contains(&m.name)) {
                    m.actions.push((c.time, on));
                }
            }
            Effect::StateSet(name, state) => {
                for m in amodels.iter_mut().filter(|m| &m.name == name) {
                    m.forced.push((c.time, *state));
                }
            }
            _ => {}
        }
    }
    // An alarm only CloudTrail knows whose first operation is a delete
    // existed before it: assume the first configuration seen afterwards.
    for m in amodels.iter_mut() {
        if m.versions.len() < 2 || m.versions[0].1.is_some() || m.assumed_before.is_some() {
            continue;
        }
        let Some(first) = m.versions.iter().find_map(|(_, v)| v.clone()) else {
            continue;
        };
        let Some(deleted) = m.versions[1].0 else {
            continue;
        };
        m.versions[0].1 = Some(first);
        m.assumed_before = Some((
            deleted,
            format!(
                "alarm {:?} existed before it was deleted at {}; its configuration before then is assumed to be the next one seen",
                m.name,
                format_time(&deleted)
            ),
        ));
    }
}

/// What proves alarm `name` existed before `t`: the earliest successful
/// operation on it in CloudTrail (actions switched, state set, deleted),
/// or the earliest history item of it.
fn existence_before(
    name: &str,
    t: DateTime<Utc>,
    changes: &[Change],
    history: &[Item],
) -> Option<String> {
    let by_event = changes.iter().find(|c| {
        c.time < t
            && c.error_code.is_none()
            && match &c.effect {
                Effect::AlarmsDeleted(n)
                | Effect::ActionsDisabled(n)
                | Effect::ActionsEnabled(n) => n.iter().any(|x| x == name),
                Effect::StateSet(n, _) => n == name,
                _ => false,
            }
    });
    let by_history = history
        .iter()
        .filter(|i| i.alarm == name && i.time < t)
        .map(|i| i.time)
        .min();
    match (by_event, by_history) {
        (Some(c), Some(h)) if h < c.time => Some(history_proof(h)),
        (Some(c), _) => Some(format!(
            "CloudTrail shows it existed before: {} at {} (eventID {})",
            c.event,
            format_time(&c.time),
            c.id
        )),
        (None, Some(h)) => Some(history_proof(h)),
        (None, None) => None,
    }
}

fn history_proof(h: DateTime<Utc>) -> String {
    format!(
        "the history shows it existed before: an item at {}",
        format_time(&h)
    )
}

/// The reason of an assumption in force before its instant, at `t`.
fn assumed(before: &Option<(DateTime<Utc>, String)>, t: DateTime<Utc>) -> Option<&str> {
    before
        .as_ref()
        .filter(|(until, _)| t < *until)
        .map(|(_, why)| why.as_str())
}

impl AlarmModel {
    /// Why the configuration in force at `t` is assumed, when it is.
    pub fn assumption_at(&self, t: DateTime<Utc>) -> Option<&str> {
        assumed(&self.assumed_before, t)
    }
}

impl FilterModel {
    /// Why the pattern in force at `t` is assumed, when it is.
    pub fn assumption_at(&self, t: DateTime<Utc>) -> Option<&str> {
        assumed(&self.assumed_before, t)
    }
}

impl Model {
    /// Why what `alarm` did at `t` rests on an assumption: its own
    /// configuration then, or the pattern of a filter feeding its metric.
    pub fn assumption_for(&self, alarm: &AlarmModel, t: DateTime<Utc>) -> Option<String> {
        if let Some(why) = alarm.assumption_at(t) {
            return Some(why.to_owned());
        }
        let metric = alarm.metric()?;
        self.filters
            .iter()
            .filter(|f| (f.namespace.clone(), f.metric.clone()) == metric)
            .find_map(|f| f.assumption_at(t))
            .map(str::to_owned)
    }

    /// [`Model::assumption_for`] by alarm name.
    pub fn assumption_for_name(&self, alarm: &str, t: DateTime<Utc>) -> Option<String> {
        let al = self.alarms.iter().find(|a| a.name == alarm)?;
        self.assumption_for(al, t)
    }
}

fn trail_windows(changes: &[Change]) -> Vec<BlindWindow> {
    // Trails known to deliver to CloudWatch Logs.
    let mut delivering: Vec<String> = changes
        .iter()
        .filter_map(|c| match &c.effect {
            Effect::TrailLogGroup(t, Some(_)) => Some(t.clone()),
            _ => None,
        })
        .collect();
    delivering.sort();
    delivering.dedup();
    let relevant = |t: &str| delivering.iter().any(|d| d == t);
    let mut open: Vec<(TrailCause, DateTime<Utc>)> = Vec::new();
    let mut out = Vec::new();
    let close = |open: &mut Vec<(TrailCause, DateTime<Utc>)>,
                 t: &str,
                 gaps: &[TrailGap],
                 at: DateTime<Utc>,
                 out: &mut Vec<BlindWindow>| {
        open.retain(|(cause, from)| {
            if cause.trail == t && gaps.contains(&cause.gap) {
                out.push(BlindWindow {
                    blinds: relevant(&cause.trail),
                    from: *from,
                    until: Some(at),
                    cause: cause.clone(),
                });
                false
            } else {
                true
            }
        });
    };
    let gap = |trail: &str, gap| TrailCause {
        trail: trail.to_owned(),
        gap,
    };
    for c in changes {
        let cause = match &c.effect {
            Effect::LoggingStopped(t) => gap(t, TrailGap::Stopped),
            Effect::TrailDeleted(t) => gap(t, TrailGap::Deleted),
            Effect::TrailLogGroup(t, None) => gap(t, TrailGap::NoCloudWatchLogs),
            Effect::Selectors(t, false) => gap(t, TrailGap::NoWriteEvents),
            Effect::LoggingStarted(t) => {
                close(
                    &mut open,
                    t,
                    &[TrailGap::Stopped, TrailGap::Deleted],
                    c.time,
                    &mut out,
                );
                continue;
            }
            Effect::TrailLogGroup(t, Some(_)) => {
                close(
                    &mut open,
                    t,
                    &[TrailGap::NoCloudWatchLogs, TrailGap::Deleted],
                    c.time,
                    &mut out,
                );
                continue;
            }
            Effect::Selectors(t, true) => {
                close(&mut open, t, &[TrailGap::NoWriteEvents], c.time, &mut out);
                continue;
            }
            _ => continue,
        };
        open.push((cause, c.time));
    }
    for (cause, from) in open {
        out.push(BlindWindow {
            blinds: relevant(&cause.trail),
            from,
            until: None,
            cause,
        });
    }
    // Ordered as their texts always were.
    out.sort_by(|a, b| {
        a.from
            .cmp(&b.from)
            .then_with(|| a.cause.to_string().cmp(&b.cause.to_string()))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::history::Kind;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn change(time: &str, id: &str, event: &str, effect: Effect) -> Change {
        Change {
            time: t(time),
            actor: "a".into(),
            event: event.into(),
            id: id.into(),
            detail: String::new(),
            error_code: None,
            effect,
        }
    }

    fn put(time: &str, id: &str) -> Change {
        let alarm = MetricAlarm {
            alarm_name: "A".into(),
            alarm_arn: None,
            actions_enabled: true,
            alarm_actions: vec!["arn:aws:sns:us-east-1:1:t".into()],
            ok_actions: vec![],
            insufficient_data_actions: vec![],
            state_value: None,
            alarm_configuration_updated_timestamp: None,
            metric_name: Some("M".into()),
            namespace: Some("N".into()),
            statistic: Some("Sum".into()),
            extended_statistic: None,
            dimensions: vec![],
            period: Some(300),
            unit: None,
            evaluation_periods: Some(1),
            datapoints_to_alarm: Some(1),
            threshold: Some(1.0),
            comparison_operator: Some("GreaterThanOrEqualToThreshold".into()),
            treat_missing_data: None,
            metrics: None,
        };
        change(
            time,
            id,
            "PutMetricAlarm",
            Effect::AlarmPut(Box::new(alarm)),
        )
    }

    fn filter() -> MetricFilter {
        serde_json::from_value(serde_json::json!({
            "filterName": "F", "filterPattern": "{ $.eventName = CreateSecurityGroup }",
            "metricTransformations": [{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]
        }))
        .unwrap()
    }

    fn history_item(time: &str) -> Item {
        Item {
            alarm: "A".into(),
            time: t(time),
            summary: String::new(),
            kind: Kind::Other,
        }
    }

    #[test]
    fn a_first_put_is_not_a_creation() {
        let changes = [put("2026-11-02T10:00:00Z", "p1")];
        let m = build(&[filter()], &[], &changes, &[], false);
        let al = &m.alarms[0];
        // Before the Put: the Put's configuration, assumed.
        assert!(al.at(t("2026-11-02T09:00:00Z")).is_some());
        let why = al.assumption_at(t("2026-11-02T09:00:00Z")).unwrap();
        assert!(why.contains("nothing in the logs or the history"), "{why}");
        assert!(al.assumption_at(t("2026-11-02T10:00:00Z")).is_none());
    }

    #[test]
    fn an_earlier_operation_or_history_item_proves_existence() {
        let changes = [
            change(
                "2026-11-02T08:00:00Z",
                "d1",
                "DisableAlarmActions",
                Effect::ActionsDisabled(vec!["A".into()]),
            ),
            put("2026-11-02T10:00:00Z", "p1"),
        ];
        let m = build(&[filter()], &[], &changes, &[], false);
        let why = m.alarms[0]
            .assumption_at(t("2026-11-02T07:00:00Z"))
            .unwrap();
        assert!(
            why.contains("DisableAlarmActions at 2026-11-02T08:00:00Z (eventID d1)"),
            "{why}"
        );
        // The actions switched off before the first Put count.
        assert!(!m.alarms[0].actions_at(t("2026-11-02T09:00:00Z")));

        let history = [history_item("2026-11-02T07:30:00Z")];
        let m = build(&[filter()], &[], &changes, &history, false);
        let why = m.alarms[0]
            .assumption_at(t("2026-11-02T07:00:00Z"))
            .unwrap();
        assert!(
            why.contains("the history shows it existed before: an item at 2026-11-02T07:30:00Z"),
            "{why}"
        );
    }

    #[test]
    fn only_a_delete_proves_absence() {
        let changes = [
            change(
                "2026-11-02T08:00:00Z",
                "x1",
                "DeleteAlarms",
                Effect::AlarmsDeleted(vec!["A".into()]),
            ),
            put("2026-11-02T10:00:00Z", "p1"),
        ];
        let m = build(&[filter()], &[], &changes, &[], false);
        let al = &m.alarms[0];
        assert!(
            al.at(t("2026-11-02T07:00:00Z")).is_some(),
            "existed before the delete"
        );
        assert!(
            al.at(t("2026-11-02T09:00:00Z")).is_none(),
            "deleted at 08:00"
        );
        assert!(al.at(t("2026-11-02T10:00:00Z")).is_some());
    }

    #[test]
    fn a_filter_first_seen_at_a_put_keeps_its_pattern_before_it() {
        let mut f = filter();
        f.creation_time = None;
        let changes = [change(
            "2026-11-02T10:00:00Z",
            "f1",
            "PutMetricFilter",
            Effect::FilterPut {
                log_group: "g".into(),
                filter: "F".into(),
                pattern: "{ $.eventName = DeleteSecurityGroup }".into(),
                namespace: "N".into(),
                metric: "M".into(),
            },
        )];
        let m = build(&[f], &[], &changes, &[], false);
        let fm = &m.filters[0];
        assert_eq!(
            fm.at(t("2026-11-02T09:00:00Z")),
            Some("{ $.eventName = DeleteSecurityGroup }")
        );
        assert!(fm.assumption_at(t("2026-11-02T09:00:00Z")).is_some());
    }
}
