//! Splitting one archive across many machines (`--shard i/N`) and putting
//! the answers back together (`ctreplay merge`), `docs/sharding.md`.
//!
//! - [`Shard`]: which objects are this shard's. Objects are assigned by a
//!   stable hash of their account, region and delivery day (the key
//!   layout's prefix), so a shard lists only its own day prefixes from S3
//!   when a time range gives them, and one day's objects stay together.
//!   An object whose key does not say all three is assigned by its whole
//!   key. `auto/N` reads the engine's index: `AWS_BATCH_JOB_ARRAY_INDEX`
//!   (AWS Batch array jobs) or `JOB_COMPLETION_INDEX` (Kubernetes Indexed
//!   Jobs).
//! - [`partial`]: the file a shard writes (`--format partial`) and the
//!   merge that turns any set of them into the single run's report.
//!
//! What is scanned and how is [`crate::scan`]'s; the listing applies the
//! shard ([`crate::source::Selection::shard`]).

pub mod partial;

use std::fmt;

use crate::source::KeyInfo;

/// One shard of `count`: objects whose prefix hashes to `index`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Shard {
    /// 0-based index.
    pub index: u32,
    /// How many shards there are.
    pub count: u32,
}

/// Why a `--shard` value cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    /// Not `i/N` or `auto/N`.
    #[error("--shard {0:?}: expected i/N (0 <= i < N) or auto/N")]
    Syntax(String),
    /// `auto/N` without an engine's index in the environment.
    #[error("--shard auto/{0}: neither AWS_BATCH_JOB_ARRAY_INDEX nor JOB_COMPLETION_INDEX is set (run it as an AWS Batch array job or a Kubernetes Indexed Job, or give i/{0})")]
    NoIndex(u32),
    /// The environment's index is not a number below N.
    #[error("--shard auto/{count}: {var}={value:?} is not an index below {count}")]
    BadIndex {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// N.
        count: u32,
    },
}

/// The environment variables an engine gives its array or indexed job's
/// index in, in the order they are read.
pub const INDEX_VARIABLES: [&str; 2] = ["AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX"];

/// At most this many shards.
pub const MAX_SHARDS: u32 = 1 << 20;

impl Shard {
    /// Parse `i/N` or `auto/N`, reading `auto`'s index with `env`.
    pub fn parse(s: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(syntax)?;
        let count: u32 = n.trim().parse().map_err(|_| syntax())?;
        if count == 0 || count > MAX_SHARDS {
            return Err(syntax());
        }
        let index = if i.trim() == "auto" {
            let (var, value) = INDEX_VARIABLES
                .iter()
                .find_map(|v| env(v).map(|x| (*v, x)))
                .ok_or(ShardError::NoIndex(count))?;
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|&x| x < count)
                .ok_or(ShardError::BadIndex { var, value, count })?
        } else {
            i.trim().parse::<u32>().map_err(|_| syntax())?
        };
        if index >= count {
            return Err(syntax());
        }
        Ok(Shard { index, count })
    }

    /// Whether the object of `key` (at `location`) is this shard's.
    pub fn owns(&self, key: &KeyInfo, location: &str) -> bool {
        // The date folders first: they are what a listing of day prefixes
        // sees, so a shard lists exactly the objects it owns.
        let day = key
            .day
            .or(key.delivered.map(|t| t.date_naive()))
            .map(|d| d.format("%Y/%m/%d").to_string());
        let bucket = match (&key.account, &key.region, day) {
            (Some(a), Some(r), Some(d)) => {
                hash(&format!("{}/{a}/{r}/{d}", key.org.as_deref().unwrap_or("")))
            }
            _ => hash(location),
        };
        bucket % u64::from(self.count) == u64::from(self.index)
    }

    /// Whether a day prefix (`…/AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/`
    /// plus `YYYY/MM/DD/`) can hold objects of this shard: only its
    /// objects are listed.
    pub fn owns_day_prefix(&self, prefix: &str) -> bool {
        // The prefix parses as a key of that day.
        let key = KeyInfo::parse(&format!("{prefix}x.json.gz"));
        match (&key.account, &key.region, key.day) {
            (Some(_), Some(_), Some(_)) => self.owns(&key, prefix),
            _ => true,
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// FNV-1a, 64 bits: stable across versions and platforms (the assignment
/// must not change between the shards of one run).
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn parses_fixed_and_engine_indexes() {
        assert_eq!(
            Shard::parse("3/64", env(&[])),
            Ok(Shard {
                index: 3,
                count: 64
            })
        );
        assert_eq!(
            Shard::parse("auto/8", env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "5")])),
            Ok(Shard { index: 5, count: 8 })
        );
        assert_eq!(
            Shard::parse("auto/8", env(&[("JOB_COMPLETION_INDEX", "7")])),
            Ok(Shard { index: 7, count: 8 })
        );
        assert_eq!(
            Shard::parse("auto/8", env(&[])),
            Err(ShardError::NoIndex(8))
        );
        assert!(matches!(
            Shard::parse("auto/8", env(&[("JOB_COMPLETION_INDEX", "8")])),
            Err(ShardError::BadIndex { .. })
        ));
        for bad in ["8/8", "1", "a/2", "0/0", "-1/2"] {
            assert!(Shard::parse(bad, env(&[])).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_object_has_exactly_one_shard_and_a_day_stays_together() {
        let keys: Vec<String> = (0..200)
            .map(|i| format!("AWSLogs/1111222233{:02}/CloudTrail/us-east-1/2026/11/{:02}/1111222233{:02}_CloudTrail_us-east-1_202611{:02}T0{}05Z_abcdefghijklmnop.json.gz", i % 7, 1 + i % 20, i % 7, 1 + i % 20, i % 10))
            .collect();
        for n in [1, 3, 8] {
            let shards: Vec<Shard> = (0..n).map(|index| Shard { index, count: n }).collect();
            let mut per = vec![0; n as usize];
            for k in &keys {
                let info = KeyInfo::parse(k);
                let owners: Vec<_> = shards.iter().filter(|s| s.owns(&info, k)).collect();
                assert_eq!(owners.len(), 1, "{k}");
                per[owners[0].index as usize] += 1;
                // Its day prefix belongs to the same shard.
                let day = &k[..k.rfind('/').unwrap() + 1];
                assert!(owners[0].owns_day_prefix(day));
            }
            assert!(n == 1 || per.iter().all(|&c| c > 0), "{per:?}");
        }
    }
}
