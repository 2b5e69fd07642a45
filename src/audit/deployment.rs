//! What the audit takes from the configuration read from AWS
//! ([`crate::aws`]): the [`Inputs`] to judge, the [`Deployment`] record
//! the report's scope carries (the evidence, the trail, the topics), the
//! findings only AWS's answers can support (a trail that is not logging,
//! a topic nobody receives), and the reasons the verdict cannot be
//! `covered` when a call was denied or failed.
//!
//! Replaying and judging are the rest of the audit's; making the calls
//! and reading the bundle are [`crate::aws`]'s.

use serde::Serialize;

use super::findings::{About, Finding, FindingKind, Severity};
use super::Inputs;
use crate::aws::bundle::{Bundle, Caller};
use crate::aws::deployed::{Deployed, Topic, Trail};
use crate::cis;
use crate::exports::alarms::MetricAlarm;

/// The evidence the audit used, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRef {
    /// SHA-256 of the bundle's manifest, which holds every file's hash.
    pub manifest_sha256: String,
    /// When the calls were made.
    pub collected_at: String,
    /// Who made them.
    pub caller: Option<Caller>,
    /// Calls made.
    pub calls: u64,
    /// Calls denied or failed, each with the IAM action and why.
    pub unanswered: Vec<String>,
}

/// The deployed configuration's context, in the report's scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    /// The bundle behind it.
    pub evidence: EvidenceRef,
    /// The trail followed (its log group's filters are the ones judged).
    pub trail: Option<Trail>,
    /// The ARNs of every trail listed.
    pub trails: Vec<String>,
    /// The SNS topics the alarms notify.
    pub topics: Vec<Topic>,
    /// DescribeTrails was answered (else nothing is known of trails).
    #[serde(skip)]
    pub trails_listed: bool,
}

/// The inputs an audit of `deployed` judges, read from `bundle`.
///
/// When the filters or the alarms could not be read, the recommended
/// configuration is replayed instead (a hypothetical audit) and the
/// verdict cannot be better than inconclusive.
pub fn inputs(bundle: &Bundle, deployed: Deployed, benchmark: cis::Benchmark) -> Inputs {
    let (bytes_hash, calls) = (bundle.manifest_bytes().1, &bundle.manifest.calls);
    let trails_listed = calls
        .iter()
        .any(|c| c.action == "cloudtrail:DescribeTrails" && c.file.is_some());
    let mut unknown = Vec::new();
    if !trails_listed {
        unknown.push("the trails could not be listed (cloudtrail:DescribeTrails): which log group the alarm reads is unknown".to_owned());
    }
    if let Some(t) = &deployed.trail {
        if t.log_group().is_some() && t.logging.is_none() {
            unknown.push(format!(
                "whether trail {} is logging could not be read (cloudtrail:GetTrailStatus)",
                t.name
            ));
        }
        if t.log_group().is_some() && t.management_writes.is_none() {
            unknown.push(format!(
                "whether trail {} logs write management events could not be read (cloudtrail:GetEventSelectors)",
                t.name
            ));
        }
    }
    let has_group = deployed.trail.as_ref().and_then(Trail::log_group).is_some();
    if has_group && deployed.filters.is_none() {
        unknown.push(
            "the log group's metric filters could not be read (logs:DescribeMetricFilters)".into(),
        );
    }
    if deployed.filters.is_some() && deployed.alarms.is_none() {
        unknown.push("the alarms on the filters' metrics could not be read (cloudwatch:DescribeAlarmsForMetric)".into());
    }
    if deployed.alarms.is_some() && deployed.history.is_none() {
        unknown.push("the alarms' history could not be read (cloudwatch:DescribeAlarmHistory): whether the alarm fired is not judged".into());
    }
    for t in deployed.topics.iter().filter(|t| t.confirmed.is_none()) {
        unknown.push(format!(
            "whether SNS topic {} has a confirmed subscription could not be read (sns:ListSubscriptionsByTopic, sns:GetTopicAttributes)",
            t.arn
        ));
    }
    let deployment = Deployment {
        evidence: EvidenceRef {
            manifest_sha256: bytes_hash,
            collected_at: bundle.manifest.collected_at.clone(),
            caller: bundle.manifest.caller.clone(),
            calls: calls.len() as u64,
            unanswered: deployed.unreadable.clone(),
        },
        trail: deployed.trail.clone(),
        trails: deployed.trails.iter().map(|t| t.arn.clone()).collect(),
        topics: deployed.topics.clone(),
        trails_listed,
    };
    // Filters and alarms known (or, with no log group, known to be none).
    let config = match (&deployed.filters, &deployed.alarms) {
        (Some(f), Some(a)) => Some((f.clone(), a.clone())),
        _ if trails_listed && !has_group => Some((Vec::new(), Vec::new())),
        _ => None,
    };
    let base = match config {
        Some((filters, alarms)) => Inputs {
            filters,
            alarms,
            history: deployed.history.clone(),
            defaulted: false,
            ..Inputs::recommended()
        },
        None => Inputs::recommended(),
    };
    Inputs {
        benchmark,
        config_unknown: base.defaulted,
        unknown,
        deployment: Some(deployment),
        ..base
    }
}

