//! The plan as a Python script using boto3. Known values are Python string
//! literals (JSON's escaping is Python's); parameters are environment
//! variables the script reads, required unless CIS names a default.

use super::{preamble, Fix, Plan, Val, LOGS_ROLE_ARN, LOG_GROUP_ARN, SUBSCRIBER};
use crate::cis;
use crate::report::sanitize::sanitize;

fn lit(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

fn expr(v: &Val) -> String {
    match v {
        Val::Known(s) => lit(s),
        Val::Param { name, .. } => name.to_string(),
    }
}

fn client(service: &str, region: Option<&str>) -> String {
    match region {
        Some(r) => format!("boto3.client({}, region_name={})", lit(service), lit(r)),
        None => format!("boto3.client({})", lit(service)),
    }
}

/// Render `plan`.
pub fn render(plan: &Plan) -> String {
    let mut out = String::from("#!/usr/bin/env python3\n");
    for l in preamble(plan) {
        out += &format!("# {}\n", sanitize(&l));
    }
    out += "import os\n\nimport boto3\n";
    let params = plan.params();
    if !params.is_empty() {
        out += "\n# Values ctreplay does not know: set them in the environment.\n";
        for p in params {
            if let Val::Param {
                name,
                what,
                default,
            } = p
            {
                match default {
                    Some(d) => {
                        out += &format!(
                            "{name} = os.environ.get({}, {})  # {what} (default: the CIS name)\n",
                            lit(name),
                            lit(d)
                        )
                    }
                    None => out += &format!("{name} = os.environ[{}]  # {what}\n", lit(name)),
                }
            }
        }
    }
    let r = &cis::ALARM.rule;
    for s in &plan.steps {
        out += "\n";
        for w in &s.why {
            out += &format!("# Fixes {}\n", sanitize(w));
        }
        let region = s.region.as_deref();
        out += &match &s.fix {
            Fix::Filter(f) => format!(
                "{}.put_metric_filter(\n    logGroupName={},\n    filterName={},\n    filterPattern={},\n    metricTransformations=[{{\"metricName\": {}, \"metricNamespace\": {}, \"metricValue\": \"1\"}}],\n)\n",
                client("logs", region),
                expr(&f.log_group),
                expr(&f.name),
                lit(&f.pattern),
                expr(&f.metric),
                expr(&f.namespace)
            ),
            Fix::Alarm(a) => format!(
                "{}.put_metric_alarm(\n    AlarmName={},\n    MetricName={},\n    Namespace={},\n    Statistic={},\n    Period={},\n    EvaluationPeriods={},\n    DatapointsToAlarm={},\n    Threshold={:?},\n    ComparisonOperator={},\n    TreatMissingData=\"notBreaching\",\n    ActionsEnabled=True,\n    AlarmActions=[{}],\n)\n",
                client("cloudwatch", region),
                expr(&a.name),
                expr(&a.metric),
                expr(&a.namespace),
                lit(r.statistic.as_str()),
                r.period,
                r.evaluation_periods,
                r.datapoints_to_alarm,
                r.threshold,
                lit(r.comparison.as_str()),
                a.topics.iter().map(expr).collect::<Vec<_>>().join(", ")
            ),
            Fix::EnableActions { alarm } => format!(
                "{}.enable_alarm_actions(AlarmNames=[{}])\n",
                client("cloudwatch", region),
                lit(alarm)
            ),
            Fix::Subscribe { topic } => format!(
                "{}.subscribe(TopicArn={}, Protocol=\"email\", Endpoint={})\n",
                client("sns", region),
                lit(topic),
                expr(&SUBSCRIBER)
            ),
            Fix::StartLogging { trail } => format!(
                "{}.start_logging(Name={})\n",
                client("cloudtrail", region),
                lit(trail)
            ),
            Fix::EventSelectors { trail } => format!(
                "{}.put_event_selectors(\n    TrailName={},\n    EventSelectors=[{{\"ReadWriteType\": \"All\", \"IncludeManagementEvents\": True}}],\n)\n",
                client("cloudtrail", region),
                lit(trail)
            ),
            Fix::TrailToLogs { trail } => format!(
                "{}.update_trail(\n    Name={},\n    IsMultiRegionTrail=True,\n    CloudWatchLogsLogGroupArn={},\n    CloudWatchLogsRoleArn={},\n)\n",
                client("cloudtrail", region),
                expr(trail),
                expr(&LOG_GROUP_ARN),
                expr(&LOGS_ROLE_ARN)
            ),
        };
    }
    if !plan.investigate.is_empty() {
        out += "\n# Not fixed by configuration; to investigate:\n";
        for i in &plan.investigate {
            out += &format!("# - {}\n", sanitize(i));
        }
    }
    out
}
