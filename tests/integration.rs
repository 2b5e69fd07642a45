//! The one integration-test binary (faster to link than one per file).

mod util;

mod alarm_cases;
mod audit;
mod audit_evidence;
mod audit_intervals;
mod audit_scope;
mod aws;
mod bad_input;
mod cli;
mod conformance;
mod consumers;
mod decoder_props;
mod deploy;
mod hostile;
mod html;
mod output;
mod pattern_props;
mod patterns_cli;
mod proxy;
mod real_data;
mod s3;
mod shard;
mod snapshots;
mod synthetic;
mod verify;
