//! CloudTrail's own record of the alarm pipeline (`docs/cloudtrail.md`,
//! "Events that change the alarm pipeline"): which metric filter, alarm,
//! trail and topic changes happened, and when.
//!
//! Request keys are looked up case-insensitively: their exact casing is
//! only partly confirmed (`oKActions` vs `okActions`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::alarm::State;
use crate::event::Event;
use crate::exports::alarms::{Dimension, MetricAlarm};

/// One configuration change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// eventTime.
    #[serde(serialize_with = "crate::event::ser_time")]
    pub time: DateTime<Utc>,
    /// Who made it.
    pub actor: String,
    /// eventName.
    pub event: String,
    /// eventID.
    #[serde(rename = "eventID")]
    pub id: String,
    /// What it changed, for people.
    pub detail: String,
    /// errorCode when the call failed (it changed nothing).
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The effect, for the replay.
    #[serde(skip)]
    pub effect: Effect,
}

/// What a change does to the pipeline.
#[derive(Debug, Clone)]
pub enum Effect {
    /// A metric filter created or replaced.
    FilterPut {
        /// Log group.
        log_group: String,
        /// Filter name.
        filter: String,
        /// The new pattern.
        pattern: String,
        /// Metric namespace.
        namespace: String,
        /// Metric name.
        metric: String,
    },
    /// A metric filter deleted.
    FilterDeleted {
        /// Log group.
        log_group: String,
        /// Filter name.
        filter: String,
    },
    /// A log group deleted, its filters with it.
    LogGroupDeleted(String),
    /// An alarm created or replaced.
    AlarmPut(Box<MetricAlarm>),
    /// Alarms deleted.
    AlarmsDeleted(Vec<String>),
    /// Alarm actions disabled.
    ActionsDisabled(Vec<String>),
    /// Alarm actions enabled.
    ActionsEnabled(Vec<String>),
    /// A state forced with SetAlarmState.
    StateSet(String, State),
    /// A trail stopped logging.
    LoggingStopped(String),
    /// A trail started logging.
    LoggingStarted(String),
    /// A trail deleted.
    TrailDeleted(String),
    /// CloudWatch Logs delivery of a trail set (Some log group) or removed.
    TrailLogGroup(String, Option<String>),
    /// Event selectors changed: whether write management events are still
    /// logged.
    Selectors(String, bool),
    /// An SNS topic or subscription changed.
    Sns(String),
    /// Failed, or nothing the replay uses.
    Nothing,
}

