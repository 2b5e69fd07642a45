//! Remediation as code (`audit --fix cli|boto3|cloudformation|terraform`):
//! the fixes for the configuration gaps an audit found, with the real
//! names from the exports or the live configuration.
//!
//! [`plan`] turns the findings into typed [`Fix`]es (one per resource,
//! whatever number of findings point at it) and the gaps no configuration
//! change fixes into [`Plan::investigate`] lines that say where to look.
//! A name ctreplay does not know is a [`Val::Param`]: each renderer makes
//! it a clearly marked parameter (a shell variable that must be set, an
//! environment variable, a template parameter, a Terraform variable),
//! never an invented value. Every fix is an upsert the APIs make
//! idempotent (put-metric-filter, put-metric-alarm, enable-alarm-actions,
//! subscribe, start-logging, put-event-selectors, update-trail), so
//! running a script twice changes nothing the second time. The renderers
//! ([`cli`], [`boto3`], [`cloudformation`], [`terraform`]) own quoting:
//! alarm and filter names are caller-chosen text.

pub mod boto3;
pub mod cli;
pub mod cloudformation;
pub mod terraform;

use crate::audit::findings::FindingKind;
use crate::audit::{Audit, Inputs};
use crate::cis;

/// `audit --fix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FixFormat {
    /// A bash script of AWS CLI commands.
    Cli,
    /// A Python script using boto3.
    Boto3,
    /// A CloudFormation template (JSON).
    Cloudformation,
    /// Terraform (HCL) for the AWS provider.
    Terraform,
}

/// A value: known from the configuration, or the user's to give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// Known.
    Known(String),
    /// Unknown to ctreplay: a parameter.
    Param {
        /// Its name, `SNS_TOPIC_ARN` (renderers adapt the case).
        name: &'static str,
        /// What to give.
        what: &'static str,
        /// The conventional value, when there is one (CIS's names).
        default: Option<&'static str>,
    },
}

impl Val {
    fn param(name: &'static str, what: &'static str) -> Val {
        Val::Param {
            name,
            what,
            default: None,
        }
    }
}

/// The metric filter to put.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterFix {
    /// Its log group.
    pub log_group: Val,
    /// Its name (the existing one when correcting it).
    pub name: Val,
    /// The benchmark's pattern.
    pub pattern: String,
    /// The metric it publishes.
    pub metric: Val,
    /// Its namespace.
    pub namespace: Val,
    /// The unit it publishes, kept from the filter in place.
    pub unit: Option<String>,
    /// What it publishes when nothing matches, kept from the filter.
    pub default_value: Option<f64>,
}

/// The alarm to put: Sum over 300 s, `>= 1`, 1 of 1, missing data
/// `notBreaching`, actions enabled, an SNS action.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmFix {
    /// Its name (the existing one when correcting it).
    pub name: Val,
    /// The metric it watches.
    pub metric: Val,
    /// Its namespace.
    pub namespace: Val,
    /// Its ALARM actions: the ones in place (SNS or not), or an SNS topic
    /// to give.
    pub topics: Vec<Val>,
    /// Its OK actions, kept.
    pub ok_actions: Vec<String>,
    /// Its INSUFFICIENT_DATA actions, kept.
    pub insufficient_actions: Vec<String>,
    /// Its unit, kept unless it is what keeps data away.
    pub unit: Option<String>,
    /// Its dimensions, kept unless they are what keeps data away.
    pub dimensions: Vec<(String, String)>,
}

impl AlarmFix {
    /// A new alarm on a metric: the CIS one, an SNS topic to give.
    fn new(name: Val, metric: Val, namespace: Val) -> AlarmFix {
        AlarmFix {
            name,
            metric,
            namespace,
            topics: vec![topic_param()],
            ok_actions: Vec::new(),
            insufficient_actions: Vec::new(),
            unit: None,
            dimensions: Vec::new(),
        }
    }
}

/// One fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// Create or correct the metric filter.
    Filter(FilterFix),
    /// Create or correct the alarm.
    Alarm(AlarmFix),
    /// Enable an alarm's actions.
    EnableActions {
        /// The alarm.
        alarm: String,
    },
    /// Subscribe someone to a topic nobody receives.
    Subscribe {
        /// The topic.
        topic: String,
    },
    /// Deliver the trail to a CloudWatch Logs log group.
    TrailToLogs {
        /// The trail.
        trail: Val,
    },
    /// Start the trail logging.
    StartLogging {
        /// The trail.
        trail: String,
    },
}

