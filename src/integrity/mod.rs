//! Whether the logs read are CloudTrail's, complete and unmodified: the
//! offline counterpart of `aws cloudtrail validate-logs`
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html>),
//! explained in `docs/integrity.md`.
//!
//! - [`collect`]: a finished scan and its source turned into the inputs;
//! - [`digest`]: one digest file, its name, and the string CloudTrail signs;
//! - [`keys`]: CloudTrail's public keys and the RSA check;
//! - [`verify`]: digests linked into chains, a status for every object and
//!   digest, the hours covered and the gaps;
//! - [`sign`]: digests written and signed as CloudTrail does (synthetic
//!   trails and tests).
//!
//! The SHA-256 of each log object's inflated bytes is taken by the scan, in
//! its inflate loop ([`crate::scan::ScanOptions::hash_objects`]), so a
//! verification costs no second pass; reading digests and their signatures
//! from a source is [`crate::source`]'s; printing the report is
//! [`crate::report::integrity`]'s.

pub mod collect;
pub mod digest;
pub mod keys;
pub mod sign;
pub mod verify;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use collect::{judge, prepare, Judging};
pub use keys::PublicKeys;
pub use verify::{verify, DigestInput, Locator, LogInput, VerifyInput};

/// What verification concluded about one log object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectStatus {
    /// Listed, with this hash, by a digest whose signature verified.
    Valid,
    /// Listed with this hash by a digest that is consistent but has no
    /// signature to check (the newest digest of a local copy).
    ValidUnsigned,
    /// Listed at this location with another hash: modified.
    HashMismatch,
    /// No digest lists it: not delivered by CloudTrail, or delivered while
    /// validation was off (or after the newest digest).
    NotInAnyDigest,
    /// Listed in a digest, absent from the input: deleted or not copied.
    Missing,
    /// In no digest, delivered within the hour after the newest digest
    /// read: its digest may not be written yet (a live bucket). Not
    /// proven; not a finding unless strict.
    Pending,
    /// Its bytes are signed at another location.
    Moved,
    /// Could not be judged (unreadable, or its digest is not valid).
    Unverifiable,
}

/// What verification concluded about one digest file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestStatus {
    /// Its signature verified with CloudTrail's key, and its chain holds.
    Valid,
    /// No signature was available to check (the newest digest of a local
    /// copy without its S3 metadata); its chain holds.
    Unsigned,
    /// No public key with its fingerprint, valid at its time, was given.
    KeyNotFound,
    /// No signature, and not a digest that may lack one (the newest of its
    /// chain in a local copy): an added digest, a fork, or from S3 without
    /// the metadata CloudTrail writes.
    Unanchored,
    /// Found at another location than the one it was signed for.
    Moved,
    /// Its hash link to the previous digest does not hold.
    ChainBroken,
    /// Its signature does not verify: modified, or not CloudTrail's.
    SignatureInvalid,
    /// Not a readable CloudTrail digest.
    InvalidFormat,
    /// Named by the next digest, absent from the input.
    Missing,
}

impl ObjectStatus {
    /// Whether the object is proven unmodified (`strict`: only by a signed
    /// digest).
    pub fn is_proven(self, strict: bool) -> bool {
        self == ObjectStatus::Valid || (!strict && self == ObjectStatus::ValidUnsigned)
    }

    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectStatus::Valid => "valid",
            ObjectStatus::ValidUnsigned => "valid_unsigned",
            ObjectStatus::HashMismatch => "hash_mismatch",
            ObjectStatus::NotInAnyDigest => "not_in_any_digest",
            ObjectStatus::Missing => "missing",
            ObjectStatus::Pending => "pending",
            ObjectStatus::Moved => "moved",
            ObjectStatus::Unverifiable => "unverifiable",
        }
    }
}

impl DigestStatus {
    /// Whether the digest passes (`strict`: only when signed).
    pub fn passes(self, strict: bool) -> bool {
        self == DigestStatus::Valid || (!strict && self == DigestStatus::Unsigned)
    }

    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DigestStatus::Valid => "valid",
            DigestStatus::Unsigned => "unsigned",
            DigestStatus::KeyNotFound => "key_not_found",
            DigestStatus::Unanchored => "unanchored",
            DigestStatus::Moved => "moved",
            DigestStatus::ChainBroken => "chain_broken",
            DigestStatus::SignatureInvalid => "signature_invalid",
            DigestStatus::InvalidFormat => "invalid_format",
            DigestStatus::Missing => "missing",
        }
    }
}

impl GapCause {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            GapCause::LoggingStopped => "logging_stopped",
            GapCause::ValidationDisabled => "validation_disabled",
            GapCause::TrailDeleted => "trail_deleted",
            GapCause::DigestsDeleted => "digests_deleted",
            GapCause::Unexplained => "unexplained",
        }
    }
}

