//! The records of a synthetic trail: security-group events, blind spots,
//! decoys that must not match, and weighted filler, each built from a
//! [`RecordSpec`] with realistic shapes and sizes. Where they go is
//! [`super`]'s plan.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use super::rng::Rng;
use super::Expected;
use crate::cis::SECURITY_GROUP_EVENTS;

const COMMON: &[(&str, &str, u32)] = &[
    ("s3.amazonaws.com", "GetObject", 180),
    ("s3.amazonaws.com", "PutObject", 90),
    ("kms.amazonaws.com", "Decrypt", 80),
    ("kms.amazonaws.com", "GenerateDataKey", 50),
    ("sts.amazonaws.com", "AssumeRole", 70),
    ("ec2.amazonaws.com", "DescribeInstances", 40),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 25),
    ("ec2.amazonaws.com", "DescribeNetworkInterfaces", 20),
    ("ec2.amazonaws.com", "RunInstances", 4),
    ("ec2.amazonaws.com", "CreateTags", 6),
    ("ec2.amazonaws.com", "ModifyInstanceAttribute", 3),
    ("iam.amazonaws.com", "PutRolePolicy", 3),
    ("iam.amazonaws.com", "GetRole", 15),
    ("lambda.amazonaws.com", "Invoke", 30),
    ("logs.amazonaws.com", "CreateLogStream", 10),
    ("dynamodb.amazonaws.com", "DescribeTable", 12),
    ("monitoring.amazonaws.com", "GetMetricData", 10),
    ("signin.amazonaws.com", "ConsoleLogin", 1),
];

const VERBS: [&str; 8] = [
    "Describe", "List", "Get", "Update", "Put", "Batch", "Start", "Stop",
];
const NOUNS: [&str; 36] = [
    "Buckets",
    "Volumes",
    "Snapshots",
    "Functions",
    "Tables",
    "Streams",
    "Queues",
    "Topics",
    "Keys",
    "Roles",
    "Users",
    "Policies",
    "Clusters",
    "Services",
    "Tasks",
    "Images",
    "Aliases",
    "Secrets",
    "Parameters",
    "Certificates",
    "Distributions",
    "Rules",
    "Targets",
    "Pipelines",
    "Jobs",
    "Subnets",
    "RouteTables",
    "Addresses",
    "LoadBalancers",
    "Alarms",
    "Dashboards",
    "Repositories",
    "Stacks",
    "Workgroups",
    "Domains",
    "Endpoints",
];
const SERVICES: [&str; 8] = [
    "ec2.amazonaws.com",
    "s3.amazonaws.com",
    "lambda.amazonaws.com",
    "rds.amazonaws.com",
    "ecs.amazonaws.com",
    "cloudformation.amazonaws.com",
    "ssm.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
];

const AGENTS: [&str; 5] = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/ec2.describe-instances",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.210 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "console.ec2.amazonaws.com",
    "terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.21.8",
    "AWS Internal",
];

pub(super) struct Ctx<'a> {
    pub(super) account: &'a str,
    pub(super) region: &'a str,
    /// Events are stamped between these.
    pub(super) from: DateTime<Utc>,
    pub(super) to: DateTime<Utc>,
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn event_time(rng: &mut Rng, c: &Ctx) -> DateTime<Utc> {
    let span = (c.to - c.from).num_seconds().max(1) as u64;
    c.from + Duration::seconds(rng.below(span) as i64)
}

fn identity(rng: &mut Rng, account: &str) -> String {
    match rng.below(10) {
        0..=4 => format!(
            r#"{{"type":"AssumedRole","principalId":"AROA{}:session-{}","arn":"arn:aws:sts::{account}:assumed-role/{}/session-{}","accountId":"{account}","accessKeyId":"ASIA{}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA{}","arn":"arn:aws:iam::{account}:role/{}","accountId":"{account}","userName":"{}"}},"attributes":{{"creationDate":"2026-11-01T00:00:00Z","mfaAuthenticated":"false"}}}}}}"#,
            rng.alnum(16),
            rng.below(99),
            ["Ops", "Deploy", "Admin", "ReadOnly"][rng.below(4) as usize],
            rng.below(99),
            rng.alnum(16),
            rng.alnum(16),
            "Ops",
            "Ops"
        ),
        5..=7 => {
            let user = *rng.pick(&["alice", "bob", "ci-bot", "mallory"]);
            format!(
                r#"{{"type":"IAMUser","principalId":"AIDA{}","arn":"arn:aws:iam::{account}:user/{user}","accountId":"{account}","accessKeyId":"AKIA{}","userName":"{user}"}}"#,
                rng.alnum(16),
                rng.alnum(16)
            )
        }
        _ => r#"{"type":"AWSService","invokedBy":"eks.amazonaws.com"}"#.to_string(),
    }
}