/// One fix, where it applies, and the findings it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The fix.
    pub fix: Fix,
    /// Its region, when known (else the tool's configured one).
    pub region: Option<String>,
    /// The findings it answers.
    pub why: Vec<String>,
}

/// Every fix for an audit's gaps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The control judged.
    pub control: String,
    /// The fixes, in the order to apply them.
    pub steps: Vec<Step>,
    /// Gaps no configuration change fixes, with where to look.
    pub investigate: Vec<String>,
}

impl Plan {
    /// The parameters the steps need, each once, in order.
    pub fn params(&self) -> Vec<&Val> {
        let mut all: Vec<&Val> = Vec::new();
        for s in &self.steps {
            match &s.fix {
                Fix::Filter(f) => all.extend([&f.log_group, &f.name, &f.metric, &f.namespace]),
                Fix::Alarm(a) => {
                    all.extend([&a.name, &a.metric, &a.namespace]);
                    all.extend(&a.topics);
                }
                Fix::TrailToLogs { trail } => all.extend([trail, &LOG_GROUP_ARN, &LOGS_ROLE_ARN]),
                Fix::Subscribe { .. } => all.push(&SUBSCRIBER),
                _ => {}
            }
        }
        // Each name once: the first use says what it is.
        let mut out: Vec<&Val> = Vec::new();
        for v in all {
            if let Val::Param { name, .. } = v {
                if !out
                    .iter()
                    .any(|o| matches!(o, Val::Param { name: n, .. } if n == name))
                {
                    out.push(v);
                }
            }
        }
        out
    }
}

/// The subscriber's address: always the user's to choose.
pub const SUBSCRIBER: Val = Val::Param {
    name: "SUBSCRIBER_EMAIL",
    what:
        "the address that receives the alarm's notifications (confirm the subscription it is sent)",
    default: None,
};
/// The log group a trail should deliver to.
pub const LOG_GROUP_ARN: Val = Val::Param {
    name: "LOG_GROUP_ARN",
    what: "the CloudWatch Logs log group the trail delivers to (arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*)",
    default: None,
};
/// The role CloudTrail assumes to write to it.
pub const LOGS_ROLE_ARN: Val = Val::Param {
    name: "CLOUDTRAIL_LOGS_ROLE_ARN",
    what: "the IAM role CloudTrail assumes to write to the log group",
    default: None,
};

fn region_of_arn(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

/// Where to look, for a gap no configuration change fixes.
fn hint(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Missed => "the history shows no ALARM where the replay sends one: read the alarm's history and the metric's datapoints around that time (aws cloudwatch get-metric-statistics), and whether the events reached the log group",
        FindingKind::DeliveryFailed => "the alarm fired but its action failed: read the Action item's HistoryData and the topic's delivery status",
        FindingKind::Unexplained => "an ALARM no change in the logs explains: look for events outside the logs read, or SetAlarmState calls",
        FindingKind::ChangeWhileBlind | FindingKind::BlindWindow | FindingKind::ActionsDisabledWindow | FindingKind::AlarmDeleted | FindingKind::FilterDeleted => "a past window without the alarm: it is over, but who opened it (the evidence names the event) and whether it can recur is to investigate",
        FindingKind::BlindSpot => "a security-group change under a name the benchmark's pattern lists: the filter fix above covers it when the finding names a required name",
        FindingKind::ChangeDuringAlarm => "the alarm was already in ALARM: nobody was told of this change; a shorter ALARM (1 of 1, notBreaching) helps",
        FindingKind::PatternNotEvaluated => "a pattern ctreplay cannot evaluate: check it with aws logs test-metric-filter",
        _ => "review the finding's detail",
    }
}

/// The kinds a corrected metric filter fixes.
fn filter_kind(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::FilterMissesNames
            | FindingKind::FilterSkipsFailedCalls
            | FindingKind::FilterMissesModifySecurityGroupRules
            | FindingKind::MetricValueNotPositive
            | FindingKind::MetricValueFromField
    )
}

/// The kinds a corrected alarm fixes.
fn alarm_kind(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::SingleEventCannotAlarm
            | FindingKind::SeveralDatapointsNeeded
            | FindingKind::UnusualStatistic
            | FindingKind::TreatMissingBreaching
            | FindingKind::TreatMissingIgnore
            | FindingKind::LongPeriod
            | FindingKind::UnitMismatch
            | FindingKind::DimensionsMismatch
            | FindingKind::NoSnsAction
            | FindingKind::AlarmNotReplayable
    )
}

