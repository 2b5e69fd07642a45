//! ctreplay: replay CloudTrail log archives against the CIS
//! "security group changes" metric filter and alarm, offline.
//!
//! One record's bytes travel from a [`source`] (local files, S3, memory)
//! through the [`scan`] (inflate, split, prefilter, decode, classify,
//! extract) to a [`report`]. Along the way:
//!
//! - [`cis`] is the catalog: the six names, the recommended filter and
//!   alarm, the blind spots, the pipeline events;
//! - [`filter`] parses and evaluates CloudWatch Logs filter patterns as AWS
//!   does (and names the CIS ones in [`filter::presets`]);
//! - [`event`] is what the scan reports for a record;
//! - [`alarm`] is the one alarm model: the state machine, replayed minute
//!   by minute ([`alarm::estimate`] is the scan's quick use of it);
//! - [`audit`] rebuilds what was deployed when from [`exports`] and
//!   CloudTrail, replays the alarm and judges the deployed one; [`aws`]
//!   reads what is deployed from AWS and keeps it as evidence;
//! - [`time`] reads every time dialect; [`progress`] shows the scan going;
//! - [`testpattern`] is `test-metric-filter` offline; [`synth`] writes
//!   realistic synthetic trails for tests and benchmarks;
//! - [`remedy`] writes the fixes for an audit's gaps as code (CLI, boto3,
//!   CloudFormation, Terraform);
//! - [`cli`] declares the command line and turns it into options.
//!
//! The public API is what the binary, the tests, the benches and the fuzz
//! targets use.
#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]

pub mod alarm;
pub mod audit;
pub mod aws;
pub mod cis;
pub mod cli;
pub mod coverage;
pub mod error;
pub mod event;
pub mod exports;
pub mod filter;
pub mod integrity;
pub mod progress;
pub mod remedy;
pub mod report;
pub mod scan;
pub mod scope;
pub mod shard;
pub mod source;
pub mod synth;
pub mod testpattern;
pub mod time;
