//! The AWS calls of `audit --aws`: find the trail, its log group's metric
//! filters, the alarms on their metrics, the alarms' history and their SNS
//! topics' subscriptions, each in the region its resource lives in, and
//! keep every answer in an evidence [`Bundle`] in the AWS CLI's JSON shape.
//!
//! This module owns the SDK clients, the order of the calls and turning
//! each response into its CLI document; a denied or failed call is
//! recorded, not fatal, so the audit goes on with what it could read
//! ([`super::deployed`] reads the bundle; the audit marks what needed the
//! rest `unknown`).

use std::collections::BTreeMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudtrail::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::bundle::{Bundle, Caller, Outcome};
use super::deployed::{self, Trail};

/// The region discovery starts in when the configuration chain names none.
pub const FALLBACK_REGION: &str = "us-east-1";

/// How to reach AWS and what to read.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Named profile (else the configuration chain's).
    pub profile: Option<String>,
    /// One endpoint for every service (moto, LocalStack, a VPC proxy).
    pub endpoint_url: Option<String>,
    /// Where DescribeTrails and GetCallerIdentity are sent (else the
    /// chain's region, else [`FALLBACK_REGION`]); every other call goes to
    /// its resource's region.
    pub discovery_region: Option<String>,
    /// Attempts per call, retries included.
    pub max_attempts: u32,
    /// Follow this trail (name or ARN) rather than the best one.
    pub trail: Option<String>,
    /// Alarm history from this time on.
    pub history_from: Option<DateTime<Utc>>,
    /// Alarm history up to this time.
    pub history_to: Option<DateTime<Utc>>,
}

/// What a failed call says: denied (the IAM action is missing) or failed.
fn outcome<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: SdkError<E>,
    action: &str,
) -> (Outcome, String) {
    let code = err.code().unwrap_or_default().to_owned();
    let message = err.message().unwrap_or_default().to_owned();
    // The codes AWS answers a missing permission with: query services
    // (AccessDenied, SNS's AuthorizationError), JSON services
    // (AccessDeniedException), EC2-style (UnauthorizedOperation).
    if matches!(
        code.as_str(),
        "AccessDenied" | "AccessDeniedException" | "AuthorizationError" | "UnauthorizedOperation"
    ) {
        let detail = if message.is_empty() {
            code
        } else {
            format!("{code}: {message}")
        };
        return (
            Outcome::Denied,
            format!("the credentials lack {action} ({detail})"),
        );
    }
    let why = if code.is_empty() {
        let full = aws_sdk_cloudtrail::error::DisplayErrorContext(&err).to_string();
        full.split(" (").next().unwrap_or(&full).trim().to_owned()
    } else if message.is_empty() {
        code
    } else {
        format!("{code}: {message}")
    };
    (Outcome::Failed, why)
}

/// An AWS CLI timestamp: ISO 8601 in UTC, microseconds when there are any
/// (the CLI's default `iso8601` output).
fn cli_time(t: &AwsTime) -> Value {
    let Some(dt) = DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()) else {
        return Value::Null;
    };
    let micros = dt.timestamp_subsec_micros();
    Value::String(if micros == 0 {
        dt.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        dt.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    })
}

/// A JSON object that leaves out what the response did not hold, as the
/// CLI does.
#[derive(Default)]
struct Doc(Map<String, Value>);

