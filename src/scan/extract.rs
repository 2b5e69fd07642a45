//! One decoded CloudTrail record -> the [`Event`] a report shows.
//!
//! Works on simd-json's borrowed value so a candidate record is decoded once
//! and only the reported fields are copied out. Knows the record layout of
//! CloudTrail (`docs/cloudtrail.md`: record fields, `userIdentity`, the EC2
//! request shapes); knows nothing about which events are interesting (that
//! is [`super::classify`]).

use chrono::{DateTime, Utc};
use simd_json::prelude::*;
use simd_json::BorrowedValue;

use crate::event::Event;
use crate::time::parse_event_time;

/// Look up a path of object keys.
pub fn get<'v, 'a>(v: &'v BorrowedValue<'a>, path: &[&str]) -> Option<&'v BorrowedValue<'a>> {
    path.iter().try_fold(v, |v, k| v.as_object()?.get(*k))
}

/// A string at a path of object keys.
pub fn get_str<'v>(v: &'v BorrowedValue<'_>, path: &[&str]) -> Option<&'v str> {
    get(v, path)?.as_str()
}

/// Why a record cannot be reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// `eventTime` is missing or not a string.
    NoTime,
    /// `eventTime` is a string but not a timestamp.
    BadTime(String),
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldError::NoTime => write!(f, "has no eventTime string"),
            FieldError::BadTime(s) => write!(
                f,
                "eventTime {s:?} is not an RFC 3339 timestamp of years 0000-9999"
            ),
        }
    }
}

/// The parsed `eventTime` of a record.
pub fn event_time(v: &BorrowedValue<'_>) -> Result<DateTime<Utc>, FieldError> {
    let s = get_str(v, &["eventTime"]).ok_or(FieldError::NoTime)?;
    parse_event_time(s).ok_or_else(|| FieldError::BadTime(s.to_owned()))
}

/// Copy the reported fields out of a record whose `eventName` is `name`.
pub fn extract(
    v: &BorrowedValue<'_>,
    name: &str,
    time: DateTime<Utc>,
    key_account: Option<&str>,
    object: &str,
    record: u64,
) -> Event {
    let s = |path: &[&str]| get_str(v, path).unwrap_or_default().to_owned();
    let account = get_str(v, &["recipientAccountId"])
        .or(key_account)
        .unwrap_or_default()
        .to_owned();
    let mut group_ids = Vec::new();
    let mut group_names = Vec::new();
    collect_groups(v, &mut group_ids, &mut group_names);
    Event {
        time,
        name: name.to_owned(),
        id: s(&["eventID"]),
        source: s(&["eventSource"]),
        region: s(&["awsRegion"]),
        account,
        key_account: key_account.map(str::to_owned),
        actor: actor(v),
        actor_type: s(&["userIdentity", "type"]),
        invoked_by: get_str(v, &["userIdentity", "invokedBy"]).map(str::to_owned),
        source_ip: s(&["sourceIPAddress"]),
        user_agent: s(&["userAgent"]),
        group_ids,
        group_names,
        error_code: get_str(v, &["errorCode"]).map(str::to_owned),
        error_message: get_str(v, &["errorMessage"]).map(str::to_owned),
        object: object.to_owned(),
        record,
        record_bytes: 0,
        filters: vec![],
        values: vec![],
        request: None,
        why_unseen: None,
        reading: None,
    }
}

/// The most specific identity of the caller (`docs/cloudtrail.md`,
/// "userIdentity").
fn actor(v: &BorrowedValue<'_>) -> String {
    const PATHS: [&[&str]; 6] = [
        &["userIdentity", "arn"],
        &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
        &["userIdentity", "userName"],
        &["userIdentity", "principalId"],
        &["userIdentity", "invokedBy"],
        &["userIdentity", "type"],
    ];
    PATHS
        .iter()
        .find_map(|p| get_str(v, p).filter(|s| !s.is_empty()))
        .unwrap_or_default()
        .to_owned()
}

/// Security groups acted on. CloudTrail renders classic EC2 calls in
/// camelCase with `{"items": [...]}` lists, newer ones wrapped as
/// `{"<Op>Request": {PascalCase}}` (`docs/cloudtrail.md`, "EC2 request
/// shapes"), and
/// CreateSecurityGroup has its id only in the response.
fn collect_groups(v: &BorrowedValue<'_>, ids: &mut Vec<String>, names: &mut Vec<String>) {
    let push = |out: &mut Vec<String>, s: Option<&str>| {
        if let Some(s) = s.filter(|s| !s.is_empty()) {
            if !out.iter().any(|x| x == s) {
                out.push(s.to_owned());
            }
        }
    };
    let req = get(v, &["requestParameters"]);
    let resp = get(v, &["responseElements"]);
    for part in [req, resp].into_iter().flatten() {
        push(ids, get_str(part, &["groupId"]));
        if let Some(obj) = part.as_object() {
            // Wrapped requests: {"ModifySecurityGroupRulesRequest": {"GroupId": ...}}
            for (k, inner) in obj.iter() {
                if k.ends_with("Request") || k.ends_with("Response") {
                    push(ids, get_str(inner, &["GroupId"]));
                }
            }
        }
        for list in [
            &["groupSet", "items"][..],
            &["securityGroupRuleSet", "items"][..],
        ] {
            if let Some(items) = get(part, list).and_then(|x| x.as_array()) {
                for it in items {
                    push(ids, get_str(it, &["groupId"]));
                }
            }
        }
        if let Some(items) = get(part, &["resourcesSet", "items"]).and_then(|x| x.as_array()) {
            for it in items {
                push(
                    ids,
                    get_str(it, &["resourceId"]).filter(|r| r.starts_with("sg-")),
                );
            }
        }
    }
    if ids.is_empty() {
        if let Some(r) = req {
            push(names, get_str(r, &["groupName"]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::format_time;

    #[test]
    fn extracts_create_security_group() {
        let mut json = br#"{"eventTime":"2023-07-10T12:10:01Z","eventName":"CreateSecurityGroup","eventID":"e1",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s"},
            "requestParameters":{"groupName":"web","vpcId":"vpc-1"},
            "responseElements":{"_return":true,"groupId":"sg-9"}}"#
            .to_vec();
        let v = simd_json::to_borrowed_value(&mut json).unwrap();
        let t = event_time(&v).unwrap();
        let e = extract(&v, "CreateSecurityGroup", t, Some("111"), "obj", 3);
        assert_eq!(e.group_ids, ["sg-9"]);
        assert_eq!(e.actor, "arn:aws:sts::1:assumed-role/R/s");
        assert_eq!(e.account, "111");
        assert_eq!(format_time(&e.time), "2023-07-10T12:10:01Z");
    }

    #[test]
    fn event_time_errors() {
        let mut a = br#"{"eventTime":5}"#.to_vec();
        assert_eq!(
            event_time(&simd_json::to_borrowed_value(&mut a).unwrap()),
            Err(FieldError::NoTime)
        );
        let mut b = br#"{"eventTime":"yesterday"}"#.to_vec();
        assert!(matches!(
            event_time(&simd_json::to_borrowed_value(&mut b).unwrap()),
            Err(FieldError::BadTime(_))
        ));
    }
}