/// The fixes for `audit`'s gaps, with the names `inputs` holds.
pub fn plan(audit: &Audit, inputs: &Inputs) -> Plan {
    let benchmark = &inputs.benchmark;
    let pattern = if benchmark.modify_rules {
        crate::filter::presets::SECURITY_GROUPS_V5
    } else {
        cis::SECURITY_GROUP_PATTERN
    };
    let deployment = inputs.deployment.as_ref();
    let trail_group = deployment
        .and_then(|d| d.trail.as_ref())
        .and_then(|t| t.log_group());
    let mut out = Plan {
        control: benchmark.control_id(),
        ..Plan::default()
    };
    let gaps = audit.findings.iter().filter(|f| f.severity.is_gap());
    let add = |out: &mut Plan, fix: Fix, region: Option<String>, why: String| match out
        .steps
        .iter_mut()
        .find(|s| s.fix == fix)
    {
        Some(s) => {
            if !s.why.contains(&why) {
                s.why.push(why);
            }
        }
        None => out.steps.push(Step {
            fix,
            region,
            why: vec![why],
        }),
    };
    let mut new_metric: Option<(Val, Val)> = None;
    let mut new_alarms = 0;
    for f in gaps {
        let why = format!("{}: {}", f.kind, f.detail);
        let kind = f.kind;
        if kind == FindingKind::NoSecurityGroupFilter || filter_kind(kind) {
            let existing = f
                .about
                .filter
                .as_deref()
                .and_then(|n| inputs.filters.iter().find(|x| x.filter_name == n));
            // A metric lives where its filter publishes it: an alarm on
            // the filter's metric names the filter's region.
            let alarm_region = existing
                .and_then(|x| x.metric_transformations.first())
                .and_then(|t| {
                    inputs.alarms.iter().find(|a| {
                        a.metric_name.as_deref() == Some(&t.metric_name)
                            && a.namespace.as_deref() == Some(&t.metric_namespace)
                    })
                })
                .and_then(|a| a.alarm_arn.as_deref())
                .and_then(region_of_arn);
            let (log_group, region) = match (
                existing.and_then(|x| x.log_group_name.clone()),
                &trail_group,
            ) {
                (Some(g), _) => (
                    Val::Known(g),
                    trail_group.as_ref().map(|t| t.0.clone()).or(alarm_region),
                ),
                (None, Some((r, g))) => (Val::Known(g.clone()), Some(r.clone())),
                (None, None) => (
                    Val::param(
                        "LOG_GROUP_NAME",
                        "the CloudWatch Logs log group the trail delivers to",
                    ),
                    None,
                ),
            };
            let t = existing.and_then(|x| x.metric_transformations.first());
            let (metric, namespace) = match t {
                Some(t) => (
                    Val::Known(t.metric_name.clone()),
                    Val::Known(t.metric_namespace.clone()),
                ),
                None => (metric_param(), namespace_param()),
            };
            if existing.is_none() {
                new_metric = Some((metric.clone(), namespace.clone()));
            }
            let name = match existing {
                Some(x) => Val::Known(x.filter_name.clone()),
                None => Val::Param {
                    name: "FILTER_NAME",
                    what: "the new metric filter's name",
                    default: (!inputs
                        .filters
                        .iter()
                        .any(|x| x.filter_name == "SecurityGroupChanges"))
                    .then_some("SecurityGroupChanges"),
                },
            };
            add(
                &mut out,
                Fix::Filter(FilterFix {
                    log_group,
                    name,
                    pattern: pattern.to_owned(),
                    metric,
                    namespace,
                    unit: t.and_then(|t| t.unit.clone()),
                    default_value: t.and_then(|t| t.default_value),
                }),
                region,
                why,
            );
        } else if alarm_kind(kind) || kind == FindingKind::ActionsDisabled {
            let Some(al) = f
                .about
                .alarm
                .as_deref()
                .and_then(|n| inputs.alarms.iter().find(|a| a.alarm_name == n))
            else {
                out.investigate.push(format!("{why} ({})", hint(kind)));
                continue;
            };
            let region = al.alarm_arn.as_deref().and_then(region_of_arn);
            if kind == FindingKind::ActionsDisabled {
                add(
                    &mut out,
                    Fix::EnableActions {
                        alarm: al.alarm_name.clone(),
                    },
                    region,
                    why,
                );
                continue;
            }
            // Everything the findings are not about is kept: a put
            // replaces the whole alarm.
            let about_it = |k: FindingKind| {
                audit
                    .findings
                    .iter()
                    .any(|g| g.kind == k && g.about.alarm.as_deref() == Some(&al.alarm_name))
            };
            let mut topics: Vec<Val> = al.alarm_actions.iter().cloned().map(Val::Known).collect();
            if !al.alarm_actions.iter().any(|a| a.contains(":sns:")) {
                topics.push(topic_param());
            }
            let known = |v: &Option<String>, p: Val| v.clone().map_or(p, Val::Known);
            add(
                &mut out,
                Fix::Alarm(AlarmFix {
                    name: Val::Known(al.alarm_name.clone()),
                    metric: known(&al.metric_name, metric_param()),
                    namespace: known(&al.namespace, namespace_param()),
                    topics,
                    ok_actions: al.ok_actions.clone(),
                    insufficient_actions: al.insufficient_data_actions.clone(),
                    unit: al
                        .unit
                        .clone()
                        .filter(|_| !about_it(FindingKind::UnitMismatch)),
                    dimensions: if about_it(FindingKind::DimensionsMismatch) {
                        Vec::new()
                    } else {
                        al.dimensions
                            .iter()
                            .map(|d| (d.name.clone(), d.value.clone()))
                            .collect()
                    },
                }),
                region,
                why,
            );
        } else if kind == FindingKind::NoAlarmOnFilter {
            let filter = f
                .about
                .filter
                .as_deref()
                .and_then(|n| inputs.filters.iter().find(|x| x.filter_name == n));
            let t = filter.and_then(|x| x.metric_transformations.first());
            let Some(t) = t else {
                out.investigate.push(format!("{why} ({})", hint(kind)));
                continue;
            };
            add(
                &mut out,
                Fix::Alarm(AlarmFix::new(
                    new_alarm_name(&mut new_alarms, inputs),
                    Val::Known(t.metric_name.clone()),
                    Val::Known(t.metric_namespace.clone()),
                )),
                trail_group.as_ref().map(|g| g.0.clone()),
                why,
            );
        } else if kind == FindingKind::TopicWithoutSubscriber {
            let topic = deployment
                .into_iter()
                .flat_map(|d| &d.topics)
                .find(|t| f.about.resource.as_deref() == Some(t.arn.as_str()));
            match topic {
                Some(t) => add(
                    &mut out,
                    Fix::Subscribe {
                        topic: t.arn.clone(),
                    },
                    region_of_arn(&t.arn),
                    why,
                ),
                None => out.investigate.push(format!("{why} ({})", hint(kind))),
            }
        } else if matches!(
            kind,
            FindingKind::NoTrailToLogGroup
                | FindingKind::TrailNotLogging
                | FindingKind::TrailSkipsManagementWrites
        ) {
            let trail = deployment.and_then(|d| d.trail.as_ref());
            let region = trail.map(|t| t.home_region.clone());
            match (kind, trail) {
                (FindingKind::TrailNotLogging, Some(t)) => add(
                    &mut out,
                    Fix::StartLogging {
                        trail: t.arn.clone(),
                    },
                    region,
                    why,
                ),
                // put-event-selectors replaces every selector (data events
                // too): the merge is the user's, with the ones in place.
                (FindingKind::TrailSkipsManagementWrites, Some(t)) => out.investigate.push(format!(
                    "{why} (add a management-events selector to the trail's own: aws cloudtrail get-event-selectors --trail-name {}, then put-event-selectors with all of them plus {{\"ReadWriteType\": \"All\", \"IncludeManagementEvents\": true}}; put-event-selectors replaces every selector)",
                    t.arn
                )),
                (FindingKind::NoTrailToLogGroup, Some(t)) => add(
                    &mut out,
                    Fix::TrailToLogs {
                        trail: Val::Known(t.arn.clone()),
                    },
                    region,
                    why,
                ),
                _ => out.investigate.push(format!(
                    "{why} (no trail to change: create a multi-region trail with aws cloudtrail create-trail --is-multi-region-trail, start-logging, then deliver it to a log group)"
                )),
            }
        } else {
            out.investigate.push(format!("{why} ({})", hint(kind)));
        }
    }
    // A new filter needs an alarm on its new metric.
    if let Some((metric, namespace)) = new_metric {
        let watched = out
            .steps
            .iter()
            .any(|s| matches!(&s.fix, Fix::Alarm(a) if a.metric == metric));
        if !watched {
            let region = out.steps.iter().find_map(|s| match &s.fix {
                Fix::Filter(_) => s.region.clone(),
                _ => None,
            });
            out.steps.push(Step {
                fix: Fix::Alarm(AlarmFix::new(
                    new_alarm_name(&mut new_alarms, inputs),
                    metric,
                    namespace,
                )),
                region,
                why: vec!["the new metric filter's metric needs the alarm".into()],
            });
        }
    }
    // An alarm put with its actions enabled needs no enable-alarm-actions.
    let put: Vec<Val> = out
        .steps
        .iter()
        .filter_map(|s| match &s.fix {
            Fix::Alarm(a) => Some(a.name.clone()),
            _ => None,
        })
        .collect();
    out.steps.retain(|s| match &s.fix {
        Fix::EnableActions { alarm } => !put.contains(&Val::Known(alarm.clone())),
        _ => true,
    });
    // Apply in dependency order: trail, filter, alarm, actions, subscribers.
    out.steps.sort_by_key(|s| match s.fix {
        Fix::TrailToLogs { .. } | Fix::StartLogging { .. } => 0,
        Fix::Filter(_) => 1,
        Fix::Alarm(_) => 2,
        Fix::EnableActions { .. } => 3,
        Fix::Subscribe { .. } => 4,
    });
    out.investigate.dedup();
    out
}