impl Doc {
    fn put(mut self, key: &str, v: impl Into<Option<Value>>) -> Self {
        if let Some(v) = v.into() {
            if !v.is_null() {
                self.0.insert(key.into(), v);
            }
        }
        self
    }
    fn s(self, key: &str, v: Option<&str>) -> Self {
        self.put(key, v.map(Value::from))
    }
    fn strs(self, key: &str, v: &[String]) -> Self {
        let v = (!v.is_empty()).then(|| json!(v));
        self.put(key, v)
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

fn params<const N: usize>(kv: [(&str, &str); N]) -> BTreeMap<String, String> {
    kv.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The region an ARN names (`arn:aws:SERVICE:REGION:...`).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

struct Clients {
    shared: SdkConfig,
    max_attempts: u32,
}

impl Clients {
    fn retry(&self) -> aws_config::retry::RetryConfig {
        aws_config::retry::RetryConfig::standard().with_max_attempts(self.max_attempts.max(1))
    }
    fn cloudtrail(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        let c = aws_sdk_cloudtrail::config::Builder::from(&self.shared)
            .region(Region::new(region.to_owned()))
            .retry_config(self.retry())
            .build();
        aws_sdk_cloudtrail::Client::from_conf(c)
    }
    fn logs(&self, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        let c = aws_sdk_cloudwatchlogs::config::Builder::from(&self.shared)
            .region(Region::new(region.to_owned()))
            .retry_config(self.retry())
            .build();
        aws_sdk_cloudwatchlogs::Client::from_conf(c)
    }
    fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        let c = aws_sdk_cloudwatch::config::Builder::from(&self.shared)
            .region(Region::new(region.to_owned()))
            .retry_config(self.retry())
            .build();
        aws_sdk_cloudwatch::Client::from_conf(c)
    }
    fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        let c = aws_sdk_sns::config::Builder::from(&self.shared)
            .region(Region::new(region.to_owned()))
            .retry_config(self.retry())
            .build();
        aws_sdk_sns::Client::from_conf(c)
    }
    fn sts(&self, region: &str) -> aws_sdk_sts::Client {
        let c = aws_sdk_sts::config::Builder::from(&self.shared)
            .region(Region::new(region.to_owned()))
            .retry_config(self.retry())
            .build();
        aws_sdk_sts::Client::from_conf(c)
    }
}

/// Make every call and return the bundle, collected at `now`.
pub fn collect(opts: &AwsOptions, now: DateTime<Utc>) -> Result<Bundle, std::io::Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(collect_async(opts, now)))
}

