//! The one place that turns parsed arguments into library options: the
//! selection, the scan options, the source, the filters, the audit's
//! inputs and assumptions. Checks that need more than one value (`--since`
//! before `--until`, `--threads` at least 1) live here; single values are
//! checked while parsing ([`super::values`], [`crate::time`]).

use std::path::{Path, PathBuf};

use super::{AuditArgs, Input, IntegrityArgs, PatternArgs};
use crate::audit::{Assumptions, Inputs};
use crate::aws::calls::AwsOptions;
use crate::aws::deployed::Trail;
use crate::exports::{alarms, history, metric_filters, ExportError};
use crate::filter::{presets, Filter, PatternError};
use crate::scan::ScanOptions;
use crate::source::local::LocalSource;
use crate::source::s3::{S3Options, S3Source, S3Url};
use crate::source::{Selection, Source, SourceError, TimeWindow};

/// The most worker threads a scan starts.
pub const MAX_THREADS: usize = 1024;

/// Why the arguments cannot be turned into a run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Values that do not go together, or name nothing.
    #[error("{0}")]
    Usage(String),
    /// A pattern that does not parse, with what it came from.
    #[error("{context}: {error}")]
    Pattern {
        /// `--pattern`, a file, or an export's filter.
        context: String,
        /// Why.
        error: PatternError,
    },
    /// A file that cannot be read.
    #[error("{context}: {error}")]
    Io {
        /// What was being read.
        context: String,
        /// Why.
        error: std::io::Error,
    },
    /// An export that cannot be read.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// A source that cannot be set up.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A public-keys file that cannot be used.
    #[error(transparent)]
    Keys(#[from] crate::integrity::keys::KeysError),
}

fn usage(s: impl Into<String>) -> ConfigError {
    ConfigError::Usage(s.into())
}

/// What `--since`, `--until`, `--account`, `--region` and
/// `--delivery-skew` select.
pub fn selection(input: &Input) -> Result<Selection, ConfigError> {
    for a in &input.accounts {
        if !crate::source::keys::is_account(a) {
            return Err(usage(format!(
                "--account {a:?}: an AWS account ID is 12 digits"
            )));
        }
    }
    let regions = input.regions.iter().map(|r| ("--region", r));
    for (flag, r) in regions.chain(input.bucket_region.iter().map(|r| ("--bucket-region", r))) {
        if !region_syntax(r) {
            return Err(usage(format!(
                "{flag} {r:?}: not a region name (like us-east-1, eu-west-2, us-gov-west-1)"
            )));
        }
    }
    if let (Some(s), Some(u)) = (input.since, input.until) {
        if s >= u {
            return Err(usage("--since must be before --until"));
        }
    }
    Ok(Selection {
        window: TimeWindow {
            since: input.since,
            until: input.until,
            skew: input.delivery_skew.0,
        },
        accounts: input.accounts.clone(),
        regions: input.regions.clone(),
        collect_digests: false,
        shard: match &input.shard {
            Some(s) => Some(
                crate::shard::Shard::parse(s, |v| std::env::var(v).ok())
                    .map_err(|e| usage(e.to_string()))?,
            ),
            None => None,
        },
    })
}

/// Refuse a profile (`--profile`, else a non-empty `AWS_PROFILE`) that
/// neither AWS configuration file defines, in the AWS CLI's words, before
/// any call fails with a vaguer credentials error (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
/// `~/.aws/credentials`).
pub fn check_profile(profile: Option<&str>) -> Result<(), ConfigError> {
    let from_env = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let (name, whence) = match (profile, &from_env) {
        (Some(p), _) => (p, ""),
        (None, Some(p)) => (p.as_str(), ", named by AWS_PROFILE,"),
        (None, None) => return Ok(()),
    };
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(default))
    };
    let (config, credentials) = (
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    );
    let sections = |path: &Path, config: bool| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']').map(str::trim))
            .filter_map(|s| match (config, s.strip_prefix("profile ")) {
                (true, Some(p)) => Some(p.trim().to_owned()),
                (true, None) if s == "default" => Some(s.to_owned()),
                (true, None) => None,
                (false, _) => Some(s.to_owned()),
            })
            .collect()
    };
    let found = sections(&config, true)
        .into_iter()
        .chain(sections(&credentials, false))
        .any(|p| p == name);
    if found {
        return Ok(());
    }
    Err(usage(format!(
        "The config profile ({name}){whence} could not be found (looked in {} and {})",
        config.display(),
        credentials.display()
    )))
}

