//! What was in force when: filter versions, alarm versions, alarm actions,
//! trail logging, from the exports and CloudTrail's own changes.
//!
//! Rules (stated in the report's assumptions):
//! - an exported filter is in force from its `creationTime`, or always when
//!   it has none, unless CloudTrail shows otherwise;
//! - a `PutMetricFilter`/`PutMetricAlarm` sets the configuration from its
//!   time on; when it is the first change seen for a name, it is taken as
//!   the creation (nothing before it), the conservative reading for an
//!   audit; a delete removes it;
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
use crate::exports::alarms::MetricAlarm;
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
pub fn build(
    filters: &[MetricFilter],
    alarms: &[MetricAlarm],
    changes: &[Change],
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
        })
        .collect();
    if !defaulted {
        apply_filter_changes(&mut fmodels, changes);
        apply_alarm_changes(&mut amodels, &fmodels, changes);
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
                        });
                        fmodels.len() - 1
                    }
                    None => continue,
                };
                let f = &mut fmodels[idx];
                if !seen.contains(filter) {
                    seen.push(filter.clone());
                    // The first change seen is a creation: nothing before it,
                    // unless the export says the filter is older.
                    let older = f.versions.last().is_some_and(|(from, p)| {
                        p.is_some() && from.is_some_and(|created| created < c.time)
                    });
                    if !older {
                        f.versions = vec![(None, None)];
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

fn apply_alarm_changes(amodels: &mut Vec<AlarmModel>, fmodels: &[FilterModel], changes: &[Change]) {
    let metrics = metrics_of(fmodels);
    let mut seen: Vec<String> = Vec::new();
    for c in changes {
        match &c.effect {
            Effect::AlarmPut(a) => {
                let idx = match amodels.iter().position(|m| m.name == a.alarm_name) {
                    Some(i) => i,
                    None => {
                        let watched = matches!((&a.namespace, &a.metric_name), (Some(n), Some(m)) if metrics.contains(&(n.clone(), m.clone())));
                        if !watched {
                            continue;
                        }
                        amodels.push(AlarmModel {
                            name: a.alarm_name.clone(),
                            source: ConfigSource::Cloudtrail,
                            versions: vec![(None, None)],
                            actions: vec![],
                            forced: vec![],
                        });
                        amodels.len() - 1
                    }
                };
                let m = &mut amodels[idx];
                if !seen.contains(&m.name) {
                    seen.push(m.name.clone());
                    m.versions = vec![(None, None)];
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
