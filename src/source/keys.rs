//! The CloudTrail object key layout (`docs/cloudtrail.md`, "S3 object
//! keys"; <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html>)
//! and what it says about an object before it is opened: its account,
//! region, kind and delivery time ([`KeyInfo`]), whether a [`Selection`]
//! keeps it, and how a listing walks the layout level by level ([`Level`]).
//!
//! ```text
//! [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQ.json.gz
//! ```
//!
//! The date folders and the file-name timestamp are the *delivery* time, so
//! an object holds events from somewhat before that moment. Works on local
//! paths and S3 keys alike ('/'-separated); never touches the object.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::coverage::StreamKey;

/// What kind of object the key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A CloudTrail log file (or anything not recognisably something else).
    Log,
    /// A `CloudTrail-Digest` file: integrity data, no records.
    Digest,
    /// A `CloudTrail-Insight` file: Insights events, not API calls.
    Insight,
    /// The saved `aws s3api head-object` output of a digest
    /// (`<digest>.head-object.json`), which carries its signature.
    DigestSignature,
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

/// [`FUTURE_SLACK`] in seconds.
const FUTURE_SLACK_SECONDS: i64 = 300;

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

/// Whether an object's name is one a scan reads: `*.json.gz` or `*.json`
/// (folder walks, S3 listings and S3 Inventory rows alike).
pub fn is_log_name(name: &str) -> bool {
    name.ends_with(".json.gz") || name.ends_with(".json")
}

/// Whether `s` is a 12-digit account id.
pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_org(s: &str) -> bool {
    s.len() > 2 && s.starts_with("o-") && s[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `path` lies inside the CloudTrail key layout: a `CloudTrail`,
/// `CloudTrail-Digest` or `CloudTrail-Insight` folder followed by
/// `REGION/YYYY/MM/DD/` and the file
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html>).
/// An object there is always read: breaking one must not hide it.
pub fn in_layout(path: &str) -> bool {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    parts.windows(6).any(|w| {
        matches!(
            w[0],
            "CloudTrail" | "CloudTrail-Digest" | "CloudTrail-Insight"
        ) && !w[1].is_empty()
            && digits(w[2], 4)
            && digits(w[3], 2)
            && digits(w[4], 2)
    })
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
        // Only a digest's name with the suffix: a log object renamed so
        // is still read.
        if file.contains("_CloudTrail-Digest_") && file.ends_with(super::SIDECAR_SUFFIX) {
            info.kind = KeyKind::DigestSignature;
            return info;
        }
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

    /// The account and region its coverage is counted under.
    pub fn stream(&self) -> StreamKey {
        StreamKey {
            account: self.account.clone(),
            region: self.region.clone(),
        }
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

/// Why an object was not opened (or, for digests found by content, not
/// scanned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// A CloudTrail digest file.
    Digest,
    /// A CloudTrail Insights file.
    Insight,
    /// A digest's saved `head-object` output (read by `verify` beside its
    /// digest).
    DigestSignature,
    /// Its key date cannot hold events in the time range.
    OutOfRange,
    /// Its key names an account or region that was not asked for.
    NotSelected,
    /// Found by a folder walk outside the key layout, and not a CloudTrail
    /// file (an export, a manifest).
    NotCloudTrail,
    /// Another shard's (never counted: that shard counts it).
    OtherShard,
}

impl SkipReason {
    /// Every reason a report counts (not [`SkipReason::OtherShard`]).
    pub const COUNTED: [SkipReason; 6] = [
        SkipReason::Digest,
        SkipReason::Insight,
        SkipReason::DigestSignature,
        SkipReason::OutOfRange,
        SkipReason::NotSelected,
        SkipReason::NotCloudTrail,
    ];

    /// The counted reason named `name` in reports (a partial's counts).
    pub fn from_name(name: &str) -> Option<SkipReason> {
        SkipReason::COUNTED.into_iter().find(|r| r.as_str() == name)
    }

    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Digest => "digest",
            SkipReason::Insight => "insight",
            SkipReason::DigestSignature => "digest_signature",
            SkipReason::OutOfRange => "out_of_range",
            SkipReason::NotSelected => "not_selected",
            SkipReason::NotCloudTrail => "not_cloudtrail",
            SkipReason::OtherShard => "other_shard",
        }
    }
}

