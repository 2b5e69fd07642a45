//! The configuration checks: does a metric filter catch the security-group
//! changes, and can an alarm on its metric notify on one event? Patterns
//! are evaluated on CloudTrail-shaped records, never compared as text.
//! Whether an alarm watches the filter's metric at all, and what happened
//! over time, is the rest of the audit's.

use crate::alarm::{Comparison, Missing, Statistic};
use crate::cis::{MODIFY_SECURITY_GROUP_RULES, SECURITY_GROUP_EVENTS};
use crate::exports::alarms::MetricAlarm;
use crate::filter::Pattern;

use super::findings::{Finding, FindingKind, Severity};

/// A CloudTrail-shaped record for `name`, successful or failed.
fn sample(name: &str, error: Option<&str>) -> String {
    let err = error.map_or(String::new(), |c| {
        format!(r#","errorCode":"{c}","errorMessage":"x""#)
    });
    format!(
        r#"{{"eventVersion":"1.10","eventTime":"2025-03-14T09:38:51Z","eventSource":"ec2.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userAgent":"aws-cli/2","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a","accountId":"111122223333"}},"requestParameters":{{"groupId":"sg-0a1b2c3d4e5f67890"}},"responseElements":{{"_return":true}},"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"{err}}}"#
    )
}

/// The security-group names a pattern misses, successful calls first;
/// then whether it also misses failed or DryRun calls of names it catches.
pub fn misses(pattern: &Pattern) -> (Vec<&'static str>, bool, bool) {
    let mut missed = Vec::new();
    let mut failed = false;
    let mut modify = false;
    for name in SECURITY_GROUP_EVENTS {
        if !pattern.matches_message(&sample(name, None)) {
            missed.push(name);
        } else if !pattern.matches_message(&sample(name, Some("Client.UnauthorizedOperation")))
            || !pattern.matches_message(&sample(name, Some("Client.DryRunOperation")))
        {
            failed = true;
        }
    }
    if !pattern.matches_message(&sample(MODIFY_SECURITY_GROUP_RULES, None)) {
        modify = true;
    }
    (missed, failed, modify)
}

/// Findings about one filter's pattern.
pub fn filter_findings(name: &str, pattern: &Pattern, out: &mut Vec<Finding>) -> bool {
    let start = out.len();
    let catches = pattern_findings(name, pattern, out);
    for f in &mut out[start..] {
        f.about.filter = Some(name.to_owned());
    }
    catches
}

fn pattern_findings(name: &str, pattern: &Pattern, out: &mut Vec<Finding>) -> bool {
    let (missed, failed, modify) = misses(pattern);
    if missed.len() == SECURITY_GROUP_EVENTS.len() {
        return false;
    }
    if !missed.is_empty() {
        out.push(Finding::new(
            FindingKind::FilterMissesNames,
            Severity::High,
            None,
            format!("metric filter {name:?} does not match {}", missed.join(", ")),
            "add a ($.eventName = NAME) term for each, or use the CIS pattern (ctreplay presets 4.10)",
        ));
    }
    if failed {
        out.push(Finding::new(
            FindingKind::FilterSkipsFailedCalls,
            Severity::Info,
            None,
            format!("metric filter {name:?} does not match failed or DryRun security-group calls"),
            "CIS counts attempts too: drop the errorCode condition if attempts should alarm",
        ));
    }
    if modify {
        out.push(Finding::new(
            FindingKind::FilterMissesModifySecurityGroupRules,
            Severity::High,
            None,
            format!(
                "metric filter {name:?} does not match ModifySecurityGroupRules, which edits rules in place (CIS v5.0.0 4.10 adds it)"
            ),
            "add || ($.eventName = ModifySecurityGroupRules) (ctreplay presets cis-5.0-4.10)",
        ));
    }
    true
}

/// Findings about an alarm on a security-group metric whose filter
/// publishes `value` per event; `unit` is the filter's unit; `dense` says
/// the filter has a `defaultValue`, so data is rarely missing.
pub fn alarm_findings(
    a: &MetricAlarm,
    value: Option<f64>,
    unit: Option<&str>,
    dense: bool,
    out: &mut Vec<Finding>,
) {
    let start = out.len();
    rule_findings(a, value, unit, dense, out);
    for f in &mut out[start..] {
        f.about.alarm = Some(a.alarm_name.clone());
        f.about.resource = a.alarm_arn.clone();
    }
}

fn rule_findings(
    a: &MetricAlarm,
    value: Option<f64>,
    unit: Option<&str>,
    dense: bool,
    out: &mut Vec<Finding>,
) {
    let name = &a.alarm_name;
    let mut push = |kind: FindingKind, sev, detail: String, fix: &str| {
        out.push(Finding::new(kind, sev, None, detail, fix));
    };
    let rule = match a.rule(None) {
        Ok(r) => r,
        Err(why) => {
            push(
                FindingKind::AlarmNotReplayable,
                Severity::High,
                format!("alarm {name:?}: {why}"),
                "use a plain metric alarm: Sum, Period 300, >= 1, 1 of 1",
            );
            return;
        }
    };
    let v = value.unwrap_or(1.0);
    let one = match rule.statistic {
        Statistic::SampleCount => 1.0,
        _ => v,
    };
    if !rule.comparison.breaches(one, rule.threshold) {
        push(
            FindingKind::SingleEventCannotAlarm,
            Severity::High,
            format!(
                "alarm {name:?}: one event gives {:?} {one}, which is not {} {}",
                rule.statistic,
                rule.comparison.phrase(),
                rule.threshold
            ),
            "Threshold 1 with GreaterThanOrEqualToThreshold",
        );
    }
    if rule.datapoints_to_alarm > 1 {
        push(
            FindingKind::SeveralDatapointsNeeded,
            Severity::High,
            format!(
                "alarm {name:?} needs {} breaching periods of {}: a single change never alarms",
                rule.datapoints_to_alarm, rule.evaluation_periods
            ),
            "EvaluationPeriods 1 and DatapointsToAlarm 1",
        );
    }
    if matches!(rule.statistic, Statistic::Average | Statistic::Minimum)
        && rule.comparison != Comparison::GreaterThanOrEqualToThreshold
    {
        push(
            FindingKind::UnusualStatistic,
            Severity::Info,
            format!("alarm {name:?} uses {:?}", rule.statistic),
            "Statistic Sum",
        );
    }
    match rule.missing {
        _ if dense => {}
        Missing::Breaching => push(
            FindingKind::TreatMissingBreaching,
            Severity::High,
            format!("alarm {name:?} treats missing data as breaching: the metric is missing almost always, so the alarm sits in ALARM and security-group changes never cause a transition"),
            "TreatMissingData notBreaching (or missing)",
        ),
        Missing::Ignore => push(
            FindingKind::TreatMissingIgnore,
            Severity::High,
            format!("alarm {name:?} ignores missing data: after its first ALARM it never returns to OK, so later changes do not notify"),
            "TreatMissingData notBreaching (or missing)",
        ),
        _ => {}
    }
    if rule.period > 3600 {
        push(
            FindingKind::LongPeriod,
            Severity::Info,
            format!("alarm {name:?} has a Period of {} s", rule.period),
            "Period 300",
        );
    }
    if !a.actions_enabled {
        push(
            FindingKind::ActionsDisabled,
            Severity::High,
            format!(
                "alarm {name:?} has ActionsEnabled false: it changes state but notifies nobody"
            ),
            "enable its actions (--fix cli prints the command)",
        );
    }
    if !a
        .alarm_actions
        .iter()
        .any(|x| x.starts_with("arn:aws:sns:") || x.contains(":sns:"))
    {
        push(
            FindingKind::NoSnsAction,
            Severity::High,
            format!("alarm {name:?} has no SNS topic among its AlarmActions"),
            "add an SNS topic with a confirmed subscription to AlarmActions",
        );
    }
    if let Some(u) = &a.unit {
        if Some(u.as_str()) != unit && !(u == "None" && unit.is_none()) {
            push(
                FindingKind::UnitMismatch,
                Severity::High,
                format!("alarm {name:?} selects Unit {u}, the filter publishes {}: the alarm sees no data", unit.unwrap_or("None")),
                "remove Unit from the alarm",
            );
        }
    }
    if !a.dimensions.is_empty() {
        push(
            FindingKind::DimensionsMismatch,
            Severity::High,
            format!("alarm {name:?} selects dimensions the metric filter does not publish"),
            "remove Dimensions from the alarm",
        );
    }
    if value.is_some_and(|v| v <= 0.0) {
        push(
            FindingKind::MetricValueNotPositive,
            Severity::High,
            format!(
                "the metric filter feeding {name:?} publishes {}",
                value.unwrap_or(0.0)
            ),
            "metricValue 1",
        );
    }
}
