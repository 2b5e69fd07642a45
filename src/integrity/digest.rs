//! One CloudTrail digest file: its fields, its file name, and the string
//! CloudTrail signs for it.
//!
//! The structure is AWS's
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html>);
//! the string to sign and the signature scheme are from
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html>
//! (see also `docs/integrity.md`). Checking signatures is [`super::keys`]'s
//! business, and linking digests into chains [`super::verify`]'s.

use aws_lc_rs::digest::{digest, SHA256};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

/// The fields of a digest file that verification reads. Keys AWS always
/// writes are required (a digest without them is not CloudTrail's); the
/// `previousDigest*` ones are null in a chain's first digest.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Digest {
    /// The account the digest is for.
    pub aws_account_id: String,
    /// Start of the delivery-time interval it covers (UTC, RFC 3339).
    pub digest_start_time: String,
    /// End of that interval, exactly as written: it is signed as is.
    pub digest_end_time: String,
    /// The bucket it was delivered to.
    pub digest_s3_bucket: String,
    /// The key it was delivered to.
    pub digest_s3_object: String,
    /// Hex fingerprint of the key that signed it.
    pub digest_public_key_fingerprint: String,
    /// `SHA256withRSA`.
    pub digest_signature_algorithm: String,
    /// The previous digest's bucket (null in a starting digest).
    pub previous_digest_s3_bucket: Option<String>,
    /// The previous digest's key.
    pub previous_digest_s3_object: Option<String>,
    /// Hex SHA-256 of the previous digest's inflated bytes.
    pub previous_digest_hash_value: Option<String>,
    /// `SHA-256`.
    pub previous_digest_hash_algorithm: Option<String>,
    /// The previous digest's signature, hex.
    pub previous_digest_signature: Option<String>,
    /// The log files delivered in the interval.
    pub log_files: Vec<LogFile>,
}

/// One log file a digest lists.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogFile {
    /// Its bucket.
    pub s3_bucket: String,
    /// Its key.
    pub s3_object: String,
    /// Hex SHA-256 of its inflated bytes.
    pub hash_value: String,
    /// `SHA-256`.
    pub hash_algorithm: String,
}

/// Why a digest's bytes are not a digest.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// Not JSON, or a required field is missing or of the wrong type.
    #[error("not a CloudTrail digest: {0}")]
    Format(String),
    /// A time field is not an RFC 3339 UTC time.
    #[error("not a CloudTrail digest: {field} {value:?} is not a UTC time")]
    Time {
        /// The field.
        field: &'static str,
        /// What it holds.
        value: String,
    },
    /// An algorithm other than the one CloudTrail uses.
    #[error("unsupported {field} {value:?} (CloudTrail uses {expected})")]
    Algorithm {
        /// The field.
        field: &'static str,
        /// What it holds.
        value: String,
        /// What CloudTrail writes.
        expected: &'static str,
    },
}

/// A digest parsed, with what verification derives from its bytes.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Its fields.
    pub digest: Digest,
    /// Hex SHA-256 of its inflated bytes (what the next digest records).
    pub sha256: String,
    /// `digestStartTime`.
    pub start: DateTime<Utc>,
    /// `digestEndTime`.
    pub end: DateTime<Utc>,
}

impl Parsed {
    /// Parse a digest's inflated bytes.
    pub fn parse(inflated: &[u8]) -> Result<Parsed, DigestError> {
        let digest: Digest =
            serde_json::from_slice(inflated).map_err(|e| DigestError::Format(e.to_string()))?;
        let time = |field: &'static str, value: &str| {
            DateTime::parse_from_rfc3339(value)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| DigestError::Time {
                    field,
                    value: value.to_owned(),
                })
        };
        let start = time("digestStartTime", &digest.digest_start_time)?;
        let end = time("digestEndTime", &digest.digest_end_time)?;
        if digest.digest_signature_algorithm != "SHA256withRSA" {
            return Err(DigestError::Algorithm {
                field: "digestSignatureAlgorithm",
                value: digest.digest_signature_algorithm,
                expected: "SHA256withRSA",
            });
        }
        let algorithms = digest
            .previous_digest_hash_algorithm
            .iter()
            .map(|a| ("previousDigestHashAlgorithm", a))
            .chain(
                digest
                    .log_files
                    .iter()
                    .map(|f| ("hashAlgorithm", &f.hash_algorithm)),
            );
        for (field, a) in algorithms {
            if a != "SHA-256" {
                return Err(DigestError::Algorithm {
                    field,
                    value: a.clone(),
                    expected: "SHA-256",
                });
            }
        }
        Ok(Parsed {
            sha256: sha256_hex(inflated),
            digest,
            start,
            end,
        })
    }

    /// Whether this digest starts a chain (no previous digest).
    pub fn is_start(&self) -> bool {
        self.digest.previous_digest_s3_object.is_none()
    }

    /// The string CloudTrail signs: the end time as written, the digest's
    /// own location, the hex SHA-256 of its inflated bytes and the previous
    /// digest's signature (the text `null` in a starting digest), joined by
    /// newlines.
    pub fn string_to_sign(&self) -> String {
        let d = &self.digest;
        format!(
            "{}\n{}/{}\n{}\n{}",
            d.digest_end_time,
            d.digest_s3_bucket,
            d.digest_s3_object,
            self.sha256,
            d.previous_digest_signature.as_deref().unwrap_or("null")
        )
    }
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes))
}

