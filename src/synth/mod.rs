//! Realistic synthetic CloudTrail trails with an exact manifest, for tests
//! and benchmarks (generated corpora are never committed).
//!
//! Layout: two standalone accounts and an organization trail with two
//! member accounts, three regions each, objects in the real key layout
//! delivered every few minutes, plus digest files. Records: a weighted mix
//! of a few hundred event names with realistic shapes and sizes (small
//! Describe calls, large RunInstances with user data, policy documents as
//! escaped JSON strings); security-group events are rare, some of them
//! failed or DryRun; blind-spot changes; decoys that must *not* match (the
//! names inside policy documents and nested keys, DescribeSecurityGroups,
//! CreateTags on instances); one name written with a `\u` escape that
//! *must* match; and duplicate deliveries of the same eventID.
//!
//! Generation is two-phase so it can run in parallel and stay exact: a
//! sequential plan fixes every object and every special record; then each
//! object is filled and compressed independently from its own seed.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use flate2::{write::GzEncoder, Compression};
use rayon::prelude::*;
use serde::Serialize;

use crate::detect::SECURITY_GROUP_EVENTS;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Approximate total inflated size.
    pub size: u64,
    /// Seed; same seed and options give byte-identical output.
    pub seed: u64,
    /// Inflated size of the largest object.
    pub largest: u64,
}

/// One expected event in the manifest.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    /// eventTime as written.
    #[serde(rename = "eventTime")]
    pub time: String,
    /// eventID.
    #[serde(rename = "eventID")]
    pub id: String,
    /// eventName (decoded).
    #[serde(rename = "eventName")]
    pub name: String,
    /// Whether the call failed (has an errorCode).
    pub failed: bool,
}

/// Exact counts of what was written.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Manifest {
    /// Seed used.
    pub seed: u64,
    /// Log objects written (digests not included).
    pub objects: u64,
    /// Digest objects written.
    pub digests: u64,
    /// Records in all log objects.
    pub records: u64,
    /// Inflated bytes of all log objects.
    pub bytes_inflated: u64,
    /// Stored bytes of all log objects.
    pub bytes_stored: u64,
    /// Inflated size of the largest object.
    pub largest_object: u64,
    /// Matched events, unique by eventID, sorted by time then id.
    pub matched: Vec<Expected>,
    /// Extra deliveries of matched or blind events (same eventID again).
    pub duplicates: u64,
    /// Blind-spot events, unique.
    pub blind_spots: Vec<Expected>,
    /// Records that mention a name but must not match.
    pub decoys: u64,
}

/// SplitMix64: tiny, fast, good enough for test data, and stable across
/// platforms and crate versions (which a dependency would not promise).
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn uuid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0x3fff | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
    fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| *self.pick(A) as char).collect()
    }
}

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const ORG: &str = "o-a1b2c3d4e5";
/// (account, in the organization trail?)
const ACCOUNTS: [(&str, bool); 4] = [
    ("111122223333", false),
    ("444455556666", false),
    ("777788889999", true),
    ("123456789012", true),
];

/// Frequent real event names with weights (per mille, roughly like a
/// management-plus-data-events trail).
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

struct Special {
    json: String,
    expected: Option<(bool, Expected)>, // (is_match, expected)
    decoy: bool,
}

struct PlannedObject {
    rel: PathBuf,
    account: &'static str,
    region: &'static str,
    delivered: DateTime<Utc>,
    target: u64,
    seed: u64,
    specials: Vec<Special>,
}

struct Ctx<'a> {
    account: &'a str,
    region: &'a str,
    /// Events are stamped between these.
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