fn topic_param() -> Val {
    Val::param(
        "SNS_TOPIC_ARN",
        "the SNS topic the alarm notifies (arn:aws:sns:REGION:ACCOUNT:NAME), with a confirmed subscription",
    )
}

fn metric_param() -> Val {
    Val::Param {
        name: "METRIC_NAME",
        what: "the metric the filter publishes and the alarm watches",
        default: Some(cis::ALARM.metric_name),
    }
}

fn namespace_param() -> Val {
    Val::Param {
        name: "METRIC_NAMESPACE",
        what: "the metric's namespace",
        default: Some(cis::ALARM.namespace),
    }
}

/// Parameter names for new alarms: each its own, so that two new alarms
/// never overwrite each other.
const NEW_ALARMS: [&str; 5] = [
    "ALARM_NAME",
    "ALARM_NAME_2",
    "ALARM_NAME_3",
    "ALARM_NAME_4",
    "ALARM_NAME_5",
];

/// The next new alarm's name parameter; CIS's name as its default only
/// for the first, and only if no alarm in place has it (a put would
/// overwrite that one).
fn new_alarm_name(count: &mut usize, inputs: &Inputs) -> Val {
    const DEFAULT: &str = "SecurityGroupChanges";
    let i = (*count).min(NEW_ALARMS.len() - 1);
    *count += 1;
    let taken = inputs.alarms.iter().any(|a| a.alarm_name == DEFAULT);
    Val::Param {
        name: NEW_ALARMS[i],
        what: "the new alarm's name",
        default: (i == 0 && !taken).then_some(DEFAULT),
    }
}

