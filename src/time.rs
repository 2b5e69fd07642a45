//! Every time dialect ctreplay reads, in one place: the command line's
//! `--since`/`--until`, CloudTrail's `eventTime`, and the AWS CLI export
//! dialects. All of them come out as UTC; writing times is
//! [`crate::event::format_time`]'s.
//!
//! - Command line: RFC 3339 with any offset, a zone-less date and time
//!   (UTC), or a date (midnight UTC).
//! - CloudTrail: RFC 3339; CloudTrail writes `YYYY-MM-DDTHH:MM:SSZ`
//!   (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>).
//! - Exports (`docs/exports.md`, "Timestamps"): CLI v1
//!   `2025-03-14T09:41:12.345Z`, CLI v2 `2025-03-14T05:41:12.345000-04:00`
//!   (often in the exporting machine's zone), JSON inside `HistoryData`
//!   `2025-03-14T09:41:12.345+0000`, and epoch milliseconds.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};

/// The clock, read once per process: every relative time of one run
/// (`--since 24h --until 1h`) resolves against the same instant, and the
/// output's query records the absolute times.
pub fn now() -> DateTime<Utc> {
    static NOW: std::sync::OnceLock<DateTime<Utc>> = std::sync::OnceLock::new();
    *NOW.get_or_init(|| {
        // Whole seconds, as every time ctreplay writes.
        let t = Utc::now();
        Utc.timestamp_opt(t.timestamp(), 0).single().unwrap_or(t)
    })
}

/// `2023-07-10T12:00:00Z`, any RFC 3339 offset, `2023-07-10T12:00[:00]`
/// (taken as UTC), `2023-07-10` (midnight UTC), epoch seconds
/// (`1700000000`, as the AWS CLI takes them), or a time before now: `90s`,
/// `30m`, `24h`, `7d`, `2w`.
pub fn parse_cli(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if digits(s) {
        // Eleven digits or more is after the year 2286 in seconds: epoch
        // milliseconds (as CloudWatch's APIs write them), most likely.
        // Refused, not read as a time no record has.
        if s.trim_start_matches('0').len() > 10 {
            let secs = s.len().saturating_sub(3);
            return Err(format!(
                "{s:?} is after the year 2286 as epoch seconds: milliseconds? give seconds ({})",
                &s[..secs]
            ));
        }
        return s
            .parse::<i64>()
            .ok()
            .and_then(|n| DateTime::from_timestamp(n, 0))
            .ok_or_else(|| format!("{s:?}: epoch seconds out of range"));
    }
    if let Some(unit) = s.chars().last().filter(|c| "smhdw".contains(*c)) {
        let n = &s[..s.len() - 1];
        if digits(n) {
            let secs = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => 604_800,
            };
            return n
                .parse::<i64>()
                .ok()
                .and_then(|n| n.checked_mul(secs))
                .filter(|&x| x <= 3650 * 86_400)
                .map(|x| now() - chrono::Duration::seconds(x))
                .ok_or_else(|| format!("{s:?}: at most ten years back"));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")));
    }
    Err(format!(
        "{s:?} is not a time; use RFC 3339 (2023-07-10T12:00:00Z), a date (2023-07-10), epoch seconds, or a time before now (24h, 7d); UTC unless an offset is given"
    ))
}

/// Parse a CloudTrail `eventTime`, to whole seconds: output times are
/// always `YYYY-MM-DDTHH:MM:SSZ`, so sub-second digits are dropped and a
/// leap second (`23:59:60`) reads as `23:59:59`; a year outside 0000-9999
/// is not a CloudTrail time and is refused.
pub fn parse_event_time(s: &str) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, Timelike};
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    if !(0..=9999).contains(&t.year()) {
        return None;
    }
    t.with_nanosecond(0)
}

/// Parse any of the export dialects to UTC.
pub fn parse_export(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // `+0000` offsets (no colon), with or without fractions.
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    // No offset at all: UTC.
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return from_millis(s.parse().ok()?);
    }
    None
}

/// Epoch milliseconds to UTC.
pub fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

/// Serde helper: an export timestamp string in any dialect, or epoch
/// milliseconds.
pub fn deserialize_export<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Millis(i64),
    }
    match Raw::deserialize(d)? {
        Raw::Text(s) => parse_export(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unrecognised timestamp {s:?}"))),
        Raw::Millis(ms) => {
            from_millis(ms).ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
        }
    }
}

/// Serde helper for optional export timestamps.
pub fn deserialize_export_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "deserialize_export")] DateTime<Utc>);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_times() {
        assert_eq!(
            parse_cli("2023-07-10").unwrap().to_rfc3339(),
            "2023-07-10T00:00:00+00:00"
        );
        assert_eq!(
            parse_cli("2023-07-10T14:00:00+02:00").unwrap().to_rfc3339(),
            "2023-07-10T12:00:00+00:00"
        );
        assert_eq!(
            parse_cli("2023-07-10T12:00").unwrap().to_rfc3339(),
            "2023-07-10T12:00:00+00:00"
        );
        assert!(parse_cli("yesterday").is_err());
        // Epoch seconds, as the AWS CLI takes them.
        assert_eq!(
            parse_cli("1700000000").unwrap().to_rfc3339(),
            "2023-11-14T22:13:20+00:00"
        );
        // Milliseconds are refused with the seconds they mean.
        let e = parse_cli("1688990000000").unwrap_err();
        assert!(e.contains("give seconds (1688990000)"), "{e}");
        assert!(parse_cli("9999999999").is_ok());
        // Relative times resolve against one reading of the clock.
        let (a, b) = (parse_cli("24h").unwrap(), parse_cli("1d").unwrap());
        assert_eq!(a, b);
        assert_eq!(now() - a, chrono::Duration::hours(24));
        assert_eq!(now() - parse_cli("2w").unwrap(), chrono::Duration::days(14));
        assert!(parse_cli("99999d").is_err());
        assert!(parse_cli("h").is_err());
    }

    #[test]
    fn every_export_dialect_normalises_to_utc() {
        let want = "2025-03-14T09:41:12.345Z";
        for s in [
            "2025-03-14T09:41:12.345Z",
            "2025-03-14T05:41:12.345000-04:00",
            "2025-03-14T09:41:12.345000+00:00",
            "2025-03-14T09:41:12.345+0000",
            "2025-03-14T11:41:12.345+0200",
            "2025-03-14T09:41:12.345",
            "1741945272345",
        ] {
            let t = parse_export(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                want,
                "{s}"
            );
        }
        assert!(parse_export("14/03/25 09:41:00").is_none());
        assert!(parse_export("").is_none());
    }

    #[test]
    fn event_times() {
        let fmt = |s| crate::event::format_time(&parse_event_time(s).unwrap());
        assert_eq!(fmt("2023-07-10T12:10:01Z"), "2023-07-10T12:10:01Z");
        assert_eq!(
            fmt("2023-07-10T12:10:01.123456789Z"),
            "2023-07-10T12:10:01Z"
        );
        assert_eq!(fmt("2016-12-31T23:59:60Z"), "2016-12-31T23:59:59Z");
        assert_eq!(fmt("2023-07-10T14:10:01+02:00"), "2023-07-10T12:10:01Z");
        assert!(parse_event_time("10 July 2023").is_none());
        assert!(parse_event_time("+10000-01-01T00:00:00Z").is_none());
        assert!(parse_event_time("-0001-01-01T00:00:00Z").is_none());
    }
}
