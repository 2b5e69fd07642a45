//! Where objects come from: listing them, pruning them by key, and opening
//! them as byte streams. Imports nothing of the scan.
//!
//! A [`Source`] lists the objects a [`Selection`] keeps and hands them out,
//! opened, to the scan's workers through [`Objects::next`] (called from
//! many threads at once). When every object has been handed out,
//! [`Objects::finish`] says what the listing counted: objects listed, those
//! skipped by key and why, listing problems, and requests made.
//!
//! - [`local`]: files and folders on disk;
//! - [`s3`]: `s3://bucket/prefix`, many GETs in flight;
//! - [`memory`]: objects held in memory (tests, benches, fuzzing).
//!
//! What the key layout says about an object, and the pruning, live in
//! [`keys`]; what is inside an object is the scan's business.

pub mod inventory;
mod inventory_parquet;
pub mod keys;
pub mod local;
pub mod memory;
mod parquet_footer;
pub mod s3;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;

pub use keys::{KeyInfo, KeyKind, Selection, SkipReason, TimeWindow};

use crate::coverage::Coverage;
use crate::progress::Progress;

/// Where one object lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    /// A local file.
    File(PathBuf),
    /// An S3 object.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// An object held in memory, by name.
    Memory(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            Location::Memory(name) => f.write_str(name),
        }
    }
}

/// One object to scan.
#[derive(Debug, Clone)]
pub struct ObjectRef {
    /// Where it is.
    pub location: Location,
    /// Stored (compressed) size in bytes.
    pub size: u64,
    /// What the key layout says about it.
    pub key: KeyInfo,
}

/// An object handed to the scan: its reference and a stream of its stored
/// bytes, or why it could not be opened.
pub struct Opened {
    /// The object.
    pub object: ObjectRef,
    /// Its stored bytes.
    pub body: Result<Box<dyn Read + Send>, OpenError>,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("object", &self.object)
            .field("body", &self.body.as_ref().map(|_| "stream"))
            .finish()
    }
}

/// Why one object could not be opened; the scan goes on without it.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A local file could not be opened.
    #[error("read failed: {0}")]
    Io(io::Error),
    /// A remote object could not be fetched (after the retries).
    #[error("fetch failed: {0}")]
    Fetch(String),
    /// An object read whole is larger than allowed.
    #[error("larger than {0} bytes, more than a digest file holds")]
    TooLarge(usize),
}

/// Read `r` to its end, refusing more than `limit` bytes.
pub fn read_limited(r: impl Read, limit: usize) -> Result<Vec<u8>, OpenError> {
    let mut out = Vec::new();
    r.take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(OpenError::Io)?;
    if out.len() > limit {
        return Err(OpenError::TooLarge(limit));
    }
    Ok(out)
}

/// A problem found while listing (not tied to a readable object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingError {
    /// The path or prefix involved.
    pub location: String,
    /// What went wrong.
    pub reason: String,
}

/// Requests made to a remote source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Requests {
    /// Listing pages requested.
    pub list_calls: u64,
    /// Objects requested (retries not counted).
    pub get_calls: u64,
}

/// What a listing counted, once every object has been handed out.
#[derive(Debug, Default)]
pub struct Listed {
    /// Objects found.
    pub objects: u64,
    /// Objects not handed out, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Paths or prefixes that could not be listed.
    pub errors: Vec<ListingError>,
    /// Requests made, for remote sources.
    pub requests: Option<Requests>,
    /// Every log object listed, selected or not, by account and region.
    pub coverage: Coverage,
    /// The digest files listed, when the selection collects them.
    pub digests: Vec<ObjectRef>,
    /// What the listing says of itself (an inventory's age).
    pub notes: Vec<String>,
}

impl Listed {
    /// Count one listed object, and whether the selection skips it. An
    /// object of another shard is skipped and not counted at all: its own
    /// shard counts it.
    pub fn list(&mut self, obj: &ObjectRef, sel: &Selection) -> Option<SkipReason> {
        if let Some(s) = &sel.shard {
            if !s.owns(&obj.key, &obj.location.to_string()) {
                return Some(SkipReason::OtherShard);
            }
        }
        self.objects += 1;
        if obj.key.kind == KeyKind::Log {
            self.coverage
                .listed(obj.key.stream(), obj.key.delivered.map(|t| t.timestamp()));
        }
        if obj.key.kind == KeyKind::Digest && sel.collect_digests {
            self.digests.push(obj.clone());
        }
        let skip = sel.skip(&obj.key);
        if let Some(r) = skip {
            *self.skipped.entry(r).or_default() += 1;
        }
        skip
    }
}

/// A failure that ends the whole listing.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A path given on the command line does not exist or cannot be read.
    #[error("{path}: {cause}")]
    Path {
        /// The path as given.
        path: String,
        /// Why it could not be read.
        cause: io::Error,
    },
    /// The remote source refused or could not be reached.
    #[error("{0}")]
    Remote(String),
}

/// A small object read whole (a digest file), with the signature its
/// metadata carries.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Its stored bytes.
    pub stored: Vec<u8>,
    /// `x-amz-meta-signature`: from S3, or from the `aws s3api
    /// head-object` output saved beside a local copy
    /// (`<file>.head-object.json`).
    pub signature: Option<String>,
    /// Whether the signature came from such a saved output.
    pub from_sidecar: bool,
}

/// The file beside a local digest holding its `head-object` output.
pub const SIDECAR_SUFFIX: &str = ".head-object.json";

/// A place objects are listed and opened from.
pub trait Source: Sync + fmt::Debug {
    /// Read each of `objects` whole (digest files, from the listing's
    /// [`Listed::digests`]), refusing any stored larger than `limit`; in
    /// the order given.
    fn fetch(&self, objects: &[ObjectRef], limit: usize) -> Vec<Result<Fetched, OpenError>>;

    /// What it reads, for the report's scope: paths, or `s3://` URLs.
    fn describe(&self) -> Vec<String>;

    /// Start listing the objects `sel` keeps. Skipped objects are counted
    /// (and reported to `progress` as done); the rest are handed out by
    /// the returned [`Objects`].
    fn objects<'a>(
        &'a self,
        sel: &'a Selection,
        progress: &'a dyn Progress,
    ) -> Result<Box<dyn Objects + 'a>, SourceError>;
}

/// The objects of one listing, handed out to many workers.
pub trait Objects: Sync {
    /// The next object to read, opened; None when there are no more.
    fn next(&self) -> Option<Opened>;

    /// What the listing counted; call after `next` returned None.
    fn finish(self: Box<Self>) -> Result<Listed, SourceError>;
}