/// What a digest's file name says:
/// `ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ.json.gz`
/// (the trail name may itself hold underscores).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct DigestName {
    /// The account.
    pub account: String,
    /// The region the digest covers (the log files' region).
    pub region: String,
    /// The trail's name.
    pub trail: String,
    /// The trail's home region.
    pub home_region: String,
    /// `digestEndTime`, to the second.
    #[serde(serialize_with = "crate::event::ser_time")]
    pub end: DateTime<Utc>,
    /// A backfill digest (`_backfill` after the time): it lists log files
    /// that missed their hourly digest, outside the hourly chain.
    pub backfill: bool,
}

impl DigestName {
    /// Parse the last component of a digest's key or path.
    pub fn parse(key: &str) -> Option<DigestName> {
        let file = key.rsplit(['/', '\\']).next()?;
        let stem = file
            .strip_suffix(".json.gz")
            .or_else(|| file.strip_suffix(".json"))?;
        let (stem, backfill) = match stem.strip_suffix("_backfill") {
            Some(s) => (s, true),
            None => (stem, false),
        };
        let (account, rest) = stem.split_once("_CloudTrail-Digest_")?;
        let (region, rest) = rest.split_once('_')?;
        let (rest, stamp) = rest.rsplit_once('_')?;
        let (trail, home_region) = rest.rsplit_once('_')?;
        let end = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok()?;
        (!trail.is_empty()).then(|| DigestName {
            account: account.to_owned(),
            region: region.to_owned(),
            trail: trail.to_owned(),
            home_region: home_region.to_owned(),
            end: Utc.from_utc_datetime(&end),
            backfill,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"awsAccountId":"111122223333","digestStartTime":"2026-11-01T00:00:00Z","digestEndTime":"2026-11-01T01:00:00Z","digestS3Bucket":"b","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/01/111122223333_CloudTrail-Digest_us-east-1_my_trail_us-east-1_20261101T010000Z.json.gz","digestPublicKeyFingerprint":"ab","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}"#;

    #[test]
    fn string_to_sign_of_a_starting_digest_ends_in_null() {
        let p = Parsed::parse(BODY.as_bytes()).unwrap();
        assert!(p.is_start());
        let s = p.string_to_sign();
        let lines: Vec<&str> = s.split('\n').collect();
        assert_eq!(lines[0], "2026-11-01T01:00:00Z");
        assert!(lines[1].starts_with("b/AWSLogs/111122223333/"));
        assert_eq!(lines[2], sha256_hex(BODY.as_bytes()));
        assert_eq!(lines[3], "null");
        assert!(!s.ends_with('\n'));
    }

    #[test]
    fn refuses_other_algorithms_and_missing_fields() {
        let md5 = BODY.replace("SHA256withRSA", "MD5withRSA");
        assert!(matches!(
            Parsed::parse(md5.as_bytes()),
            Err(DigestError::Algorithm { .. })
        ));
        let missing = BODY.replace(r#""digestEndTime":"2026-11-01T01:00:00Z","#, "");
        assert!(matches!(
            Parsed::parse(missing.as_bytes()),
            Err(DigestError::Format(_))
        ));
    }

    #[test]
    fn names_with_underscores_in_the_trail() {
        let n = DigestName::parse("x/AWSLogs/o-ab/111122223333/CloudTrail-Digest/eu-west-1/2026/11/01/111122223333_CloudTrail-Digest_eu-west-1_my_org_trail_us-east-1_20261101T015959Z.json.gz").unwrap();
        assert_eq!(n.account, "111122223333");
        assert_eq!(n.region, "eu-west-1");
        assert_eq!(n.trail, "my_org_trail");
        assert_eq!(n.home_region, "us-east-1");
        assert_eq!(n.end.to_rfc3339(), "2026-11-01T01:59:59+00:00");
        assert!(!n.backfill);
        let b = DigestName::parse("111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261101T015959Z_backfill.json.gz").unwrap();
        assert!(b.backfill);
        assert_eq!(b.trail, "t");
        assert!(
            DigestName::parse("111122223333_CloudTrail_us-east-1_20261101T0100Z_x.json.gz")
                .is_none()
        );
    }
}