async fn collect_async(opts: &AwsOptions, now: DateTime<Utc>) -> Bundle {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(e) = &opts.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    let shared = loader.load().await;
    let home = opts
        .discovery_region
        .clone()
        .or_else(|| shared.region().map(|r| r.to_string()))
        .unwrap_or_else(|| FALLBACK_REGION.to_owned());
    let clients = Clients {
        shared,
        max_attempts: opts.max_attempts,
    };
    let mut b = Bundle::new(
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        opts.endpoint_url.clone(),
    );

    // Who looked.
    let who = clients.sts(&home).get_caller_identity().send().await;
    let who = match who {
        Ok(o) => {
            b.manifest.caller = Some(Caller {
                account: o.account().unwrap_or_default().into(),
                arn: o.arn().unwrap_or_default().into(),
                user_id: o.user_id().unwrap_or_default().into(),
            });
            Ok(Doc::default()
                .s("UserId", o.user_id())
                .s("Account", o.account())
                .s("Arn", o.arn())
                .done())
        }
        Err(e) => Err(outcome(e, "sts:GetCallerIdentity")),
    };
    b.record("sts:GetCallerIdentity", &home, BTreeMap::new(), who);

    // The trails, with shadow (other-region and organization) trails.
    let listed = clients
        .cloudtrail(&home)
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await;
    let listed = match listed {
        Ok(o) => {
            Ok(json!({ "trailList": o.trail_list().iter().map(trail_doc).collect::<Vec<_>>() }))
        }
        Err(e) => Err(outcome(e, "cloudtrail:DescribeTrails")),
    };
    b.record(
        "cloudtrail:DescribeTrails",
        &home,
        params([("includeShadowTrails", "true")]),
        listed,
    );
    let trails = deployed::trails(&b).ok().flatten().unwrap_or_default();
    for t in &trails {
        let region = if t.home_region.is_empty() {
            home.clone()
        } else {
            t.home_region.clone()
        };
        let ct = clients.cloudtrail(&region);
        let status = match ct.get_trail_status().name(&t.arn).send().await {
            Ok(o) => Ok(Doc::default()
                .put("IsLogging", o.is_logging().map(Value::from))
                .s("LatestDeliveryError", o.latest_delivery_error())
                .put("LatestDeliveryTime", o.latest_delivery_time().map(cli_time))
                .put("StartLoggingTime", o.start_logging_time().map(cli_time))
                .put("StopLoggingTime", o.stop_logging_time().map(cli_time))
                .s(
                    "LatestCloudWatchLogsDeliveryError",
                    o.latest_cloud_watch_logs_delivery_error(),
                )
                .put(
                    "LatestCloudWatchLogsDeliveryTime",
                    o.latest_cloud_watch_logs_delivery_time().map(cli_time),
                )
                .put(
                    "LatestDigestDeliveryTime",
                    o.latest_digest_delivery_time().map(cli_time),
                )
                .done()),
            Err(e) => Err(outcome(e, "cloudtrail:GetTrailStatus")),
        };
        b.record(
            "cloudtrail:GetTrailStatus",
            &region,
            params([("Name", &t.arn)]),
            status,
        );
        let selectors = match ct.get_event_selectors().trail_name(&t.arn).send().await {
            Ok(o) => Ok(selectors_doc(&o)),
            Err(e) => Err(outcome(e, "cloudtrail:GetEventSelectors")),
        };
        b.record(
            "cloudtrail:GetEventSelectors",
            &region,
            params([("TrailName", &t.arn)]),
            selectors,
        );
    }
    let trails = deployed::trails(&b).ok().flatten().unwrap_or_default();
    let Some((region, group)) =
        deployed::choose_trail(&trails, opts.trail.as_deref()).and_then(Trail::log_group)
    else {
        return b;
    };

    // The log group's metric filters, every page.
    let logs = clients.logs(&region);
    let filters = logs
        .describe_metric_filters()
        .log_group_name(&group)
        .into_paginator()
        .send()
        .try_collect()
        .await;
    let filters = match filters {
        Ok(pages) => {
            let all: Vec<Value> = pages
                .iter()
                .flat_map(|p| p.metric_filters())
                .map(filter_doc)
                .collect();
            Ok(json!({ "metricFilters": all }))
        }
        Err(e) => Err(outcome(e, "logs:DescribeMetricFilters")),
    };
    let metrics: Vec<(String, String)> = match &filters {
        Ok(doc) => {
            let mut m: Vec<(String, String)> = doc["metricFilters"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|f| f["metricTransformations"].as_array().into_iter().flatten())
                .filter_map(|t| {
                    Some((
                        t["metricNamespace"].as_str()?.to_owned(),
                        t["metricName"].as_str()?.to_owned(),
                    ))
                })
                .collect();
            m.sort();
            m.dedup();
            m
        }
        Err(_) => Vec::new(),
    };
    b.record(
        "logs:DescribeMetricFilters",
        &region,
        params([("logGroupName", &group)]),
        filters,
    );

    // The alarms on each filter's metric, in the log group's region (a
    // metric lives where its filter publishes it).
    let cw = clients.cloudwatch(&region);
    let mut alarms: Vec<(String, Vec<String>)> = Vec::new();
    for (namespace, name) in &metrics {
        let r = cw
            .describe_alarms_for_metric()
            .namespace(namespace)
            .metric_name(name)
            .send()
            .await;
        let r = match r {
            Ok(o) => {
                for a in o.metric_alarms() {
                    let n = a.alarm_name().unwrap_or_default().to_owned();
                    if !alarms.iter().any(|(x, _)| *x == n) {
                        alarms.push((n, a.alarm_actions().to_vec()));
                    }
                }
                Ok(
                    json!({ "MetricAlarms": o.metric_alarms().iter().map(alarm_doc).collect::<Vec<_>>() }),
                )
            }
            Err(e) => Err(outcome(e, "cloudwatch:DescribeAlarmsForMetric")),
        };
        b.record(
            "cloudwatch:DescribeAlarmsForMetric",
            &region,
            params([("Namespace", namespace), ("MetricName", name)]),
            r,
        );
    }
    alarms.sort();

    // Each alarm's history, every page, inside the range.
    let from = opts.history_from.map(|t| AwsTime::from_secs(t.timestamp()));
    let to = opts.history_to.map(|t| AwsTime::from_secs(t.timestamp()));
    for (name, _) in &alarms {
        let r = cw
            .describe_alarm_history()
            .alarm_name(name)
            .set_start_date(from)
            .set_end_date(to)
            .into_paginator()
            .send()
            .try_collect()
            .await;
        let r = match r {
            Ok(pages) => {
                let items: Vec<Value> = pages
                    .iter()
                    .flat_map(|p| p.alarm_history_items())
                    .map(history_doc)
                    .collect();
                Ok(json!({ "AlarmHistoryItems": items }))
            }
            Err(e) => Err(outcome(e, "cloudwatch:DescribeAlarmHistory")),
        };
        let mut p = params([("AlarmName", name.as_str())]);
        if let Some(t) = opts.history_from {
            p.insert("StartDate".into(), crate::event::format_time(&t));
        }
        if let Some(t) = opts.history_to {
            p.insert("EndDate".into(), crate::event::format_time(&t));
        }
        b.record("cloudwatch:DescribeAlarmHistory", &region, p, r);
    }

    // The SNS topics the alarms notify, in the topics' own regions.
    let mut topics: Vec<String> = alarms
        .iter()
        .flat_map(|(_, actions)| actions.iter())
        .filter(|a| a.starts_with("arn:") && a.split(':').nth(2) == Some("sns"))
        .cloned()
        .collect();
    topics.sort();
    topics.dedup();
    for arn in &topics {
        let region = arn_region(arn).unwrap_or(&region).to_owned();
        let sns = clients.sns(&region);
        let attrs = match sns.get_topic_attributes().topic_arn(arn).send().await {
            Ok(o) => {
                let sorted: BTreeMap<_, _> = o.attributes().into_iter().flatten().collect();
                Ok(json!({ "Attributes": sorted }))
            }
            Err(e) => Err(outcome(e, "sns:GetTopicAttributes")),
        };
        b.record(
            "sns:GetTopicAttributes",
            &region,
            params([("TopicArn", arn)]),
            attrs,
        );
        let subs = sns
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .into_paginator()
            .send()
            .try_collect()
            .await;
        let subs = match subs {
            Ok(pages) => {
                let all: Vec<Value> = pages
                    .iter()
                    .flat_map(|p| p.subscriptions())
                    .map(|s| {
                        Doc::default()
                            .s("SubscriptionArn", s.subscription_arn())
                            .s("Owner", s.owner())
                            .s("Protocol", s.protocol())
                            .s("Endpoint", s.endpoint())
                            .s("TopicArn", s.topic_arn())
                            .done()
                    })
                    .collect();
                Ok(json!({ "Subscriptions": all }))
            }
            Err(e) => Err(outcome(e, "sns:ListSubscriptionsByTopic")),
        };
        b.record(
            "sns:ListSubscriptionsByTopic",
            &region,
            params([("TopicArn", arn)]),
            subs,
        );
    }
    b
}