/// `3 valid, 1 missing`: counts per status, in the statuses' order
/// ("none" when there are none).
pub fn counts<K: fmt::Display>(m: &BTreeMap<K, u64>) -> String {
    if m.is_empty() {
        return "none".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ObjectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for DigestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a digest's signature came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureSource {
    /// The object's `x-amz-meta-signature` metadata, read from S3.
    S3Metadata,
    /// A `head-object` output saved beside the digest.
    Sidecar,
    /// The next digest's `previousDigestSignature`.
    NextDigest,
}

/// What the evidence says ended a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapCause {
    /// A StopLogging call on the trail, in the logs read.
    LoggingStopped,
    /// An UpdateTrail call that turned log file validation off.
    ValidationDisabled,
    /// A DeleteTrail call on the trail.
    TrailDeleted,
    /// The next digest names a previous digest that is absent.
    DigestsDeleted,
    /// Nothing in the input explains it: logging stopped or validation was
    /// turned off in logs not read, or digests were deleted.
    Unexplained,
}

/// One log object's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectResult {
    /// Where it is (or, when missing, where it was signed).
    pub key: String,
    /// The verdict.
    pub status: ObjectStatus,
    /// The digest that lists it, when one does.
    pub digest: Option<String>,
    /// Why, when not valid.
    pub reason: Option<String>,
    /// Records read from it (0 when missing or unreadable).
    #[serde(skip)]
    pub records: u64,
}

/// One digest's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct DigestResult {
    /// Where it is (or, when missing, where the next digest says it was).
    pub key: String,
    /// The verdict.
    pub status: DigestStatus,
    /// Why, when not valid (every problem found, worst first).
    pub reason: Option<String>,
    /// Its account, region and trail, from its name or contents.
    pub account: Option<String>,
    /// The region it covers.
    pub region: Option<String>,
    /// The trail.
    pub trail: Option<String>,
    /// `digestStartTime`.
    #[serde(serialize_with = "crate::event::ser_opt_time")]
    pub start: Option<DateTime<Utc>>,
    /// `digestEndTime`.
    #[serde(serialize_with = "crate::event::ser_opt_time")]
    pub end: Option<DateTime<Utc>>,
    /// Where the checked signature came from.
    pub signature: Option<SignatureSource>,
}

/// A run of linked digests of one trail, account and region.
#[derive(Debug, Clone, Serialize)]
pub struct ChainSpan {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The trail.
    pub trail: String,
    /// Start of the first digest.
    #[serde(serialize_with = "crate::event::ser_time")]
    pub from: DateTime<Utc>,
    /// End of the last digest.
    #[serde(serialize_with = "crate::event::ser_time")]
    pub to: DateTime<Utc>,
    /// Digests in the run.
    pub digests: u64,
    /// Of which valid.
    pub valid: u64,
    /// Whether the run begins with a chain's first digest; false when the
    /// digest before it is outside the input (and outside --since).
    pub starts_chain: bool,
}

/// Time without a digest between two runs.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The trail.
    pub trail: String,
    /// End of the last digest before it.
    #[serde(serialize_with = "crate::event::ser_time")]
    pub from: DateTime<Utc>,
    /// Start of the first digest after it.
    #[serde(serialize_with = "crate::event::ser_time")]
    pub to: DateTime<Utc>,
    /// What the evidence supports.
    pub likely_cause: GapCause,
    /// The events or digests behind that.
    pub evidence: Vec<String>,
}

/// Counts per status, and the share of records proven.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Log objects per status.
    pub objects: BTreeMap<ObjectStatus, u64>,
    /// Digests per status.
    pub digests: BTreeMap<DigestStatus, u64>,
    /// Gaps between chains.
    pub gaps: u64,
    /// Records in the objects read.
    pub records: u64,
    /// Of which in proven objects (valid, or valid_unsigned unless strict).
    pub records_proven: u64,
    /// Whether --strict was given.
    pub strict: bool,
}

/// Everything a verification found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IntegrityReport {
    /// Counts.
    pub summary: Summary,
    /// Every log object read or listed, sorted by key.
    pub objects: Vec<ObjectResult>,
    /// Every digest read or named, sorted by key.
    pub digests: Vec<DigestResult>,
    /// The runs of linked digests.
    pub chains: Vec<ChainSpan>,
    /// The gaps between them.
    pub gaps: Vec<Gap>,
    /// What the verification could not check, and why.
    pub notes: Vec<String>,
}

/// How a verification ends, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every object and digest passes.
    Clean,
    /// Some object or digest is not valid (gaps alone are reported, not
    /// findings: logging may stop legitimately).
    Findings,
    /// There were no digests: nothing could be verified.
    NothingToVerify,
}

impl IntegrityReport {
    /// The outcome under the report's strictness.
    pub fn outcome(&self) -> Outcome {
        let strict = self.summary.strict;
        if self.digests.is_empty() {
            return Outcome::NothingToVerify;
        }
        let bad_object = self
            .objects
            .iter()
            .any(|o| !o.status.is_proven(strict) && (strict || o.status != ObjectStatus::Pending));
        let bad_digest = self.digests.iter().any(|d| !d.status.passes(strict));
        if bad_object || bad_digest {
            Outcome::Findings
        } else {
            Outcome::Clean
        }
    }

    /// The status of the object shown as `key`, if it was judged.
    pub fn status_of(&self, key: &str) -> Option<ObjectStatus> {
        self.objects
            .binary_search_by(|o| o.key.as_str().cmp(key))
            .ok()
            .map(|i| self.objects[i].status)
    }
}
