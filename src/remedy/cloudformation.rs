//! The plan as a CloudFormation template (JSON, which CloudFormation reads
//! as it reads YAML). Parameters become template parameters; known names
//! are JSON strings. What a template cannot do to a resource it does not
//! manage (enable an existing alarm's actions, change an existing trail)
//! is listed in the template's `Metadata`, with the CLI command, rather
//! than done some other way. A resource the account already has must be
//! imported into the stack (or deleted) before the stack can own it.

use serde_json::{json, Map, Value};

use super::{preamble, Fix, Plan, Val, SUBSCRIBER};
use crate::cis;
use crate::report::sanitize::sanitize;

/// `SNS_TOPIC_ARN` as a template parameter name: `SnsTopicArn`.
fn param_name(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

fn value(v: &Val) -> Value {
    match v {
        Val::Known(s) => json!(s),
        Val::Param { name, .. } => json!({ "Ref": param_name(name) }),
    }
}

/// A filter's metric transformation, its unit and default kept.
fn transformation(f: &super::FilterFix) -> Value {
    let mut t = json!({
        "MetricName": value(&f.metric),
        "MetricNamespace": value(&f.namespace),
        "MetricValue": "1"
    });
    if let Some(u) = &f.unit {
        t["Unit"] = json!(u);
    }
    if let Some(d) = f.default_value {
        t["DefaultValue"] = json!(d);
    }
    t
}

/// Render `plan`.
pub fn render(plan: &Plan) -> String {
    let mut params = Map::new();
    for p in plan.params() {
        if let Val::Param {
            name,
            what,
            default,
        } = p
        {
            let mut spec = json!({ "Type": "String", "Description": what });
            if let Some(d) = default {
                spec["Default"] = json!(d);
            }
            params.insert(param_name(name), spec);
        }
    }
    let mut resources = Map::new();
    let mut elsewhere = Vec::new();
    let r = &cis::ALARM.rule;
    for (i, s) in plan.steps.iter().enumerate() {
        let why: Vec<String> = s.why.iter().map(|w| sanitize(w).into_owned()).collect();
        let n = i + 1;
        match &s.fix {
            Fix::Filter(f) => {
                resources.insert(
                    format!("SecurityGroupChangesFilter{n}"),
                    json!({
                        "Type": "AWS::Logs::MetricFilter",
                        "Metadata": { "Fixes": why },
                        "Properties": {
                            "LogGroupName": value(&f.log_group),
                            "FilterName": value(&f.name),
                            "FilterPattern": f.pattern,
                            "MetricTransformations": [transformation(f)]
                        }
                    }),
                );
            }
            Fix::Alarm(a) => {
                resources.insert(
                    format!("SecurityGroupChangesAlarm{n}"),
                    json!({
                        "Type": "AWS::CloudWatch::Alarm",
                        "Metadata": { "Fixes": why },
                        "Properties": {
                            "AlarmName": value(&a.name),
                            "MetricName": value(&a.metric),
                            "Namespace": value(&a.namespace),
                            "Statistic": r.statistic.as_str(),
                            "Period": r.period,
                            "EvaluationPeriods": r.evaluation_periods,
                            "DatapointsToAlarm": r.datapoints_to_alarm,
                            "Threshold": r.threshold,
                            "ComparisonOperator": r.comparison.as_str(),
                            "TreatMissingData": "notBreaching",
                            "ActionsEnabled": true,
                            "AlarmActions": a.topics.iter().map(value).collect::<Vec<_>>()
                        }
                    }),
                );
                let props = &mut resources
                    .get_mut(&format!("SecurityGroupChangesAlarm{n}"))
                    .expect("just inserted")["Properties"];
                if !a.ok_actions.is_empty() {
                    props["OKActions"] = json!(a.ok_actions);
                }
                if !a.insufficient_actions.is_empty() {
                    props["InsufficientDataActions"] = json!(a.insufficient_actions);
                }
                if let Some(u) = &a.unit {
                    props["Unit"] = json!(u);
                }
                if !a.dimensions.is_empty() {
                    props["Dimensions"] = json!(a
                        .dimensions
                        .iter()
                        .map(|(n, v)| json!({ "Name": n, "Value": v }))
                        .collect::<Vec<_>>());
                }
            }
            Fix::Subscribe { topic } => {
                resources.insert(
                    format!("SecurityTeamSubscription{n}"),
                    json!({
                        "Type": "AWS::SNS::Subscription",
                        "Metadata": { "Fixes": why },
                        "Properties": {
                            "TopicArn": topic,
                            "Protocol": "email",
                            "Endpoint": value(&SUBSCRIBER)
                        }
                    }),
                );
            }
            Fix::EnableActions { .. } | Fix::StartLogging { .. } | Fix::TrailToLogs { .. } => {
                let cmd = super::cli_lines(plan, s).join("\n");
                elsewhere.push(json!({ "Fixes": why, "Command": cmd }));
            }
        }
    }
    let mut doc = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": preamble(plan).join(" "),
        "Metadata": {
            "Control": plan.control,
            "NotInThisTemplate": elsewhere,
            "ToInvestigate": plan.investigate.iter().map(|i| sanitize(i).into_owned()).collect::<Vec<_>>()
        },
        "Resources": resources,
    });
    if !params.is_empty() {
        doc["Parameters"] = Value::Object(params);
    }
    if doc["Resources"].as_object().is_some_and(Map::is_empty) {
        // A template needs one resource: say so with one that does nothing.
        doc["Resources"] =
            json!({ "NothingToFix": { "Type": "AWS::CloudFormation::WaitConditionHandle" } });
    }
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_are_alphanumeric() {
        assert_eq!(param_name("SNS_TOPIC_ARN"), "SnsTopicArn");
        assert_eq!(
            param_name("CLOUDTRAIL_LOGS_ROLE_ARN"),
            "CloudtrailLogsRoleArn"
        );
    }
}
