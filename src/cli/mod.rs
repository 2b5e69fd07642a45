//! The command line: clap declarations ([`Cli`] and the per-subcommand
//! argument structs), the value syntax ([`values`]), the one place that
//! turns arguments into library options ([`config`]), and the exit codes
//! ([`exit`]). No I/O here; the binary runs the library with what
//! [`config`] builds. Defaults are the library's constants, shown in
//! `--help` through the value types' `Display`.

pub mod config;
pub mod exit;
pub mod values;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::audit::{
    DEFAULT_DELIVERY_DELAY_RANGE_SECONDS, DEFAULT_DELIVERY_DELAY_SECONDS,
    DEFAULT_MATCH_WINDOW_SECONDS,
};
use crate::report::{AuditFormat, ListFormat, ScanFormat};
use crate::scan::{DEFAULT_MAX_INFLATED, DEFAULT_MAX_MEMORY, DEFAULT_MAX_RECORD};
use crate::source::keys::DEFAULT_DELIVERY_SKEW_SECONDS;
use crate::source::s3::{DEFAULT_S3_CONCURRENCY, DEFAULT_S3_MAX_ATTEMPTS};
use values::{Size, Span};

/// The version `--version` prints: the package's and the commit built.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("CTREPLAY_COMMIT"),
    ")"
);

/// Replay CloudTrail archives against the CIS security-group-changes alarm.
#[derive(Debug, Parser)]
#[command(name = "ctreplay", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Colours in the text reports: auto (on a terminal, unless NO_COLOR is
    /// set or TERM is dumb), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Keep every table row and line whole on a terminal too (text reports
    /// are fitted to its width otherwise, or to $COLUMNS; piped output is
    /// never fitted).
    #[arg(long, global = true)]
    pub wide: bool,
}

/// Whether NO_COLOR asks for no colour: set and not empty
/// (<https://no-color.org>). The reports and clap's help both follow it.
pub fn no_color_set() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// When the text reports are in colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always, piped too.
    Always,
    /// Never.
    Never,
}

