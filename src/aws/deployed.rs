//! What an evidence [`Bundle`] says was deployed: the trail that feeds the
//! alarm's log group, its metric filters, the alarms on their metrics, the
//! alarms' history, whether their SNS topics notify anyone, and what could
//! not be read.
//!
//! Pure: it reads the bundle's documents with the same readers as the
//! exports (`crate::exports`), so a saved bundle and the live run it came
//! from give one answer. The calls that fill a bundle are
//! [`super::calls`]'s; it asks [`choose_trail`] which trail to follow, so
//! the live run and the replay choose alike. Findings and the verdict are
//! the audit's (`crate::audit`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::bundle::{Bundle, Call, Caller, Outcome};
use crate::exports::alarms::{self, MetricAlarm};
use crate::exports::history::{self, Item};
use crate::exports::metric_filters::{self, MetricFilter};
use crate::exports::ExportError;

/// A trail as `cloudtrail:DescribeTrails` lists it, with what
/// `GetTrailStatus` and `GetEventSelectors` add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trail {
    /// `Name`.
    pub name: String,
    /// `TrailARN`.
    pub arn: String,
    /// `HomeRegion`: where its status and selectors are read.
    pub home_region: String,
    /// `IsMultiRegionTrail`.
    pub multi_region: bool,
    /// `IsOrganizationTrail`.
    pub organization: bool,
    /// `S3BucketName`.
    pub bucket: Option<String>,
    /// `S3KeyPrefix`.
    pub prefix: Option<String>,
    /// `CloudWatchLogsLogGroupArn`.
    pub log_group_arn: Option<String>,
    /// `IsLogging` (None: the status could not be read).
    pub logging: Option<bool>,
    /// Whether its selectors log write management events, which the
    /// security-group calls are (None: not read, or not decidable).
    pub management_writes: Option<bool>,
}

impl Trail {
    /// The log group's region and name, from its ARN
    /// (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`).
    pub fn log_group(&self) -> Option<(String, String)> {
        let arn = self.log_group_arn.as_deref()?;
        let mut parts = arn.splitn(7, ':');
        let (_, _, _, region, _, kind) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let name = parts.next()?;
        let name = name.strip_suffix(":*").unwrap_or(name);
        (kind == "log-group" && !region.is_empty() && !name.is_empty())
            .then(|| (region.to_owned(), name.to_owned()))
    }
}

/// An SNS topic an alarm notifies, and whether anyone receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    /// Its ARN.
    pub arn: String,
    /// Confirmed subscriptions (None: could not be read).
    pub confirmed: Option<u64>,
    /// Subscriptions pending confirmation.
    pub pending: Option<u64>,
}

/// The audit's view of the deployed configuration, as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deployed {
    /// Who looked.
    pub caller: Option<Caller>,
    /// The trail followed (None: none could be listed).
    pub trail: Option<Trail>,
    /// Every trail listed, the followed one included.
    pub trails: Vec<Trail>,
    /// The log group's metric filters (None: not read).
    pub filters: Option<Vec<MetricFilter>>,
    /// The alarms on the filters' metrics (None: not read).
    pub alarms: Option<Vec<MetricAlarm>>,
    /// Their history (None: not read, for at least one alarm).
    pub history: Option<Vec<Item>>,
    /// The SNS topics among the alarms' actions.
    pub topics: Vec<Topic>,
    /// What could not be read, each naming the IAM action and why.
    pub unreadable: Vec<String>,
}

