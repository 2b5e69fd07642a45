//! The CloudTrail object key layout (domain.md 5.1) and what it says about
//! an object before it is opened.
//!
//! ```text
//! [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQ.json.gz
//! ```
//!
//! The date folders and the file-name timestamp are the *delivery* time, so
//! an object holds events from somewhat before that moment. Works on local
//! paths and S3 keys alike ('/'-separated); never touches the object.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// What kind of object the key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A CloudTrail log file (or anything not recognisably something else).
    Log,
    /// A `CloudTrail-Digest` file: integrity data, no records.
    Digest,
    /// A `CloudTrail-Insight` file: Insights events, not API calls.
    Insight,
}

/// What the key says about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Organization id for organization trails.
    pub org: Option<String>,
    /// The 12-digit account folder or file-name prefix.
    pub account: Option<String>,
    /// The region folder or file-name part.
    pub region: Option<String>,
    /// Log, digest or insight.
    pub kind: KeyKind,
    /// Delivery time from the file name (minute precision).
    pub delivered: Option<DateTime<Utc>>,
    /// Delivery day from the date folders, when the file name has no time.
    pub day: Option<NaiveDate>,
}

/// Events in an object may be stamped up to this long *after* the file-name
/// time: the name has minute precision and service hosts' clocks differ.
const FUTURE_SLACK: Duration = Duration::minutes(FUTURE_SLACK_SECONDS / 60);

/// [`FUTURE_SLACK`] in seconds, for listings that work on dates.
pub const FUTURE_SLACK_SECONDS: i64 = 300;

/// A `[since, until)` event-time range and the assumed delivery delay.
#[derive(Debug, Clone, Copy)]
pub struct TimeWindow {
    /// Inclusive lower bound on eventTime.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive upper bound on eventTime.
    pub until: Option<DateTime<Utc>>,
    /// How long after its events an object may be delivered.
    pub skew: Duration,
}

impl TimeWindow {
    /// Whether an event time is inside the range.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    /// Whether events stamped in `[lo, hi]` can fall in the range.
    fn overlaps(&self, lo: DateTime<Utc>, hi: DateTime<Utc>) -> bool {
        self.since.is_none_or(|s| hi >= s) && self.until.is_none_or(|u| lo < u)
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl KeyInfo {
    /// Read what a path or key says. Unrecognised layouts give a `Log` with
    /// nothing known, which is never pruned.
    pub fn parse(key: &str) -> KeyInfo {
        let mut info = KeyInfo {
            org: None,
            account: None,
            region: None,
            kind: KeyKind::Log,
            delivered: None,
            day: None,
        };
        let parts: Vec<&str> = key.split(['/', '\\']).collect();
        let file = parts.last().copied().unwrap_or_default();
        if let Some(i) = parts.iter().rposition(|p| *p == "AWSLogs") {
            let mut rest = &parts[i + 1..];
            if let Some(org) = rest.first().filter(|p| p.starts_with("o-")) {
                info.org = Some(org.to_string());
                rest = &rest[1..];
            }
            if let [acct, service, tail @ ..] = rest {
                if is_account(acct) {
                    info.account = Some(acct.to_string());
                }
                info.kind = match *service {
                    "CloudTrail-Digest" => KeyKind::Digest,
                    "CloudTrail-Insight" => KeyKind::Insight,
                    _ => KeyKind::Log,
                };
                if let [region, y, m, d, _file] = tail {
                    if is_region(region) {
                        info.region = Some(region.to_string());
                    }
                    info.day = (|| {
                        NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
                    })();
                }
            }
        }
        // ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQ.json[.gz]
        let fields: Vec<&str> = file.split('_').collect();
        if fields.len() >= 2 {
            match fields[1] {
                "CloudTrail-Digest" => info.kind = KeyKind::Digest,
                "CloudTrail-Insight" => info.kind = KeyKind::Insight,
                "CloudTrail" if fields.len() == 5 && is_account(fields[0]) => {
                    info.account.get_or_insert_with(|| fields[0].to_string());
                    if is_region(fields[2]) {
                        info.region.get_or_insert_with(|| fields[2].to_string());
                    }
                    info.delivered = NaiveDateTime::parse_from_str(fields[3], "%Y%m%dT%H%MZ")
                        .ok()
                        .map(|t| Utc.from_utc_datetime(&t));
                }
                _ => {}
            }
        }
        info
    }

    /// Whether the object can hold an event inside `w`.
    pub fn may_hold(&self, w: &TimeWindow) -> bool {
        let (lo, hi) = match (self.delivered, self.day) {
            (Some(t), _) => (t - w.skew, t + Duration::minutes(1) + FUTURE_SLACK),
            (None, Some(d)) => {
                let start =
                    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
                (start - w.skew, start + Duration::days(1) + FUTURE_SLACK)
            }
            (None, None) => return true,
        };
        w.overlaps(lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn parses_org_trail_key() {
        let k = KeyInfo::parse("p/q/AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T0105Z_abcdefABCDEF0123.json.gz");
        assert_eq!(k.org.as_deref(), Some("o-abc123"));
        assert_eq!(k.account.as_deref(), Some("111122223333"));
        assert_eq!(k.region.as_deref(), Some("eu-west-1"));
        assert_eq!(k.kind, KeyKind::Log);
        assert_eq!(k.delivered, Some(t("2026-11-02T01:05:00Z")));
    }

    #[test]
    fn recognises_digests_and_insights() {
        let d = KeyInfo::parse("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/02/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261102T010000Z.json.gz");
        assert_eq!(d.kind, KeyKind::Digest);
        let i = KeyInfo::parse(
            "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/11/02/x.json.gz",
        );
        assert_eq!(i.kind, KeyKind::Insight);
        let bare = KeyInfo::parse(
            "218007301253_CloudTrail_us-east-1_20230710T1215Z_P0WZuP2zvLW2RcUo.json",
        );
        assert_eq!(bare.account.as_deref(), Some("218007301253"));
        assert!(bare.delivered.is_some());
    }

    #[test]
    fn pruning_allows_for_delivery_delay() {
        let k = KeyInfo::parse(
            "111122223333_CloudTrail_us-east-1_20230710T1215Z_P0WZuP2zvLW2RcUo.json",
        );
        let w = |since: &str, until: &str| TimeWindow {
            since: Some(t(since)),
            until: Some(t(until)),
            skew: Duration::minutes(30),
        };
        assert!(k.may_hold(&w("2023-07-10T12:00:00Z", "2023-07-10T12:01:00Z")));
        assert!(k.may_hold(&w("2023-07-10T11:50:00Z", "2023-07-10T11:51:00Z")));
        assert!(!k.may_hold(&w("2023-07-10T11:00:00Z", "2023-07-10T11:45:00Z")));
        assert!(!k.may_hold(&w("2023-07-10T12:30:00Z", "2023-07-10T13:00:00Z")));
        assert!(
            KeyInfo::parse("x/y.json").may_hold(&w("2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z"))
        );
    }
}