fn trail_doc(t: &aws_sdk_cloudtrail::types::Trail) -> Value {
    Doc::default()
        .s("Name", t.name())
        .s("S3BucketName", t.s3_bucket_name())
        .s("S3KeyPrefix", t.s3_key_prefix())
        .s("SnsTopicARN", t.sns_topic_arn())
        .put(
            "IncludeGlobalServiceEvents",
            t.include_global_service_events().map(Value::from),
        )
        .put(
            "IsMultiRegionTrail",
            t.is_multi_region_trail().map(Value::from),
        )
        .s("HomeRegion", t.home_region())
        .s("TrailARN", t.trail_arn())
        .put(
            "LogFileValidationEnabled",
            t.log_file_validation_enabled().map(Value::from),
        )
        .s(
            "CloudWatchLogsLogGroupArn",
            t.cloud_watch_logs_log_group_arn(),
        )
        .s("CloudWatchLogsRoleArn", t.cloud_watch_logs_role_arn())
        .s("KmsKeyId", t.kms_key_id())
        .put(
            "HasCustomEventSelectors",
            t.has_custom_event_selectors().map(Value::from),
        )
        .put(
            "HasInsightSelectors",
            t.has_insight_selectors().map(Value::from),
        )
        .put(
            "IsOrganizationTrail",
            t.is_organization_trail().map(Value::from),
        )
        .done()
}

