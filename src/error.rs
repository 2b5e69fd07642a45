//! Typed errors of reading one object: opening it, inflating it, splitting
//! it into records, decoding a record.
//!
//! Each layer has its own enum so a caller can tell "this object is not
//! gzip" from "this object is gzip but its JSON is broken". Messages are
//! full sentences without the object name: the scan records each one with
//! the object's location beside it, so the name is printed exactly once.
//! Errors that end a whole listing are [`crate::source::SourceError`];
//! export files have [`crate::exports::ExportError`]; patterns
//! [`crate::filter::PatternError`].

use std::io;

use crate::source::OpenError;

/// Failure while turning the stored bytes of one object into JSON bytes.
#[derive(Debug, thiserror::Error)]
pub enum InflateError {
    /// The underlying read failed (permissions, I/O error, network).
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
    /// The name says gzip but the content does not start with the gzip magic.
    #[error(
        "not gzip data (the name ends in .gz but the first bytes are not the gzip magic 1f 8b)"
    )]
    NotGzip,
    /// A gzip header that cannot be parsed.
    #[error("bad gzip header: {0}")]
    BadHeader(&'static str),
    /// The deflate stream itself is corrupt.
    #[error("corrupt deflate data at compressed offset {offset}: {message}")]
    Corrupt {
        /// Offset in the compressed object where the inflater gave up.
        offset: u64,
        /// What the inflater said.
        message: String,
    },
    /// The data ends before the gzip member does.
    #[error("truncated gzip data: the object ends inside gzip member {member} (after {inflated} inflated bytes)")]
    Truncated {
        /// Zero-based index of the member that was cut short.
        member: u32,
        /// Bytes inflated from the whole object before the cut.
        inflated: u64,
    },
    /// The CRC32 or length in a member trailer does not match the data.
    #[error("gzip member {member} trailer mismatch: {what}")]
    Trailer {
        /// Zero-based index of the member.
        member: u32,
        /// Which check failed.
        what: &'static str,
    },
    /// Bytes after the last member that are neither gzip nor zero padding.
    #[error("{0} bytes of trailing garbage after the last gzip member")]
    TrailingGarbage(u64),
    /// The inflated size passed the configured cap (decompression bomb guard).
    #[error(
        "inflated size exceeds the limit of {limit} bytes (raise it with --max-inflated-size)"
    )]
    TooLarge {
        /// The configured cap.
        limit: u64,
    },
}

/// Failure while finding the records inside an object's JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The JSON text is malformed at the structural level.
    #[error("invalid JSON at byte {offset}: {reason}")]
    Syntax {
        /// Offset in the inflated object.
        offset: u64,
        /// What was expected or found.
        reason: String,
    },
    /// No JSON at all: zero bytes, or only whitespace.
    #[error("the object is empty (no JSON at all); CloudTrail never delivers empty log files")]
    Empty,
    /// Valid JSON but not a CloudTrail log: no `Records` array at the top.
    #[error("not a CloudTrail log: {0}")]
    NotCloudTrail(String),
    /// One record is larger than the configured cap.
    #[error("record {index} is larger than the limit of {limit} bytes (raise it with --max-record-size)")]
    RecordTooLarge {
        /// Zero-based record index in the object.
        index: u64,
        /// The configured cap.
        limit: usize,
    },
}

/// Everything that can go wrong with one object; the scan goes on.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// Could not be opened or fetched.
    #[error("{0}")]
    Open(#[from] OpenError),
    /// Could not be inflated.
    #[error("{0}")]
    Inflate(#[from] InflateError),
    /// Could not be split into records.
    #[error("{0}")]
    Split(#[from] SplitError),
    /// A record that may match could not be decoded or lacks required fields.
    #[error("record {index}: {reason}")]
    Record {
        /// Zero-based record index in the object.
        index: u64,
        /// What is wrong with it.
        reason: String,
    },
}