impl Cli {
    /// How the text reports look on this stdout: colours and a width to
    /// fit, both only on a terminal unless asked for
    /// (<https://no-color.org>: a NO_COLOR that is set and not empty turns
    /// colours off; `--color always` turns them on).
    pub fn look(&self) -> crate::report::terminal::Look {
        use std::io::IsTerminal;
        let stdout = std::io::stdout();
        let tty = stdout.is_terminal();
        let env_allows = !no_color_set() && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && env_allows,
        };
        let width = (tty && !self.wide).then(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse::<usize>().ok())
                .filter(|&c| c > 0)
                .or_else(|| terminal_size::terminal_size_of(&stdout).map(|(w, _)| usize::from(w.0)))
                .unwrap_or(80)
        });
        crate::report::terminal::Look::new(color, width)
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find the six security-group events (and the changes the alarm cannot
    /// see) in CloudTrail log objects.
    Scan(ScanArgs),
    /// Replay the alarm over the logs and compare with the deployed one:
    /// what it caught, what it missed, when it was blind (exit code 3 on
    /// gaps).
    Audit(Box<AuditArgs>),
    /// Join the partials of shards (`scan --shard i/N --format partial`)
    /// into the report one run over everything would give.
    Merge(MergeArgs),
    /// Check the logs against CloudTrail's signed digest files: which
    /// objects are proven unmodified, which were changed, deleted or added,
    /// and which hours no digest covers (exit code 3 when any is not valid).
    Verify(VerifyArgs),
    /// Write a synthetic CloudTrail trail with a manifest of exact counts.
    Synth(SynthArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish,
    /// powershell), built from the same definitions as --help.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), built from the same definitions as --help:
    /// `ctreplay man > ctreplay.1`.
    Man,
    /// List the named patterns (CIS controls by benchmark version, Security
    /// Hub controls) with their sources.
    Presets(PresetsArgs),
    /// Evaluate a pattern on sample events, like `aws logs
    /// test-metric-filter`, and print the matches in that API's JSON shape.
    TestPattern(TestPatternArgs),
}

/// Which pattern to evaluate: one of these, or the default preset.
#[derive(Debug, Clone, Default, Args)]
#[group(multiple = false)]
pub struct PatternArgs {
    /// A CloudWatch Logs filter pattern, e.g. '{ $.eventName = CreateSecurityGroup }'.
    #[arg(long, value_name = "PATTERN")]
    pub pattern: Option<String>,

    /// Read the pattern from a file (one trailing newline is ignored).
    #[arg(long, value_name = "FILE")]
    pub pattern_file: Option<PathBuf>,

    /// A named pattern (see `ctreplay presets`) [default: security-group-changes].
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
}

/// What to read and how: shared by `scan` and `audit`.
#[derive(Debug, Args)]
pub struct Input {
    /// Files, folders (walked for *.json.gz and *.json) or s3://bucket/prefix
    /// URLs to read; `audit --aws` or `--evidence` without one reads the
    /// discovered trail's bucket.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Only events at or after this time: RFC 3339, a date (midnight UTC), a
    /// zone-less time (UTC), epoch seconds, or a time before now (24h, 7d).
    #[arg(long, value_parser = crate::time::parse_cli, value_name = "TIME")]
    pub since: Option<chrono::DateTime<chrono::Utc>>,

    /// Only events before this time.
    #[arg(long, value_parser = crate::time::parse_cli, value_name = "TIME")]
    pub until: Option<chrono::DateTime<chrono::Utc>>,

    /// Only this account (repeatable). Prunes by key, then filters records
    /// by recipientAccountId.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,

    /// Only this region (repeatable). Prunes by key, then filters records by
    /// awsRegion.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,

    /// How long after its events an object may be delivered; objects whose
    /// key time is further outside --since/--until are not opened.
    #[arg(long, default_value_t = Span::seconds(DEFAULT_DELIVERY_SKEW_SECONDS), value_name = "DURATION")]
    pub delivery_skew: Span,

    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Read only shard i of N (0-based): objects are assigned by account,
    /// region and delivery day. `auto/N` takes i from
    /// AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX. Write
    /// `--format partial` and join the shards with `ctreplay merge`.
    #[arg(long, value_name = "i/N")]
    pub shard: Option<String>,

    /// No progress bar, notes or timing line on stderr (problems and
    /// warnings are still printed; the bar and the timing line are shown
    /// only on a terminal anyway).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Refuse objects that inflate to more than this (decompression bombs).
    #[arg(long, default_value_t = Size(DEFAULT_MAX_INFLATED), value_name = "SIZE")]
    pub max_inflated_size: Size,

    /// Refuse records larger than this (CloudTrail caps events at 256 KB).
    #[arg(long, default_value_t = Size(DEFAULT_MAX_RECORD), value_name = "SIZE")]
    pub max_record_size: Size,

    /// Memory the reported events may take before they spill, sorted, to
    /// temporary files in $TMPDIR (an estimate of what they hold; the
    /// output is the same either way).
    #[arg(long, default_value_t = Size(DEFAULT_MAX_MEMORY), value_name = "SIZE")]
    pub max_memory: Size,

    /// Decode and check every record, not only those that can match
    /// (slower; reports records without eventName or eventTime).
    #[arg(long)]
    pub validate: bool,

    /// Region of the bucket (default: from the AWS configuration chain).
    #[arg(
        long,
        value_name = "REGION",
        help_heading = "S3 (paths given as s3://bucket/prefix)"
    )]
    pub bucket_region: Option<String>,

    /// Named AWS profile, for S3 and every --aws call (default:
    /// AWS_PROFILE, then default).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "S3 (paths given as s3://bucket/prefix)"
    )]
    pub profile: Option<String>,

    /// Endpoint for every AWS service called (S3, and with --aws also
    /// CloudTrail, CloudWatch, CloudWatch Logs, SNS and STS), e.g. an
    /// S3-compatible server or moto at http://127.0.0.1:5000.
    #[arg(
        long,
        value_name = "URL",
        help_heading = "S3 (paths given as s3://bucket/prefix)"
    )]
    pub endpoint_url: Option<String>,

    /// List the objects from this S3 Inventory manifest.json (s3:// URL, or
    /// a local copy with its data/ folder) instead of listing the bucket;
    /// CSV and Parquet inventories.
    #[arg(
        long,
        value_name = "MANIFEST",
        help_heading = "S3 (paths given as s3://bucket/prefix)"
    )]
    pub manifest: Option<String>,

    /// With --manifest: also list the days since the inventory was taken.
    #[arg(
        long,
        requires = "manifest",
        help_heading = "S3 (paths given as s3://bucket/prefix)"
    )]
    pub manifest_delta: bool,

    /// Path-style addressing (endpoint/bucket/key), for most S3-compatible servers.
    #[arg(long, help_heading = "S3 (paths given as s3://bucket/prefix)")]
    pub path_style: bool,

    /// Anonymous requests, for public buckets.
    #[arg(long, help_heading = "S3 (paths given as s3://bucket/prefix)")]
    pub no_sign_request: bool,

    /// GetObject requests in flight (and listings in parallel).
    #[arg(
        long,
        default_value_t = DEFAULT_S3_CONCURRENCY,
        value_name = "N",
        help_heading = "S3 (paths given as s3://bucket/prefix)"
    )]
    pub s3_concurrency: usize,

    /// Attempts per S3 request; throttling and transient errors are retried
    /// with backoff.
    #[arg(
        long,
        default_value_t = DEFAULT_S3_MAX_ATTEMPTS,
        value_name = "N",
        help_heading = "S3 (paths given as s3://bucket/prefix)"
    )]
    pub s3_max_attempts: u32,
}