/// Which events are asked for: a time range, accounts and regions. Prunes
/// objects by key before they are opened ([`Selection::skip`]) and records
/// once they are decoded ([`Selection::keeps`]).
#[derive(Debug, Clone)]
pub struct Selection {
    /// Event-time range and delivery skew.
    pub window: TimeWindow,
    /// Only these accounts (empty: all).
    pub accounts: Vec<String>,
    /// Only these regions (empty: all).
    pub regions: Vec<String>,
    /// Keep a reference to every digest file listed (for `verify`): they
    /// are still not handed to the scan.
    pub collect_digests: bool,
    /// Only this shard's objects (`--shard`); the others are not listed,
    /// or not counted where a listing cannot avoid them.
    pub shard: Option<crate::shard::Shard>,
}

/// The delivery skew assumed unless told otherwise: one hour.
pub const DEFAULT_DELIVERY_SKEW_SECONDS: i64 = 3600;

impl Default for Selection {
    /// Everything, with the default delivery skew.
    fn default() -> Self {
        Selection {
            window: TimeWindow {
                since: None,
                until: None,
                skew: Duration::seconds(DEFAULT_DELIVERY_SKEW_SECONDS),
            },
            accounts: Vec::new(),
            regions: Vec::new(),
            collect_digests: false,
            shard: None,
        }
    }
}

impl Selection {
    /// Whether the key rules the object out before it is opened.
    pub fn skip(&self, key: &KeyInfo) -> Option<SkipReason> {
        match key.kind {
            KeyKind::Digest => return Some(SkipReason::Digest),
            KeyKind::Insight => return Some(SkipReason::Insight),
            KeyKind::DigestSignature => return Some(SkipReason::DigestSignature),
            KeyKind::Log => {}
        }
        if !key.may_hold(&self.window) {
            return Some(SkipReason::OutOfRange);
        }
        let unselected = |want: &[String], have: &Option<String>| {
            !want.is_empty() && have.as_ref().is_some_and(|h| !want.contains(h))
        };
        if unselected(&self.accounts, &key.account) || unselected(&self.regions, &key.region) {
            return Some(SkipReason::NotSelected);
        }
        None
    }

    /// Whether `--account` / `--region` keep a record of this account
    /// (`recipientAccountId`), found under a key of `key_account`, in this
    /// region. `--account` matches either account: a copied archive keeps
    /// the records' account under another account's keys.
    pub fn keeps(&self, account: &str, key_account: Option<&str>, region: &str) -> bool {
        let wanted = |a: &str| self.accounts.iter().any(|w| w == a);
        (self.accounts.is_empty() || wanted(account) || key_account.is_some_and(wanted))
            && (self.regions.is_empty() || self.regions.iter().any(|r| r == region))
    }

    /// Whether a listing of the layout should descend into child `name` of
    /// a prefix at `level` (accounts and regions not asked for are not
    /// listed at all).
    pub fn descends(&self, next: &Level, name: &str) -> bool {
        let wanted = |want: &[String]| want.is_empty() || want.iter().any(|w| w == name);
        match next {
            Level::Account => wanted(&self.accounts),
            Level::Dates => wanted(&self.regions),
            _ => true,
        }
    }

    /// The day prefixes (`YYYY/MM/DD/`) whose objects can hold events in
    /// the window; None when the window is open at the start. Keys carry
    /// the delivery date, so the range is widened by the delivery skew.
    pub fn day_prefixes(&self) -> Option<Vec<String>> {
        let w = &self.window;
        let since = w.since?;
        let first = (since - w.skew).date_naive();
        let last = match w.until {
            Some(u) => (u + w.skew + FUTURE_SLACK).date_naive(),
            None => Utc::now().date_naive() + Days::new(1),
        };
        let mut out = Vec::new();
        let mut d: NaiveDate = first;
        while d <= last {
            out.push(d.format("%Y/%m/%d/").to_string());
            d = d + Days::new(1);
        }
        Some(out)
    }
}

