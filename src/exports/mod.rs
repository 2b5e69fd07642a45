//! Files exported with the AWS CLI (`--output json`, `docs/exports.md`),
//! read into typed values with errors that name the file and the key.

pub mod alarms;
pub mod history;
pub mod metric_filters;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// An export file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}{reason}", file.display(), if path.is_empty() || path == "." { String::new() } else { format!("at {path}: ") })]
pub struct ExportError {
    /// The file.
    pub file: PathBuf,
    /// Where in the document (`metricFilters[2].filterPattern`), empty for
    /// the whole file.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl ExportError {
    /// An error at `path` in `file`.
    pub fn new(file: &Path, path: impl Into<String>, reason: impl Into<String>) -> Self {
        ExportError {
            file: file.to_owned(),
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// A deserialization failure at its key path, `prefix` naming the page.
fn shape_error(
    file: &Path,
    e: serde_path_to_error::Error<serde_json::Error>,
    prefix: &str,
) -> ExportError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let reason = if inner.is_syntax() || inner.is_eof() {
        format!("not valid JSON: {inner}")
    } else {
        format!("unexpected shape: {inner}")
    };
    let path = if path == "." { String::new() } else { path };
    ExportError::new(file, format!("{prefix}{path}"), reason)
}

/// Read the whole of `file`.
pub fn read_bytes(file: &Path) -> Result<Vec<u8>, ExportError> {
    std::fs::read(file).map_err(|e| ExportError::new(file, "", format!("cannot read: {e}")))
}

/// Deserialize `bytes`, read from `file`, reporting the key path of a
/// shape error.
pub fn parse<T: DeserializeOwned>(file: &Path, bytes: &[u8]) -> Result<T, ExportError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| shape_error(file, e, ""))
}

/// Deserialize a document that may be one response, a JSON array of page
/// responses, or several responses concatenated (`docs/exports.md#general`).
pub fn parse_pages<T: DeserializeOwned>(file: &Path, bytes: &[u8]) -> Result<Vec<T>, ExportError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return parse(file, bytes);
    }
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>();
    for (n, v) in stream.enumerate() {
        let v = v.map_err(|e| ExportError::new(file, "", format!("not valid JSON: {e}")))?;
        let page = serde_path_to_error::deserialize(v).map_err(|e| {
            let prefix = if n == 0 {
                String::new()
            } else {
                format!("document {}: ", n + 1)
            };
            shape_error(file, e, &prefix)
        })?;
        out.push(page);
    }
    if out.is_empty() {
        return Err(ExportError::new(file, "", "empty file"));
    }
    Ok(out)
}