/// Whether findings of `kind` rest on AWS's answers alone (not on the
/// filters and alarms), so they stand when those could not be read.
pub fn is_deployment_kind(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::NoTrailToLogGroup
            | FindingKind::TrailNotLogging
            | FindingKind::TrailSkipsManagementWrites
            | FindingKind::TrailSingleRegion
            | FindingKind::TopicWithoutSubscriber
    )
}

/// The findings only AWS's answers support.
pub fn findings(d: &Deployment, alarms: &[MetricAlarm]) -> Vec<Finding> {
    let mut out = Vec::new();
    let fix_group =
        "deliver the trail to a CloudWatch Logs log group (--fix cli prints the command)";
    match &d.trail {
        None if d.trails_listed => out.push(Finding::new(
            FindingKind::NoTrailToLogGroup,
            Severity::High,
            None,
            "the account lists no trail: no CloudTrail event reaches CloudWatch Logs, so no metric filter can match".into(),
            "create a multi-region trail that delivers to a CloudWatch Logs log group (aws cloudtrail create-trail, start-logging, update-trail)",
        )),
        None => {}
        Some(t) => {
            let about = About {
                resource: Some(t.arn.clone()),
                region: Some(t.home_region.clone()),
                ..About::default()
            };
            let evidence = vec![format!("cloudtrail:DescribeTrails at {}", d.evidence.collected_at)];
            if t.log_group().is_none() {
                out.push(
                    Finding::new(
                        FindingKind::NoTrailToLogGroup,
                        Severity::High,
                        None,
                        format!("no trail delivers to CloudWatch Logs (trail {} has no CloudWatchLogsLogGroupArn): no metric filter can match", t.name),
                        fix_group,
                    )
                    .about(about.clone())
                    .with_evidence(evidence.clone()),
                );
            }
            if t.logging == Some(false) {
                out.push(
                    Finding::new(
                        FindingKind::TrailNotLogging,
                        Severity::High,
                        None,
                        format!("trail {} is not logging: no event reaches its log group", t.name),
                        &format!("aws cloudtrail start-logging --name {}", t.arn),
                    )
                    .about(about.clone())
                    .with_evidence(vec![format!("cloudtrail:GetTrailStatus IsLogging false at {}", d.evidence.collected_at)]),
                );
            }
            if t.management_writes == Some(false) {
                out.push(
                    Finding::new(
                        FindingKind::TrailSkipsManagementWrites,
                        Severity::High,
                        None,
                        format!("trail {}'s event selectors do not log write management events from ec2.amazonaws.com: no security-group change reaches its log group", t.name),
                        &format!("aws cloudtrail put-event-selectors --trail-name {} --event-selectors '[{{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}}]'", t.arn),
                    )
                    .about(about.clone())
                    .with_evidence(vec![format!("cloudtrail:GetEventSelectors at {}", d.evidence.collected_at)]),
                );
            }
            if t.log_group().is_some() && !t.multi_region {
                out.push(
                    Finding::new(
                        FindingKind::TrailSingleRegion,
                        Severity::Info,
                        None,
                        format!("trail {} logs region {} only: changes in other regions reach its log group only through another trail", t.name, t.home_region),
                        &format!("aws cloudtrail update-trail --name {} --is-multi-region-trail", t.arn),
                    )
                    .about(about)
                    .with_evidence(evidence),
                );
            }
        }
    }
    for topic in &d.topics {
        if topic.confirmed != Some(0) {
            continue;
        }
        let users: Vec<&str> = alarms
            .iter()
            .filter(|a| a.alarm_actions.contains(&topic.arn))
            .map(|a| a.alarm_name.as_str())
            .collect();
        for name in users {
            out.push(
                Finding::new(
                    FindingKind::TopicWithoutSubscriber,
                    Severity::High,
                    None,
                    format!(
                        "alarm {name:?} notifies SNS topic {}, which has no confirmed subscription ({} pending): its notifications reach nobody",
                        topic.arn,
                        topic.pending.unwrap_or(0)
                    ),
                    "subscribe the security team's address and confirm it (--fix cli prints the command)",
                )
                .with_evidence(vec![format!("sns:ListSubscriptionsByTopic at {}", d.evidence.collected_at)])
                .about(About {
                    alarm: Some(name.to_owned()),
                    resource: Some(topic.arn.clone()),
                    ..About::default()
                }),
            );
        }
    }
    out
}