/// `ctreplay scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to read.
    #[command(flatten)]
    pub input: Input,

    /// The pattern to evaluate.
    #[command(flatten)]
    pub pattern: PatternArgs,

    /// Evaluate every filter of an `aws logs describe-metric-filters`
    /// export, each reported under its name.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["pattern", "pattern_file", "preset"])]
    pub metric_filters: Option<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', visible_alias = "output", value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
}

/// `ctreplay audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// What to read.
    #[command(flatten)]
    pub input: Input,

    /// `aws cloudwatch describe-alarms` export (needs --metric-filters).
    #[arg(long, value_name = "FILE", requires = "metric_filters")]
    pub alarms: Option<PathBuf>,

    /// `aws logs describe-metric-filters` export.
    #[arg(long, value_name = "FILE")]
    pub metric_filters: Option<PathBuf>,

    /// `aws cloudwatch describe-alarm-history` export (needs --alarms).
    #[arg(long, value_name = "FILE", requires = "alarms")]
    pub history: Option<PathBuf>,

    /// Read the deployed configuration from AWS with the standard
    /// credentials (env, profile, SSO, IMDS): the trail and its log group,
    /// the metric filters, the alarms, their history and SNS topics. The
    /// calls are read-only (README, Permissions).
    #[arg(long, conflicts_with_all = ["metric_filters", "alarms", "history", "evidence"], help_heading = "Deployed configuration from AWS")]
    pub aws: bool,

    /// With --aws: keep every response, in the AWS CLI's JSON shape, and a
    /// manifest with their SHA-256 in DIR (new or empty).
    #[arg(
        long,
        value_name = "DIR",
        requires = "aws",
        help_heading = "Deployed configuration from AWS"
    )]
    pub save_evidence: Option<PathBuf>,

    /// Replay offline from a bundle saved with --save-evidence: the same
    /// report as the run that saved it.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["metric_filters", "alarms", "history"], help_heading = "Deployed configuration from AWS")]
    pub evidence: Option<PathBuf>,

    /// With --aws or --evidence: follow this trail (name or ARN) rather
    /// than the one that best feeds a log group.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Deployed configuration from AWS"
    )]
    pub trail: Option<String>,

    /// Delay from eventTime to the datapoint (CloudTrail's delivery to
    /// CloudWatch Logs, about 5 minutes).
    #[arg(long, default_value_t = Span::seconds(DEFAULT_DELIVERY_DELAY_SECONDS), value_name = "DURATION")]
    pub delivery_delay: Span,

    /// Shortest delivery delay to consider: the replay also runs at each
    /// end of the interval, and a verdict that changes inside it is
    /// `uncertain`, never `missed`.
    #[arg(long, default_value_t = Span::seconds(DEFAULT_DELIVERY_DELAY_RANGE_SECONDS.0), value_name = "DURATION")]
    pub delivery_delay_min: Span,

    /// Longest delivery delay to consider.
    #[arg(long, default_value_t = Span::seconds(DEFAULT_DELIVERY_DELAY_RANGE_SECONDS.1), value_name = "DURATION")]
    pub delivery_delay_max: Span,

    /// How long after a change an actual ALARM transition still counts as
    /// the one the replay expects.
    #[arg(long, default_value_t = Span::seconds(DEFAULT_MATCH_WINDOW_SECONDS), value_name = "DURATION")]
    pub match_window: Span,

    /// Periods an alarm fetches per evaluation (default: 5, or more for
    /// long EvaluationPeriods; AWS does not publish it).
    #[arg(long, value_name = "N")]
    pub evaluation_range: Option<usize>,

    /// The CIS AWS Foundations Benchmark version judged against: cis-1.2,
    /// cis-1.3, cis-1.4, cis-1.5, cis-2.0, cis-3.0, cis-4.0, cis-5.0,
    /// cis-6.0. From cis-5.0 on the control requires
    /// ModifySecurityGroupRules too.
    #[arg(long, default_value = crate::cis::DEFAULT_BENCHMARK, value_name = "NAME")]
    pub benchmark: String,

    /// Output format.
    #[arg(long, short = 'f', visible_alias = "output", value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,

    /// Audit from the partials of shards (`audit --shard i/N --format
    /// partial`) instead of reading logs: every shard's, in any order.
    #[arg(long = "partial", value_name = "PARTIAL", num_args = 1.., conflicts_with_all = ["paths", "verify"], help_heading = "Sharding")]
    pub partials: Vec<PathBuf>,

    /// With --shard and --format partial: scan every pattern version the
    /// pipeline changes of this merged first-phase partial show (the second
    /// phase, when `audit --partial` asks for it).
    #[arg(long, value_name = "PARTIAL", help_heading = "Sharding")]
    pub patterns_from: Option<PathBuf>,

    /// Also check the logs against CloudTrail's signed digests (as `ctreplay
    /// verify`, in the same pass): the report says how much of what it
    /// judged is proven, and a tampered archive is a finding.
    #[arg(long, help_heading = "Integrity")]
    pub verify: bool,

    /// Keys, bucket, strictness for --verify.
    #[command(flatten)]
    pub integrity: IntegrityArgs,

    /// Print the fixes for the configuration gaps found, as code, instead
    /// of the report: with the real names of the exports or of --aws, and
    /// a marked parameter for each name ctreplay does not know.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub fix: Option<crate::remedy::FixFormat>,
}

