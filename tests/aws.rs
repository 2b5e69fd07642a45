//! `audit --aws` against moto's server (started by scripts/test.sh, with
//! scripts/moto_ext.py's DescribeAlarmHistory): a whole account is built
//! through the AWS SDK (a multi-region trail with a bucket and a log group,
//! the CIS metric filter, an alarm with an SNS action and a subscription,
//! alarm state changes, log objects in the trail's bucket), then audited
//! from credentials alone. Each test has its own account (moto takes a
//! 12-digit access key as the account ID), so they do not see each other's
//! trails. Without the server these tests fail and say how to start it.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::primitives::ByteStream;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::proxy::{Proxy, Reply, Request};
use crate::s3::endpoint;
use crate::util::{ct_record, finding_kinds, gzip, venv_bin};

const REGION: &str = "us-east-1";
const PATTERN: &str = "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }";

/// The CIS pattern without two of its names.
const BROKEN_PATTERN: &str = "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }";

/// A fresh 12-digit account for one test (`n` tells the tests apart, the
/// process ID the runs against one long-lived server).
fn account(n: u32) -> String {
    format!("9{:06}{:05}", std::process::id() % 1_000_000, n)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("tokio runtime")
}

/// Credentials that moto maps to `account`: an AssumeRole into a role of
/// that account (a 12-digit access key is not enough for moto's server).
fn credentials(account: &str) -> aws_sdk_s3::config::Credentials {
    let base = aws_sdk_s3::config::Credentials::new("test", "test", None, None, "tests");
    let conf = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint())
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(base))
        .build();
    let out = runtime()
        .block_on(
            aws_sdk_sts::Client::new(&conf)
                .assume_role()
                .role_arn(format!("arn:aws:iam::{account}:role/audit"))
                .role_session_name("ctreplay-tests")
                .send(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "AssumeRole at {}: {}",
                endpoint(),
                aws_sdk_sts::error::DisplayErrorContext(&e)
            )
        });
    let c = out.credentials.expect("AssumeRole returns credentials");
    aws_sdk_s3::config::Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        None,
        "tests",
    )
}

fn config(creds: &aws_sdk_s3::config::Credentials) -> SdkConfig {
    let creds = creds.clone();
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint())
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(creds))
        .build()
}

/// What an account was built with.
struct Account {
    id: String,
    creds: aws_sdk_s3::config::Credentials,
    bucket: String,
    trail: String,
    topic: String,
}

/// How to build an account.
#[derive(Default)]
struct Build {
    /// Stop the trail's logging.
    stopped: bool,
    /// No subscription on the alarm's topic.
    no_subscriber: bool,
    /// A filter missing names, and an alarm that needs 2 of 2 datapoints
    /// and whose actions are disabled: the gaps `--fix` must fix.
    broken: bool,
    /// No alarm at all on the filter's metric.
    no_alarm: bool,
}

