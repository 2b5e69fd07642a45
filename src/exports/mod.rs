//! Files exported with the AWS CLI (`--output json`, domain.md section 4),
//! read into typed values with errors that name the file and the key.

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

/// Read and deserialize `file`, reporting the key path of a shape error.
pub fn read_json<T: DeserializeOwned>(file: &Path) -> Result<T, ExportError> {
    let bytes =
        std::fs::read(file).map_err(|e| ExportError::new(file, "", format!("cannot read: {e}")))?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let reason = if inner.is_syntax() || inner.is_eof() {
            format!("not valid JSON: {inner}")
        } else {
            format!("unexpected shape: {inner}")
        };
        ExportError::new(file, path, reason)
    })
}
