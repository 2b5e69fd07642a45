//! The CIS "security group changes" control, as data: the six event names,
//! the recommended metric filter and alarm, the security-group changes that
//! pattern cannot see, and the CloudTrail events that change the alarm
//! pipeline itself.
//!
//! Everything that names the recommended configuration reads it from here:
//! the default preset ([`crate::filter::presets`]), the scan's quick alarm
//! estimate ([`crate::alarm::estimate`]), the audit's stand-in when no export
//! is given, and the fixes it suggests. How records are tested against the
//! blind-spot conditions is [`crate::scan::classify`]'s business; what the
//! alarm does with the datapoints is [`crate::alarm`]'s.
//!
//! Sources: the CIS AWS Foundations Benchmark (monitoring section, "security
//! group changes"), AWS Security Hub control CloudWatch.10
//! (<https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-10>),
//! and `docs/cloudtrail.md` for the blind spots and pipeline events.

use crate::alarm::{Comparison, Missing, Rule, Statistic};

/// The six event names of the CIS security-group-changes metric filter.
pub const SECURITY_GROUP_EVENTS: [&str; 6] = [
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
];

/// The CIS pattern text, as AWS documents it.
pub const SECURITY_GROUP_PATTERN: &str = "{ ($.eventName = AuthorizeSecurityGroupIngress) || \
($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || \
($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || \
($.eventName = DeleteSecurityGroup) }";

/// The seventh name, which CIS adds from v5.0.0 on.
pub const MODIFY_SECURITY_GROUP_RULES: &str = "ModifySecurityGroupRules";

/// When a blind-spot event name really is a security-group change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Every call of that name.
    Always,
    /// `requestParameters.<key>` exists (e.g. `groupSet`).
    RequestHas(&'static str),
    /// Some key of `requestParameters` mentions security groups.
    RequestMentionsGroups,
    /// The call targets an `sg-` resource (tags).
    TargetsGroup,
}

/// A security-group change made under another name than the six.
#[derive(Debug, Clone, Copy)]
pub struct BlindSpot {
    /// `eventName`.
    pub name: &'static str,
    /// When a call of that name changes security groups.
    pub when: When,
    /// What it changes, for reports.
    pub what: &'static str,
}

const fn spot(name: &'static str, when: When, what: &'static str) -> BlindSpot {
    BlindSpot { name, when, what }
}

/// Security-group changes under other names than the six
/// (`docs/cloudtrail.md`, "Security-group changes outside the pattern").
pub const BLIND_SPOTS: &[BlindSpot] = &[
    spot(MODIFY_SECURITY_GROUP_RULES, When::Always,
        "edits existing rules in place (ports, CIDRs, referenced groups) (CIS names it only from v5.0.0)"),
    spot("UpdateSecurityGroupRuleDescriptionsIngress", When::Always, "changes rule descriptions"),
    spot("UpdateSecurityGroupRuleDescriptionsEgress", When::Always, "changes rule descriptions"),
    spot("CreateManagedPrefixList", When::Always, "prefix lists feed CIDRs into security-group rules"),
    spot("ModifyManagedPrefixList", When::Always,
        "changes the CIDRs of every rule that references the prefix list"),
    spot("RestoreManagedPrefixListVersion", When::Always,
        "changes the CIDRs of every rule that references the prefix list"),
    spot("DeleteManagedPrefixList", When::Always, "removes a prefix list that rules may reference"),
    spot("AssociateSecurityGroupVpc", When::Always, "makes a security group usable in another VPC"),
    spot("DisassociateSecurityGroupVpc", When::Always, "removes a security group from a VPC"),
    spot("ModifyInstanceAttribute", When::RequestHas("groupSet"),
        "replaces the security groups of an instance"),
    spot("ModifyNetworkInterfaceAttribute", When::RequestHas("groupSet"),
        "replaces the security groups of a network interface"),
    spot("ApplySecurityGroupsToClientVpnTargetNetwork", When::Always,
        "replaces the security groups of a Client VPN network"),
    spot("ModifyVpcEndpoint", When::RequestMentionsGroups,
        "adds or removes security groups of a VPC endpoint"),
    spot("SetSecurityGroups", When::Always,
        "replaces the security groups of a load balancer (ELBv2)"),
    spot("ApplySecurityGroupsToLoadBalancer", When::Always,
        "replaces the security groups of a classic load balancer"),
    spot("ModifyMountTargetSecurityGroups", When::Always,
        "replaces the security groups of an EFS mount target"),
    spot("CreateTags", When::TargetsGroup,
        "tags a security group (tag-based IAM conditions may change who can modify it)"),
    spot("DeleteTags", When::TargetsGroup,
        "untags a security group (tag-based IAM conditions may change who can modify it)"),
];

/// What the six CIS names are when the pattern in use misses them.
pub const MISSED_SIX: &str = "one of the six CIS security-group events";

