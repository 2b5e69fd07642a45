//! `ctreplay audit`: what the alarm would have caught, and whether the
//! deployed one fired (domain.md sections 2-4 and 7).
//!
//! 1. The scan finds the events each filter version matches, and the
//!    pipeline changes CloudTrail recorded ([`timeline`]).
//! 2. [`model`] turns exports and changes into what was in force when:
//!    filter versions, alarm versions, actions on or off, trails logging
//!    or not.
//! 3. [`replay`] builds each alarm's metric (datapoint at eventTime plus
//!    the delivery delay) and runs the state machine over it: episodes of
//!    ALARM and the notifications they send.
//! 4. [`matching`] pairs replayed notifications with the exported
//!    history: caught, delivery failed, missed, unexplained, unjudgeable.
//! 5. [`config`] checks the exported configuration itself.

pub mod config;
pub mod matching;
pub mod model;
pub mod replay;
pub mod report;
pub mod timeline;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::record::format_time;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A security-group change could go unnoticed: exit code 3.
    Gap,
    /// Worth knowing; not a gap.
    Info,
}

/// One thing the audit found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Gap or info.
    pub severity: Severity,
    /// When, if it happened at a time.
    #[serde(serialize_with = "crate::record::ser_opt_time")]
    pub time: Option<DateTime<Utc>>,
    /// Machine-readable kind (`missed`, `change_while_blind`, ...).
    pub kind: String,
    /// What is wrong.
    pub detail: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

impl Finding {
    /// A finding.
    pub fn new(
        kind: &str,
        severity: Severity,
        time: Option<DateTime<Utc>>,
        detail: String,
        fix: &str,
    ) -> Finding {
        Finding {
            severity,
            time,
            kind: kind.to_owned(),
            detail,
            fix: fix.to_owned(),
        }
    }
}

/// Replay and matching assumptions (domain.md 2.4, 3.2, 3.4).
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
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            delivery_delay_seconds: 300,
            match_window_seconds: 20 * 60,
            evaluation_range_periods: None,
        }
    }
}

use crate::detect::{self, Filter, SECURITY_GROUP_PATTERN};
use crate::exports::alarms::MetricAlarm;
use crate::exports::history::Item;
use crate::exports::metric_filters::{MetricFilter, MetricTransformation};
use crate::scan::ScanReport;
use model::{Model, Source};
use replay::{Episode, Fate};
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
}

/// Name of the recommended alarm replayed without exports.
pub const RECOMMENDED_ALARM: &str = "recommended CIS alarm";

impl Inputs {
    /// The CIS six-name filter and the recommended alarm (Sum, 300 s,
    /// >= 1, 1 of 1, missing data missing, an SNS action).
    pub fn recommended() -> Inputs {
        Inputs {
            filters: vec![MetricFilter {
                filter_name: crate::filter::presets::DEFAULT.into(),
                filter_pattern: SECURITY_GROUP_PATTERN.into(),
                metric_transformations: vec![MetricTransformation {
                    metric_name: "SecurityGroupEventCount".into(),
                    metric_namespace: "CISBenchmark".into(),
                    metric_value: "1".into(),
                    default_value: None,
                    unit: None,
                }],
                creation_time: None,
                log_group_name: None,
            }],
            alarms: vec![MetricAlarm {
                alarm_name: RECOMMENDED_ALARM.into(),
                actions_enabled: true,
                alarm_actions: vec!["arn:aws:sns:recommended".into()],
                ok_actions: vec![],
                insufficient_data_actions: vec![],
                state_value: None,
                alarm_configuration_updated_timestamp: None,
                metric_name: Some("SecurityGroupEventCount".into()),
                namespace: Some("CISBenchmark".into()),
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
            }],
            history: None,
            defaulted: true,
        }
    }
}

/// The filters the scanner must evaluate for `model`: every pattern every
/// filter had.
pub fn scan_filters(model: &Model) -> Result<Vec<Filter>, crate::filter::PatternError> {
    model
        .detector_filters()
        .into_iter()
        .map(|(n, p)| Filter::new(&n, &p))
        .collect()
}

