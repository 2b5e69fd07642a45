//! Which records are security-group changes, and which of those the alarm
//! can see.
//!
//! The alarm's metric filter (CIS "security group changes", domain.md 6.3
//! row 10) matches a record exactly when its top-level `eventName` is one of
//! six strings: whole value, case-sensitive, after JSON unescaping. It does
//! not look at `eventSource`, `errorCode` or anything else, so failed and
//! DryRun calls count, and a name inside any other field does not.
//!
//! Blind spots are security-group changes under other names (domain.md 6.1):
//! they happen, and the alarm never hears of them.

use simd_json::prelude::*;
use simd_json::BorrowedValue;

use crate::prefilter::Prefilter;
use crate::record::{get, get_str};

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

/// When a blind-spot event name really is a security-group change.
#[derive(Debug, Clone, Copy)]
enum When {
    Always,
    /// `requestParameters.<key>` exists (e.g. `groupSet`).
    RequestHas(&'static str),
    /// Some key of `requestParameters` mentions security groups.
    RequestMentionsGroups,
    /// The call targets an `sg-` resource (tags).
    TargetsGroup,
}

/// Security-group changes the six names do not catch (domain.md 6.1).
const BLIND_SPOTS: &[(&str, When, &str)] = &[
    ("ModifySecurityGroupRules", When::Always,
     "edits existing rules in place (ports, CIDRs, referenced groups); not one of the six names (CIS added it only in v5.0.0)"),
    ("UpdateSecurityGroupRuleDescriptionsIngress", When::Always,
     "changes rule descriptions; not one of the six names"),
    ("UpdateSecurityGroupRuleDescriptionsEgress", When::Always,
     "changes rule descriptions; not one of the six names"),
    ("CreateManagedPrefixList", When::Always,
     "prefix lists feed CIDRs into security-group rules; not one of the six names"),
    ("ModifyManagedPrefixList", When::Always,
     "changes the CIDRs of every rule that references the prefix list; not one of the six names"),
    ("RestoreManagedPrefixListVersion", When::Always,
     "changes the CIDRs of every rule that references the prefix list; not one of the six names"),
    ("DeleteManagedPrefixList", When::Always,
     "removes a prefix list that rules may reference; not one of the six names"),
    ("AssociateSecurityGroupVpc", When::Always,
     "makes a security group usable in another VPC; not one of the six names"),
    ("DisassociateSecurityGroupVpc", When::Always,
     "removes a security group from a VPC; not one of the six names"),
    ("ModifyInstanceAttribute", When::RequestHas("groupSet"),
     "replaces the security groups of an instance; the pattern only sees changes to group rules"),
    ("ModifyNetworkInterfaceAttribute", When::RequestHas("groupSet"),
     "replaces the security groups of a network interface; the pattern only sees changes to group rules"),
    ("ApplySecurityGroupsToClientVpnTargetNetwork", When::Always,
     "replaces the security groups of a Client VPN network; not one of the six names"),
    ("ModifyVpcEndpoint", When::RequestMentionsGroups,
     "adds or removes security groups of a VPC endpoint; not one of the six names"),
    ("SetSecurityGroups", When::Always,
     "replaces the security groups of a load balancer (ELBv2); not one of the six names"),
    ("ApplySecurityGroupsToLoadBalancer", When::Always,
     "replaces the security groups of a classic load balancer; not one of the six names"),
    ("ModifyMountTargetSecurityGroups", When::Always,
     "replaces the security groups of an EFS mount target; not one of the six names"),
    ("CreateTags", When::TargetsGroup,
     "tags a security group (tag-based IAM conditions may change who can modify it); not one of the six names"),
    ("DeleteTags", When::TargetsGroup,
     "untags a security group (tag-based IAM conditions may change who can modify it); not one of the six names"),
];

/// What a decoded record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The alarm's filter matches it.
    Match,
    /// A security-group change the filter cannot see, and why.
    BlindSpot(&'static str),
    /// Neither.
    Other,
}

/// Decides [`Verdict`]s and knows the literals a relevant record must hold.
pub struct Detector {
    names: Vec<String>,
    prefilter: Prefilter,
    pattern: String,
}

impl Detector {
    /// The CIS security-group-changes filter with the blind-spot table.
    pub fn security_group_changes() -> Self {
        // Every name of interest, six and blind alike, is made of letters,
        // so these literals are a sound prefilter (see `prefilter`). Most
        // share "SecurityGroup"; one literal covers them all.
        let mut literals = vec!["SecurityGroup"];
        for (name, _, _) in BLIND_SPOTS {
            if !name.contains("SecurityGroup") {
                literals.push(name);
            }
        }
        Detector {
            names: SECURITY_GROUP_EVENTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            prefilter: Prefilter::for_alphanumeric(&literals),
            pattern: SECURITY_GROUP_PATTERN.to_owned(),
        }
    }