/// Whether `r` is shaped like an AWS region name: a 2-4 letter partition
/// or area code, one or more lower-case words, and a number
/// (`us-east-1`, `us-gov-west-1`, `ap-southeast-2`, `eusc-de-east-1`).
pub fn region_syntax(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    let lower = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    parts.len() >= 3
        && (2..=4).contains(&parts[0].len())
        && lower(&parts[0])
        && parts[1..parts.len() - 1].iter().all(lower)
        && parts[parts.len() - 1].len() <= 2
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The limits, `--validate` and the threads.
pub fn scan_options(input: &Input) -> Result<ScanOptions, ConfigError> {
    match input.threads {
        Some(0) => return Err(usage("--threads must be at least 1")),
        Some(n) if n > MAX_THREADS => {
            return Err(usage(format!(
                "--threads {n}: at most {MAX_THREADS} (one per core is what helps)"
            )))
        }
        _ => {}
    }
    Ok(ScanOptions {
        max_inflated: input.max_inflated_size.0,
        max_record: usize::try_from(input.max_record_size.0).unwrap_or(usize::MAX),
        validate: input.validate,
        threads: input.threads.unwrap_or(ScanOptions::default().threads),
        max_memory: input.max_memory.0,
        hash_objects: false,
    })
}

/// The source the paths name: local files and folders, or `s3://` URLs
/// of one bucket (not both).
pub fn source(input: &Input) -> Result<Box<dyn Source>, ConfigError> {
    source_of(input, &input.paths, None)
}

/// The source `paths` name, reached with `input`'s S3 options; a bucket
/// in `bucket_region` unless --bucket-region says otherwise.
pub fn source_of(
    input: &Input,
    paths: &[PathBuf],
    bucket_region: Option<&str>,
) -> Result<Box<dyn Source>, ConfigError> {
    if paths.is_empty() {
        return Err(usage(
            "no PATH given: name the log files, folders or s3:// URLs to read",
        ));
    }
    let mut urls = Vec::new();
    for p in paths {
        if let Some(u) = p.to_str().and_then(S3Url::parse) {
            urls.push(u.map_err(ConfigError::Usage)?);
        }
    }
    if input.manifest.is_some() && urls.len() != paths.len() {
        return Err(usage(
            "--manifest lists an S3 bucket: give its s3://bucket/prefix as the PATH",
        ));
    }
    match urls.len() {
        0 => Ok(Box::new(LocalSource::new(paths.to_vec()))),
        n if n == paths.len() => {
            check_profile(input.profile.as_deref())?;
            let mut opts = s3_options(input);
            opts.region = opts.region.or(bucket_region.map(str::to_owned));
            Ok(Box::new(S3Source::new(urls, opts)?))
        }
        _ => Err(usage("S3 URLs and local paths cannot be mixed in one scan")),
    }
}

fn s3_options(input: &Input) -> S3Options {
    S3Options {
        region: input.bucket_region.clone(),
        profile: input.profile.clone(),
        endpoint_url: input.endpoint_url.clone(),
        path_style: input.path_style,
        no_sign: input.no_sign_request,
        concurrency: input.s3_concurrency.max(1),
        max_attempts: input.s3_max_attempts.max(1),
        manifest: input.manifest.clone(),
        manifest_delta: input.manifest_delta,
        ..S3Options::default()
    }
}

/// The filter named by `--pattern`, `--pattern-file` or `--preset`, or the
/// default preset.
pub fn pattern_filter(args: &PatternArgs) -> Result<Filter, ConfigError> {
    let parse = |context: String, text: &str| {
        Filter::new("pattern", text).map_err(|error| ConfigError::Pattern { context, error })
    };
    if let Some(p) = &args.pattern {
        return parse("--pattern".into(), p);
    }
    if let Some(file) = &args.pattern_file {
        let text = std::fs::read_to_string(file).map_err(|error| ConfigError::Io {
            context: format!("reading the pattern file {}", file.display()),
            error,
        })?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        return parse(file.display().to_string(), text);
    }
    let name = args.preset.as_deref().unwrap_or(presets::DEFAULT);
    let Some(p) = presets::find(name) else {
        return Err(usage(format!(
            "unknown preset {name:?}; `ctreplay presets` lists them"
        )));
    };
    Ok(Filter::new(&p.name, p.pattern).expect("presets parse"))
}

/// Every filter of a describe-metric-filters export, under its name (with
/// the log group when two share a name), and the ones whose pattern AWS
/// accepted but ctreplay cannot evaluate (a space-delimited pattern for VPC
/// flow logs, say): reported, never a reason to stop.
pub fn export_filters(file: &Path) -> Result<(Vec<Filter>, Vec<String>), ConfigError> {
    let exported = metric_filters::read(file)?;
    if exported.is_empty() {
        return Err(usage(format!(
            "{}: the export holds no metric filters",
            file.display()
        )));
    }
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for f in &exported {
        let shared = exported
            .iter()
            .filter(|g| g.filter_name == f.filter_name)
            .count()
            > 1;
        let name = match (&f.log_group_name, shared) {
            (Some(group), true) => format!("{} ({group})", f.filter_name),
            _ => f.filter_name.clone(),
        };
        match Filter::new(&name, &f.filter_pattern) {
            Ok(filter) => out.push(filter),
            Err(error) => skipped.push(format!(
                "{}: metric filter {:?} is not evaluated: {error}",
                file.display(),
                f.filter_name
            )),
        }
    }
    if out.is_empty() {
        return Err(usage(format!(
            "{}: no metric filter of the export can be evaluated: {}",
            file.display(),
            skipped.join("; ")
        )));
    }
    Ok((out, skipped))
}

/// What the audit compares against, and the names of alarms whose history
/// items it holds but whose configuration it does not (their items are
/// not judged).
pub fn audit_inputs(args: &AuditArgs) -> Result<(Inputs, Vec<String>), ConfigError> {
    let inputs =
        match (&args.metric_filters, &args.alarms) {
            (None, None) => Inputs::recommended(),
            (Some(f), a) => Inputs {
                filters: metric_filters::read(f)?,
                alarms: match a {
                    Some(a) => alarms::read(a)?,
                    None => vec![],
                },
                history: None,
                defaulted: false,
                ..Inputs::recommended()
            },
            (None, Some(_)) => return Err(usage(
                "--alarms needs --metric-filters: the filters say which metric an alarm watches",
            )),
        };
    let mut unknown = Vec::new();
    let history = match &args.history {
        Some(h) => {
            let items = history::read(h)?;
            unknown = items
                .iter()
                .map(|i| i.alarm.clone())
                .filter(|n| !inputs.alarms.iter().any(|a| a.alarm_name == *n))
                .collect();
            unknown.sort_unstable();
            unknown.dedup();
            Some(items)
        }
        None => None,
    };
    let benchmark = benchmark(args)?;
    Ok((
        Inputs {
            history,
            benchmark,
            ..inputs
        },
        unknown,
    ))
}

/// The benchmark `--benchmark` names.
pub fn benchmark(args: &AuditArgs) -> Result<crate::cis::Benchmark, ConfigError> {
    crate::cis::benchmark(&args.benchmark).ok_or_else(|| {
        usage(format!(
            "unknown benchmark {:?}; one of {}",
            args.benchmark,
            crate::cis::BENCHMARKS
                .iter()
                .map(|b| b.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// How `audit --aws` reaches AWS, and the alarm history it asks for: from
/// a day before --since (the state the alarm was in when the logs start)
/// to past --until by the longest delivery delay, evaluation lag and match
/// window (the transitions the last changes cause).
pub fn aws_options(args: &AuditArgs, a: &Assumptions) -> Result<AwsOptions, ConfigError> {
    if args.trail.is_some() && !args.aws && args.evidence.is_none() {
        return Err(usage("--trail needs --aws or --evidence"));
    }
    let input = &args.input;
    if args.aws {
        check_profile(input.profile.as_deref())?;
    }
    let reach = a.delivery_delay_range_seconds.1
        + a.evaluation_lag_range_seconds.1
        + a.match_window_seconds;
    Ok(AwsOptions {
        profile: input.profile.clone(),
        endpoint_url: input.endpoint_url.clone(),
        discovery_region: None,
        max_attempts: input.s3_max_attempts.max(1),
        trail: args.trail.clone(),
        history_from: input.since.map(|t| t - chrono::Duration::days(1)),
        history_to: input.until.map(|t| t + chrono::Duration::seconds(reach)),
    })
}

/// The `s3://` URL of a trail's logs (`bucket/prefix/AWSLogs/`).
pub fn trail_url(trail: &Trail) -> Option<PathBuf> {
    let bucket = trail.bucket.as_deref()?;
    let prefix = trail
        .prefix
        .as_deref()
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty());
    Some(PathBuf::from(match prefix {
        Some(p) => format!("s3://{bucket}/{p}/AWSLogs/"),
        None => format!("s3://{bucket}/AWSLogs/"),
    }))
}

/// The replay and matching assumptions.
pub fn assumptions(args: &AuditArgs) -> Result<Assumptions, ConfigError> {
    if let Some(r) = args.evaluation_range {
        if !(1..=10_080).contains(&r) {
            return Err(usage(format!(
                "--evaluation-range {r}: between 1 and 10080 periods"
            )));
        }
    }
    let (lo, hi) = (args.delivery_delay_min.0, args.delivery_delay_max.0);
    if lo > hi {
        return Err(usage("--delivery-delay-min is after --delivery-delay-max"));
    }
    Ok(Assumptions {
        delivery_delay_seconds: args.delivery_delay.0.num_seconds(),
        match_window_seconds: args.match_window.0.num_seconds(),
        evaluation_range_periods: args.evaluation_range,
        delivery_delay_range_seconds: (
            args.delivery_delay_min.0.num_seconds(),
            args.delivery_delay_max.0.num_seconds(),
        ),
        ..Assumptions::default()
    })
}

/// The keys of every `--public-keys` file, and the files' names.
pub fn public_keys(
    files: &[PathBuf],
) -> Result<(crate::integrity::PublicKeys, Vec<String>), ConfigError> {
    let mut keys = crate::integrity::PublicKeys::default();
    let mut names = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).map_err(|error| ConfigError::Io {
            context: format!("--public-keys {}", f.display()),
            error,
        })?;
        let name = f.display().to_string();
        keys.add_json(&name, &bytes)?;
        names.push(name);
    }
    Ok((keys, names))
}

/// How `verify` compares locations: exactly from S3, through `--bucket`
/// for a local copy, else from `AWSLogs/` on.
pub fn locator(
    args: &IntegrityArgs,
    remote: bool,
) -> Result<crate::integrity::Locator, ConfigError> {
    use crate::integrity::Locator;
    match (&args.bucket, remote) {
        (Some(_), true) => Err(usage(
            "--bucket names the bucket of a local copy; an s3:// URL names its own",
        )),
        (Some(b), false) if b.trim_matches('/').is_empty() => {
            Err(usage("--bucket needs a bucket name"))
        }
        (Some(b), false) => Ok(Locator::mapped(b)),
        (None, true) => Ok(Locator::Exact),
        (None, false) => Ok(Locator::Suffix),
    }
}

/// The AWS options of a run that reads only S3 (and, for `verify`,
/// CloudTrail's public keys).
pub fn plain_aws_options(input: &Input) -> AwsOptions {
    AwsOptions {
        profile: input.profile.clone(),
        endpoint_url: input.endpoint_url.clone(),
        discovery_region: None,
        max_attempts: input.s3_max_attempts.max(1),
        trail: None,
        history_from: None,
        history_to: None,
    }
}

#[cfg(test)]
mod tests {
    use super::region_syntax;

    #[test]
    fn region_names_are_checked_by_shape() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-2",
            "cn-north-1",
            "eusc-de-east-1",
            "il-central-1",
        ] {
            assert!(region_syntax(ok), "{ok}");
        }
        for bad in [
            "us-east-l",
            "us-east",
            "US-EAST-1",
            "useast1",
            "us-east-123",
            "-east-1",
            "us--1",
        ] {
            assert!(!region_syntax(bad), "{bad}");
        }
    }
}
