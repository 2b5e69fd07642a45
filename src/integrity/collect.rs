//! From a finished scan to a verification: the scan's object hashes and
//! unreadable objects become [`LogInput`]s, the digest files its listing
//! found are read whole through the same source (with their signatures),
//! and [`verify`] judges them.
//!
//! The scan must have run with [`crate::scan::ScanOptions::hash_objects`]
//! and [`crate::source::Selection::collect_digests`]; [`prepare`] sets
//! both.

use std::collections::HashSet;
use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::verify::{verify, DigestInput, Locator, LogInput, VerifyInput};
use super::{IntegrityReport, PublicKeys, SignatureSource};
use crate::scan::{ScanOptions, ScanReport};
use crate::source::s3::S3Url;
use crate::source::{Location, Selection, Source};

/// The largest digest file read (stored): a digest lists an hour of one
/// region's log files, a few hundred bytes each.
pub const MAX_DIGEST_STORED: usize = 64 << 20;
/// The largest digest file inflated.
pub const MAX_DIGEST_INFLATED: usize = 256 << 20;

/// Set a scan's options and selection up for a verification.
pub fn prepare(opts: &mut ScanOptions, sel: &mut Selection) {
    opts.hash_objects = true;
    sel.collect_digests = true;
}

/// How a verification compares locations and how strict it is.
#[derive(Debug, Clone)]
pub struct Judging<'a> {
    /// CloudTrail's public keys.
    pub keys: &'a PublicKeys,
    /// How locations compare.
    pub locator: Locator,
    /// valid_unsigned and unsigned do not pass.
    pub strict: bool,
}

/// Judge what `scan` read from `source`.
pub fn judge(
    source: &dyn Source,
    scan: &ScanReport,
    sel: &Selection,
    how: &Judging<'_>,
) -> IntegrityReport {
    let refs: Vec<_> = scan.digests.clone();
    let fetched = source.fetch(&refs, MAX_DIGEST_STORED);
    let digests = refs
        .into_iter()
        .zip(fetched)
        .map(|(r, f)| {
            let (inflated, signature) = match f {
                Ok(f) => {
                    let source = if f.from_sidecar {
                        SignatureSource::Sidecar
                    } else {
                        SignatureSource::S3Metadata
                    };
                    (inflate(&f.stored), f.signature.map(|s| (s, source)))
                }
                Err(e) => (Err(e.to_string()), None),
            };
            DigestInput {
                location: r.location,
                inflated,
                signature,
            }
        })
        .collect();
    let mut hashed = HashSet::new();
    let mut logs: Vec<LogInput> = scan
        .hashes
        .iter()
        .map(|h| {
            hashed.insert(h.object.to_string());
            LogInput {
                location: h.object.clone(),
                sha256: Ok(hex::encode(h.sha256)),
                records: h.records,
            }
        })
        .collect();
    // Objects read but not to their end: the first problem is the reason.
    let mut failed = HashSet::new();
    for e in &scan.totals.errors {
        if hashed.contains(&e.object) || !failed.insert(e.object.clone()) {
            continue;
        }
        logs.push(LogInput {
            location: location_of(&e.object),
            sha256: Err(e.reason.clone()),
            records: 0,
        });
    }
    verify(VerifyInput {
        logs,
        digests,
        keys: how.keys,
        locator: how.locator.clone(),
        sel,
        events: &scan.pipeline,
        strict: how.strict,
    })
}

/// An object's location from how it is shown.
fn location_of(shown: &str) -> Location {
    match S3Url::parse(shown) {
        Some(Ok(u)) => Location::S3 {
            bucket: u.bucket,
            key: u.prefix,
        },
        _ => Location::File(shown.into()),
    }
}

/// A digest's inflated bytes (gzip, as CloudTrail writes them, or already
/// inflated in a copy).
fn inflate(stored: &[u8]) -> Result<Vec<u8>, String> {
    if !stored.starts_with(&[0x1f, 0x8b]) {
        return Ok(stored.to_vec());
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(stored)
        .take(MAX_DIGEST_INFLATED as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not valid gzip: {e}"))?;
    if out.len() > MAX_DIGEST_INFLATED {
        return Err(format!(
            "inflates to more than {MAX_DIGEST_INFLATED} bytes, more than a digest holds"
        ));
    }
    Ok(out)
}