fn selectors_doc(
    o: &aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput,
) -> Value {
    let basic: Vec<Value> = o
        .event_selectors()
        .iter()
        .map(|s| {
            Doc::default()
                .s("ReadWriteType", s.read_write_type().map(|r| r.as_str()))
                .put(
                    "IncludeManagementEvents",
                    s.include_management_events().map(Value::from),
                )
                .put(
                    "DataResources",
                    json!(s
                        .data_resources()
                        .iter()
                        .map(|d| Doc::default()
                            .s("Type", d.r#type())
                            .strs("Values", d.values())
                            .done())
                        .collect::<Vec<_>>()),
                )
                .strs(
                    "ExcludeManagementEventSources",
                    s.exclude_management_event_sources(),
                )
                .done()
        })
        .collect();
    let advanced: Vec<Value> = o
        .advanced_event_selectors()
        .iter()
        .map(|s| {
            let fields: Vec<Value> = s
                .field_selectors()
                .iter()
                .map(|f| {
                    Doc::default()
                        .s("Field", Some(f.field()))
                        .strs("Equals", f.equals())
                        .strs("StartsWith", f.starts_with())
                        .strs("EndsWith", f.ends_with())
                        .strs("NotEquals", f.not_equals())
                        .strs("NotStartsWith", f.not_starts_with())
                        .strs("NotEndsWith", f.not_ends_with())
                        .done()
                })
                .collect();
            Doc::default()
                .s("Name", s.name())
                .put("FieldSelectors", json!(fields))
                .done()
        })
        .collect();
    Doc::default()
        .s("TrailARN", o.trail_arn())
        .put("EventSelectors", (!basic.is_empty()).then(|| json!(basic)))
        .put(
            "AdvancedEventSelectors",
            (!advanced.is_empty()).then(|| json!(advanced)),
        )
        .done()
}

fn filter_doc(f: &aws_sdk_cloudwatchlogs::types::MetricFilter) -> Value {
    let transformations: Vec<Value> = f
        .metric_transformations()
        .iter()
        .map(|t| {
            let dims: Option<BTreeMap<_, _>> = t.dimensions().map(|d| d.iter().collect());
            Doc::default()
                .s("metricName", Some(t.metric_name()))
                .s("metricNamespace", Some(t.metric_namespace()))
                .s("metricValue", Some(t.metric_value()))
                .put("defaultValue", t.default_value().map(Value::from))
                .put(
                    "dimensions",
                    dims.filter(|d| !d.is_empty()).map(|d| json!(d)),
                )
                .s("unit", t.unit().map(|u| u.as_str()))
                .done()
        })
        .collect();
    Doc::default()
        .s("filterName", f.filter_name())
        .s("filterPattern", f.filter_pattern())
        .put("metricTransformations", json!(transformations))
        .put("creationTime", f.creation_time().map(Value::from))
        .s("logGroupName", f.log_group_name())
        .done()
}

fn alarm_doc(a: &aws_sdk_cloudwatch::types::MetricAlarm) -> Value {
    let dims: Vec<Value> = a
        .dimensions()
        .iter()
        .map(|d| {
            Doc::default()
                .s("Name", d.name())
                .s("Value", d.value())
                .done()
        })
        .collect();
    let metrics: Vec<Value> = a
        .metrics()
        .iter()
        .map(|m| {
            Doc::default()
                .s("Id", m.id())
                .s("Expression", m.expression())
                .s("Label", m.label())
                .put("ReturnData", m.return_data().map(Value::from))
                .done()
        })
        .collect();
    Doc::default()
        .s("AlarmName", a.alarm_name())
        .s("AlarmArn", a.alarm_arn())
        .s("AlarmDescription", a.alarm_description())
        .put(
            "AlarmConfigurationUpdatedTimestamp",
            a.alarm_configuration_updated_timestamp().map(cli_time),
        )
        .put("ActionsEnabled", a.actions_enabled().map(Value::from))
        .put("OKActions", json!(a.ok_actions()))
        .put("AlarmActions", json!(a.alarm_actions()))
        .put(
            "InsufficientDataActions",
            json!(a.insufficient_data_actions()),
        )
        .s("StateValue", a.state_value().map(|s| s.as_str()))
        .s("StateReason", a.state_reason())
        .s("StateReasonData", a.state_reason_data())
        .put(
            "StateUpdatedTimestamp",
            a.state_updated_timestamp().map(cli_time),
        )
        .s("MetricName", a.metric_name())
        .s("Namespace", a.namespace())
        .s("Statistic", a.statistic().map(|s| s.as_str()))
        .s("ExtendedStatistic", a.extended_statistic())
        .put("Dimensions", json!(dims))
        .put("Period", a.period().map(Value::from))
        .s("Unit", a.unit().map(|u| u.as_str()))
        .put("EvaluationPeriods", a.evaluation_periods().map(Value::from))
        .put(
            "DatapointsToAlarm",
            a.datapoints_to_alarm().map(Value::from),
        )
        .put("Threshold", a.threshold().map(Value::from))
        .s(
            "ComparisonOperator",
            a.comparison_operator().map(|c| c.as_str()),
        )
        .s("TreatMissingData", a.treat_missing_data())
        .s(
            "EvaluateLowSampleCountPercentile",
            a.evaluate_low_sample_count_percentile(),
        )
        .put("Metrics", (!metrics.is_empty()).then(|| json!(metrics)))
        .s("ThresholdMetricId", a.threshold_metric_id())
        .put(
            "StateTransitionedTimestamp",
            a.state_transitioned_timestamp().map(cli_time),
        )
        .done()
}

fn history_doc(i: &aws_sdk_cloudwatch::types::AlarmHistoryItem) -> Value {
    Doc::default()
        .s("AlarmName", i.alarm_name())
        .s("AlarmType", i.alarm_type().map(|t| t.as_str()))
        .put("Timestamp", i.timestamp().map(cli_time))
        .s("HistoryItemType", i.history_item_type().map(|t| t.as_str()))
        .s("HistorySummary", i.history_summary())
        .s("HistoryData", i.history_data())
        .done()
}

/// CloudTrail's public keys for `[start, end]` in each of `regions`
/// (ListPublicKeys, every page), for `verify` without `--public-keys`.
/// Fails with one message naming the region and the call.
pub fn public_keys(
    opts: &AwsOptions,
    regions: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<crate::integrity::PublicKeys, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
    rt.block_on(async {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(e) = &opts.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let clients = Clients {
            shared: loader.load().await,
            max_attempts: opts.max_attempts,
        };
        let mut keys = crate::integrity::PublicKeys::default();
        let to_smithy =
            |t: DateTime<Utc>| aws_sdk_cloudtrail::primitives::DateTime::from_secs(t.timestamp());
        for region in regions {
            let client = clients.cloudtrail(region);
            let mut token = None;
            loop {
                let page = client
                    .list_public_keys()
                    .start_time(to_smithy(start))
                    .end_time(to_smithy(end))
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| {
                        let (_, why) = outcome(e, "cloudtrail:ListPublicKeys");
                        format!("ListPublicKeys in {region}: {why}; or pass --public-keys FILE (`aws cloudtrail list-public-keys` output)")
                    })?;
                for k in page.public_key_list() {
                    let time = |t: Option<&aws_sdk_cloudtrail::primitives::DateTime>| {
                        t.and_then(|t| DateTime::from_timestamp_millis(t.to_millis().ok()?))
                    };
                    keys.push(crate::integrity::keys::PublicKey {
                        fingerprint: k.fingerprint().unwrap_or_default().to_ascii_lowercase(),
                        der: k.value().map(|b| b.as_ref().to_vec()).unwrap_or_default(),
                        valid_from: time(k.validity_start_time()),
                        valid_to: time(k.validity_end_time()),
                    });
                }
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                    _ => break,
                }
            }
        }
        Ok(keys)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_the_cli_prints_them_and_read_back() {
        let whole = AwsTime::from_secs(1_764_000_000);
        let fine = AwsTime::from_millis(1_764_000_000_123);
        assert_eq!(cli_time(&whole), "2025-11-24T16:00:00+00:00");
        assert_eq!(cli_time(&fine), "2025-11-24T16:00:00.123000+00:00");
        for t in [whole, fine] {
            let s = cli_time(&t);
            let back = crate::time::parse_export(s.as_str().unwrap()).unwrap();
            assert_eq!(back.timestamp_millis(), t.to_millis().unwrap());
        }
    }

    #[test]
    fn arn_regions() {
        assert_eq!(
            arn_region("arn:aws:sns:eu-west-1:111122223333:alerts"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:sns::111122223333:alerts"), None);
    }
}
