//! Digests written and signed as CloudTrail writes them, for synthetic
//! trails and tests: the structure of
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html>,
//! the key layout of
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html#cloudtrail-log-file-validation-digest-file-location>,
//! and the signature of
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html>.
//!
//! Nothing here reads: [`super::verify`] must accept what this writes, and
//! the tests check that it catches every tampering of it.

use std::io::Write;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine;
use chrono::{DateTime, Utc};
use flate2::{write::GzEncoder, Compression};
use serde::Serialize;

use super::digest::sha256_hex;
use crate::event::format_time;

/// The synthetic trails' signing key (a test key: see
/// `testdata/integrity/README.md`).
pub const SYNTH_KEY: &[u8] = include_bytes!("../../testdata/integrity/synth-signing-key.pk8");

/// A private key that signs digests.
pub struct Signer {
    pair: RsaKeyPair,
    /// Hex fingerprint written into each digest.
    pub fingerprint: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a PKCS#8 DER RSA key. The fingerprint is made up (AWS
    /// does not say how it derives its own): the first 16 bytes of the
    /// public key's SHA-256, hex.
    pub fn from_pkcs8(der: &[u8]) -> Option<Signer> {
        let pair = RsaKeyPair::from_pkcs8(der).ok()?;
        let fingerprint = sha256_hex(pair.public_key().as_ref())[..32].to_owned();
        Some(Signer { pair, fingerprint })
    }

    /// The synthetic trails' signer.
    pub fn synth() -> Signer {
        Signer::from_pkcs8(SYNTH_KEY).expect("the bundled test key is a PKCS#8 RSA key")
    }

    /// A fresh 2048-bit key (tests: a key CloudTrail does not have).
    pub fn generate() -> Signer {
        let pair =
            RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA key generation");
        let fingerprint = sha256_hex(pair.public_key().as_ref())[..32].to_owned();
        Signer { pair, fingerprint }
    }

    /// Hex signature (RSA PKCS#1 v1.5, SHA-256) of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .expect("signing with a valid key");
        hex::encode(sig)
    }

    /// One `PublicKeyList` entry of `aws cloudtrail list-public-keys`
    /// output for this key, valid from `from` to `to`.
    pub fn public_key_entry(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> serde_json::Value {
        serde_json::json!({
            "Value": base64::engine::general_purpose::STANDARD.encode(self.pair.public_key().as_ref()),
            "ValidityStartTime": from.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            "ValidityEndTime": to.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            "Fingerprint": self.fingerprint,
        })
    }
}

/// `aws cloudtrail list-public-keys` output holding `entries`.
pub fn public_keys_json(entries: Vec<serde_json::Value>) -> String {
    let v = serde_json::json!({ "PublicKeyList": entries });
    serde_json::to_string_pretty(&v).expect("JSON") + "\n"
}

/// `aws s3api head-object` output for a digest, as saved beside a local
/// copy's newest digest (`<file>.head-object.json`).
pub fn head_object_json(signature: &str) -> String {
    let v = serde_json::json!({
        "AcceptRanges": "bytes",
        "ContentType": "application/json",
        "ContentEncoding": "gzip",
        "Metadata": {
            "signature": signature,
            "signature-algorithm": "SHA256withRSA",
        },
    });
    serde_json::to_string_pretty(&v).expect("JSON") + "\n"
}

/// Which trail, account and region a chain is for, and where it is written.
#[derive(Debug, Clone)]
pub struct ChainOf {
    /// The bucket.
    pub bucket: String,
    /// Key prefix before `AWSLogs/` (empty, or ending in `/`).
    pub prefix: String,
    /// Organization id, for an organization trail.
    pub org: Option<String>,
    /// The account.
    pub account: String,
    /// The region the logs are from.
    pub region: String,
    /// The trail's name.
    pub trail: String,
    /// The trail's home region.
    pub home_region: String,
}

impl ChainOf {
    /// The key of the digest ending at `end`.
    pub fn key(&self, end: DateTime<Utc>) -> String {
        let org = self.org.as_ref().map_or(String::new(), |o| format!("{o}/"));
        format!(
            "{}AWSLogs/{org}{a}/CloudTrail-Digest/{r}/{}/{a}_CloudTrail-Digest_{r}_{t}_{h}_{}.json.gz",
            self.prefix,
            end.format("%Y/%m/%d"),
            end.format("%Y%m%dT%H%M%SZ"),
            a = self.account,
            r = self.region,
            t = self.trail,
            h = self.home_region,
        )
    }
}

