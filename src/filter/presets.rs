//! Named patterns: the CIS AWS Foundations log-metric-filter controls of
//! every benchmark version, and the AWS Security Hub controls built on them
//! (`docs/cloudtrail.md#cis-numbering`, `#cis-patterns`).
//!
//! Names are `cis-<version>-<control>` as the benchmark numbers them
//! (`cis-1.2-3.10`, `cis-5.0-4.10`, `cis-6.0-5.10`) and
//! `securityhub-cloudwatch-<n>`. The default, `security-group-changes`, is
//! the six-name pattern of the project brief.

use crate::cis::SECURITY_GROUP_PATTERN;

/// One named pattern.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Preset {
    /// What `--preset` takes.
    pub name: String,
    /// What the control is about.
    pub title: &'static str,
    /// Where the pattern comes from.
    pub source: String,
    /// The filter pattern.
    pub pattern: &'static str,
}

/// The name of the default preset.
pub const DEFAULT: &str = "security-group-changes";

const UNAUTHORIZED: &str =
    r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#;
const UNAUTHORIZED_V2: &str = r#"{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }"#;
const NO_MFA: &str =
    r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#;
const NO_MFA_SECURITY_HUB: &str = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#;
const ROOT: &str = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#;
const IAM: &str = "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}";
const CLOUDTRAIL: &str = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }";
const CONSOLE_FAILURES: &str =
    r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#;
const CMK: &str = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }";
const S3_POLICY: &str = "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }";
const CONFIG: &str = "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }";
/// The security-group pattern from CIS v5.0.0 on: the six names and
/// ModifySecurityGroupRules.
pub const SECURITY_GROUPS_V5: &str = "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }";
const NACL: &str = "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }";
const GATEWAYS: &str = "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }";
const ROUTES: &str = "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }";
const VPC: &str = "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }";
const ORGANIZATIONS: &str = r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#;

const TITLES: [&str; 15] = [
    "Unauthorized API calls",
    "Management console sign-in without MFA",
    "Usage of the root account",
    "IAM policy changes",
    "CloudTrail configuration changes",
    "Management console authentication failures",
    "Disabling or scheduled deletion of customer-created CMKs",
    "S3 bucket policy changes",
    "AWS Config configuration changes",
    "Security group changes",
    "Network ACL changes",
    "Network gateway changes",
    "Route table changes",
    "VPC changes",
    "AWS Organizations changes",
];

/// Benchmark versions before v6.0.0: (short name, monitoring section, full
/// version, has control 15 (Organizations), uses the v2.0.0 form of the
/// unauthorized-calls pattern).
const VERSIONS: [(&str, u8, &str, bool, bool); 8] = [
    ("1.2", 3, "v1.2.0", false, false),
    ("1.3", 4, "v1.3.0", true, false),
    ("1.4", 4, "v1.4.0", true, false),
    ("1.5", 4, "v1.5.0", true, false),
    ("2.0", 4, "v2.0.0", true, true),
    ("3.0", 4, "v3.0.0", true, true),
    ("4.0", 4, "v4.0.0", true, true),
    ("5.0", 4, "v5.0.0", true, true),
];

fn cis_pattern(control: usize, version: &str, v2_unauthorized: bool) -> &'static str {
    match control {
        1 if v2_unauthorized => UNAUTHORIZED_V2,
        1 => UNAUTHORIZED,
        2 => NO_MFA,
        3 => ROOT,
        4 => IAM,
        5 => CLOUDTRAIL,
        6 => CONSOLE_FAILURES,
        7 => CMK,
        8 => S3_POLICY,
        9 => CONFIG,
        10 if version == "5.0" || version == "6.0" => SECURITY_GROUPS_V5,
        10 => SECURITY_GROUP_PATTERN,
        11 => NACL,
        12 => GATEWAYS,
        13 => ROUTES,
        14 => VPC,
        _ => ORGANIZATIONS,
    }
}