/// An evidence document that is not what its call returns.
#[derive(Debug, thiserror::Error)]
pub enum DeployedError {
    /// A response in the shape of an export, unreadable as one.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// Another response, unreadable.
    #[error("{file}: unexpected shape for {action}: {why}")]
    Shape {
        /// The bundle's file.
        file: String,
        /// The call.
        action: String,
        /// Why.
        why: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTrail {
    name: String,
    #[serde(rename = "TrailARN")]
    trail_arn: String,
    #[serde(default)]
    home_region: String,
    #[serde(default)]
    is_multi_region_trail: bool,
    #[serde(default)]
    is_organization_trail: bool,
    #[serde(default)]
    s3_bucket_name: Option<String>,
    #[serde(default)]
    s3_key_prefix: Option<String>,
    #[serde(default)]
    cloud_watch_logs_log_group_arn: Option<String>,
}

/// `trailList`: camel case, unlike the trails inside it
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html>).
#[derive(Deserialize)]
struct Trails {
    #[serde(default, rename = "trailList")]
    trail_list: Vec<RawTrail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Status {
    #[serde(default)]
    is_logging: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Selectors {
    #[serde(default)]
    event_selectors: Option<Vec<EventSelector>>,
    #[serde(default)]
    advanced_event_selectors: Option<Vec<AdvancedSelector>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EventSelector {
    #[serde(default)]
    read_write_type: Option<String>,
    #[serde(default)]
    include_management_events: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AdvancedSelector {
    #[serde(default)]
    field_selectors: Vec<FieldSelector>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FieldSelector {
    field: String,
    #[serde(default)]
    equals: Vec<String>,
    #[serde(default)]
    not_equals: Vec<String>,
    #[serde(default)]
    starts_with: Vec<String>,
    #[serde(default)]
    ends_with: Vec<String>,
    #[serde(default)]
    not_starts_with: Vec<String>,
    #[serde(default)]
    not_ends_with: Vec<String>,
}

impl FieldSelector {
    /// Only `Equals` and `NotEquals`, the operators judged here.
    fn plain(&self) -> bool {
        self.starts_with.is_empty()
            && self.ends_with.is_empty()
            && self.not_starts_with.is_empty()
            && self.not_ends_with.is_empty()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Attributes {
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Subscriptions {
    #[serde(default)]
    subscriptions: Vec<Subscription>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Subscription {
    #[serde(default)]
    subscription_arn: String,
}

/// Whether a trail with these selectors logs the write management events
/// of `ec2.amazonaws.com` (the security-group calls), per
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html>.
/// None when the document holds no selectors at all.
fn logs_management_writes(s: &Selectors) -> Option<bool> {
    if let Some(adv) = &s.advanced_event_selectors {
        if !adv.is_empty() {
            // A management selector ctreplay cannot judge (another field,
            // a StartsWith) leaves the answer unknown unless another one
            // plainly logs the writes: never a false "logged".
            let mut undecided = false;
            for sel in adv {
                let field = |name: &str| sel.field_selectors.iter().find(|f| f.field == name);
                let Some(category) = field("eventCategory") else {
                    undecided = true;
                    continue;
                };
                if !category.equals.iter().any(|v| v == "Management") {
                    continue;
                }
                let known = sel.field_selectors.iter().all(|f| {
                    matches!(
                        f.field.as_str(),
                        "eventCategory" | "readOnly" | "eventSource"
                    ) && f.plain()
                });
                if !known {
                    undecided = true;
                    continue;
                }
                let writes = field("readOnly").is_none_or(|f| {
                    !f.equals.iter().any(|v| v == "true")
                        && !f.not_equals.iter().any(|v| v == "false")
                });
                let ec2 = field("eventSource").is_none_or(|f| {
                    (f.equals.is_empty() || f.equals.iter().any(|v| v == "ec2.amazonaws.com"))
                        && !f.not_equals.iter().any(|v| v == "ec2.amazonaws.com")
                });
                if writes && ec2 {
                    return Some(true);
                }
            }
            return if undecided { None } else { Some(false) };
        }
    }
    let basic = s.event_selectors.as_ref()?;
    Some(basic.iter().any(|sel| {
        sel.include_management_events.unwrap_or(true)
            && matches!(
                sel.read_write_type.as_deref().unwrap_or("All"),
                "All" | "WriteOnly"
            )
    }))
}

/// The trail to follow: `wanted` (a name or ARN) if given; else, of the
/// trails that deliver to a log group, the one that logs, covers every
/// region and logs write management events, by ARN on a tie; else the best
/// of the others (its bucket can still be scanned). None when no trail
/// is listed, or `wanted` names none.
pub fn choose_trail<'a>(trails: &'a [Trail], wanted: Option<&str>) -> Option<&'a Trail> {
    if let Some(w) = wanted {
        return trails.iter().find(|t| t.name == w || t.arn == w);
    }
    trails.iter().min_by(|a, b| {
        let rank = |t: &Trail| {
            (
                t.log_group().is_none(),
                t.logging != Some(true),
                !t.multi_region,
                t.management_writes != Some(true),
            )
        };
        rank(a).cmp(&rank(b)).then_with(|| a.arn.cmp(&b.arn))
    })
}

fn shape(file: &str, action: &str, e: serde_json::Error) -> DeployedError {
    DeployedError::Shape {
        file: file.into(),
        action: action.into(),
        why: e.to_string(),
    }
}

/// A call that was not answered, as the report says it.
fn unreadable(call: &Call) -> String {
    let what: Vec<String> = call
        .parameters
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let how = match call.outcome {
        Outcome::Denied => "denied",
        _ => "failed",
    };
    format!(
        "{} in {}{} {how}: {}",
        call.action,
        call.region,
        if what.is_empty() {
            String::new()
        } else {
            format!(" ({})", what.join(", "))
        },
        call.message.as_deref().unwrap_or("no reason given")
    )
}

/// The listed trails, with their status and selectors, from the bundle.
pub fn trails(bundle: &Bundle) -> Result<Option<Vec<Trail>>, DeployedError> {
    let mut out: Option<Vec<Trail>> = None;
    for (call, doc) in answered(bundle, "cloudtrail:DescribeTrails") {
        let (file, bytes) = doc;
        let t: Trails = serde_json::from_slice(bytes).map_err(|e| shape(file, &call.action, e))?;
        let list = out.get_or_insert_with(Vec::new);
        for r in t.trail_list {
            if list.iter().any(|x: &Trail| x.arn == r.trail_arn) {
                continue;
            }
            list.push(Trail {
                name: r.name,
                arn: r.trail_arn,
                home_region: r.home_region,
                multi_region: r.is_multi_region_trail,
                organization: r.is_organization_trail,
                bucket: r.s3_bucket_name,
                prefix: r.s3_key_prefix,
                log_group_arn: r.cloud_watch_logs_log_group_arn,
                logging: None,
                management_writes: None,
            });
        }
    }
    let Some(mut list) = out else { return Ok(None) };
    for t in &mut list {
        for (call, (file, bytes)) in answered(bundle, "cloudtrail:GetTrailStatus") {
            if call.parameters.get("Name") == Some(&t.arn) {
                let s: Status =
                    serde_json::from_slice(bytes).map_err(|e| shape(file, &call.action, e))?;
                t.logging = s.is_logging;
            }
        }
        for (call, (file, bytes)) in answered(bundle, "cloudtrail:GetEventSelectors") {
            if call.parameters.get("TrailName") == Some(&t.arn) {
                let s: Selectors =
                    serde_json::from_slice(bytes).map_err(|e| shape(file, &call.action, e))?;
                t.management_writes = logs_management_writes(&s);
            }
        }
    }
    list.sort_by(|a, b| a.arn.cmp(&b.arn));
    Ok(Some(list))
}

/// The answered calls of `action`, with their documents.
fn answered<'a>(
    bundle: &'a Bundle,
    action: &'a str,
) -> impl Iterator<Item = (&'a Call, (&'a str, &'a [u8]))> + 'a {
    bundle
        .manifest
        .calls
        .iter()
        .filter(move |c| c.action == action && c.outcome == Outcome::Ok)
        .filter_map(|c| {
            let file = c.file.as_deref()?;
            Some((c, (file, bundle.files.get(file)?.as_slice())))
        })
}

fn calls<'a>(bundle: &'a Bundle, action: &'a str) -> impl Iterator<Item = &'a Call> + 'a {
    bundle
        .manifest
        .calls
        .iter()
        .filter(move |c| c.action == action)
}

/// Apply each answered `action` on a topic (its `TopicArn` parameter) to
/// that topic, parsed as `T`.
fn topic_answers<T: serde::de::DeserializeOwned>(
    bundle: &Bundle,
    action: &str,
    topics: &mut BTreeMap<String, Topic>,
    mut apply: impl FnMut(&mut Topic, T),
) -> Result<(), DeployedError> {
    for (call, (file, bytes)) in answered(bundle, action) {
        let Some(t) = call
            .parameters
            .get("TopicArn")
            .and_then(|a| topics.get_mut(a))
        else {
            continue;
        };
        apply(
            t,
            serde_json::from_slice(bytes).map_err(|e| shape(file, &call.action, e))?,
        );
    }
    Ok(())
}

/// Read the deployed configuration from `bundle`; `wanted` picks the
/// trail as [`choose_trail`] does.
pub fn read(bundle: &Bundle, wanted: Option<&str>) -> Result<Deployed, DeployedError> {
    let mut out = Deployed {
        caller: bundle.manifest.caller.clone(),
        ..Deployed::default()
    };
    for c in &bundle.manifest.calls {
        if c.outcome != Outcome::Ok {
            out.unreadable.push(unreadable(c));
        }
    }
    if let Some(list) = trails(bundle)? {
        out.trail = choose_trail(&list, wanted).cloned();
        out.trails = list;
    }
    // Filters: every answered call must be there, and at least one.
    let mut filters: Option<Vec<MetricFilter>> = None;
    let mut all = true;
    for c in calls(bundle, "logs:DescribeMetricFilters") {
        all &= c.outcome == Outcome::Ok;
    }
    for (_, (file, bytes)) in answered(bundle, "logs:DescribeMetricFilters") {
        filters
            .get_or_insert_with(Vec::new)
            .extend(metric_filters::parse(Path::new(file), bytes)?);
    }
    out.filters = filters.filter(|_| all);
    // Alarms: one call per filter metric; one unanswered leaves them unknown.
    let mut alarms: Option<Vec<MetricAlarm>> = out.filters.as_ref().map(|_| Vec::new());
    for c in calls(bundle, "cloudwatch:DescribeAlarmsForMetric") {
        if c.outcome != Outcome::Ok {
            alarms = None;
        }
    }
    if let Some(list) = alarms.as_mut() {
        for (_, (file, bytes)) in answered(bundle, "cloudwatch:DescribeAlarmsForMetric") {
            for a in alarms::parse(Path::new(file), bytes)? {
                let same = |x: &MetricAlarm| match (&x.alarm_arn, &a.alarm_arn) {
                    (Some(p), Some(q)) => p == q,
                    _ => x.alarm_name == a.alarm_name,
                };
                if !list.iter().any(same) {
                    list.push(a);
                }
            }
        }
        list.sort_by(|a, b| a.alarm_name.cmp(&b.alarm_name));
    }
    out.alarms = alarms;
    // History: every alarm's, or none (a partial history would read as
    // silence for the alarms left out).
    let mut history: Option<Vec<Item>> = out.alarms.as_ref().map(|_| Vec::new());
    for c in calls(bundle, "cloudwatch:DescribeAlarmHistory") {
        if c.outcome != Outcome::Ok {
            history = None;
        }
    }
    if let Some(items) = history.as_mut() {
        for (_, (file, bytes)) in answered(bundle, "cloudwatch:DescribeAlarmHistory") {
            items.extend(history::parse(Path::new(file), bytes)?);
        }
        history::sort(items);
    }
    out.history = history;
    // Topics: confirmed subscriptions, from ListSubscriptionsByTopic;
    // GetTopicAttributes' counts when that is denied.
    let mut topics: BTreeMap<String, Topic> = BTreeMap::new();
    for c in
        calls(bundle, "sns:ListSubscriptionsByTopic").chain(calls(bundle, "sns:GetTopicAttributes"))
    {
        if let Some(arn) = c.parameters.get("TopicArn") {
            topics.entry(arn.clone()).or_insert(Topic {
                arn: arn.clone(),
                confirmed: None,
                pending: None,
            });
        }
    }
    topic_answers(
        bundle,
        "sns:GetTopicAttributes",
        &mut topics,
        |t, a: Attributes| {
            let n = |k: &str| a.attributes.get(k).and_then(|v| v.parse().ok());
            t.confirmed = n("SubscriptionsConfirmed");
            t.pending = n("SubscriptionsPending");
        },
    )?;
    // The list, read after the counts, has the last word.
    topic_answers(
        bundle,
        "sns:ListSubscriptionsByTopic",
        &mut topics,
        |t, s: Subscriptions| {
            // A pending subscription's ARN is "PendingConfirmation"
            // (https://docs.aws.amazon.com/sns/latest/api/API_Subscription.html).
            let arn_like = |s: &Subscription| s.subscription_arn.starts_with("arn:");
            let confirmed = s.subscriptions.iter().filter(|s| arn_like(s)).count() as u64;
            t.confirmed = Some(confirmed);
            t.pending = Some(s.subscriptions.len() as u64 - confirmed);
        },
    )?;
    out.topics = topics.into_values().collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(name: &str, log_group: bool, logging: bool, multi: bool) -> Trail {
        Trail {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:eu-west-1:111122223333:trail/{name}"),
            home_region: "eu-west-1".into(),
            multi_region: multi,
            organization: false,
            bucket: Some("b".into()),
            prefix: None,
            log_group_arn: log_group.then(|| {
                "arn:aws:logs:eu-west-1:111122223333:log-group:CloudTrail/Default:*".into()
            }),
            logging: Some(logging),
            management_writes: Some(true),
        }
    }

    #[test]
    fn the_trail_followed_delivers_logs_and_covers_every_region() {
        let ts = vec![
            trail("a", false, true, true),
            trail("b", true, false, true),
            trail("c", true, true, false),
            trail("d", true, true, true),
        ];
        assert_eq!(choose_trail(&ts, None).unwrap().name, "d");
        assert_eq!(choose_trail(&ts[..3], None).unwrap().name, "c");
        assert_eq!(choose_trail(&ts[..1], None).unwrap().name, "a");
        assert_eq!(choose_trail(&ts, Some("a")).unwrap().name, "a");
        assert!(choose_trail(&ts, Some("zz")).is_none());
        assert_eq!(
            ts[3].log_group(),
            Some(("eu-west-1".into(), "CloudTrail/Default".into()))
        );
    }

    fn selectors(json: &str) -> Option<bool> {
        logs_management_writes(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn selectors_that_log_security_group_calls() {
        assert_eq!(
            selectors(
                r#"{"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true}]}"#
            ),
            Some(true)
        );
        assert_eq!(
            selectors(
                r#"{"EventSelectors":[{"ReadWriteType":"ReadOnly","IncludeManagementEvents":true}]}"#
            ),
            Some(false)
        );
        assert_eq!(
            selectors(
                r#"{"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":false}]}"#
            ),
            Some(false)
        );
        let adv = |fields: &str| {
            selectors(&format!(
                r#"{{"AdvancedEventSelectors":[{{"Name":"m","FieldSelectors":[{fields}]}}]}}"#
            ))
        };
        assert_eq!(
            adv(r#"{"Field":"eventCategory","Equals":["Management"]}"#),
            Some(true)
        );
        assert_eq!(
            adv(
                r#"{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["true"]}"#
            ),
            Some(false)
        );
        assert_eq!(
            adv(
                r#"{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}"#
            ),
            Some(true)
        );
        assert_eq!(
            adv(
                r#"{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","NotEquals":["ec2.amazonaws.com"]}"#
            ),
            Some(false)
        );
        assert_eq!(
            adv(r#"{"Field":"eventCategory","Equals":["Data"]}"#),
            Some(false)
        );
        assert_eq!(selectors("{}"), None);
    }
}
