//! Where objects come from: listing them and opening them.
//!
//! A source yields [`ObjectRef`]s in a stable order (sorted by location) and
//! opens each as a byte stream. Only local files exist so far; the scanner
//! depends on nothing here but `ObjectRef` and `open`.

pub mod keys;
pub mod local;
pub mod s3;

use std::path::PathBuf;

pub use keys::{KeyInfo, KeyKind, TimeWindow};

/// One object to scan.
#[derive(Debug, Clone)]
pub struct ObjectRef {
    /// How the object is named in output and errors.
    pub location: String,
    /// Local path.
    pub path: PathBuf,
    /// Stored (compressed) size in bytes.
    pub size: u64,
    /// What the key layout says about it.
    pub key: KeyInfo,
}

/// A problem found while listing (not tied to a readable object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingError {
    /// The path involved.
    pub location: String,
    /// What went wrong.
    pub reason: String,
}

/// Everything a listing found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Objects, sorted by location, without duplicates.
    pub objects: Vec<ObjectRef>,
    /// Paths that could not be listed.
    pub errors: Vec<ListingError>,
}
