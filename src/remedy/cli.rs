//! The plan as a bash script of AWS CLI commands. Known values are
//! single-quoted (a `'` inside becomes `'\''`; a value with control or
//! bidirectional characters is ANSI-C quoted, `$'\u202e'`, so the script
//! shows them), so no name can run a command, and passed as `--opt=value`,
//! so a name starting with `-` is not an option. A step whose value starts
//! with `file://`, `fileb://` or `http(s)://`, which the AWS CLI would read
//! as a file or URL, is left as a comment (the boto3 output has no such
//! rule). Parameters are shell variables the script refuses to run without
//! (`: "${NAME:?...}"`), or take CIS's name when unset.

use super::{preamble, Fix, Plan, Val, LOGS_ROLE_ARN, LOG_GROUP_ARN, SUBSCRIBER};
use crate::cis;
use crate::report::sanitize::{dangerous, sanitize};

/// `s` as one shell word, quoted.
pub(crate) fn quote(s: &str) -> String {
    if !s.chars().any(dangerous) {
        return format!("'{}'", s.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if dangerous(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Whether the AWS CLI would load `s` from a file or URL instead of
/// taking it as it is
/// (<https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-parameters-file.html>).
fn loads_a_file(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    ["file://", "fileb://", "http://", "https://"]
        .iter()
        .any(|p| l.starts_with(p))
}

/// A parameter's description, safe inside `"${NAME:?...}"`.
fn message(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,:()/-".contains(*c))
        .collect()
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
            let json = super::boto3::literal(s);
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
                let what = message(what);
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
            .map_or(String::new(), |r| format!(" --region={}", quote(r)));
        let command = match &s.fix {
            Fix::Filter(f) => {
                let mut t = format!(
                    "{{\"metricName\":{},\"metricNamespace\":{},\"metricValue\":\"1\"",
                    json_in_quotes(&f.metric),
                    json_in_quotes(&f.namespace)
                );
                if let Some(u) = &f.unit {
                    t += &format!(",\"unit\":{}", json_in_quotes(&Val::Known(u.clone())));
                }
                if let Some(d) = f.default_value {
                    t += &format!(",\"defaultValue\":{d}");
                }
                format!(
                    "aws logs put-metric-filter{region} --log-group-name={} --filter-name={} \\\n  --filter-pattern={} \\\n  --metric-transformations='[{t}}}]'\n",
                    word(&f.log_group),
                    word(&f.name),
                    quote(&f.pattern),
                )
            }
            Fix::Alarm(a) => {
                let mut extra = String::new();
                for (opt, list) in [
                    ("ok-actions", &a.ok_actions),
                    ("insufficient-data-actions", &a.insufficient_actions),
                ] {
                    if !list.is_empty() {
                        extra += &format!(
                            " \\\n  --{opt} {}",
                            list.iter().map(|x| quote(x)).collect::<Vec<_>>().join(" ")
                        );
                    }
                }
                if let Some(u) = &a.unit {
                    extra += &format!(" --unit={}", quote(u));
                }
                if !a.dimensions.is_empty() {
                    let dims: Vec<String> = a
                        .dimensions
                        .iter()
                        .map(|(n, v)| {
                            format!(
                                "{{\"Name\":{},\"Value\":{}}}",
                                json_in_quotes(&Val::Known(n.clone())),
                                json_in_quotes(&Val::Known(v.clone()))
                            )
                        })
                        .collect();
                    extra += &format!(" \\\n  --dimensions='[{}]'", dims.join(","));
                }
                format!(
                    "aws cloudwatch put-metric-alarm{region} --alarm-name={} \\\n  --metric-name={} --namespace={} \\\n  --statistic {} --period {} --evaluation-periods {} --datapoints-to-alarm {} \\\n  --threshold {} --comparison-operator {} --treat-missing-data notBreaching \\\n  --actions-enabled --alarm-actions {}{extra}\n",
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
                )
            }
            Fix::EnableActions { alarm } => format!(
                "aws cloudwatch enable-alarm-actions{region} --alarm-names {}\n",
                quote(alarm)
            ),
            Fix::Subscribe { topic } => format!(
                "# Subscribing the same address again returns the same subscription.\naws sns subscribe{region} --topic-arn={} --protocol email --notification-endpoint={}\n",
                quote(topic),
                word(&SUBSCRIBER)
            ),
            Fix::StartLogging { trail } => format!(
                "aws cloudtrail start-logging{region} --name={}\n",
                quote(trail)
            ),
            Fix::TrailToLogs { trail } => format!(
                "aws cloudtrail update-trail{region} --name={} --is-multi-region-trail \\\n  --cloud-watch-logs-log-group-arn={} --cloud-watch-logs-role-arn={}\n",
                word(trail),
                word(&LOG_GROUP_ARN),
                word(&LOGS_ROLE_ARN)
            ),
        };
        if known_values(&s.fix).iter().any(|v| loads_a_file(v)) {
            out += "# Not run: a name here starts with file://, fileb:// or http(s)://, which the AWS CLI\n# would read as a file or URL; apply this step with --fix boto3.\n";
            for l in command.lines() {
                out += &comment(l);
            }
        } else {
            out += &command;
        }
    }
    out += &super::investigate_comments(plan);
    out
}

/// The known names a step passes.
fn known_values(fix: &Fix) -> Vec<&str> {
    let mut vals: Vec<&Val> = Vec::new();
    let mut strs: Vec<&str> = Vec::new();
    match fix {
        Fix::Filter(f) => {
            vals.extend([&f.log_group, &f.name, &f.metric, &f.namespace]);
            strs.extend(f.unit.as_deref());
        }
        Fix::Alarm(a) => {
            vals.extend([&a.name, &a.metric, &a.namespace]);
            vals.extend(&a.topics);
            strs.extend(a.ok_actions.iter().map(String::as_str));
            strs.extend(a.insufficient_actions.iter().map(String::as_str));
            strs.extend(a.unit.as_deref());
            strs.extend(
                a.dimensions
                    .iter()
                    .flat_map(|(n, v)| [n.as_str(), v.as_str()]),
            );
        }
        Fix::EnableActions { alarm } => strs.push(alarm),
        Fix::Subscribe { topic } => strs.push(topic),
        Fix::StartLogging { trail } => strs.push(trail),
        Fix::TrailToLogs { trail } => vals.push(trail),
    }
    strs.extend(vals.into_iter().filter_map(|v| match v {
        Val::Known(s) => Some(s.as_str()),
        Val::Param { .. } => None,
    }));
    strs
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every kind of step, with names an attacker chose, and every parameter.
    pub(crate) fn hostile_plan() -> Plan {
        use super::super::{AlarmFix, FilterFix, Step};
        let evil = "x'; touch PWNED #\u{202e}$(touch PWNED)`touch PWNED`\"\\\n-y";
        let step = |fix| Step {
            fix,
            region: Some("eu-west-1".into()),
            why: vec![format!("because {evil}")],
        };
        Plan {
            control: "CIS".into(),
            steps: vec![
                step(Fix::Filter(FilterFix {
                    log_group: Val::Known(evil.into()),
                    name: Val::Param {
                        name: "FILTER_NAME",
                        what: "the filter's name (it's new)",
                        default: Some("SecurityGroupChanges"),
                    },
                    pattern: "{ $.eventName = \"x'y\" }".into(),
                    metric: Val::Known(evil.into()),
                    namespace: Val::Known("n".into()),
                    unit: Some("Count".into()),
                    default_value: Some(0.0),
                })),
                step(Fix::Alarm(AlarmFix {
                    name: Val::Known(evil.into()),
                    metric: Val::Known("m".into()),
                    namespace: Val::Known("n".into()),
                    topics: vec![Val::Known(evil.into()), super::super::topic_param()],
                    ok_actions: vec![evil.into()],
                    insufficient_actions: vec![],
                    unit: Some(evil.into()),
                    dimensions: vec![(evil.into(), evil.into())],
                })),
                step(Fix::EnableActions { alarm: evil.into() }),
                step(Fix::Subscribe { topic: evil.into() }),
                step(Fix::StartLogging { trail: evil.into() }),
                step(Fix::TrailToLogs {
                    trail: Val::Known(evil.into()),
                }),
            ],
            investigate: vec![format!("look at {evil}")],
        }
    }

    #[test]
    fn a_hostile_plan_is_valid_bash_that_only_runs_aws() {
        let script = render(&hostile_plan());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fix.sh");
        std::fs::write(&file, &script).unwrap();
        let check = std::process::Command::new("bash")
            .arg("-n")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}\n{script}",
            String::from_utf8_lossy(&check.stderr)
        );
        // Every command line is an aws call or a continuation; nothing else runs.
        for line in script.lines() {
            let l = line.trim_start();
            assert!(
                l.is_empty()
                    || l.starts_with('#')
                    || l.starts_with("aws ")
                    || l.starts_with("--")
                    || l.starts_with("set -euo")
                    || l.starts_with(": \"${")
                    || l.starts_with("FILTER_NAME="),
                "unexpected line: {line}"
            );
        }
        assert!(!script.contains('\u{202e}'), "bidi shown, not raw");
        // Run with `aws` as a function that writes its arguments: nothing
        // else runs, and each name arrives whole.
        let run = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "aws() {{ printf '%s\\0' \"$@\" >> args; }}; source {}",
                file.display()
            ))
            .current_dir(dir.path())
            .env("SNS_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t")
            .env("SUBSCRIBER_EMAIL", "sec@example.com")
            .env("LOG_GROUP_ARN", "arn:aws:logs:eu-west-1:1:log-group:g:*")
            .env("CLOUDTRAIL_LOGS_ROLE_ARN", "arn:aws:iam::1:role/r")
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(!dir.path().join("PWNED").exists(), "a name ran a command");
        let args = std::fs::read(dir.path().join("args")).unwrap();
        let args: Vec<String> = args
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let evil = "x'; touch PWNED #\u{202e}$(touch PWNED)`touch PWNED`\"\\\n-y";
        assert!(
            args.iter().any(|a| a == &format!("--alarm-name={evil}")),
            "{args:?}"
        );
        assert!(args.iter().any(|a| a == evil), "{args:?}");
    }

    #[test]
    fn a_name_the_cli_would_read_as_a_file_is_not_run() {
        let mut plan = hostile_plan();
        plan.steps = vec![super::super::Step {
            fix: Fix::EnableActions {
                alarm: "file:///etc/passwd".into(),
            },
            region: None,
            why: vec![],
        }];
        let script = render(&plan);
        assert!(
            script.contains("# aws cloudwatch enable-alarm-actions"),
            "{script}"
        );
        assert!(!script.lines().any(|l| l.starts_with("aws ")), "{script}");
    }

    #[test]
    fn names_cannot_break_out_of_their_quotes() {
        assert_eq!(quote("a'b"), r"'a'\''b'");
        let v = Val::Known("x\",\"metricValue\":\"0".into());
        // JSON-escaped inside the single quotes: still one string.
        assert_eq!(json_in_quotes(&v), r#""x\",\"metricValue\":\"0""#);
        assert_eq!(comment("a\nrm -rf /"), "# a\\u{a}rm -rf /\n");
    }
}
