//! The plan as a Python script using boto3. Known values are Python string
//! literals (JSON's escaping is Python's); parameters are environment
//! variables the script reads, required unless CIS names a default.

use super::{preamble, Fix, Plan, Val, LOGS_ROLE_ARN, LOG_GROUP_ARN, SUBSCRIBER};
use crate::cis;
use crate::report::sanitize::{dangerous, sanitize};

/// `s` as a string literal that is both valid JSON and valid Python, with
/// control and bidirectional characters as `\uXXXX` escapes (serde_json
/// leaves C1 controls and bidi overrides raw), so a printed script shows
/// them.
pub(crate) fn literal(s: &str) -> String {
    let json = serde_json::to_string(s).expect("strings serialize");
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if dangerous(c) {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn lit(s: &str) -> String {
    literal(s)
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
            Fix::Filter(f) => {
                let mut t = format!(
                    "{{\"metricName\": {}, \"metricNamespace\": {}, \"metricValue\": \"1\"",
                    expr(&f.metric),
                    expr(&f.namespace)
                );
                if let Some(u) = &f.unit {
                    t += &format!(", \"unit\": {}", lit(u));
                }
                if let Some(d) = f.default_value {
                    t += &format!(", \"defaultValue\": {d:?}");
                }
                format!(
                    "{}.put_metric_filter(\n    logGroupName={},\n    filterName={},\n    filterPattern={},\n    metricTransformations=[{t}}}],\n)\n",
                    client("logs", region),
                    expr(&f.log_group),
                    expr(&f.name),
                    lit(&f.pattern),
                )
            }
            Fix::Alarm(a) => {
                let list = |v: &[String]| v.iter().map(|x| lit(x)).collect::<Vec<_>>().join(", ");
                let mut extra = String::new();
                if !a.ok_actions.is_empty() {
                    extra += &format!("    OKActions=[{}],\n", list(&a.ok_actions));
                }
                if !a.insufficient_actions.is_empty() {
                    extra += &format!(
                        "    InsufficientDataActions=[{}],\n",
                        list(&a.insufficient_actions)
                    );
                }
                if let Some(u) = &a.unit {
                    extra += &format!("    Unit={},\n", lit(u));
                }
                if !a.dimensions.is_empty() {
                    let dims: Vec<String> = a
                        .dimensions
                        .iter()
                        .map(|(n, v)| format!("{{\"Name\": {}, \"Value\": {}}}", lit(n), lit(v)))
                        .collect();
                    extra += &format!("    Dimensions=[{}],\n", dims.join(", "));
                }
                format!(
                    "{}.put_metric_alarm(\n    AlarmName={},\n    MetricName={},\n    Namespace={},\n    Statistic={},\n    Period={},\n    EvaluationPeriods={},\n    DatapointsToAlarm={},\n    Threshold={:?},\n    ComparisonOperator={},\n    TreatMissingData=\"notBreaching\",\n    ActionsEnabled=True,\n    AlarmActions=[{}],\n{extra})\n",
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
                )
            }
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
            Fix::TrailToLogs { trail } => format!(
                "{}.update_trail(\n    Name={},\n    IsMultiRegionTrail=True,\n    CloudWatchLogsLogGroupArn={},\n    CloudWatchLogsRoleArn={},\n)\n",
                client("cloudtrail", region),
                expr(trail),
                expr(&LOG_GROUP_ARN),
                expr(&LOGS_ROLE_ARN)
            ),
        };
    }
    out += &super::investigate_comments(plan);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_plan_is_valid_python_with_no_raw_controls() {
        let script = render(&crate::remedy::cli::tests::hostile_plan());
        assert!(!script.contains('\u{202e}'));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fix.py");
        std::fs::write(&file, &script).unwrap();
        let check = std::process::Command::new("python3")
            .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}\n{script}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert_eq!(literal("a\u{202e}b\u{85}"), r#""a\u202eb\u0085""#);
    }
}