/// Every preset, default first, then by benchmark version and control.
pub fn all() -> Vec<Preset> {
    let mut out = vec![Preset {
        name: DEFAULT.into(),
        title: "Security group changes: the six CIS names (default)",
        source: "CIS AWS Foundations Benchmark v1.0.0-v4.0.0 security-group control; \
                 AWS CloudTrail User Guide example"
            .into(),
        pattern: SECURITY_GROUP_PATTERN,
    }];
    let versions = VERSIONS
        .iter()
        .copied()
        .chain([("6.0", 5, "v6.0.0", true, true)]);
    for (v, section, full, fifteen, v2) in versions {
        let n = if fifteen { 15 } else { 14 };
        for control in 1..=n {
            out.push(Preset {
                name: format!("cis-{v}-{section}.{control}"),
                title: TITLES[control - 1],
                source: format!(
                    "CIS Amazon Web Services Foundations Benchmark {full}, control {section}.{control}"
                ),
                pattern: cis_pattern(control, v, v2),
            });
        }
    }
    // Security Hub's CloudWatch.1-14 follow CIS v1.2.0 3.x, except that
    // CloudWatch.1 is root usage (3.3), CloudWatch.2 unauthorized calls
    // (3.1) and CloudWatch.3 the stricter sign-in-without-MFA form.
    for n in 1..=14 {
        let (control, pattern) = match n {
            1 => (3, ROOT),
            2 => (1, UNAUTHORIZED),
            3 => (2, NO_MFA_SECURITY_HUB),
            n => (n, cis_pattern(n, "1.2", false)),
        };
        out.push(Preset {
            name: format!("securityhub-cloudwatch-{n}"),
            title: TITLES[control - 1],
            source: format!(
                "AWS Security Hub control CloudWatch.{n} (maps to CIS v1.2.0 3.{control})"
            ),
            pattern,
        });
    }
    out
}

/// The presets any of `terms` finds (all without terms): a term matches a
/// name or a title (case-insensitively), and a control number finds that
/// control in every version: `4.10` (CIS v1.3-v5.0's security-group
/// control) also finds `cis-1.2-3.10`, `cis-6.0-5.10` and
/// `securityhub-cloudwatch-10`, which share its title.
pub fn search(terms: &[String]) -> Vec<Preset> {
    let all = all();
    if terms.is_empty() {
        return all;
    }
    let lower: Vec<String> = terms.iter().map(|t| t.to_ascii_lowercase()).collect();
    let titles: Vec<&str> = all
        .iter()
        .filter(|p| lower.iter().any(|t| p.name.ends_with(&format!("-{t}"))))
        .map(|p| p.title)
        .collect();
    // A number (`4.1`, `1.2`) is a control or a version: it matches a part
    // of a name whole (`cis-1.2-3.1`), not `4.10`..`4.15`. Words match
    // anywhere in the name, title or source (`CloudWatch.10`).
    let number = |t: &str| t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    all.iter()
        .filter(|p| {
            titles.contains(&p.title)
                || lower
                    .iter()
                    .filter(|t| number(t))
                    .any(|t| p.name.split('-').any(|part| part == t.as_str()))
                || lower.iter().filter(|t| !number(t)).any(|t| {
                    p.name.to_ascii_lowercase().contains(t.as_str())
                        || p.title.to_ascii_lowercase().contains(t.as_str())
                        || p.source.to_ascii_lowercase().contains(t.as_str())
                })
        })
        .cloned()
        .collect()
}

/// The preset called `name`.
pub fn find(name: &str) -> Option<Preset> {
    all().into_iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Pattern;

    #[test]
    fn every_preset_parses_and_names_are_unique() {
        let all = all();
        let mut names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for p in &all {
            Pattern::parse(p.pattern).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        }
        assert_eq!(
            find("cis-1.2-3.10").unwrap().pattern,
            SECURITY_GROUP_PATTERN
        );
        assert_eq!(
            find("cis-4.0-4.10").unwrap().pattern,
            SECURITY_GROUP_PATTERN
        );
        assert!(find("cis-5.0-4.10")
            .unwrap()
            .pattern
            .contains("ModifySecurityGroupRules"));
        assert!(find("cis-6.0-5.10")
            .unwrap()
            .pattern
            .contains("ModifySecurityGroupRules"));
        assert!(find("cis-1.2-3.15").is_none());
        let names = |t: &str| -> Vec<String> {
            search(&[t.to_owned()])
                .into_iter()
                .map(|p| p.name)
                .collect()
        };
        let sg = names("4.10");
        for want in [
            "cis-1.2-3.10",
            "cis-1.3-4.10",
            "cis-6.0-5.10",
            "securityhub-cloudwatch-10",
        ] {
            assert!(sg.iter().any(|n| n == want), "{want}: {sg:?}");
        }
        assert!(!sg.iter().any(|n| n == "cis-1.3-4.1"), "{sg:?}");
        assert!(names("route table").iter().any(|n| n == "cis-5.0-4.13"));
        // A number is a whole part of a name: 4.1 is not 4.10..4.15, and a
        // version finds its controls.
        assert!(!names("4.1").iter().any(|n| n == "cis-1.3-4.10"));
        assert!(names("4.1").iter().any(|n| n == "cis-1.3-4.1"));
        assert!(names("1.2").iter().all(|n| n.starts_with("cis-1.2-")));
        // Security Hub's control IDs are in the sources.
        assert_eq!(names("CloudWatch.10"), vec!["securityhub-cloudwatch-10"]);
        assert_eq!(find("cis-2.0-4.1").unwrap().pattern, UNAUTHORIZED_V2);
        assert_eq!(find("cis-1.5-4.1").unwrap().pattern, UNAUTHORIZED);
    }
}