fn ts(t: DateTime<Utc>) -> String {
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

/// One CloudTrail record. `name` is written raw (it may hold escapes).
#[allow(clippy::too_many_arguments)]
fn record(
    rng: &mut Rng,
    c: &Ctx,
    time: DateTime<Utc>,
    source: &str,
    name: &str,
    request: &str,
    response: &str,
    error: Option<(&str, &str)>,
    id: &str,
    read_only: bool,
    agent: &str,
) -> String {
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
fn sg_event(rng: &mut Rng, c: &Ctx, raw_name: Option<&str>) -> (String, Expected) {
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
        time,
        "ec2.amazonaws.com",
        raw,
        &req,
        &resp,
        error,
        &id,
        false,
        agent,
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
fn blind_event(rng: &mut Rng, c: &Ctx) -> (String, Expected) {
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
        rng, c, time, source, name, &req, &resp, None, &id, false, agent,
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
fn decoy(rng: &mut Rng, c: &Ctx) -> String {
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
                time,
                "iam.amazonaws.com",
                "PutRolePolicy",
                &req,
                "null",
                None,
                &id,
                false,
                agent,
            )
        }
        1 => {
            let req = format!(r#"{{"eventName":"{name}","detail":{{"eventName":"{name}"}}}}"#);
            record(
                rng,
                c,
                time,
                "events.amazonaws.com",
                "PutEvents",
                &req,
                "null",
                None,
                &id,
                false,
                agent,
            )
        }
        _ => {
            // Same letters, wrong case: names are case-sensitive.
            let lower = name.to_ascii_lowercase();
            record(
                rng,
                c,
                time,
                "ec2.amazonaws.com",
                &lower,
                "{}",
                "null",
                None,
                &id,
                false,
                agent,
            )
        }
    }
}

/// An ordinary record that matters to nobody.
fn filler(rng: &mut Rng, c: &Ctx, names: &[(String, String, u32)], total_weight: u32) -> String {
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
        rng, c, time, source, name, &req, &resp, None, &id, read_only, agent,
    )
}

fn name_table() -> Vec<(String, String, u32)> {
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

fn object_name(account: &str, region: &str, t: DateTime<Utc>, uniq: &str) -> String {
    format!(
        "{account}_CloudTrail_{region}_{}_{uniq}.json.gz",
        t.format("%Y%m%dT%H%MZ")
    )
}

fn prefix(account: &str, org: bool) -> String {
    if org {
        format!("AWSLogs/{ORG}/{account}")
    } else {
        format!("AWSLogs/{account}")
    }
}

/// Phase 1: every object and every special record, sequentially.
fn plan(opts: &SynthOptions) -> (Vec<PlannedObject>, Manifest) {
    let mut rng = Rng::new(opts.seed);
    let base = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let mut objects: Vec<PlannedObject> = Vec::new();
    let mut manifest = Manifest {
        seed: opts.seed,
        ..Manifest::default()
    };
    let mut remaining = opts.size as i64;
    let streams: Vec<(&str, bool, &str)> = ACCOUNTS
        .iter()
        .flat_map(|(a, org)| REGIONS.iter().map(move |r| (*a, *org, *r)))
        .collect();
    let mut k = 0u64;
    let small_cap = (opts.largest / 4).clamp(64 << 10, 4 << 20);
    while remaining > 0 {
        let (account, org, region) = streams[(k % streams.len() as u64) as usize];
        let slot = k / streams.len() as u64;
        let delivered =
            base + Duration::minutes(5 * slot as i64) + Duration::seconds(rng.below(240) as i64);
        let target = if k == 0 {
            opts.largest
        } else {
            // Log-uniform between 16 KB and the cap: many small objects,
            // some large, like real trails.
            let lo = (16u64 << 10) as f64;
            let hi = small_cap as f64;
            (lo * (hi / lo).powf((rng.below(1 << 20) as f64) / (1u64 << 20) as f64)) as u64
        };
        let target = target.min(remaining.max(4096) as u64);
        remaining -= target as i64;
        let uniq = rng.alnum(16);
        let day = delivered.format("%Y/%m/%d");
        let rel = PathBuf::from(format!(
            "{}/CloudTrail/{region}/{day}/{}",
            prefix(account, org),
            object_name(account, region, delivered, &uniq)
        ));
        objects.push(PlannedObject {
            rel,
            account,
            region,
            delivered,
            target,
            seed: rng.next(),
            specials: Vec::new(),
        });
        k += 1;
    }
    // Special records: about one security-group event per 2 MB of JSON,
    // at least a dozen, spread over the objects.
    let n_sg = (opts.size / 2_000_000).max(12);
    let mut dup_queue: Vec<(usize, String)> = Vec::new();
    for i in 0..n_sg {
        let o = rng.below(objects.len() as u64) as usize;
        let c = ctx(&objects[o]);
        // The first planted event spells its name with a \u escape.
        let raw = if i == 0 {
            Some(r"\u0043reateSecurityGroup")
        } else {
            None
        };
        let (json, mut exp) = sg_event(&mut rng, &c, raw);
        if raw.is_some() {
            exp.name = "CreateSecurityGroup".into();
        }
        if rng.chance(0.15) && objects.len() > 1 {
            dup_queue.push((o, json.clone()));
        }
        objects[o].specials.push(Special {
            json,
            expected: Some((true, exp)),
            decoy: false,
        });
    }
    for _ in 0..(n_sg / 2).max(5) {
        let o = rng.below(objects.len() as u64) as usize;
        let c = ctx(&objects[o]);
        let (json, exp) = blind_event(&mut rng, &c);
        objects[o].specials.push(Special {
            json,
            expected: Some((false, exp)),
            decoy: false,
        });
    }
    for _ in 0..n_sg * 2 {
        let o = rng.below(objects.len() as u64) as usize;
        let c = ctx(&objects[o]);
        let json = decoy(&mut rng, &c);
        objects[o].specials.push(Special {
            json,
            expected: None,
            decoy: true,
        });
    }
    // Duplicate deliveries: the same record again in another object.
    for (origin, json) in dup_queue {
        let mut o = rng.below(objects.len() as u64) as usize;
        if o == origin {
            o = (o + 1) % objects.len();
        }
        objects[o].specials.push(Special {
            json,
            expected: None,
            decoy: false,
        });
        manifest.duplicates += 1;
    }
    for obj in &objects {
        for s in &obj.specials {
            match &s.expected {
                Some((true, e)) => manifest.matched.push(e.clone()),
                Some((false, e)) => manifest.blind_spots.push(e.clone()),
                None => manifest.decoys += s.decoy as u64,
            }
        }
    }
    manifest.matched.sort();
    manifest.blind_spots.sort();
    (objects, manifest)
}

fn ctx(o: &PlannedObject) -> Ctx<'static> {
    Ctx {
        account: o.account,
        region: o.region,
        from: o.delivered - Duration::minutes(6),
        to: o.delivered - Duration::seconds(20),
    }
}

/// Phase 2: fill one object to its target size and compress it; returns
/// (gzip bytes, JSON, records).
fn build(
    o: &PlannedObject,
    names: &[(String, String, u32)],
    total_weight: u32,
) -> (Vec<u8>, String, u64) {
    let mut rng = Rng::new(o.seed);
    let c = ctx(o);
    let mut json = String::with_capacity(o.target as usize + 64 * 1024);
    json.push_str("{\"Records\":[");
    let mut records = 0u64;
    // Specials go at random positions among the fillers.
    let approx = (o.target / 1200).max(1);
    let mut slots: Vec<u64> = o.specials.iter().map(|_| rng.below(approx)).collect();
    slots.sort_unstable();
    let mut next_special = 0;
    let mut push = |json: &mut String, rec: &str| {
        if records > 0 {
            json.push(',');
        }
        json.push_str(rec);
        records += 1;
    };
    let mut i = 0u64;
    while (json.len() as u64) < o.target || next_special < o.specials.len() {
        while next_special < o.specials.len()
            && (slots[next_special] <= i || json.len() as u64 >= o.target)
        {
            push(&mut json, &o.specials[next_special].json);
            next_special += 1;
        }
        if (json.len() as u64) < o.target {
            let rec = filler(&mut rng, &c, names, total_weight);
            push(&mut json, &rec);
        }
        i += 1;
    }
    json.push_str("]}");
    let mut enc = GzEncoder::new(Vec::with_capacity(json.len() / 5), Compression::new(6));
    enc.write_all(json.as_bytes())
        .expect("writing to a Vec cannot fail");
    let gz = enc.finish().expect("writing to a Vec cannot fail");
    (gz, json, records)
}

fn digest(account: &str, t: DateTime<Utc>) -> Vec<u8> {
    let body = format!(
        r#"{{"awsAccountId":"{account}","digestStartTime":"{}","digestEndTime":"{}","digestS3Bucket":"trail-bucket","digestS3Object":"x","digestPublicKeyFingerprint":"00","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}}"#,
        ts(t - Duration::hours(1)),
        ts(t)
    );
    let mut enc = GzEncoder::new(Vec::new(), Compression::new(6));
    enc.write_all(body.as_bytes()).expect("in memory");
    enc.finish().expect("in memory")
}

/// Write a trail under `out` and `out/manifest.json`; returns the manifest.
pub fn write_trail(out: &Path, opts: &SynthOptions) -> io::Result<Manifest> {
    let (objects, mut manifest) = plan(opts);
    let names = name_table();
    let total_weight: u32 = names.iter().map(|n| n.2).sum();
    let results: Vec<io::Result<(u64, u64, u64)>> = objects
        .par_iter()
        .map(|o| {
            let (gz, json, records) = build(o, &names, total_weight);
            let inflated = json.len() as u64;
            let path = out.join(&o.rel);
            fs::create_dir_all(path.parent().expect("has a parent"))?;
            fs::write(&path, &gz)?;
            Ok((records, inflated, gz.len() as u64))
        })
        .collect();
    for r in results {
        let (records, inflated, stored) = r?;
        manifest.objects += 1;
        manifest.records += records;
        manifest.bytes_inflated += inflated;
        manifest.bytes_stored += stored;
        manifest.largest_object = manifest.largest_object.max(inflated);
    }
    // One digest per account and region: must be recognised and skipped.
    for (account, org) in ACCOUNTS {
        for region in REGIONS {
            let t = Utc
                .with_ymd_and_hms(2026, 11, 1, 1, 0, 0)
                .single()
                .expect("valid");
            let rel = format!(
                "{}/CloudTrail-Digest/{region}/2026/11/01/{account}_CloudTrail-Digest_{region}_main_us-east-1_20261101T010000Z.json.gz",
                prefix(account, org)
            );
            let path = out.join(rel);
            fs::create_dir_all(path.parent().expect("has a parent"))?;
            fs::write(path, digest(account, t))?;
            manifest.digests += 1;
        }
    }
    let mut f = fs::File::create(out.join("manifest.json"))?;
    serde_json::to_writer_pretty(&mut f, &manifest)?;
    f.write_all(b"\n")?;
    Ok(manifest)
}

/// One synthetic log object in memory: (gzip bytes, JSON bytes, records).
/// For benches that must not touch the disk.
pub fn object_in_memory(size: u64, seed: u64) -> (Vec<u8>, Vec<u8>, u64) {
    let (objects, _) = plan(&SynthOptions {
        size,
        seed,
        largest: size,
    });
    let names = name_table();
    let total_weight: u32 = names.iter().map(|n| n.2).sum();
    let (gz, json, records) = build(&objects[0], &names, total_weight);
    (gz, json.into_bytes(), records)
}
