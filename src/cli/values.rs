//! The command line's value syntax: durations (`90s`, `20m`, `1h`, `1d`)
//! and sizes (`85MB`, `16MiB`). Each type prints back in the form it
//! parses, so clap shows the library's defaults in `--help` without the
//! defaults being written twice. Times are [`crate::time::parse_cli`]'s.

use std::fmt;
use std::str::FromStr;

/// The longest duration the command line takes: ten years.
pub const MAX_SPAN_SECONDS: i64 = 10 * 366 * 86_400;

/// A duration given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub chrono::Duration);

impl Span {
    /// `secs` seconds.
    pub fn seconds(secs: i64) -> Span {
        Span(chrono::Duration::seconds(secs))
    }
}

impl FromStr for Span {
    type Err = String;

    /// `90s`, `20m`, `2h`, `1d`, or a bare number of seconds.
    fn from_str(s: &str) -> Result<Span, String> {
        let err = || format!("{s:?} is not a duration; use e.g. 90s, 20m, 2h, 1d");
        let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
        let n: i64 = num.parse().map_err(|_| err())?;
        let unit = match unit {
            "" | "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86400,
            _ => return Err(err()),
        };
        // Ten years is more than any delivery delay or window means; past
        // it, time arithmetic would overflow.
        match n.checked_mul(unit) {
            Some(secs) if secs <= MAX_SPAN_SECONDS => Ok(Span::seconds(secs)),
            _ => Err(format!("{s:?} is longer than ten years")),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.num_seconds();
        match s {
            0 => f.write_str("0s"),
            _ if s % 86400 == 0 => write!(f, "{}d", s / 86400),
            _ if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            _ if s % 60 == 0 => write!(f, "{}m", s / 60),
            _ => write!(f, "{s}s"),
        }
    }
}

/// A byte size given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl FromStr for Size {
    type Err = String;

    /// `1048576`, `64KB`, `85MB`, `1GB` (powers of 1000) or `64KiB`,
    /// `85MiB`, `1GiB` (powers of 1024); also the short forms `85M`, `1G`.
    fn from_str(s: &str) -> Result<Size, String> {
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
        Ok(Size((n * mult) as u64))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, shift) in [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)] {
            if n != 0 && n.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", n >> shift);
            }
        }
        for (unit, div) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] {
            let d = div as u64;
            if n != 0 && n.is_multiple_of(d) {
                return write!(f, "{}{unit}", n / d);
            }
        }
        write!(f, "{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_and_print_back() {
        assert_eq!("20m".parse::<Span>().unwrap(), Span::seconds(1200));
        assert!("20x".parse::<Span>().is_err());
        assert_eq!("85MB".parse::<Size>().unwrap(), Size(85_000_000));
        assert_eq!("1GiB".parse::<Size>().unwrap(), Size(1 << 30));
        assert!("lots".parse::<Size>().is_err());
        assert!("9223372036854775807".parse::<Span>().is_err());
        assert!("99999999999d".parse::<Span>().is_err());
        assert!("3650d".parse::<Span>().is_ok());
        for s in ["1h", "5m", "20m", "90s", "1d"] {
            assert_eq!(s.parse::<Span>().unwrap().to_string(), s);
        }
        for s in ["4GiB", "16MiB", "50MB", "8MB", "1500"] {
            assert_eq!(s.parse::<Size>().unwrap().to_string(), s);
        }
    }
}