/// Where in the CloudTrail layout a listing prefix is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Above `AWSLogs/` (a custom prefix, or the bucket root).
    Explore,
    /// `AWSLogs/` or `AWSLogs/o-ID/`: accounts below.
    AwsLogs,
    /// `AWSLogs/ACCOUNT/`: services below.
    Account,
    /// `.../CloudTrail/`: regions below.
    Regions,
    /// `.../CloudTrail/REGION/`: dates below.
    Dates,
    /// Everything below, listed flat.
    Flat,
}

impl Level {
    /// The level of a user-given prefix.
    pub fn of_prefix(prefix: &str) -> Level {
        if prefix.is_empty() {
            return Level::Explore;
        }
        if !prefix.ends_with('/') {
            return Level::Flat;
        }
        let mut level = Level::Explore;
        for c in prefix.trim_end_matches('/').split('/') {
            level = level.child(c).unwrap_or(Level::Flat);
        }
        level
    }

    /// The level of child `name` (a path component) of a prefix at this
    /// level; None when it is not CloudTrail's.
    pub fn child(&self, name: &str) -> Option<Level> {
        Some(match self {
            Level::Explore if name == "AWSLogs" => Level::AwsLogs,
            Level::Explore => Level::Explore,
            Level::AwsLogs if is_org(name) => Level::AwsLogs,
            Level::AwsLogs if is_account(name) => Level::Account,
            // Digest and Insights folders are listed too (by day when a
            // range is given), so they are counted and skipped exactly as
            // in a local scan of the same objects.
            Level::Account
                if matches!(
                    name,
                    "CloudTrail" | "CloudTrail-Digest" | "CloudTrail-Insight"
                ) =>
            {
                Level::Regions
            }
            Level::Regions => Level::Dates,
            Level::Dates | Level::Flat => Level::Flat,
            _ => return None,
        })
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

    #[test]
    fn layout_levels() {
        for (prefix, level) in [
            ("", Level::Explore),
            ("custom/", Level::Explore),
            ("AWSLogs/", Level::AwsLogs),
            ("AWSLogs/o-abc123def4/", Level::AwsLogs),
            ("p/AWSLogs/o-abc123def4/111122223333/", Level::Account),
            ("AWSLogs/111122223333/CloudTrail/", Level::Regions),
            ("AWSLogs/111122223333/CloudTrail/eu-west-1/", Level::Dates),
            (
                "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/",
                Level::Flat,
            ),
            ("AWSLogs/1111", Level::Flat),
        ] {
            assert_eq!(Level::of_prefix(prefix), level, "{prefix}");
        }
        assert_eq!(
            Level::Account.child("CloudTrail-Digest"),
            Some(Level::Regions)
        );
        assert_eq!(Level::Account.child("vpcflowlogs"), None);
    }

    #[test]
    fn day_prefixes_cover_the_window_and_the_skew() {
        let mut sel = Selection::default();
        assert!(sel.day_prefixes().is_none());
        sel.window.since = Some(t("2026-11-01T00:30:00Z"));
        sel.window.until = Some(t("2026-11-03T00:00:00Z"));
        assert_eq!(
            sel.day_prefixes().unwrap(),
            ["2026/10/31/", "2026/11/01/", "2026/11/02/", "2026/11/03/"]
        );
    }

    #[test]
    fn selection_prunes_by_key() {
        let key = KeyInfo::parse(
            "AWSLogs/111122223333/CloudTrail/eu-west-1/2023/07/10/111122223333_CloudTrail_eu-west-1_20230710T1215Z_x.json.gz",
        );
        let mut sel = Selection::default();
        assert_eq!(sel.skip(&key), None);
        sel.regions = vec!["us-east-1".into()];
        assert_eq!(sel.skip(&key), Some(SkipReason::NotSelected));
        assert!(sel.keeps("111122223333", None, "us-east-1"));
        assert!(!sel.keeps("111122223333", None, "eu-west-1"));
        sel.accounts = vec!["444455556666".into()];
        assert!(!sel.keeps("111122223333", None, "us-east-1"));
        assert!(sel.keeps("111122223333", Some("444455556666"), "us-east-1"));
    }
}
