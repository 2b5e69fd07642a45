//! Parsing of the command line's times, durations and sizes.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// `2023-07-10T12:00:00Z`, any RFC 3339 offset, `2023-07-10T12:00[:00]`
/// (taken as UTC) or `2023-07-10` (midnight UTC).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
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
        "{s:?} is not a time; use RFC 3339 (2023-07-10T12:00:00Z) or a date (2023-07-10), UTC unless an offset is given"
    ))
}

/// `90s`, `20m`, `2h`, `1d`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let err = || format!("{s:?} is not a duration; use e.g. 90s, 20m, 2h, 1d");
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().map_err(|_| err())?;
    let secs = match unit {
        "" | "s" => n,
        "m" | "min" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(err()),
    };
    Ok(Duration::seconds(secs))
}

/// `1048576`, `64KB`, `85MB`, `1GB` (powers of 1000) or `64KiB`, `85MiB`,
/// `1GiB` (powers of 1024); also the short forms `85M`, `1G`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let err = || format!("{s:?} is not a size; use e.g. 500MB, 1GiB or a byte count");
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| err())?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024f64.powi(4),
        _ => return Err(err()),
    };
    Ok((n * mult) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(
            parse_time("2023-07-10").unwrap().to_rfc3339(),
            "2023-07-10T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2023-07-10T14:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2023-07-10T12:00:00+00:00"
        );
        assert!(parse_time("yesterday").is_err());
        assert_eq!(parse_duration("20m").unwrap(), Duration::minutes(20));
        assert!(parse_duration("20x").is_err());
        assert_eq!(parse_size("85MB").unwrap(), 85_000_000);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert!(parse_size("lots").is_err());
    }
}
