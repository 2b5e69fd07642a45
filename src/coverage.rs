//! What the archive itself covers: for every account and region (a
//! *stream*), the log objects listed and read, the delivery times their keys
//! give, the eventTime span of the records read, and the gaps where a
//! stream that otherwise delivers regularly has no object.
//!
//! The listing records every log object it finds ([`Coverage::listed`]),
//! selected or not, so an empty selection can say what the input does hold;
//! the scan records the eventTime span of each object it reads
//! ([`Coverage::read`]). Both merge associatively ([`Coverage::merge`]) and
//! everything is kept sorted, so the result does not depend on the thread
//! count. Judging what the coverage means for a verdict is the audit's.
//!
//! Gaps: CloudTrail publishes log files about every five minutes while an
//! account and region has activity
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html>),
//! and nothing while it has none. A stream counts as regular when it has at
//! least [`GAP_MIN_OBJECTS`] objects with delivery times and the median
//! interval between them is at most [`GAP_REGULAR_MEDIAN`] seconds; in a
//! regular stream, an interval longer than [`GAP_MIN_SECONDS`] and
//! [`GAP_MEDIAN_FACTOR`] times the median is a gap. A quiet night in a
//! small account is a gap by this rule too: gaps are reported as coverage,
//! for a person to judge, never as a finding by themselves.

use std::collections::BTreeMap;

/// Fewest objects with delivery times before a stream is judged regular.
pub const GAP_MIN_OBJECTS: usize = 12;
/// Largest median interval (seconds) of a regular stream: 15 minutes.
pub const GAP_REGULAR_MEDIAN: i64 = 15 * 60;
/// Shortest interval (seconds) reported as a gap: one hour.
pub const GAP_MIN_SECONDS: i64 = 3600;
/// How many median intervals an interval must span to be a gap.
pub const GAP_MEDIAN_FACTOR: i64 = 12;

/// An account and region, as the object keys name them (`None` when the
/// key does not say).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamKey {
    /// The 12-digit account.
    pub account: Option<String>,
    /// The region.
    pub region: Option<String>,
}

/// A closed span of epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First second.
    pub from: i64,
    /// Last second.
    pub to: i64,
}

impl Span {
    /// The span of one instant.
    pub fn at(t: i64) -> Span {
        Span { from: t, to: t }
    }

    /// The smallest span holding both.
    pub fn union(self, o: Span) -> Span {
        Span {
            from: self.from.min(o.from),
            to: self.to.max(o.to),
        }
    }

    /// Whether the two share an instant.
    pub fn overlaps(self, o: Span) -> bool {
        self.from <= o.to && o.from <= self.to
    }
}

/// `a ∪ b`, where either may be absent.
pub fn union(a: Option<Span>, b: Option<Span>) -> Option<Span> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.union(b)),
        (a, b) => a.or(b),
    }
}

/// One account and region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    /// Log objects listed (digests and Insights files not counted).
    pub objects_listed: u64,
    /// Of those, the ones the selection kept and the scan read.
    pub objects_read: u64,
    /// Delivery times (epoch seconds, minute precision) of the listed
    /// objects whose keys give one; sorted by [`Coverage::finish`].
    pub deliveries: Vec<i64>,
    /// The eventTime span of the records read.
    pub events: Option<Span>,
    /// Records read.
    pub records: u64,
    /// Gaps in delivery, set by [`Coverage::finish`].
    pub gaps: Vec<Span>,
}

impl Stream {
    /// The delivery-time span of the listed objects.
    pub fn delivered(&self) -> Option<Span> {
        Some(Span {
            from: *self.deliveries.iter().min()?,
            to: *self.deliveries.iter().max()?,
        })
    }
}

/// Every stream the listing and the scan saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// By account and region.
    pub streams: BTreeMap<StreamKey, Stream>,
}

impl Coverage {
    /// A log object was listed (whether or not it is read).
    pub fn listed(&mut self, key: StreamKey, delivered: Option<i64>) {
        let s = self.streams.entry(key).or_default();
        s.objects_listed += 1;
        s.deliveries.extend(delivered);
    }

    /// A log object was read: `records` records, their eventTimes spanning
    /// `events` (None when no record had a readable eventTime).
    pub fn read(&mut self, key: StreamKey, records: u64, events: Option<Span>) {
        let s = self.streams.entry(key).or_default();
        s.objects_read += 1;
        s.records += records;
        s.events = union(s.events, events);
    }

    /// Fold `o` into `self`.
    pub fn merge(mut self, o: Coverage) -> Coverage {
        for (k, v) in o.streams {
            let s = self.streams.entry(k).or_default();
            s.objects_listed += v.objects_listed;
            s.objects_read += v.objects_read;
            s.deliveries.extend(v.deliveries);
            s.events = union(s.events, v.events);
            s.records += v.records;
        }
        self
    }

    /// Sort the delivery times and find the gaps.
    pub fn finish(&mut self) {
        for s in self.streams.values_mut() {
            s.deliveries.sort_unstable();
            s.gaps = gaps(&s.deliveries);
        }
    }