/// Build account `n`: a trail to a log group, the CIS filter, an alarm
/// with an SNS action, one security-group change eight minutes ago in the
/// trail's bucket, and the alarm going into ALARM now and back to OK.
fn build(n: u32, how: Build) -> Account {
    let id = account(n);
    let creds = credentials(&id);
    let conf = config(&creds);
    let bucket = format!("trail-{id}");
    let group = format!("CloudTrail/{id}");
    let trail = format!("main-{id}");
    let rt = runtime();
    let topic = rt.block_on(async {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let change = Utc::now() - Duration::minutes(8);
        let mut record = ct_record(
            &change.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            REGION,
            "AuthorizeSecurityGroupIngress",
            &format!("change-{id}"),
            "ec2.amazonaws.com",
            json!({"groupId": "sg-0a1b2c3d"}),
        );
        record["recipientAccountId"] = json!(id);
        record["userIdentity"]["accountId"] = json!(id);
        let doc = json!({ "Records": [record] });
        let key = format!(
            "AWSLogs/{id}/CloudTrail/{REGION}/{}/{id}_CloudTrail_{REGION}_{}_a.json.gz",
            change.format("%Y/%m/%d"),
            change.format("%Y%m%dT%H%MZ")
        );
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from(gzip(doc.to_string().as_bytes())))
            .send()
            .await
            .unwrap();

        let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
        logs.create_log_group()
            .log_group_name(&group)
            .send()
            .await
            .unwrap();
        logs.put_metric_filter()
            .log_group_name(&group)
            .filter_name("SecurityGroupChanges")
            .filter_pattern(if how.broken { BROKEN_PATTERN } else { PATTERN })
            .metric_transformations(
                aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
                    .metric_name("SecurityGroupEventCount")
                    .metric_namespace("CISBenchmark")
                    .metric_value("1")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();

        let sns = aws_sdk_sns::Client::new(&conf);
        let topic = sns
            .create_topic()
            .name("security-alerts")
            .send()
            .await
            .unwrap()
            .topic_arn
            .unwrap();
        if !how.no_subscriber {
            sns.subscribe()
                .topic_arn(&topic)
                .protocol("sqs")
                .endpoint(format!("arn:aws:sqs:{REGION}:{id}:security-team"))
                .send()
                .await
                .unwrap();
        }

        let cw = aws_sdk_cloudwatch::Client::new(&conf);
        use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
        if !how.no_alarm {
            cw.put_metric_alarm()
                .alarm_name("security-group-changes")
                .metric_name("SecurityGroupEventCount")
                .namespace("CISBenchmark")
                .statistic(Statistic::Sum)
                .period(300)
                .evaluation_periods(if how.broken { 2 } else { 1 })
                .datapoints_to_alarm(if how.broken { 2 } else { 1 })
                .threshold(1.0)
                .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
                .alarm_actions(&topic)
                .send()
                .await
                .unwrap();
            if how.broken {
                cw.disable_alarm_actions()
                    .alarm_names("security-group-changes")
                    .send()
                    .await
                    .unwrap();
            }
            for state in [StateValue::Alarm, StateValue::Ok] {
                cw.set_alarm_state()
                    .alarm_name("security-group-changes")
                    .state_value(state)
                    .state_reason("Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).")
                    .send()
                    .await
                    .unwrap();
            }
        }

        let ct = aws_sdk_cloudtrail::Client::new(&conf);
        ct.create_trail()
            .name(&trail)
            .s3_bucket_name(&bucket)
            .is_multi_region_trail(true)
            .cloud_watch_logs_log_group_arn(format!(
                "arn:aws:logs:{REGION}:{id}:log-group:{group}:*"
            ))
            .cloud_watch_logs_role_arn(format!("arn:aws:iam::{id}:role/CloudTrailToLogs"))
            .send()
            .await
            .unwrap();
        // What a new trail reports in AWS; moto reports no selector at
        // all, which ctreplay takes as unknown.
        ct.put_event_selectors()
            .trail_name(&trail)
            .event_selectors(
                aws_sdk_cloudtrail::types::EventSelector::builder()
                    .read_write_type(aws_sdk_cloudtrail::types::ReadWriteType::All)
                    .include_management_events(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        if !how.stopped {
            ct.start_logging().name(&trail).send().await.unwrap();
        }
        topic
    });
    Account {
        id,
        creds,
        bucket,
        trail,
        topic,
    }
}

/// Run ctreplay as account `a`, at the server or at `via`.
fn run(a: &Account, args: &[&str], via: Option<&str>) -> Output {
    let ep = via.map(str::to_owned).unwrap_or_else(endpoint);
    Command::cargo_bin("ctreplay")
        .unwrap()
        .args(args)
        .args(["--endpoint-url", &ep, "--path-style", "-q"])
        .env("AWS_ACCESS_KEY_ID", a.creds.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", a.creds.secret_access_key())
        .env(
            "AWS_SESSION_TOKEN",
            a.creds.session_token().unwrap_or_default(),
        )
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: exit {:?}, stderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The bundle's file for `action`.
fn evidence_file(dir: &Path, action: &str) -> String {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let file = manifest["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == action)
        .unwrap_or_else(|| panic!("no {action} in {manifest}"))["file"]
        .as_str()
        .unwrap()
        .to_owned();
    dir.join(file).display().to_string()
}

#[test]
fn credentials_alone_find_the_trail_and_judge_the_deployed_alarm() {
    let a = build(1, Build::default());
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    let ev_s = ev.display().to_string();
    let out = run(
        &a,
        &["audit", "--aws", "-f", "json", "--save-evidence", &ev_s],
        None,
    );
    let v = json_of(&out);
    let d = &v["scope"]["deployment"];
    assert_eq!(d["trail"]["name"], a.trail.as_str(), "{d}");
    assert_eq!(d["trail"]["logging"], true);
    assert_eq!(d["trail"]["multi_region"], true);
    assert_eq!(d["trail"]["management_writes"], true);
    assert_eq!(d["evidence"]["caller"]["account"], a.id.as_str());
    assert_eq!(d["evidence"]["unanswered"], json!([]));
    assert_eq!(d["topics"][0]["arn"], a.topic.as_str());
    assert_eq!(d["topics"][0]["confirmed"], 1);
    assert_eq!(
        v["scope"]["inputs"],
        json!([format!("s3://{}/AWSLogs/", a.bucket)])
    );
    assert_eq!(v["scope"]["filters"][0]["name"], "SecurityGroupChanges");
    assert_eq!(v["scope"]["alarms"][0]["name"], "security-group-changes");
    assert_eq!(v["scope"]["hypothetical"], false);
    assert!(!v["scope"]["history_span"].is_null(), "{}", v["scope"]);
    // The change eight minutes ago, and the ALARM that followed it.
    assert_eq!(v["changes"][0]["eventID"], format!("change-{}", a.id));
    assert_eq!(v["changes"][0]["status"], "caught", "{}", v["changes"]);
    assert_eq!(v["verdict"], "covered", "{}", v["verdict_reasons"]);
    assert_eq!(out.status.code(), Some(0));

    // Every page of the history (the test server answers two items a
    // page), newest first: OK, the SNS action, ALARM, the configuration.
    let history: Value = serde_json::from_slice(
        &std::fs::read(evidence_file(&ev, "cloudwatch:DescribeAlarmHistory")).unwrap(),
    )
    .unwrap();
    let kinds: Vec<&str> = history["AlarmHistoryItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["HistoryItemType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "StateUpdate",
            "Action",
            "StateUpdate",
            "ConfigurationUpdate"
        ]
    );

    // Replayed offline from the bundle: the same bytes.
    let again = run(&a, &["audit", "--evidence", &ev_s, "-f", "json"], None);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&out.stdout)
    );

    // The text report names the evidence and the trail.
    let text = run(&a, &["audit", "--evidence", &ev_s], None);
    let text = String::from_utf8_lossy(&text.stdout);
    let manifest = std::fs::read(ev.join("manifest.json")).unwrap();
    let hash = sha256_hex(&manifest);
    assert_eq!(
        v["scope"]["deployment"]["evidence"]["manifest_sha256"],
        hash.as_str()
    );
    assert!(
        text.contains(&format!("evidence manifest sha256 {hash}")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "trail {} (multi-region): logging yes, management writes logged",
            a.trail
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("topic {}: 1 confirmed, 0 pending", a.topic)),
        "{text}"
    );
    // The evidence folder is never written over.
    let out = run(&a, &["audit", "--aws", "--save-evidence", &ev_s], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));

    // The bundle's files are exports: the audit they give is the same,
    // but for what only AWS could say.
    let exports = run(
        &a,
        &[
            "audit",
            "-f",
            "json",
            &format!("s3://{}/AWSLogs/", a.bucket),
            "--metric-filters",
            &evidence_file(&ev, "logs:DescribeMetricFilters"),
            "--alarms",
            &evidence_file(&ev, "cloudwatch:DescribeAlarmsForMetric"),
            "--history",
            &evidence_file(&ev, "cloudwatch:DescribeAlarmHistory"),
        ],
        None,
    );
    let mut w = json_of(&exports);
    let mut v = v;
    v["scope"].as_object_mut().unwrap().remove("deployment");
    w["scope"].as_object_mut().unwrap().remove("deployment");
    assert_eq!(v, w);

    // A changed evidence file is refused.
    let f = evidence_file(&ev, "cloudwatch:DescribeAlarmHistory");
    std::fs::write(&f, b"{\"AlarmHistoryItems\":[]}\n").unwrap();
    let out = run(&a, &["audit", "--evidence", &ev_s, "-f", "json"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("changed after it was saved"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_trail_that_stopped_and_a_topic_nobody_reads_are_gaps() {
    let a = build(
        2,
        Build {
            stopped: true,
            no_subscriber: true,
            ..Build::default()
        },
    );
    let out = run(&a, &["audit", "--aws", "-f", "json"], None);
    let v = json_of(&out);
    let kinds = finding_kinds(&v);
    assert!(kinds.contains(&"trail_not_logging"), "{kinds:?}");
    assert!(kinds.contains(&"topic_without_subscriber"), "{kinds:?}");
    assert_eq!(v["verdict"], "gaps");
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn denied_calls_leave_the_verdict_unknown_and_name_the_action() {
    let a = build(3, Build::default());
    let deny = |actions: &'static [&'static str]| {
        Proxy::start(
            endpoint(),
            Box::new(move |r: &Request| {
                let act = r.action()?;
                actions.contains(&act.as_str()).then(|| {
                    let code = if act.contains("Topic") {
                        "AuthorizationError"
                    } else {
                        "AccessDenied"
                    };
                    Reply::denied(r, code)
                })
            }),
        )
    };

    // No history: whether the alarm fired is not judged.
    let proxy = deny(&["DescribeAlarmHistory"]);
    let out = run(&a, &["audit", "--aws", "-f", "json"], Some(&proxy.url));
    let v = json_of(&out);
    assert_eq!(v["verdict"], "inconclusive", "{}", v["verdict_reasons"]);
    assert_eq!(out.status.code(), Some(4));
    let reasons = v["verdict_reasons"].to_string();
    assert!(
        reasons.contains("cloudwatch:DescribeAlarmHistory"),
        "{reasons}"
    );
    assert!(v["controls"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] == "unknown"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cloudwatch:DescribeAlarmHistory") && err.contains("lack"),
        "{err}"
    );

    // No subscriptions: whether anyone is told is unknown.
    let proxy = deny(&["ListSubscriptionsByTopic", "GetTopicAttributes"]);
    let out = run(&a, &["audit", "--aws", "-f", "json"], Some(&proxy.url));
    let v = json_of(&out);
    assert_eq!(v["verdict"], "inconclusive", "{}", v["verdict_reasons"]);
    assert!(v["verdict_reasons"].to_string().contains(&a.topic));
    assert!(v["scope"]["deployment"]["topics"][0]["confirmed"].is_null());

    // No filters: the deployed configuration is unknown, never covered,
    // and never a gap of its own.
    let proxy = deny(&["DescribeMetricFilters"]);
    let out = run(&a, &["audit", "--aws", "-f", "json"], Some(&proxy.url));
    let v = json_of(&out);
    assert_eq!(v["verdict"], "inconclusive", "{}", v["verdict_reasons"]);
    assert_eq!(v["scope"]["hypothetical"], true);
    assert!(v["verdict_reasons"]
        .to_string()
        .contains("logs:DescribeMetricFilters"));
    assert!(proxy.count("POST") > 0, "the calls went through the proxy");
}

/// Run a remediation script as account `a`, against the server.
fn apply(a: &Account, program: &Path, script: &Path) {
    let bin = venv_bin("python");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new(program)
        .arg(script)
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", a.creds.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", a.creds.secret_access_key())
        .env(
            "AWS_SESSION_TOKEN",
            a.creds.session_token().unwrap_or_default(),
        )
        .env("AWS_DEFAULT_REGION", REGION)
        .env("SNS_TOPIC_ARN", &a.topic)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed: {}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const FIXED: [&str; 3] = [
    "filter_misses_names",
    "actions_disabled",
    "several_datapoints_needed",
];

#[test]
fn the_cli_and_boto3_fixes_remove_the_configuration_gaps() {
    for (n, format, no_alarm) in [
        (4, "cli", false),
        (5, "boto3", false),
        (7, "cli", true),
        (8, "boto3", true),
    ] {
        let a = build(
            n,
            Build {
                broken: !no_alarm,
                no_alarm,
                ..Build::default()
            },
        );
        let before = json_of(&run(&a, &["audit", "--aws", "-f", "json"], None));
        let kinds = finding_kinds(&before);
        let fixed: &[&str] = if no_alarm {
            &["no_alarm_on_filter"]
        } else {
            &FIXED
        };
        for &k in fixed {
            assert!(
                kinds.contains(&k),
                "{format}: {k} before the fix: {kinds:?}"
            );
        }
        let fix = run(&a, &["audit", "--aws", "--fix", format], None);
        let script = String::from_utf8(fix.stdout).unwrap();
        if no_alarm {
            // The filter's real metric; the topic is the user's to give.
            assert!(script.contains("SecurityGroupEventCount"), "{script}");
            assert!(script.contains("SNS_TOPIC_ARN"), "{script}");
            assert!(!script.contains(&a.topic), "{script}");
        } else {
            // The real names, no parameter left to fill.
            assert!(script.contains("security-group-changes"), "{script}");
            assert!(script.contains(&format!("CloudTrail/{}", a.id)), "{script}");
            assert!(script.contains(&a.topic), "{script}");
            assert!(!script.contains("SNS_TOPIC_ARN"), "{script}");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir
            .path()
            .join(if format == "cli" { "fix.sh" } else { "fix.py" });
        std::fs::write(&file, &script).unwrap();
        let program = if format == "cli" {
            std::path::PathBuf::from("bash")
        } else {
            venv_bin("python")
        };
        // Twice: the second run changes nothing and does not fail.
        apply(&a, &program, &file);
        apply(&a, &program, &file);
        let after = json_of(&run(&a, &["audit", "--aws", "-f", "json"], None));
        let kinds = finding_kinds(&after);
        for &k in fixed {
            assert!(
                !kinds.contains(&k),
                "{format}: {k} after the fix: {kinds:?}"
            );
        }
        let again =
            String::from_utf8(run(&a, &["audit", "--aws", "--fix", format], None).stdout).unwrap();
        assert!(
            !again.contains("put-metric-filter") && !again.contains("put_metric_filter"),
            "{again}"
        );
    }
}

/// The arguments the AWS provider documents for the resources the
/// Terraform uses (registry.terraform.io/providers/hashicorp/aws/latest/docs,
/// resources cloudwatch_log_metric_filter, cloudwatch_metric_alarm,
/// sns_topic_subscription); a block's arguments listed under its name.
const TERRAFORM_ARGUMENTS: [(&str, &[&str]); 4] = [
    (
        "aws_cloudwatch_log_metric_filter",
        &[
            "name",
            "pattern",
            "log_group_name",
            "metric_transformation",
            "apply_on_transformed_logs",
            "region",
        ],
    ),
    (
        "metric_transformation",
        &[
            "name",
            "namespace",
            "value",
            "default_value",
            "dimensions",
            "unit",
        ],
    ),
    (
        "aws_cloudwatch_metric_alarm",
        &[
            "alarm_name",
            "comparison_operator",
            "evaluation_periods",
            "metric_name",
            "namespace",
            "period",
            "statistic",
            "threshold",
            "threshold_metric_id",
            "actions_enabled",
            "alarm_actions",
            "alarm_description",
            "datapoints_to_alarm",
            "dimensions",
            "insufficient_data_actions",
            "ok_actions",
            "unit",
            "extended_statistic",
            "treat_missing_data",
            "evaluate_low_sample_count_percentiles",
            "metric_query",
            "tags",
            "region",
        ],
    ),
    (
        "aws_sns_topic_subscription",
        &[
            "endpoint",
            "protocol",
            "topic_arn",
            "confirmation_timeout_in_minutes",
            "delivery_policy",
            "endpoint_auto_confirms",
            "filter_policy",
            "filter_policy_scope",
            "raw_message_delivery",
            "redrive_policy",
            "replay_policy",
            "subscription_role_arn",
            "region",
        ],
    ),
];

#[test]
fn the_cloudformation_lints_and_the_terraform_uses_documented_arguments() {
    let a = build(
        6,
        Build {
            broken: true,
            no_subscriber: true,
            ..Build::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let cfn = dir.path().join("fix.json");
    let out = run(&a, &["audit", "--aws", "--fix", "cloudformation"], None);
    std::fs::write(&cfn, &out.stdout).unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let types: Vec<&str> = doc["Resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["Type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"AWS::Logs::MetricFilter"), "{types:?}");
    assert!(types.contains(&"AWS::CloudWatch::Alarm"), "{types:?}");
    assert!(types.contains(&"AWS::SNS::Subscription"), "{types:?}");
    let lint = std::process::Command::new(venv_bin("cfn-lint"))
        .arg(&cfn)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );

    let tf = dir.path().join("fix.tf");
    let out = run(&a, &["audit", "--aws", "--fix", "terraform"], None);
    std::fs::write(&tf, &out.stdout).unwrap();
    let parsed = std::process::Command::new(venv_bin("python"))
        .args([
            "-c",
            "import hcl2, json, sys; print(json.dumps(hcl2.load(open(sys.argv[1]))))",
        ])
        .arg(&tf)
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "python-hcl2: {}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let hcl: Value = serde_json::from_slice(&parsed.stdout).unwrap();
    let mut seen = Vec::new();
    for block in hcl["resource"].as_array().expect("resource blocks") {
        for (kind, named) in block.as_object().unwrap() {
            // python-hcl2 keeps the labels' quotes.
            let kind = kind.trim_matches('"').to_owned();
            let allowed = TERRAFORM_ARGUMENTS
                .iter()
                .find(|(k, _)| *k == kind)
                .unwrap_or_else(|| panic!("resource type {kind} is not one the test knows"))
                .1;
            for body in named.as_object().unwrap().values() {
                for (arg, v) in body.as_object().unwrap() {
                    if arg.starts_with("__") {
                        continue;
                    }
                    assert!(
                        allowed.contains(&arg.as_str()),
                        "{kind}.{arg} is not a documented argument"
                    );
                    if arg == "metric_transformation" {
                        for t in v.as_array().unwrap() {
                            for inner in t
                                .as_object()
                                .unwrap()
                                .keys()
                                .filter(|k| !k.starts_with("__"))
                            {
                                assert!(
                                    TERRAFORM_ARGUMENTS[1].1.contains(&inner.as_str()),
                                    "metric_transformation.{inner}"
                                );
                            }
                        }
                    }
                }
                seen.push(kind.clone());
            }
        }
    }
    for k in [
        "aws_cloudwatch_log_metric_filter",
        "aws_cloudwatch_metric_alarm",
        "aws_sns_topic_subscription",
    ] {
        assert!(seen.iter().any(|s| s == k), "no {k} in {seen:?}");
    }
}