/// What every renderer says first: what this is, for what, and how to use it.
pub(crate) fn preamble(plan: &Plan) -> Vec<String> {
    let mut out = vec![
        format!("ctreplay remediation for {}: the configuration gaps the audit found.", plan.control),
        "Every step creates or overwrites one resource: applying it twice changes nothing the second time.".into(),
    ];
    if plan.steps.is_empty() {
        out.push("No configuration gap to fix.".into());
    }
    out
}

/// The gaps to investigate, as `#` comments (shell, Python and HCL alike).
pub(crate) fn investigate_comments(plan: &Plan) -> String {
    if plan.investigate.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n# Not fixed by configuration; to investigate:\n");
    for i in &plan.investigate {
        out += &format!("# - {}\n", crate::report::sanitize::sanitize(i));
    }
    out
}

/// `step` as the AWS CLI command lines that apply it, for the formats that
/// cannot express it as a resource.
pub(crate) fn cli_lines(plan: &Plan, step: &Step) -> Vec<String> {
    let one = Plan {
        control: plan.control.clone(),
        steps: vec![step.clone()],
        investigate: vec![],
    };
    cli::render(&one)
        .lines()
        .filter(|l| l.starts_with("aws ") || l.starts_with("  --"))
        .map(str::to_owned)
        .collect()
}

/// Write the plan in `format`.
pub fn write(plan: &Plan, format: FixFormat, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let text = match format {
        FixFormat::Cli => cli::render(plan),
        FixFormat::Boto3 => boto3::render(plan),
        FixFormat::Cloudformation => cloudformation::render(plan),
        FixFormat::Terraform => terraform::render(plan),
    };
    out.write_all(text.as_bytes())
}
