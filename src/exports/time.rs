//! The timestamp dialects of AWS CLI exports (domain.md 4): CLI v1
//! `2025-03-14T09:41:12.345Z`, CLI v2 `2025-03-14T05:41:12.345000-04:00`
//! (often in the exporting machine's time zone), JSON inside `HistoryData`
//! `2025-03-14T09:41:12.345+0000`, and epoch milliseconds.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};

/// Parse any of the dialects to UTC.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
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

/// Serde helper: a timestamp string in any dialect, or epoch milliseconds.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Millis(i64),
    }
    match Raw::deserialize(d)? {
        Raw::Text(s) => parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unrecognised timestamp {s:?}"))),
        Raw::Millis(ms) => {
            from_millis(ms).ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
        }
    }
}

/// Serde helper for optional timestamps.
pub fn deserialize_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "deserialize")] DateTime<Utc>);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dialect_normalises_to_utc() {
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
            let t = parse(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                want,
                "{s}"
            );
        }
        assert!(parse("14/03/25 09:41:00").is_none());
        assert!(parse("").is_none());
    }
}