/// One security-group change and what the alarm made of it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeOutcome {
    /// eventTime.
    #[serde(rename = "eventTime", serialize_with = "crate::record::ser_time")]
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
    /// caught, notified (no history), delivery_failed, missed,
    /// unjudgeable, not_notified, blind_spot.
    pub status: String,
    /// The alarm concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm: Option<String>,
    /// Why it was not notified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl ChangeOutcome {
    fn of(
        e: &crate::record::Event,
        status: String,
        alarm: Option<String>,
        why: Option<String>,
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
    /// Transitions into ALARM in the history (null without history).
    pub actual_notifications: Option<u64>,
    /// Fired and delivered.
    pub caught: u64,
    /// Fired, delivery failed.
    pub delivery_failed: u64,
    /// Should have fired, did not.
    pub missed: u64,
    /// Fired without a replayed cause.
    pub unexplained: u64,
    /// Too old for the history.
    pub unjudgeable: u64,
    /// Findings of severity gap.
    pub gaps: u64,
}

/// An alarm as audited.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmInfo {
    /// Name.
    pub name: String,
    /// export, cloudtrail or recommended.
    pub source: Source,
    /// `namespace/metric`.
    pub metric: String,
    /// Filters publishing that metric.
    pub filters: Vec<String>,
}

/// The audit's result.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
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
}

