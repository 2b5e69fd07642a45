//! CloudTrail's public keys and the signature check.
//!
//! Keys come from `aws cloudtrail list-public-keys` (the CLI's JSON, or the
//! API's: `PublicKeyList[]` of `Value`, `ValidityStartTime`,
//! `ValidityEndTime`, `Fingerprint`;
//! <https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_ListPublicKeys.html>).
//! `Value` is the DER-encoded PKCS#1 `RSAPublicKey`, base64 in JSON. Each
//! region has its own keys and they rotate, so a key is chosen by the
//! digest's fingerprint and must be valid at the digest's end time
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html>).
//! The check itself is RSA PKCS#1 v1.5 with SHA-256 (aws-lc-rs).

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// One public key.
#[derive(Debug, Clone)]
pub struct PublicKey {
    /// Hex fingerprint, lower case.
    pub fingerprint: String,
    /// DER `RSAPublicKey`.
    pub der: Vec<u8>,
    /// Start of its validity (None: unbounded).
    pub valid_from: Option<DateTime<Utc>>,
    /// End of its validity.
    pub valid_to: Option<DateTime<Utc>>,
}

/// Why a keys file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct KeysError {
    /// The file.
    pub file: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The keys given to a verification.
#[derive(Debug, Clone, Default)]
pub struct PublicKeys {
    keys: Vec<PublicKey>,
}

/// The outcome of checking one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The key with the digest's fingerprint verified it.
    Valid,
    /// The key was found and the signature does not verify.
    Invalid(String),
    /// No key with that fingerprint, valid at that time, was given.
    KeyNotFound(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyList {
    public_key_list: Vec<KeyEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyEntry {
    value: String,
    fingerprint: String,
    validity_start_time: Option<serde_json::Value>,
    validity_end_time: Option<serde_json::Value>,
}

/// A time as the CLI prints it (RFC 3339) or as epoch seconds (the API's
/// JSON, or the CLI with `cli_timestamp_format = none`).
fn time(v: &serde_json::Value) -> Option<DateTime<Utc>> {
    match v {
        serde_json::Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| s.parse::<f64>().ok().and_then(epoch)),
        serde_json::Value::Number(n) => n.as_f64().and_then(epoch),
        _ => None,
    }
}

fn epoch(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() {
        return None;
    }
    DateTime::from_timestamp_millis((secs * 1000.0).round() as i64)
}

impl PublicKeys {
    /// Add the keys of one `list-public-keys` output.
    pub fn add_json(&mut self, file: &str, bytes: &[u8]) -> Result<usize, KeysError> {
        let err = |reason: String| KeysError {
            file: file.to_owned(),
            reason,
        };
        let list: KeyList = serde_json::from_slice(bytes).map_err(|e| {
            err(format!(
                "not `aws cloudtrail list-public-keys` output ({e})"
            ))
        })?;
        let n = list.public_key_list.len();
        for (i, k) in list.public_key_list.into_iter().enumerate() {
            let der = base64::engine::general_purpose::STANDARD
                .decode(k.value.trim())
                .map_err(|e| err(format!("PublicKeyList[{i}].Value is not base64 ({e})")))?;
            let bound = |v: &Option<serde_json::Value>, field: &str| match v {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) => time(v)
                    .map(Some)
                    .ok_or_else(|| err(format!("PublicKeyList[{i}].{field} is not a time"))),
            };
            self.keys.push(PublicKey {
                fingerprint: k.fingerprint.trim().to_ascii_lowercase(),
                der,
                valid_from: bound(&k.validity_start_time, "ValidityStartTime")?,
                valid_to: bound(&k.validity_end_time, "ValidityEndTime")?,
            });
        }
        Ok(n)
    }

    /// Add one key (keys fetched live).
    pub fn push(&mut self, key: PublicKey) {
        self.keys.push(key);
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Check `signature_hex` over `message` with the key of `fingerprint`
    /// valid at `at`.
    pub fn check(
        &self,
        fingerprint: &str,
        at: DateTime<Utc>,
        message: &[u8],
        signature_hex: &str,
    ) -> SignatureCheck {
        let fingerprint = fingerprint.trim().to_ascii_lowercase();
        let same: Vec<&PublicKey> = self
            .keys
            .iter()
            .filter(|k| k.fingerprint == fingerprint)
            .collect();
        if same.is_empty() {
            return SignatureCheck::KeyNotFound(if self.keys.is_empty() {
                "no public keys were given (--public-keys)".to_owned()
            } else {
                format!("no public key with fingerprint {fingerprint} was given")
            });
        }
        let valid = same
            .iter()
            .find(|k| k.valid_from.is_none_or(|f| at >= f) && k.valid_to.is_none_or(|t| at <= t));
        let Some(key) = valid else {
            return SignatureCheck::KeyNotFound(format!(
                "the key with fingerprint {fingerprint} is not valid at {}",
                crate::event::format_time(&at)
            ));
        };
        let Ok(signature) = hex::decode(signature_hex.trim()) else {
            return SignatureCheck::Invalid("the signature is not hex".to_owned());
        };
        match UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &key.der)
            .verify(message, &signature)
        {
            Ok(()) => SignatureCheck::Valid,
            Err(_) => SignatureCheck::Invalid(format!(
                "the signature does not verify with the key of fingerprint {fingerprint}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};

    #[test]
    fn checks_signatures_by_fingerprint_and_window() {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = base64::engine::general_purpose::STANDARD.encode(pair.public_key().as_ref());
        let json = format!(
            r#"{{"PublicKeyList":[{{"Value":"{der}","ValidityStartTime":"2026-11-01T00:00:00+00:00","ValidityEndTime":1798761600,"Fingerprint":"AB12"}}]}}"#
        );
        let mut keys = PublicKeys::default();
        assert_eq!(keys.add_json("k.json", json.as_bytes()).unwrap(), 1);
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0; pair.public_modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &rng, b"message", &mut sig)
            .unwrap();
        let sig = hex::encode(sig);
        let at = DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            keys.check("ab12", at, b"message", &sig),
            SignatureCheck::Valid
        );
        assert!(matches!(
            keys.check("ab12", at, b"messagE", &sig),
            SignatureCheck::Invalid(_)
        ));
        assert!(matches!(
            keys.check("cd34", at, b"message", &sig),
            SignatureCheck::KeyNotFound(_)
        ));
        let before = at - chrono::Duration::days(3);
        assert!(matches!(
            keys.check("ab12", before, b"message", &sig),
            SignatureCheck::KeyNotFound(_)
        ));
        assert!(keys.add_json("bad.json", b"{}").is_err());
    }
}