/// `v[key]` with the key compared case-insensitively.
fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    let o = v.as_object()?;
    o.get(key).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text(v: &Value, key: &str) -> Option<String> {
    match get(v, key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: &Value, key: &str) -> Option<f64> {
    match get(v, key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    match get(v, key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// A trail name from a name or an ARN.
fn trail_name(s: &str) -> String {
    s.rsplit_once(":trail/").map_or(s, |(_, n)| n).to_owned()
}

fn alarm_from_request(r: &Value) -> MetricAlarm {
    let ok_actions = {
        let a = strings(r, "oKActions");
        if a.is_empty() {
            strings(r, "okActions")
        } else {
            a
        }
    };
    MetricAlarm {
        alarm_name: text(r, "alarmName").unwrap_or_default(),
        alarm_arn: None,
        actions_enabled: get(r, "actionsEnabled")
            .and_then(|v| v.as_bool().or_else(|| v.as_str().map(|s| s == "true")))
            .unwrap_or(true),
        alarm_actions: strings(r, "alarmActions"),
        ok_actions,
        insufficient_data_actions: strings(r, "insufficientDataActions"),
        state_value: None,
        alarm_configuration_updated_timestamp: None,
        metric_name: text(r, "metricName"),
        namespace: text(r, "namespace"),
        statistic: text(r, "statistic"),
        extended_statistic: text(r, "extendedStatistic"),
        dimensions: match get(r, "dimensions") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|d| {
                    Some(Dimension {
                        name: text(d, "name")?,
                        value: text(d, "value")?,
                    })
                })
                .collect(),
            _ => vec![],
        },
        period: number(r, "period").map(|p| p as i64),
        unit: text(r, "unit"),
        evaluation_periods: number(r, "evaluationPeriods").map(|n| n as usize),
        datapoints_to_alarm: number(r, "datapointsToAlarm").map(|n| n as usize),
        threshold: number(r, "threshold"),
        comparison_operator: text(r, "comparisonOperator"),
        treat_missing_data: text(r, "treatMissingData"),
        metrics: get(r, "metrics").cloned(),
    }
}

/// Whether event selectors still log write management events.
fn logs_writes(r: &Value) -> bool {
    if let Some(Value::Array(adv)) = get(r, "advancedEventSelectors") {
        return adv.iter().any(|sel| {
            let fields = match get(sel, "fieldSelectors") {
                Some(Value::Array(f)) => f.clone(),
                _ => vec![],
            };
            let field = |name: &str| {
                fields
                    .iter()
                    .find(|f| text(f, "field").as_deref() == Some(name))
            };
            let management = field("eventCategory")
                .is_some_and(|f| strings(f, "equals").iter().any(|e| e == "Management"));
            let read_only_true =
                field("readOnly").is_some_and(|f| strings(f, "equals").iter().all(|e| e == "true"));
            management && !read_only_true
        });
    }
    match get(r, "eventSelectors") {
        Some(Value::Array(sels)) => sels.iter().any(|sel| {
            let mgmt = get(sel, "includeManagementEvents")
                .and_then(|v| v.as_bool())
                .unwrap_or(true);
            let rw = text(sel, "readWriteType").unwrap_or_else(|| "All".into());
            mgmt && (rw == "All" || rw == "WriteOnly")
        }),
        _ => true,
    }
}

/// Turn the collected pipeline records into changes, in time order.
pub fn changes(events: &[Event]) -> Vec<Change> {
    let mut out: Vec<Change> = events.iter().map(change).collect();
    out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    out
}

fn change(e: &Event) -> Change {
    let empty = Value::Null;
    let r = e.request.as_ref().unwrap_or(&empty);
    let (effect, detail) = effect(&e.name, r);
    let (effect, detail) = match &e.error_code {
        Some(code) => (Effect::Nothing, format!("{detail} (failed: {code})")),
        None => (effect, detail),
    };
    Change {
        time: e.time,
        actor: e.actor.clone(),
        event: e.name.clone(),
        id: e.id.clone(),
        detail,
        error_code: e.error_code.clone(),
        effect,
    }
}

fn effect(name: &str, r: &Value) -> (Effect, String) {
    let s = |k: &str| text(r, k).unwrap_or_default();
    match name {
        "PutMetricFilter" => {
            let t = match get(r, "metricTransformations") {
                Some(Value::Array(a)) => a.first().cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            };
            let (namespace, metric) = (
                text(&t, "metricNamespace").unwrap_or_default(),
                text(&t, "metricName").unwrap_or_default(),
            );
            let detail = format!(
                "metric filter {:?} on {} -> {namespace}/{metric}: {}",
                s("filterName"),
                s("logGroupName"),
                s("filterPattern")
            );
            (
                Effect::FilterPut {
                    log_group: s("logGroupName"),
                    filter: s("filterName"),
                    pattern: s("filterPattern"),
                    namespace,
                    metric,
                },
                detail,
            )
        }
        "DeleteMetricFilter" => (
            Effect::FilterDeleted {
                log_group: s("logGroupName"),
                filter: s("filterName"),
            },
            format!(
                "metric filter {:?} deleted from {}",
                s("filterName"),
                s("logGroupName")
            ),
        ),
        "DeleteLogGroup" => (
            Effect::LogGroupDeleted(s("logGroupName")),
            format!(
                "log group {} deleted, with its metric filters",
                s("logGroupName")
            ),
        ),
        "PutMetricAlarm" => {
            let a = alarm_from_request(r);
            let detail =
                format!(
                "alarm {:?} on {}/{}: {} over {} s {} {}, {} of {}, missing data {}, actions {}{}",
                a.alarm_name,
                a.namespace.as_deref().unwrap_or("?"),
                a.metric_name.as_deref().unwrap_or("?"),
                a.statistic.as_deref().unwrap_or("?"),
                a.period.unwrap_or(0),
                a.comparison_operator.as_deref().unwrap_or("?"),
                a.threshold.unwrap_or(f64::NAN),
                a.datapoints_to_alarm.or(a.evaluation_periods).unwrap_or(0),
                a.evaluation_periods.unwrap_or(0),
                a.treat_missing_data.as_deref().unwrap_or("missing"),
                if a.actions_enabled { "enabled" } else { "disabled" },
                if a.alarm_actions.is_empty() {
                    ", no alarm action".to_owned()
                } else {
                    format!(" -> {}", a.alarm_actions.join(", "))
                }
            );
            (Effect::AlarmPut(Box::new(a)), detail)
        }
        "DeleteAlarms" => {
            let n = strings(r, "alarmNames");
            let d = format!("alarms deleted: {}", n.join(", "));
            (Effect::AlarmsDeleted(n), d)
        }
        "DisableAlarmActions" => {
            let n = strings(r, "alarmNames");
            let d = format!("actions disabled: {}", n.join(", "));
            (Effect::ActionsDisabled(n), d)
        }
        "EnableAlarmActions" => {
            let n = strings(r, "alarmNames");
            let d = format!("actions enabled: {}", n.join(", "));
            (Effect::ActionsEnabled(n), d)
        }
        "SetAlarmState" => match State::parse(&s("stateValue")) {
            Some(st) => (
                Effect::StateSet(s("alarmName"), st),
                format!(
                    "alarm {:?} forced to {st}: {}",
                    s("alarmName"),
                    s("stateReason")
                ),
            ),
            None => (
                Effect::Nothing,
                format!("alarm {:?}: state set", s("alarmName")),
            ),
        },
        "StopLogging" => {
            let t = trail_name(&s("name"));
            (
                Effect::LoggingStopped(t.clone()),
                format!("trail {t} stopped logging"),
            )
        }
        "StartLogging" => {
            let t = trail_name(&s("name"));
            (
                Effect::LoggingStarted(t.clone()),
                format!("trail {t} started logging"),
            )
        }
        "DeleteTrail" => {
            let t = trail_name(&s("name"));
            (
                Effect::TrailDeleted(t.clone()),
                format!("trail {t} deleted"),
            )
        }
        "CreateTrail" | "UpdateTrail" => {
            let t = trail_name(&s("name"));
            match get(r, "cloudWatchLogsLogGroupArn") {
                Some(v) => {
                    let arn = v.as_str().unwrap_or_default().to_owned();
                    if arn.is_empty() {
                        (
                            Effect::TrailLogGroup(t.clone(), None),
                            format!("trail {t}: delivery to CloudWatch Logs removed"),
                        )
                    } else {
                        let d = format!("trail {t}: delivers to CloudWatch Logs {arn}");
                        (Effect::TrailLogGroup(t, Some(arn)), d)
                    }
                }
                None => (
                    Effect::Nothing,
                    format!(
                        "trail {t} {}",
                        if name == "CreateTrail" {
                            "created"
                        } else {
                            "updated"
                        }
                    ),
                ),
            }
        }
        "PutEventSelectors" => {
            let t = trail_name(&s("trailName"));
            let w = logs_writes(r);
            let d = if w {
                format!("trail {t}: event selectors changed; write management events still logged")
            } else {
                format!("trail {t}: event selectors no longer log write management events")
            };
            (Effect::Selectors(t, w), d)
        }
        _ => {
            let topic = text(r, "topicArn")
                .or_else(|| text(r, "name"))
                .or_else(|| text(r, "subscriptionArn"))
                .unwrap_or_default();
            let what = match name {
                "SetTopicAttributes" | "SetSubscriptionAttributes" => {
                    format!(
                        "{name} {topic}: {} = {}",
                        s("attributeName"),
                        s("attributeValue")
                    )
                }
                "Subscribe" => format!("Subscribe {topic}: {} {}", s("protocol"), s("endpoint")),
                _ => format!("{name} {topic}"),
            };
            (Effect::Sns(topic), what)
        }
    }
}