/// What one record says; the identity, source IP and request ID are drawn
/// by [`record`].
struct RecordSpec<'a> {
    time: DateTime<Utc>,
    source: &'a str,
    /// Written raw: it may hold escapes.
    name: &'a str,
    request: &'a str,
    response: &'a str,
    /// `(errorCode, errorMessage)`.
    error: Option<(&'a str, &'a str)>,
    id: &'a str,
    read_only: bool,
    agent: &'a str,
}

impl<'a> RecordSpec<'a> {
    /// A successful call with an empty response.
    fn new(
        time: DateTime<Utc>,
        source: &'a str,
        name: &'a str,
        id: &'a str,
        agent: &'a str,
    ) -> Self {
        RecordSpec {
            time,
            source,
            name,
            request: "{}",
            response: "null",
            error: None,
            id,
            read_only: false,
            agent,
        }
    }
}

/// One CloudTrail record.
fn record(rng: &mut Rng, c: &Ctx, spec: &RecordSpec<'_>) -> String {
    let RecordSpec {
        time,
        source,
        name,
        request,
        response,
        error,
        id,
        read_only,
        agent,
    } = *spec;
    let mut s = String::with_capacity(1024 + request.len());
    let ip = format!("{}.{}.{}.{}", 198, 51, rng.below(256), rng.below(256));
    let _ = write!(
        s,
        r#"{{"eventVersion":"1.09","userIdentity":{},"eventTime":"{}","eventSource":"{source}","eventName":"{name}","awsRegion":"{}","sourceIPAddress":"{ip}","userAgent":"{agent}","#,
        identity(rng, c.account),
        ts(time),
        c.region
    );
    if let Some((code, msg)) = error {
        let _ = write!(s, r#""errorCode":"{code}","errorMessage":"{msg}","#);
    }
    let _ = write!(
        s,
        r#""requestParameters":{request},"responseElements":{response},"requestID":"{}","eventID":"{id}","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{}","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{}"}}}}"#,
        rng.uuid(),
        c.account,
        source.replace(".amazonaws.com", &format!(".{}.amazonaws.com", c.region))
    );
    s
}

fn sg_id(rng: &mut Rng) -> String {
    format!("sg-{:017x}", rng.next() >> 4)
}

fn ip_permissions(rng: &mut Rng) -> String {
    let port = *rng.pick(&[22u16, 80, 443, 3389, 5432]);
    format!(
        r#"{{"items":[{{"ipProtocol":"tcp","fromPort":{port},"toPort":{port},"groups":{{}},"ipRanges":{{"items":[{{"cidrIp":"{}"}}]}},"ipv6Ranges":{{}},"prefixListIds":{{}}}}]}}"#,
        if rng.chance(0.3) {
            "0.0.0.0/0".to_string()
        } else {
            format!("203.0.113.{}/32", rng.below(256))
        }
    )
}

/// A security-group event the alarm matches.
pub(super) fn sg_event(rng: &mut Rng, c: &Ctx, raw_name: Option<&str>) -> (String, Expected) {
    let name = *rng.pick(&SECURITY_GROUP_EVENTS);
    let time = event_time(rng, c);
    let id = rng.uuid();
    let group = sg_id(rng);
    let (req, resp) = match name {
        "CreateSecurityGroup" => (
            format!(
                r#"{{"groupName":"web-{}","groupDescription":"web tier","vpcId":"vpc-0123456789abcdef0"}}"#,
                rng.below(1000)
            ),
            format!(
                r#"{{"requestId":"{}","_return":true,"groupId":"{group}"}}"#,
                rng.uuid()
            ),
        ),
        "DeleteSecurityGroup" => (
            format!(r#"{{"groupId":"{group}"}}"#),
            format!(r#"{{"requestId":"{}","_return":true}}"#, rng.uuid()),
        ),
        _ => (
            format!(
                r#"{{"groupId":"{group}","ipPermissions":{}}}"#,
                ip_permissions(rng)
            ),
            format!(r#"{{"requestId":"{}","_return":true}}"#, rng.uuid()),
        ),
    };
    let error = match rng.below(10) {
        0 => Some((
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        )),
        1 => Some((
            "Client.DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        )),
        _ => None,
    };
    let resp = if error.is_some() {
        "null".to_string()
    } else {
        resp
    };
    // One in twenty: a caller-controlled user agent with terminal escapes.
    let agent = if rng.chance(0.05) {
        r"evil\u001b[2J\u001b]0;owned\u0007"
    } else {
        *rng.pick(&AGENTS)
    };
    let raw = raw_name.unwrap_or(name);
    let json = record(
        rng,
        c,
        &RecordSpec {
            request: &req,
            response: &resp,
            error,
            ..RecordSpec::new(time, "ec2.amazonaws.com", raw, &id, agent)
        },
    );
    (
        json,
        Expected {
            time: ts(time),
            id,
            name: name.to_string(),
            failed: error.is_some(),
        },
    )
}

/// A security-group change the six names miss.
pub(super) fn blind_event(rng: &mut Rng, c: &Ctx) -> (String, Expected) {
    let time = event_time(rng, c);
    let id = rng.uuid();
    let group = sg_id(rng);
    let (name, source, req) = match rng.below(5) {
        0 => ("ModifySecurityGroupRules", "ec2.amazonaws.com", format!(
            r#"{{"ModifySecurityGroupRulesRequest":{{"GroupId":"{group}","SecurityGroupRule":{{"SecurityGroupRuleId":"sgr-0fedcba9876543210","SecurityGroupRule":{{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIpv4":"0.0.0.0/0"}},"tag":1}}}}}}"#)),
        1 => ("UpdateSecurityGroupRuleDescriptionsIngress", "ec2.amazonaws.com", format!(
            r#"{{"groupId":"{group}","ipPermissions":{}}}"#, ip_permissions(rng))),
        2 => ("ModifyInstanceAttribute", "ec2.amazonaws.com", format!(
            r#"{{"instanceId":"i-0{:016x}","groupSet":{{"items":[{{"groupId":"{group}"}}]}}}}"#, rng.next() >> 4)),
        3 => ("ModifyManagedPrefixList", "ec2.amazonaws.com",
            r#"{"prefixListId":"pl-0123456789abcdef0","addEntry":{"items":[{"cidr":"0.0.0.0/0"}]}}"#.to_string()),
        _ => ("CreateTags", "ec2.amazonaws.com", format!(
            r#"{{"resourcesSet":{{"items":[{{"resourceId":"{group}"}}]}},"tagSet":{{"items":[{{"key":"env","value":"prod"}}]}}}}"#)),
    };
    let agent = *rng.pick(&AGENTS);
    let resp = format!(r#"{{"requestId":"{}","_return":true}}"#, rng.uuid());
    let json = record(
        rng,
        c,
        &RecordSpec {
            request: &req,
            response: &resp,
            ..RecordSpec::new(time, source, name, &id, agent)
        },
    );
    (
        json,
        Expected {
            time: ts(time),
            id,
            name: name.to_string(),
            failed: false,
        },
    )
}

/// A record that mentions security-group event names but must not match.
pub(super) fn decoy(rng: &mut Rng, c: &Ctx) -> String {
    let time = event_time(rng, c);
    let id = rng.uuid();
    let agent = *rng.pick(&AGENTS);
    let name = *rng.pick(&SECURITY_GROUP_EVENTS);
    match rng.below(3) {
        0 => {
            let req = format!(
                r#"{{"roleName":"Ops","policyName":"sg-admin","policyDocument":"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":[\"ec2:{name}\",\"ec2:DescribeSecurityGroups\"],\"Resource\":\"*\"}}]}}"}}"#
            );
            record(
                rng,
                c,
                &RecordSpec {
                    request: &req,
                    ..RecordSpec::new(time, "iam.amazonaws.com", "PutRolePolicy", &id, agent)
                },
            )
        }
        1 => {
            let req = format!(r#"{{"eventName":"{name}","detail":{{"eventName":"{name}"}}}}"#);
            record(
                rng,
                c,
                &RecordSpec {
                    request: &req,
                    ..RecordSpec::new(time, "events.amazonaws.com", "PutEvents", &id, agent)
                },
            )
        }
        _ => {
            // Same letters, wrong case: names are case-sensitive.
            let lower = name.to_ascii_lowercase();
            record(
                rng,
                c,
                &RecordSpec::new(time, "ec2.amazonaws.com", &lower, &id, agent),
            )
        }
    }
}

/// An ordinary record that matters to nobody.
pub(super) fn filler(
    rng: &mut Rng,
    c: &Ctx,
    names: &[(String, String, u32)],
    total_weight: u32,
) -> String {
    let mut x = rng.below(total_weight as u64) as u32;
    let mut pick = &names[0];
    for n in names {
        if x < n.2 {
            pick = n;
            break;
        }
        x -= n.2;
    }
    let (source, name) = (&pick.0, &pick.1);
    let time = event_time(rng, c);
    let id = rng.uuid();
    let agent = *rng.pick(&AGENTS);
    let read_only =
        name.starts_with("Describe") || name.starts_with("Get") || name.starts_with("List");
    let (req, resp) = match name.as_str() {
        "GetObject" | "PutObject" => (
            format!(
                r#"{{"bucketName":"data-{}","Host":"data.s3.amazonaws.com","key":"logs/2026/11/{}.parquet"}}"#,
                rng.below(9),
                rng.alnum(24)
            ),
            "null".to_string(),
        ),
        "RunInstances" => {
            // Big records: user data up to ~30 KB, as real launches carry.
            let len = 2000 + rng.below(28_000) as usize;
            let user_data = rng.alnum(len);
            (
                format!(
                    r#"{{"instancesSet":{{"items":[{{"imageId":"ami-0123456789abcdef0","minCount":1,"maxCount":1}}]}},"userData":"{user_data}","groupSet":{{"items":[{{"groupId":"{}"}}]}},"instanceType":"m7g.large"}}"#,
                    sg_id(rng)
                ),
                format!(
                    r#"{{"requestId":"{}","reservationId":"r-0{:016x}","instancesSet":{{"items":[{{"instanceId":"i-0{:016x}","instanceState":{{"code":0,"name":"pending"}}}}]}}}}"#,
                    rng.uuid(),
                    rng.next() >> 4,
                    rng.next() >> 4
                ),
            )
        }
        "CreateTags" => (
            format!(
                r#"{{"resourcesSet":{{"items":[{{"resourceId":"i-0{:016x}"}}]}},"tagSet":{{"items":[{{"key":"Name","value":"web"}}]}}}}"#,
                rng.next() >> 4
            ),
            format!(r#"{{"requestId":"{}","_return":true}}"#, rng.uuid()),
        ),
        "ModifyInstanceAttribute" => (
            format!(
                r#"{{"instanceId":"i-0{:016x}","instanceType":{{"value":"m7g.xlarge"}}}}"#,
                rng.next() >> 4
            ),
            format!(r#"{{"requestId":"{}","_return":true}}"#, rng.uuid()),
        ),
        "DescribeSecurityGroups" => (
            format!(
                r#"{{"securityGroupSet":{{}},"securityGroupIdSet":{{"items":[{{"groupId":"{}"}}]}},"filterSet":{{}}}}"#,
                sg_id(rng)
            ),
            "null".to_string(),
        ),
        _ => (
            {
                let len = rng.below(200) as usize;
                format!(
                    r#"{{"maxResults":{},"nextToken":"{}"}}"#,
                    rng.below(1000),
                    rng.alnum(len)
                )
            },
            if read_only {
                "null".to_string()
            } else {
                format!(r#"{{"requestId":"{}"}}"#, rng.uuid())
            },
        ),
    };
    record(
        rng,
        c,
        &RecordSpec {
            request: &req,
            response: &resp,
            read_only,
            ..RecordSpec::new(time, source, name, &id, agent)
        },
    )
}

pub(super) fn name_table() -> Vec<(String, String, u32)> {
    let mut names: Vec<(String, String, u32)> = COMMON
        .iter()
        .map(|(s, n, w)| (s.to_string(), n.to_string(), *w * 10))
        .collect();
    for (i, v) in VERBS.iter().enumerate() {
        for (j, n) in NOUNS.iter().enumerate() {
            let service = SERVICES[(i + j) % SERVICES.len()];
            names.push((
                service.to_string(),
                format!("{v}{n}"),
                1 + ((i * 7 + j * 3) % 5) as u32,
            ));
        }
    }
    names
}