/// Run the audit over a finished scan.
///
/// `span` is the time the logs cover (the scan's --since/--until, or the
/// first and last event): actual transitions outside it are not judged.
pub fn assemble(
    inputs: &Inputs,
    model: &Model,
    report: &ScanReport,
    changes: Vec<Change>,
    a: &Assumptions,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Audit {
    let events = &report.totals.events;
    let mut replay = replay::run(model, events, a, span);
    let mut findings = Vec::new();

    // Configuration.
    if !inputs.defaulted {
        let mut any_catching = false;
        for f in &inputs.filters {
            if let Ok(p) = crate::filter::Pattern::parse(&f.filter_pattern) {
                any_catching |= config::filter_findings(&f.filter_name, &p, &mut findings);
            }
        }
        if !any_catching {
            findings.push(Finding::new(
                "no_security_group_filter",
                Severity::Gap,
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
                .is_some_and(|p| config::misses(&p).0.len() < detect::SECURITY_GROUP_EVENTS.len());
            if catches && !watched {
                findings.push(Finding::new(
                    "no_alarm_on_filter",
                    Severity::Gap,
                    None,
                    format!("no alarm watches {}/{}, the metric of filter {:?}", f.namespace, f.metric, f.name),
                    "aws cloudwatch put-metric-alarm --statistic Sum --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 --alarm-actions SNS_TOPIC_ARN",
                ));
            }
        }
        for al in &model.alarms {
            if let Some(cfg) = al.versions.iter().rev().find_map(|(_, c)| c.as_ref()) {
                let f = model
                    .filters
                    .iter()
                    .find(|f| al.metric() == Some((f.namespace.clone(), f.metric.clone())));
                config::alarm_findings(
                    cfg,
                    f.and_then(|f| f.value),
                    f.and_then(|f| f.unit.as_deref()),
                    f.is_some_and(|f| f.default_value.is_some()),
                    &mut findings,
                );
                if f.is_some_and(|f| f.value.is_none()) {
                    findings.push(Finding::new(
                        "metric_value_from_field",
                        Severity::Info,
                        None,
                        format!("the filter feeding {:?} publishes a field's value; the replay counts 1 per event", al.name),
                        "",
                    ));
                }
            }
        }
    }
    for (name, why) in &replay.skipped {
        findings.push(Finding::new(
            "alarm_not_replayable",
            Severity::Info,
            None,
            format!("alarm {name:?}: {why}"),
            "",
        ));
    }

    // Windows when the pipeline was blind.
    for w in &model.trail_blind {
        findings.push(Finding::new(
            "blind_window",
            Severity::Info,
            Some(w.from),
            format!(
                "{} from {} to {}{}",
                w.cause,
                format_time(&w.from),
                w.until.map_or("the end of the logs".into(), |u| format_time(&u)),
                if w.blinds {
                    ": it delivers to CloudWatch Logs, so the alarms were blind"
                } else {
                    " (not known to deliver to CloudWatch Logs; alarms blind only if it feeds the alarm's log group)"
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
                    "actions_disabled_window",
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
                        "alarm_deleted",
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
                    "filter_deleted",
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
            let (c, f) = matching::judge(&mut replay.episodes, h, window, span, &forced);
            findings.extend(f);
            Some(c)
        }
        None => {
            for e in &mut replay.episodes {
                e.verdict = if e.notifies {
                    "replayed".into()
                } else {
                    "silent".into()
                };
            }
            None
        }
    };

    // Each security-group change.
    let mut outcomes = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if !detect::is_security_group_change(&e.name) {
            continue;
        }
        let fates = &replay.fates[i];
        let notified = fates.iter().find_map(|(al, f)| match f {
            Fate::Notified(k) => Some((al, *k)),
            _ => None,
        });
        let (status, alarm, why) = match notified {
            Some((al, k)) => {
                let v = &replay.episodes[k].verdict;
                let status = if v == "replayed" {
                    "notified".to_owned()
                } else {
                    v.clone()
                };
                (status, Some(al.clone()), None)
            }
            None => match fates.first() {
                None => (
                    "not_notified".to_owned(),
                    None,
                    Some("no alarm watches a metric that matches it".to_owned()),
                ),
                Some((al, f)) => {
                    let why = match f {
                        Fate::Silent(_, w) | Fate::NoTransition(w) | Fate::NoDatapoint(w) => {
                            w.clone()
                        }
                        Fate::Notified(_) => String::new(),
                    };
                    ("not_notified".to_owned(), Some(al.clone()), Some(why))
                }
            },
        };
        outcomes.push(ChangeOutcome::of(e, status, alarm, why));
    }
    for e in &report.totals.blind_spots {
        let why = format!(
            "no filter matches {}: {}",
            e.name,
            e.why_unseen.unwrap_or("")
        );
        outcomes.push(ChangeOutcome::of(e, "blind_spot".into(), None, Some(why)));
    }
    outcomes.sort_by(|x, y| x.time.cmp(&y.time).then_with(|| x.id.cmp(&y.id)));
    for o in &outcomes {
        let blind = o.why.as_deref().is_some_and(|w| {
            [
                "not logging",
                "deleted",
                "did not deliver",
                "did not log",
                "not in place",
                "did not exist",
                "disabled",
            ]
            .iter()
            .any(|k| w.contains(k))
        });
        let (kind, fix) = match o.status.as_str() {
            "blind_spot" => ("blind_spot", "add the event name to the metric filter's pattern"),
            "not_notified" if blind => ("change_while_blind", "keep the trail, filter, alarm and its actions in place; alarm on changes to them (CIS 4.5)"),
            "not_notified" if o.why.as_deref().is_some_and(|w| w.contains("in ALARM since")) => (
                "change_during_alarm",
                "the alarm sends nothing while it stays in ALARM; notify per change with an EventBridge rule on the event names",
            ),
            "not_notified" => ("change_not_notified", "fix the alarm configuration findings above"),
            _ => continue,
        };
        findings.push(Finding::new(
            kind,
            Severity::Gap,
            Some(o.time),
            format!(
                "{} {} by {} ({}, {}): {}",
                o.name,
                o.id,
                o.actor,
                o.account,
                o.region,
                o.why.as_deref().unwrap_or("")
            ),
            fix,
        ));
    }
    findings.sort();
    findings.dedup();

    let total = outcomes.len() as u64;
    let notified = outcomes
        .iter()
        .filter(|o| o.status == "notified" || o.status == "caught")
        .count() as u64;
    let c = counts.unwrap_or_default();
    let summary = Summary {
        security_group_changes: total,
        notified,
        coverage: (total > 0).then(|| notified as f64 / total as f64),
        replayed_notifications: replay.episodes.iter().filter(|e| e.notifies).count() as u64,
        actual_notifications: counts.map(|c| c.actual_notifications),
        caught: c.caught,
        delivery_failed: c.delivery_failed,
        missed: c.missed,
        unexplained: c.unexplained,
        unjudgeable: c.unjudgeable,
        gaps: findings
            .iter()
            .filter(|f| f.severity == Severity::Gap)
            .count() as u64,
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
    Audit {
        summary,
        assumptions: a.clone(),
        alarms,
        episodes,
        findings,
        timeline: changes,
        changes: outcomes,
    }
}
