//! The plan as a bash script of AWS CLI commands. Known values are
//! single-quoted (a `'` inside becomes `'\''`), so no name can run a
//! command; parameters are shell variables the script refuses to run
//! without (`: "${NAME:?...}"`), or take CIS's name when unset.

use super::{preamble, Fix, Plan, Val, LOGS_ROLE_ARN, LOG_GROUP_ARN, SUBSCRIBER};
use crate::cis;
use crate::report::sanitize::sanitize;

/// `s` as one shell word, quoted.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn word(v: &Val) -> String {
    match v {
        Val::Known(s) => quote(s),
        Val::Param { name, .. } => format!("\"${name}\""),
    }
}

/// A JSON string inside a single-quoted shell word: a known value
/// JSON-escaped, a parameter spliced in by closing the quote.
fn json_in_quotes(v: &Val) -> String {
    match v {
        Val::Known(s) => {
            let json = serde_json::to_string(s).expect("strings serialize");
            json.replace('\'', r"'\''")
        }
        Val::Param { name, .. } => format!("\"'\"${name}\"'\""),
    }
}

fn comment(s: &str) -> String {
    format!("# {}\n", sanitize(s))
}

/// Render `plan`.
pub fn render(plan: &Plan) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    for l in preamble(plan) {
        out += &comment(&l);
    }
    out += "set -euo pipefail\n";
    let params = plan.params();
    if !params.is_empty() {
        out += "\n# Values ctreplay does not know: set them before running.\n";
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
                            "{name}=\"${{{name}:-{d}}}\"  # {what} (default: the CIS name)\n"
                        )
                    }
                    None => out += &format!(": \"${{{name}:?set {name}: {what}}}\"\n"),
                }
            }
        }
    }
    let r = &cis::ALARM.rule;
    for s in &plan.steps {
        out += "\n";
        for w in &s.why {
            out += &comment(&format!("Fixes {w}"));
        }
        let region = s
            .region
            .as_deref()
            .map_or(String::new(), |r| format!(" --region {}", quote(r)));
        out += &match &s.fix {
            Fix::Filter(f) => format!(
                "aws logs put-metric-filter{region} --log-group-name {} --filter-name {} \\\n  --filter-pattern {} \\\n  --metric-transformations '[{{\"metricName\":{},\"metricNamespace\":{},\"metricValue\":\"1\"}}]'\n",
                word(&f.log_group),
                word(&f.name),
                quote(&f.pattern),
                json_in_quotes(&f.metric),
                json_in_quotes(&f.namespace),
            ),
            Fix::Alarm(a) => format!(
                "aws cloudwatch put-metric-alarm{region} --alarm-name {} \\\n  --metric-name {} --namespace {} \\\n  --statistic {} --period {} --evaluation-periods {} --datapoints-to-alarm {} \\\n  --threshold {} --comparison-operator {} --treat-missing-data notBreaching \\\n  --actions-enabled --alarm-actions {}\n",
                word(&a.name),
                word(&a.metric),
                word(&a.namespace),
                r.statistic.as_str(),
                r.period,
                r.evaluation_periods,
                r.datapoints_to_alarm,
                r.threshold,
                r.comparison.as_str(),
                a.topics.iter().map(word).collect::<Vec<_>>().join(" "),
            ),
            Fix::EnableActions { alarm } => format!(
                "aws cloudwatch enable-alarm-actions{region} --alarm-names {}\n",
                quote(alarm)
            ),
            Fix::Subscribe { topic } => format!(
                "# Subscribing the same address again returns the same subscription.\naws sns subscribe{region} --topic-arn {} --protocol email --notification-endpoint {}\n",
                quote(topic),
                word(&SUBSCRIBER)
            ),
            Fix::StartLogging { trail } => format!(
                "aws cloudtrail start-logging{region} --name {}\n",
                quote(trail)
            ),
            Fix::EventSelectors { trail } => format!(
                "aws cloudtrail put-event-selectors{region} --trail-name {} \\\n  --event-selectors '[{{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}}]'\n",
                quote(trail)
            ),
            Fix::TrailToLogs { trail } => format!(
                "aws cloudtrail update-trail{region} --name {} --is-multi-region-trail \\\n  --cloud-watch-logs-log-group-arn {} --cloud-watch-logs-role-arn {}\n",
                word(trail),
                word(&LOG_GROUP_ARN),
                word(&LOGS_ROLE_ARN)
            ),
        };
    }
    if !plan.investigate.is_empty() {
        out += "\n# Not fixed by configuration; to investigate:\n";
        for i in &plan.investigate {
            out += &comment(&format!("- {i}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_break_out_of_their_quotes() {
        assert_eq!(quote("a'b"), r"'a'\''b'");
        let v = Val::Known("x\",\"metricValue\":\"0".into());
        // JSON-escaped inside the single quotes: still one string.
        assert_eq!(json_in_quotes(&v), r#""x\",\"metricValue\":\"0""#);
        assert_eq!(comment("a\nrm -rf /"), "# a\\u{a}rm -rf /\n");
    }
}
