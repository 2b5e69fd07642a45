//! The evidence bundle: every AWS response an `audit --aws` run read, kept
//! as files in the AWS CLI's `--output json` shape beside a manifest that
//! says what was called, where, when, by whom, and the SHA-256 of each file
//! (`docs/evidence.md`).
//!
//! This module owns the bundle's layout, its manifest, writing it and
//! reading it back with every hash checked. What the calls are and how
//! they are made is [`super::calls`]'s; what the audit takes from the
//! responses is [`super::deployed`]'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's `format`: bumped when the layout changes.
pub const FORMAT: &str = "ctreplay-evidence/1";

/// The manifest's file name inside the bundle.
pub const MANIFEST: &str = "manifest.json";

/// How one call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered; the response is in `file`.
    Ok,
    /// Refused for lack of permission: the IAM action is missing.
    Denied,
    /// Failed otherwise (network, throttling past the retries, a server
    /// error, a resource that does not exist).
    Failed,
}

/// One API call and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The IAM action, `cloudwatch:DescribeAlarmHistory`.
    pub action: String,
    /// The region it was sent to.
    pub region: String,
    /// Its parameters that say what it asked for (trail, log group,
    /// metric, alarm, topic, time range).
    pub parameters: BTreeMap<String, String>,
    /// Answered, denied or failed.
    pub outcome: Outcome,
    /// Why it was denied or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The response's file in the bundle (pages merged, as the CLI does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// SHA-256 of that file, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Who made the calls, from `sts:GetCallerIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// `Account`.
    pub account: String,
    /// `Arn`.
    pub arn: String,
    /// `UserId`.
    pub user_id: String,
}

/// The bundle's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The ctreplay version that collected it.
    pub tool: String,
    /// When the collection started, RFC 3339 UTC.
    pub collected_at: String,
    /// Who looked (None when GetCallerIdentity failed).
    pub caller: Option<Caller>,
    /// The endpoint every service was called at, when not AWS's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// The calls, in the order they were made.
    pub calls: Vec<Call>,
}

/// A bundle in memory: the manifest and each response file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The index.
    pub manifest: Manifest,
    /// File name to bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The manifest's bytes as read from disk (None for a bundle made in
    /// memory): its hash is of what is on disk.
    pub read_manifest: Option<Vec<u8>>,
}

/// A bundle that cannot be written or used.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The manifest is not one this version reads.
    #[error("{}: {why}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A file's hash is not the manifest's: the evidence was changed.
    #[error("{}: SHA-256 {actual}, the manifest says {expected}: the evidence was changed after it was saved", path.display())]
    Tampered {
        /// The file.
        path: PathBuf,
        /// The manifest's hash.
        expected: String,
        /// The file's.
        actual: String,
    },
    /// The save folder already holds something.
    #[error("{}: not empty; evidence is saved into a new or empty folder", path.display())]
    NotEmpty {
        /// The folder.
        path: PathBuf,
    },
}

/// Refuse a save folder that already holds something (checked before the
/// calls are made, and again when writing): evidence never mixes with
/// other files, and is never written over.
pub fn ensure_empty(dir: &Path) -> Result<(), BundleError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            Some(_) => Err(BundleError::NotEmpty { path: dir.into() }),
            None => Ok(()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(BundleError::Io {
            path: dir.into(),
            source,
        }),
    }
}