    /// The eventTime span of every record read.
    pub fn events(&self) -> Option<Span> {
        self.streams.values().fold(None, |a, s| union(a, s.events))
    }

    /// The delivery-time span of every object listed.
    pub fn delivered(&self) -> Option<Span> {
        self.streams
            .values()
            .fold(None, |a, s| union(a, s.delivered()))
    }

    /// Objects read, all streams.
    pub fn objects_read(&self) -> u64 {
        self.streams.values().map(|s| s.objects_read).sum()
    }

    /// Records read, all streams.
    pub fn records(&self) -> u64 {
        self.streams.values().map(|s| s.records).sum()
    }
}

/// The gaps of one stream's sorted delivery times.
fn gaps(sorted: &[i64]) -> Vec<Span> {
    if sorted.len() < GAP_MIN_OBJECTS {
        return Vec::new();
    }
    let mut intervals: Vec<i64> = sorted.windows(2).map(|w| w[1] - w[0]).collect();
    intervals.sort_unstable();
    let median = intervals[intervals.len() / 2];
    if median > GAP_REGULAR_MEDIAN {
        return Vec::new();
    }
    let limit = GAP_MIN_SECONDS.max(median.saturating_mul(GAP_MEDIAN_FACTOR));
    sorted
        .windows(2)
        .filter(|w| w[1] - w[0] > limit)
        .map(|w| Span {
            from: w[0],
            to: w[1],
        })
        .collect()
}

/// The earliest and latest eventTime in the records of `json`, found
/// without decoding them: the first `"eventTime":"` in each record and the
/// 20 characters after it, when they are `YYYY-MM-DDTHH:MM:SSZ` (as
/// CloudTrail writes it). Records whose time is written otherwise (escaped,
/// another offset) are left out: the span is coverage, not a verdict.
#[derive(Debug)]
pub struct TimeProbe {
    finder: memchr::memmem::Finder<'static>,
}

impl Default for TimeProbe {
    fn default() -> Self {
        TimeProbe {
            finder: memchr::memmem::Finder::new(b"\"eventTime\":\""),
        }
    }
}

impl TimeProbe {
    /// The eventTime of one record's bytes, epoch seconds.
    pub fn time(&self, record: &[u8]) -> Option<i64> {
        let at = self.finder.find(record)? + 13;
        parse_zulu(record.get(at..at + 20)?)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` to epoch seconds.
fn parse_zulu(b: &[u8]) -> Option<i64> {
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hh, mm, ss) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), proleptic Gregorian.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_cloudtrail_times() {
        let p = TimeProbe::default();
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        assert_eq!(
            p.time(br#"{"eventVersion":"1.09","eventTime":"2023-07-10T12:10:01Z","x":1}"#),
            Some(t("2023-07-10T12:10:01Z"))
        );
        assert_eq!(
            p.time(br#"{"eventTime":"2024-02-29T23:59:59Z"}"#),
            Some(t("2024-02-29T23:59:59Z"))
        );
        assert_eq!(p.time(br#"{"eventTime":"10 July 2023"}"#), None);
        assert_eq!(
            p.time(br#"{"eventTime":"2023-07-10T12:10:01+02:00"}"#),
            None
        );
        assert_eq!(p.time(br#"{"eventTime":"2023-07-10"}"#), None);
        assert_eq!(p.time(br#"{"eventName":"x"}"#), None);
    }

    #[test]
    fn gaps_only_in_regular_streams() {
        // Every 5 minutes for an hour, then nothing for 3 hours, then more.
        let mut t: Vec<i64> = (0..12).map(|i| i * 300).collect();
        t.extend((0..12).map(|i| 4 * 3600 + i * 300));
        let g = gaps(&t);
        assert_eq!(
            g,
            [Span {
                from: 11 * 300,
                to: 4 * 3600
            }]
        );
        // Too few objects to judge.
        assert!(gaps(&[0, 300, 20_000]).is_empty());
        // Irregular: a median interval of 2 hours.
        let sparse: Vec<i64> = (0..20).map(|i| i * 7200).collect();
        assert!(gaps(&sparse).is_empty());
    }

    #[test]
    fn merge_is_order_independent() {
        let k = |a: &str| StreamKey {
            account: Some(a.into()),
            region: Some("us-east-1".into()),
        };
        let mut a = Coverage::default();
        a.listed(k("1"), Some(600));
        a.read(k("1"), 3, Some(Span { from: 10, to: 500 }));
        let mut b = Coverage::default();
        b.listed(k("1"), Some(300));
        b.listed(k("2"), None);
        b.read(k("1"), 2, Some(Span { from: 5, to: 50 }));
        let mut ab = a.clone().merge(b.clone());
        let mut ba = b.merge(a);
        ab.finish();
        ba.finish();
        assert_eq!(ab, ba);
        assert_eq!(ab.events(), Some(Span { from: 5, to: 500 }));
        assert_eq!(ab.records(), 5);
        assert_eq!(ab.streams[&k("1")].deliveries, [300, 600]);
    }
}
