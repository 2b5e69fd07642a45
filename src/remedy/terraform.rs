//! The plan as Terraform for the AWS provider: `aws_cloudwatch_log_metric_filter`,
//! `aws_cloudwatch_metric_alarm`, `aws_sns_topic_subscription`, with an
//! `import` block (Terraform 1.5+) for each resource the account already
//! has, so that applying adopts and corrects it instead of failing on a
//! duplicate. Parameters become variables. Known names are HCL strings
//! with `${` and `%{` escaped: a name cannot interpolate. What Terraform
//! cannot do to a resource it does not manage (an existing alarm's
//! actions, an existing trail) is left as a comment with the CLI command.

use super::{preamble, Fix, Plan, Val, SUBSCRIBER};
use crate::cis;
use crate::report::sanitize::{dangerous, sanitize};

/// `s` as an HCL quoted string.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if dangerous(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn var_name(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn value(v: &Val) -> String {
    match v {
        Val::Known(s) => string(s),
        Val::Param { name, .. } => format!("var.{}", var_name(name)),
    }
}

fn comment(s: &str) -> String {
    format!("# {}\n", sanitize(s))
}

/// The alarm's kept OK and INSUFFICIENT_DATA actions, unit and
/// dimensions, as arguments.
fn alarm_extras(a: &super::AlarmFix) -> String {
    let list = |v: &[String]| v.iter().map(|x| string(x)).collect::<Vec<_>>().join(", ");
    let mut out = String::new();
    if !a.ok_actions.is_empty() {
        out += &format!("  ok_actions          = [{}]\n", list(&a.ok_actions));
    }
    if !a.insufficient_actions.is_empty() {
        out += &format!(
            "  insufficient_data_actions = [{}]\n",
            list(&a.insufficient_actions)
        );
    }
    if let Some(u) = &a.unit {
        out += &format!("  unit                = {}\n", string(u));
    }
    if !a.dimensions.is_empty() {
        out += "  dimensions = {\n";
        for (n, v) in &a.dimensions {
            out += &format!("    {} = {}\n", string(n), string(v));
        }
        out += "  }\n";
    }
    out
}

/// Render `plan`.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    for l in preamble(plan) {
        out += &comment(&l);
    }
    out += "# Configure the aws provider for the region each resource names.\n";
    for p in plan.params() {
        if let Val::Param {
            name,
            what,
            default,
        } = p
        {
            out += &format!(
                "\nvariable {} {{\n  type        = string\n  description = {}\n",
                string(&var_name(name)),
                string(what)
            );
            if let Some(d) = default {
                out += &format!("  default     = {}\n", string(d));
            }
            out += "}\n";
        }
    }
    let r = &cis::ALARM.rule;
    for (i, s) in plan.steps.iter().enumerate() {
        let n = i + 1;
        out += "\n";
        for w in &s.why {
            out += &comment(&format!("Fixes {w}"));
        }
        if let Some(region) = &s.region {
            out += &comment(&format!("Region {region}"));
        }
        match &s.fix {
            Fix::Filter(f) => {
                let id = format!("security_group_changes_{n}");
                if let (Val::Known(g), Val::Known(name)) = (&f.log_group, &f.name) {
                    out += &format!(
                        "import {{\n  to = aws_cloudwatch_log_metric_filter.{id}\n  id = {}\n}}\n\n",
                        string(&format!("{g}:{name}"))
                    );
                }
                out += &format!(
                    "resource \"aws_cloudwatch_log_metric_filter\" \"{id}\" {{\n  name           = {}\n  log_group_name = {}\n  pattern        = {}\n\n  metric_transformation {{\n    name      = {}\n    namespace = {}\n    value     = \"1\"\n{}{}  }}\n}}\n",
                    value(&f.name),
                    value(&f.log_group),
                    string(&f.pattern),
                    value(&f.metric),
                    value(&f.namespace),
                    f.unit.as_deref().map_or(String::new(), |u| format!("    unit      = {}\n", string(u))),
                    f.default_value.map_or(String::new(), |d| format!("    default_value = {}\n", string(&d.to_string()))),
                );
            }
            Fix::Alarm(a) => {
                let id = format!("security_group_changes_{n}");
                if let Val::Known(name) = &a.name {
                    out += &format!(
                        "import {{\n  to = aws_cloudwatch_metric_alarm.{id}\n  id = {}\n}}\n\n",
                        string(name)
                    );
                }
                out += &format!(
                    "resource \"aws_cloudwatch_metric_alarm\" \"{id}\" {{\n  alarm_name          = {}\n  metric_name         = {}\n  namespace           = {}\n  statistic           = {}\n  period              = {}\n  evaluation_periods  = {}\n  datapoints_to_alarm = {}\n  threshold           = {}\n  comparison_operator = {}\n  treat_missing_data  = \"notBreaching\"\n  actions_enabled     = true\n  alarm_actions       = [{}]\n{}}}\n",
                    value(&a.name),
                    value(&a.metric),
                    value(&a.namespace),
                    string(r.statistic.as_str()),
                    r.period,
                    r.evaluation_periods,
                    r.datapoints_to_alarm,
                    r.threshold,
                    string(r.comparison.as_str()),
                    a.topics.iter().map(value).collect::<Vec<_>>().join(", "),
                    alarm_extras(a),
                );
            }
            Fix::Subscribe { topic } => {
                out += &format!(
                    "resource \"aws_sns_topic_subscription\" \"security_team_{n}\" {{\n  topic_arn = {}\n  protocol  = \"email\"\n  endpoint  = {}\n}}\n",
                    string(topic),
                    value(&SUBSCRIBER)
                );
            }
            _ => {
                out += "# Not a resource this configuration manages; with the AWS CLI:\n";
                for l in super::cli_lines(plan, s) {
                    out += &format!("#   {l}\n");
                }
            }
        }
    }
    out += &super::investigate_comments(plan);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_interpolate_or_break_out() {
        assert_eq!(string("a${b}%{c}\"\\"), r#""a$${b}%%{c}\"\\""#);
        assert_eq!(string("$5 and 100%"), r#""$5 and 100%""#);
        assert_eq!(string("x\u{1b}"), r#""x\u001b""#);
    }
}