    /// The filter pattern this detector evaluates.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The event names the filter matches.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The prefilter that rules out records before decoding.
    pub fn prefilter(&self) -> &Prefilter {
        &self.prefilter
    }

    /// Classify one decoded record; also returns its `eventName`.
    pub fn classify<'v>(&self, v: &'v BorrowedValue<'_>) -> (Verdict, Option<&'v str>) {
        let Some(name) = get_str(v, &["eventName"]) else {
            return (Verdict::Other, None);
        };
        if self.names.iter().any(|n| n == name) {
            return (Verdict::Match, Some(name));
        }
        for (blind, when, why) in BLIND_SPOTS {
            if *blind == name && applies(*when, v) {
                return (Verdict::BlindSpot(why), Some(name));
            }
        }
        (Verdict::Other, Some(name))
    }
}

fn applies(when: When, v: &BorrowedValue<'_>) -> bool {
    let req = get(v, &["requestParameters"]);
    match when {
        When::Always => true,
        When::RequestHas(key) => req.and_then(|r| get(r, &[key])).is_some(),
        When::RequestMentionsGroups => req.and_then(|r| r.as_object()).is_some_and(|o| {
            o.keys()
                .any(|k| k.to_ascii_lowercase().contains("securitygroup"))
        }),
        When::TargetsGroup => req
            .and_then(|r| get(r, &["resourcesSet", "items"]))
            .and_then(|i| i.as_array())
            .is_some_and(|items| {
                items
                    .iter()
                    .any(|it| get_str(it, &["resourceId"]).is_some_and(|id| id.starts_with("sg-")))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(json: &str) -> Verdict {
        let mut b = json.as_bytes().to_vec();
        let v = simd_json::to_borrowed_value(&mut b).unwrap();
        Detector::security_group_changes().classify(&v).0
    }

    #[test]
    fn exact_names_only() {
        assert_eq!(
            verdict(r#"{"eventName":"CreateSecurityGroup"}"#),
            Verdict::Match
        );
        assert_eq!(
            verdict(r#"{"eventName":"C\u0072eateSecurityGroup"}"#),
            Verdict::Match
        );
        assert_eq!(
            verdict(r#"{"eventName":"createsecuritygroup"}"#),
            Verdict::Other
        );
        assert_eq!(
            verdict(r#"{"eventName":"CreateSecurityGroup "}"#),
            Verdict::Other
        );
        assert_eq!(
            verdict(r#"{"eventName":["CreateSecurityGroup"]}"#),
            Verdict::Other
        );
        assert_eq!(
            verdict(
                r#"{"eventName":"PutRolePolicy","requestParameters":{"eventName":"CreateSecurityGroup"}}"#
            ),
            Verdict::Other
        );
    }

    #[test]
    fn blind_spots_need_their_condition() {
        assert!(matches!(
            verdict(r#"{"eventName":"ModifySecurityGroupRules"}"#),
            Verdict::BlindSpot(_)
        ));
        assert!(matches!(
            verdict(
                r#"{"eventName":"ModifyInstanceAttribute","requestParameters":{"groupSet":{"items":[]}}}"#
            ),
            Verdict::BlindSpot(_)
        ));
        assert_eq!(
            verdict(
                r#"{"eventName":"ModifyInstanceAttribute","requestParameters":{"instanceType":{"value":"t3"}}}"#
            ),
            Verdict::Other
        );
        assert!(matches!(
            verdict(
                r#"{"eventName":"CreateTags","requestParameters":{"resourcesSet":{"items":[{"resourceId":"sg-1"}]}}}"#
            ),
            Verdict::BlindSpot(_)
        ));
        assert_eq!(
            verdict(
                r#"{"eventName":"CreateTags","requestParameters":{"resourcesSet":{"items":[{"resourceId":"i-1"}]}}}"#
            ),
            Verdict::Other
        );
    }
}