/// A log file to list: its key and the hex SHA-256 of its inflated bytes.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its key.
    pub key: String,
    /// Hex SHA-256 of its inflated bytes.
    pub sha256: String,
}

/// One digest written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Its key.
    pub key: String,
    /// Its gzip bytes.
    pub gz: Vec<u8>,
    /// Its signature, hex (its S3 metadata).
    pub signature: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    aws_account_id: &'a str,
    digest_start_time: String,
    digest_end_time: String,
    digest_s3_bucket: &'a str,
    digest_s3_object: &'a str,
    digest_public_key_fingerprint: &'a str,
    digest_signature_algorithm: &'static str,
    newest_event_time: Option<String>,
    oldest_event_time: Option<String>,
    previous_digest_s3_bucket: Option<&'a str>,
    previous_digest_s3_object: Option<&'a str>,
    previous_digest_hash_value: Option<&'a str>,
    previous_digest_hash_algorithm: Option<&'static str>,
    previous_digest_signature: Option<&'a str>,
    log_files: Vec<FileEntry<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileEntry<'a> {
    s3_bucket: &'a str,
    s3_object: &'a str,
    hash_value: &'a str,
    hash_algorithm: &'static str,
}

/// Writes one chain's digests in order, each linked to the one before.
#[derive(Debug)]
pub struct ChainWriter {
    /// The chain.
    pub of: ChainOf,
    /// The last digest written: key, SHA-256 of its inflated bytes,
    /// signature.
    previous: Option<(String, String, String)>,
}

impl ChainWriter {
    /// A chain whose first digest is a starting one.
    pub fn new(of: ChainOf) -> Self {
        ChainWriter { of, previous: None }
    }

    /// A chain whose next digest follows the one at `key` (its SHA-256 and
    /// signature given): how a fork, or a forged continuation, is made.
    pub fn after(of: ChainOf, key: String, sha256: String, signature: String) -> Self {
        ChainWriter {
            of,
            previous: Some((key, sha256, signature)),
        }
    }

    /// The next digest is a starting one (validation turned back on, or
    /// logging restarted).
    pub fn restart(&mut self) {
        self.previous = None;
    }

    /// Write the digest covering deliveries in `[start, end]`, listing
    /// `files`, signed by `signer`.
    pub fn next(
        &mut self,
        signer: &Signer,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        files: &[Listed],
    ) -> Written {
        let key = self.of.key(end);
        let prev = self.previous.as_ref();
        let body = Body {
            aws_account_id: &self.of.account,
            digest_start_time: format_time(&start),
            digest_end_time: format_time(&end),
            digest_s3_bucket: &self.of.bucket,
            digest_s3_object: &key,
            digest_public_key_fingerprint: &signer.fingerprint,
            digest_signature_algorithm: "SHA256withRSA",
            newest_event_time: (!files.is_empty()).then(|| format_time(&end)),
            oldest_event_time: (!files.is_empty()).then(|| format_time(&start)),
            previous_digest_s3_bucket: prev.map(|_| self.of.bucket.as_str()),
            previous_digest_s3_object: prev.map(|p| p.0.as_str()),
            previous_digest_hash_value: prev.map(|p| p.1.as_str()),
            previous_digest_hash_algorithm: prev.map(|_| "SHA-256"),
            previous_digest_signature: prev.map(|p| p.2.as_str()),
            log_files: files
                .iter()
                .map(|f| FileEntry {
                    s3_bucket: &self.of.bucket,
                    s3_object: &f.key,
                    hash_value: &f.sha256,
                    hash_algorithm: "SHA-256",
                })
                .collect(),
        };
        let json = serde_json::to_vec(&body).expect("JSON");
        let sha = sha256_hex(&json);
        let to_sign = format!(
            "{}\n{}/{}\n{}\n{}",
            body.digest_end_time,
            self.of.bucket,
            key,
            sha,
            prev.map_or("null", |p| p.2.as_str())
        );
        let signature = signer.sign(to_sign.as_bytes());
        let mut enc = GzEncoder::new(Vec::new(), Compression::new(6));
        enc.write_all(&json).expect("in memory");
        let gz = enc.finish().expect("in memory");
        self.previous = Some((key.clone(), sha, signature.clone()));
        Written { key, gz, signature }
    }
}