/// CloudTrail events that change the alarm pipeline itself: metric filters,
/// alarms, the trail, and the SNS topics alarms notify (`docs/cloudtrail.md`,
/// "Events that change the alarm pipeline").
pub const PIPELINE_EVENTS: &[&str] = &[
    "PutMetricFilter",
    "DeleteMetricFilter",
    "DeleteLogGroup",
    "PutMetricAlarm",
    "DeleteAlarms",
    "SetAlarmState",
    "DisableAlarmActions",
    "EnableAlarmActions",
    "CreateTrail",
    "UpdateTrail",
    "DeleteTrail",
    "StopLogging",
    "StartLogging",
    "PutEventSelectors",
    "CreateTopic",
    "DeleteTopic",
    "Subscribe",
    "Unsubscribe",
    "ConfirmSubscription",
    "SetTopicAttributes",
    "SetSubscriptionAttributes",
];

/// Whether `name` is a security-group change: one of the six, or one of
/// the [`BLIND_SPOTS`] names (without their conditions).
pub fn is_security_group_change(name: &str) -> bool {
    SECURITY_GROUP_EVENTS.contains(&name) || BLIND_SPOTS.iter().any(|b| b.name == name)
}

/// The alarm CIS recommends on the filter's metric.
#[derive(Debug, Clone)]
pub struct RecommendedAlarm {
    /// The name the audit gives it when it stands in for a deployed alarm.
    pub name: &'static str,
    /// The metric the recommended filter publishes.
    pub metric_name: &'static str,
    /// Its namespace.
    pub namespace: &'static str,
    /// `metricValue` of the recommended filter.
    pub metric_value: f64,
    /// How it evaluates, with the evaluation range ctreplay assumes.
    pub rule: Rule,
}

/// Sum over 300 s, `>= 1`, 1 of 1 evaluation periods, missing data left as
/// missing, an SNS action.
pub const ALARM: RecommendedAlarm = RecommendedAlarm {
    name: "recommended CIS alarm",
    metric_name: "SecurityGroupEventCount",
    namespace: "CISBenchmark",
    metric_value: 1.0,
    rule: Rule {
        period: 300,
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        threshold: 1.0,
        comparison: Comparison::GreaterThanOrEqualToThreshold,
        missing: Missing::Missing,
        statistic: Statistic::Sum,
        range: Rule::default_range(1),
    },
};

/// One version of the CIS AWS Foundations Benchmark, as far as the
/// security-group control goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Benchmark {
    /// What `--benchmark` takes: `cis-4.0`.
    pub name: &'static str,
    /// The full version: `v4.0.0`.
    pub version: &'static str,
    /// The security-group control's number in that version: `4.10`.
    pub control: &'static str,
    /// Whether its pattern names ModifySecurityGroupRules too.
    pub modify_rules: bool,
}

impl Benchmark {
    /// The control's ID in reports: `CIS AWS Foundations v4.0.0 4.10`.
    pub fn control_id(&self) -> String {
        format!("CIS AWS Foundations {} {}", self.version, self.control)
    }

    /// Whether the control requires the filter to match `name`.
    pub fn requires(&self, name: &str) -> bool {
        SECURITY_GROUP_EVENTS.contains(&name)
            || (self.modify_rules && name == MODIFY_SECURITY_GROUP_RULES)
    }
}

const fn bench(
    name: &'static str,
    version: &'static str,
    control: &'static str,
    modify_rules: bool,
) -> Benchmark {
    Benchmark {
        name,
        version,
        control,
        modify_rules,
    }
}

/// Every version the presets know (`docs/cloudtrail.md#cis-numbering`):
/// the control is 3.10 in v1.2.0, 4.10 from v1.3.0 to v5.0.0 and 5.10 in
/// v6.0.0; ModifySecurityGroupRules joins the pattern in v5.0.0.
pub const BENCHMARKS: &[Benchmark] = &[
    bench("cis-1.2", "v1.2.0", "3.10", false),
    bench("cis-1.3", "v1.3.0", "4.10", false),
    bench("cis-1.4", "v1.4.0", "4.10", false),
    bench("cis-1.5", "v1.5.0", "4.10", false),
    bench("cis-2.0", "v2.0.0", "4.10", false),
    bench("cis-3.0", "v3.0.0", "4.10", false),
    bench("cis-4.0", "v4.0.0", "4.10", false),
    bench("cis-5.0", "v5.0.0", "4.10", true),
    bench("cis-6.0", "v6.0.0", "5.10", true),
];

/// The default: the newest version whose control is the six-name pattern,
/// so ModifySecurityGroupRules is a note unless a later version is chosen.
pub const DEFAULT_BENCHMARK: &str = "cis-4.0";

/// AWS Security Hub's control for the same alarm.
pub const SECURITY_HUB_CONTROL: &str = "AWS Security Hub CloudWatch.10";

/// The benchmark called `name`.
pub fn benchmark(name: &str) -> Option<Benchmark> {
    BENCHMARKS.iter().copied().find(|b| b.name == name)
}