/// `NNN-service-Action.json`: digits, a dash, letters, digits and dashes.
fn plain_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json") else {
        return false;
    };
    let Some((n, rest)) = stem.split_once('-') else {
        return false;
    };
    n.len() >= 3
        && n.bytes().all(|b| b.is_ascii_digit())
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Bundle {
    /// An empty bundle collected at `collected_at` by this ctreplay.
    pub fn new(collected_at: String, endpoint_url: Option<String>) -> Bundle {
        Bundle {
            manifest: Manifest {
                format: FORMAT.into(),
                tool: format!("ctreplay {}", env!("CARGO_PKG_VERSION")),
                collected_at,
                caller: None,
                endpoint_url,
                calls: Vec::new(),
            },
            files: BTreeMap::new(),
            read_manifest: None,
        }
    }

    /// Record a call; an answered one keeps `document` (pretty JSON, as
    /// the CLI prints it) under a name made from its place and action.
    pub fn record(
        &mut self,
        action: &str,
        region: &str,
        parameters: BTreeMap<String, String>,
        result: Result<serde_json::Value, (Outcome, String)>,
    ) {
        let n = self.manifest.calls.len() + 1;
        let mut call = Call {
            action: action.into(),
            region: region.into(),
            parameters,
            outcome: Outcome::Ok,
            message: None,
            file: None,
            sha256: None,
        };
        match result {
            Ok(doc) => {
                let name = format!("{n:03}-{}.json", action.replace(':', "-"));
                let mut bytes = serde_json::to_vec_pretty(&doc).expect("JSON values serialize");
                bytes.push(b'\n');
                call.sha256 = Some(sha256(&bytes));
                call.file = Some(name.clone());
                self.files.insert(name, bytes);
            }
            Err((outcome, message)) => {
                call.outcome = outcome;
                call.message = Some(message);
            }
        }
        self.manifest.calls.push(call);
    }

    /// The manifest as written, and its SHA-256 (which the report quotes).
    pub fn manifest_bytes(&self) -> (Vec<u8>, String) {
        if let Some(raw) = &self.read_manifest {
            return (raw.clone(), sha256(raw));
        }
        let mut bytes = serde_json::to_vec_pretty(&self.manifest).expect("the manifest serializes");
        bytes.push(b'\n');
        let hash = sha256(&bytes);
        (bytes, hash)
    }

    /// The parsed document of the call at `index` (None unless answered).
    pub fn document(&self, index: usize) -> Option<(&str, &[u8])> {
        let call = self.manifest.calls.get(index)?;
        let file = call.file.as_deref()?;
        Some((file, self.files.get(file)?.as_slice()))
    }

    /// Write the bundle into `dir` (created; it must be new or empty).
    pub fn write(&self, dir: &Path) -> Result<(), BundleError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| BundleError::Io { path, source }
        };
        ensure_empty(dir)?;
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        for (name, bytes) in &self.files {
            let p = dir.join(name);
            std::fs::write(&p, bytes).map_err(io(&p))?;
        }
        let p = dir.join(MANIFEST);
        std::fs::write(&p, self.manifest_bytes().0).map_err(io(&p))
    }

    /// Read the bundle in `dir`, checking every file against its hash.
    pub fn read(dir: &Path) -> Result<Bundle, BundleError> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|source| BundleError::Io {
            path: path.clone(),
            source,
        })?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| BundleError::Manifest {
                path: path.clone(),
                why: format!("not a ctreplay evidence manifest: {e}"),
            })?;
        if manifest.format != FORMAT {
            return Err(BundleError::Manifest {
                path,
                why: format!(
                    "format {:?}; this ctreplay reads {FORMAT:?}",
                    manifest.format
                ),
            });
        }
        let mut files = BTreeMap::new();
        for call in &manifest.calls {
            let (name, expected) = match (&call.file, &call.sha256, call.outcome) {
                (Some(n), Some(h), Outcome::Ok) => (n, h),
                (None, None, Outcome::Denied | Outcome::Failed) => continue,
                _ => {
                    return Err(BundleError::Manifest {
                        path: path.clone(),
                        why: format!(
                            "call {} has a file without a hash, a hash without a file, or an answer without either",
                            call.action
                        ),
                    })
                }
            };
            // Names are the manifest's: only NNN-service-Action.json, never
            // a path out of the bundle (on any system).
            if !plain_name(name) {
                return Err(BundleError::Manifest {
                    path: path.clone(),
                    why: format!("file name {name:?} is not a plain name in the bundle"),
                });
            }
            let p = dir.join(name);
            let bytes = std::fs::read(&p).map_err(|source| BundleError::Io {
                path: p.clone(),
                source,
            })?;
            let actual = sha256(&bytes);
            if actual != *expected {
                return Err(BundleError::Tampered {
                    path: p,
                    expected: expected.clone(),
                    actual,
                });
            }
            files.insert(name.clone(), bytes);
        }
        Ok(Bundle {
            manifest,
            files,
            read_manifest: Some(bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        let mut b = Bundle::new("2026-12-01T00:00:00Z".into(), None);
        b.record(
            "logs:DescribeMetricFilters",
            "eu-west-1",
            BTreeMap::from([("logGroupName".into(), "CloudTrail/Default".into())]),
            Ok(serde_json::json!({"metricFilters": []})),
        );
        b.record(
            "cloudwatch:DescribeAlarmHistory",
            "eu-west-1",
            BTreeMap::new(),
            Err((Outcome::Denied, "AccessDenied".into())),
        );
        b
    }

    #[test]
    fn a_bundle_reads_back_equal_and_a_changed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let b = sample();
        b.write(dir.path()).unwrap();
        let back = Bundle::read(dir.path()).unwrap();
        assert_eq!((&back.manifest, &back.files), (&b.manifest, &b.files));
        // The hash the report quotes is of the manifest as on disk.
        assert_eq!(back.manifest_bytes().1, b.manifest_bytes().1);
        assert!(matches!(
            b.write(dir.path()),
            Err(BundleError::NotEmpty { .. })
        ));
        let file = dir.path().join("001-logs-DescribeMetricFilters.json");
        std::fs::write(&file, b"{\"metricFilters\":[{}]}\n").unwrap();
        let e = Bundle::read(dir.path()).unwrap_err();
        assert!(matches!(e, BundleError::Tampered { .. }), "{e}");
    }

    #[test]
    fn a_manifest_cannot_name_a_file_outside_the_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = sample();
        b.manifest.calls[0].file = Some("../x.json".into());
        std::fs::write(dir.path().join(MANIFEST), b.manifest_bytes().0).unwrap();
        let e = Bundle::read(dir.path()).unwrap_err();
        assert!(e.to_string().contains("not a plain name"), "{e}");
    }
}
