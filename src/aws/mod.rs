//! The deployed configuration, read from AWS with the user's credentials
//! (`audit --aws`) or from the evidence bundle an earlier run saved
//! (`audit --evidence DIR`), so that an audit can start from nothing but
//! an account and still be replayed offline, byte for byte.
//!
//! - [`calls`] makes the read-only calls, each in its resource's region,
//!   and keeps every answer (or why there was none) in a [`bundle::Bundle`];
//! - [`bundle`] is that bundle on disk: the responses in the AWS CLI's
//!   JSON shape and a manifest with their SHA-256;
//! - [`deployed`] reads a bundle into what the audit compares against.
//!
//! The audit itself (`crate::audit`) turns what could not be read into
//! `unknown`, never a pass. `docs/evidence.md` describes the bundle and
//! the IAM policy the calls need.

pub mod bundle;
pub mod calls;
pub mod deployed;