/// What `verify` and `audit --verify` check signatures with.
#[derive(Debug, Clone, Default, Args)]
pub struct IntegrityArgs {
    /// `aws cloudtrail list-public-keys --start-time ... --end-time ...`
    /// output (repeatable: one file per region, or one merged). Without
    /// it, keys are fetched with ListPublicKeys when reading from S3.
    #[arg(long = "public-keys", value_name = "FILE", help_heading = "Integrity")]
    pub public_keys: Vec<PathBuf>,

    /// The bucket (and key prefix before AWSLogs/) a local copy was taken
    /// from, so locations are compared whole; without it they are compared
    /// from AWSLogs/ on.
    #[arg(long, value_name = "NAME[/PREFIX]", help_heading = "Integrity")]
    pub bucket: Option<String>,

    /// Objects proven only by an unsigned digest (the newest digest of a
    /// local copy, without its head-object output) fail too.
    #[arg(long, help_heading = "Integrity")]
    pub strict: bool,
}

/// `ctreplay verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// What to read.
    #[command(flatten)]
    pub input: Input,

    /// Keys, bucket, strictness.
    #[command(flatten)]
    pub integrity: IntegrityArgs,

    /// Output format.
    #[arg(long, short = 'f', visible_alias = "output", value_enum, default_value_t = crate::report::VerifyFormat::Text)]
    pub format: crate::report::VerifyFormat,
}

/// `ctreplay merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partial files (`scan --format partial`), in any order; merges of
    /// merges are fine.
    #[arg(value_name = "PARTIAL", required = true)]
    pub partials: Vec<PathBuf>,

    /// Output format (`partial` writes a merged partial, to merge again).
    #[arg(long, short = 'f', visible_alias = "output", value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,

    /// Write the report even when shards are missing (it then covers only
    /// the shards given, and says so).
    #[arg(long)]
    pub allow_missing: bool,
}

/// `ctreplay presets`.
#[derive(Debug, Args)]
pub struct PresetsArgs {
    /// Only presets whose name contains one of these (e.g. `4.10`, `cis-5.0`).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,

    /// Output format.
    #[arg(long, short = 'f', visible_alias = "output", value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// `ctreplay test-pattern`.
#[derive(Debug, Args)]
pub struct TestPatternArgs {
    /// The pattern to evaluate.
    #[command(flatten)]
    pub pattern: PatternArgs,

    /// Events: one JSON object per line, or a CloudTrail file
    /// (`{"Records":[...]}`, gzipped or not). `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `ctreplay synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Output folder (AWSLogs/ and manifest.json are written inside); new
    /// or empty, so that the manifest describes everything in it.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Write into a folder that is not empty: the AWSLogs/, manifest.json
    /// and public-keys.json a previous run wrote there are removed first.
    #[arg(long)]
    pub force: bool,

    /// Approximate inflated JSON size of the whole trail.
    #[arg(long, default_value_t = Size(crate::synth::DEFAULT_SIZE))]
    pub size: Size,

    /// Random seed; the same seed and size give the same trail.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Inflated size of the largest object (the rest are smaller).
    #[arg(long, default_value_t = Size(crate::synth::DEFAULT_LARGEST))]
    pub largest: Size,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
