//! ctreplay: replay CloudTrail log archives against the CIS
//! "security group changes" metric filter and alarm, offline.
//!
//! The pipeline, one module each:
//!
//! - [`source`] lists objects (local files; the key layout in
//!   [`source::keys`]) and prunes them by key before opening;
//! - [`inflate`] turns stored bytes into JSON bytes, block by block;
//! - [`split`] finds the records in those bytes without decoding them;
//! - [`prefilter`] rules out records that cannot matter;
//! - [`record`] decodes the rest with simd-json and copies out the fields;
//! - [`filter`] parses and evaluates CloudWatch Logs filter patterns (and
//!   names the CIS ones in [`filter::presets`]);
//! - [`detect`] decides: matched by a filter, a blind spot, or neither;
//! - [`scan`] runs all of that in parallel and merges the results;
//! - [`periods`] turns matches into alarm periods and notifications;
//! - [`alarm`] replays CloudWatch alarms minute by minute, and [`audit`]
//!   compares that replay with the deployed configuration and its history;
//! - [`report`] prints them.
//!
//! [`exports`] reads AWS CLI exports (metric filters, alarms, history); [`testpattern`] is
//! `test-metric-filter` offline; [`synth`] writes realistic synthetic
//! trails for tests and benchmarks.
#![deny(missing_docs)]

pub mod alarm;
pub mod audit;
pub mod cli;
pub mod detect;
pub mod error;
pub mod exports;
pub mod filter;
pub mod inflate;
pub mod periods;
pub mod prefilter;
pub mod progress;
pub mod record;
pub mod report;
pub mod scan;
pub mod source;
pub mod split;
pub mod synth;
pub mod testpattern;
pub mod units;
