//! One function per subcommand: resolve the arguments, run the library,
//! write the output, pick the exit code. The only place that uses anyhow.

use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use ctreplay::audit;
use ctreplay::cli::{
    AuditArgs, Cli, Command, Input, PatternArgs, PresetsArgs, ScanArgs, SynthArgs, TestPatternArgs,
};
use ctreplay::detect::{Detector, Filter};
use ctreplay::exports::{alarms, history, metric_filters};
use ctreplay::filter::presets;
use ctreplay::progress::Bar;
use ctreplay::report::{self, sanitize::sanitize, FilterInfo, Format, Query, View};
use ctreplay::scan::{self, ScanOptions, ScanReport};
use ctreplay::source::{local, s3, TimeWindow};
use ctreplay::synth;

/// Everything was read.
pub const EXIT_OK: u8 = 0;
/// Bad arguments: a bad time, a missing path.
pub const EXIT_USAGE: u8 = 1;
/// The scan finished but some objects (or parts of them) could not be read.
pub const EXIT_PARTIAL: u8 = 2;
/// The audit found gaps (it takes precedence over [`EXIT_PARTIAL`]).
pub const EXIT_GAPS: u8 = 3;

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Audit(args) => run_audit(args),
        Command::Synth(args) => run_synth(args),
        Command::Presets(args) => run_presets(args),
        Command::TestPattern(args) => run_test_pattern(args),
    }
}

/// The filter named by `--pattern`, `--pattern-file` or `--preset`, or the
/// default preset.
fn pattern_filter(args: &PatternArgs) -> Result<Filter> {
    if let Some(p) = &args.pattern {
        return Filter::new("pattern", p).context("--pattern");
    }
    if let Some(file) = &args.pattern_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading the pattern file {}", file.display()))?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        return Filter::new("pattern", text).with_context(|| format!("{}", file.display()));
    }
    let name = args.preset.as_deref().unwrap_or(presets::DEFAULT);
    let Some(p) = presets::find(name) else {
        bail!("unknown preset {name:?}; `ctreplay presets` lists them");
    };
    Ok(Filter::new(&p.name, p.pattern).expect("presets parse"))
}

/// Every filter of a describe-metric-filters export, under its name (with
/// the log group when two share a name).
fn export_filters(file: &std::path::Path) -> Result<Vec<Filter>> {
    let exported = metric_filters::read(file)?;
    if exported.is_empty() {
        bail!("{}: the export holds no metric filters", file.display());
    }
    let mut out = Vec::new();
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
        let filter = Filter::new(&name, &f.filter_pattern)
            .with_context(|| format!("{}: metric filter {:?}", file.display(), f.filter_name))?;
        out.push(filter);
    }
    Ok(out)
}

fn describe(filters: &[Filter]) -> Vec<FilterInfo> {
    filters
        .iter()
        .map(|f| FilterInfo {
            name: f.name.clone(),
            pattern: f.pattern.text().to_owned(),
            notes: f.pattern.notes().to_vec(),
        })
        .collect()
}

/// Check the shared options and turn them into scan options.
fn scan_options(input: &Input) -> Result<ScanOptions> {
    if let (Some(s), Some(u)) = (input.since, input.until) {
        if s >= u {
            bail!("--since must be before --until");
        }
    }
    if input.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let defaults = ScanOptions::default();
    Ok(ScanOptions {
        window: TimeWindow {
            since: input.since,
            until: input.until,
            skew: input.delivery_skew,
        },
        accounts: input.accounts.clone(),
        regions: input.regions.clone(),
        max_inflated: input.max_inflated_size,
        max_record: usize::try_from(input.max_record_size).unwrap_or(usize::MAX),
        validate: input.validate,
        threads: input.threads.unwrap_or(defaults.threads),
    })
}

/// Where the input paths point.
enum Where {
    Local(Vec<std::path::PathBuf>),
    S3(Vec<s3::S3Url>),
}

fn locate(input: &Input) -> Result<Where> {
    let mut urls = Vec::new();
    for p in &input.paths {
        if let Some(u) = p.to_str().and_then(s3::S3Url::parse) {
            urls.push(u.map_err(anyhow::Error::msg)?);
        }
    }
    match urls.len() {
        0 => Ok(Where::Local(input.paths.clone())),
        n if n == input.paths.len() => Ok(Where::S3(urls)),
        _ => bail!("S3 URLs and local paths cannot be mixed in one scan"),
    }
}

fn s3_options(input: &Input) -> s3::S3Options {
    s3::S3Options {
        region: input.bucket_region.clone(),
        profile: input.profile.clone(),
        endpoint_url: input.endpoint_url.clone(),
        path_style: input.path_style,
        no_sign: input.no_sign_request,
        concurrency: input.s3_concurrency.max(1),
        max_attempts: input.s3_max_attempts.max(1),
        ..s3::S3Options::default()
    }
}

/// Scan the input with a progress bar; print the problems and the timing
/// line. S3 problems that end the scan are errors.
fn scan_input(input: &Input, detector: &Detector, opts: &ScanOptions) -> Result<ScanReport> {
    let quiet = input.quiet;
    let started = Instant::now();
    let result = match locate(input)? {
        Where::Local(paths) => {
            let listing = local::list(&paths)?;
            let stored: u64 = listing.objects.iter().map(|o| o.size).sum();
            let bar = Bar::new(listing.objects.len() as u64, stored, quiet);
            let r = scan::scan(&listing, detector, opts, &bar);
            bar.finish();
            r
        }
        Where::S3(urls) => {
            let bar = Bar::spinner(quiet);
            let r = s3::scan(&urls, &s3_options(input), detector, opts, &bar);
            bar.finish();
            r?
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let t = &result.totals;
    for e in &t.errors {
        eprintln!("ctreplay: {}: {}", sanitize(&e.object), sanitize(&e.reason));
    }
    if !quiet {
        let requests = result.requests.map_or(String::new(), |q| {
            format!("; {} LIST and {} GET requests", q.list_calls, q.get_calls)
        });
        eprintln!(
            "ctreplay: {} records in {} objects, {:.1} MB of JSON in {:.2} s ({:.0} MB/s){requests}",
            t.records_scanned,
            t.objects_scanned + t.objects_failed,
            t.bytes_inflated as f64 / 1e6,
            elapsed,
            t.bytes_inflated as f64 / 1e6 / elapsed.max(1e-9)
        );
    }
    Ok(result)
}

/// The exit code for a scan that finished: 2 when something was unreadable.
fn partial_code(result: &ScanReport) -> u8 {
    let t = &result.totals;
    if t.errors.is_empty() {
        EXIT_OK
    } else {
        eprintln!(
            "ctreplay: {} problem(s) in {} object(s); the records that could be read are included",
            t.errors.len(),
            t.objects_failed
        );
        EXIT_PARTIAL
    }
}

fn print_notes(detector: &Detector, quiet: bool) {
    if quiet {
        return;
    }
    for f in detector.filters() {
        for n in f.pattern.notes() {
            eprintln!(
                "ctreplay: note: filter {}: {}",
                sanitize(&f.name),
                sanitize(n)
            );
        }
    }
}

fn run_scan(args: ScanArgs) -> Result<u8> {
    let opts = scan_options(&args.input)?;
    let filters = match &args.metric_filters {
        Some(file) => export_filters(file)?,
        None => vec![pattern_filter(&args.pattern)?],
    };
    let detector = Detector::new(filters);
    print_notes(&detector, args.input.quiet);
    let result = scan_input(&args.input, &detector, &opts)?;

    let query = Query {
        filters: describe(detector.filters()),
        names: detector.names().to_vec(),
        since: args.input.since,
        until: args.input.until,
    };
    let view = View::new(&query, &result);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    report::write(args.format, &view, &mut out).context("writing the report")?;
    out.flush().context("writing the report")?;
    Ok(partial_code(&result))
}

fn run_audit(args: AuditArgs) -> Result<u8> {
    let opts = scan_options(&args.input)?;
    if !matches!(args.format, Format::Text | Format::Json) {
        bail!("the audit report is text or json");
    }
    let inputs = match (&args.metric_filters, &args.alarms) {
        (None, None) => audit::Inputs::recommended(),
        (Some(f), a) => audit::Inputs {
            filters: metric_filters::read(f)?,
            alarms: match a {
                Some(a) => alarms::read(a)?,
                None => vec![],
            },
            history: None,
            defaulted: false,
        },
        (None, Some(_)) => {
            bail!("--alarms needs --metric-filters: the filters say which metric an alarm watches")
        }
    };
    let history = match &args.history {
        Some(h) => {
            let items = history::read(h)?;
            let mut unknown: Vec<&str> = items
                .iter()
                .map(|i| i.alarm.as_str())
                .filter(|n| !inputs.alarms.iter().any(|a| a.alarm_name == *n))
                .collect();
            unknown.sort_unstable();
            unknown.dedup();
            for n in unknown {
                eprintln!(
                    "ctreplay: {}: AlarmHistoryItems name alarm {:?}, which {} does not hold; its items are not judged",
                    h.display(),
                    sanitize(n),
                    args.alarms.as_deref().map_or("the alarms export".into(), |a| a.display().to_string())
                );
            }
            Some(items)
        }
        None => None,
    };
    let inputs = audit::Inputs { history, ..inputs };
    let assumptions = audit::Assumptions {
        delivery_delay_seconds: args.delivery_delay.num_seconds(),
        match_window_seconds: args.match_window.num_seconds(),
        evaluation_range_periods: args.evaluation_range,
    };
    let quiet = args.input.quiet;

    // Pass 1: the exported patterns and the pipeline changes.
    let first = audit::model::build(&inputs.filters, &inputs.alarms, &[], inputs.defaulted);
    let filters = audit::scan_filters(&first).context("an exported metric filter")?;
    let names: Vec<String> = filters.iter().map(|f| f.name.clone()).collect();
    let detector = Detector::for_audit(filters);
    print_notes(&detector, quiet);
    let mut result = scan_input(&args.input, &detector, &opts)?;
    let changes = audit::timeline::changes(&result.totals.pipeline);
    let model = audit::model::build(&inputs.filters, &inputs.alarms, &changes, inputs.defaulted);
    // Pass 2, only when CloudTrail shows patterns the exports do not have.
    let all =
        audit::scan_filters(&model).context("a metric filter pattern recorded by CloudTrail")?;
    if all.iter().any(|f| !names.contains(&f.name)) {
        if !quiet {
            eprintln!("ctreplay: CloudTrail shows earlier filter patterns; scanning again with every version");
        }
        result = scan_input(&args.input, &Detector::for_audit(all), &opts)?;
    }
    let times = result
        .totals
        .events
        .iter()
        .chain(&result.totals.blind_spots)
        .chain(&result.totals.pipeline)
        .map(|e| e.time);
    let span = match (args.input.since, args.input.until) {
        (Some(s), Some(u)) => Some((s, u)),
        _ => {
            let (lo, hi) = times.fold(
                (None, None),
                |(lo, hi): (
                    Option<chrono::DateTime<chrono::Utc>>,
                    Option<chrono::DateTime<chrono::Utc>>,
                ),
                 t| {
                    (
                        Some(lo.map_or(t, |l| l.min(t))),
                        Some(hi.map_or(t, |h| h.max(t))),
                    )
                },
            );
            lo.zip(hi)
                .map(|(l, h)| (args.input.since.unwrap_or(l), args.input.until.unwrap_or(h)))
        }
    };
    let result_audit = audit::assemble(&inputs, &model, &result, changes, &assumptions, span);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match args.format {
        Format::Json => audit::report::write_json(&result_audit, &result.totals.errors, &mut out),
        _ => audit::report::write_text(&result_audit, &result.totals.errors, &mut out),
    }
    .context("writing the report")?;
    out.flush().context("writing the report")?;
    let partial = partial_code(&result);
    Ok(if result_audit.summary.gaps > 0 {
        EXIT_GAPS
    } else {
        partial
    })
}

fn run_presets(args: PresetsArgs) -> Result<u8> {
    let chosen: Vec<presets::Preset> = presets::all()
        .into_iter()
        .filter(|p| args.names.is_empty() || args.names.iter().any(|n| p.name.contains(n.as_str())))
        .collect();
    if chosen.is_empty() {
        bail!("no preset name contains {}", args.names.join(" or "));
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        Format::Text => {
            for p in &chosen {
                writeln!(
                    out,
                    "{}  {}\n    source: {}\n    pattern: {}\n",
                    p.name, p.title, p.source, p.pattern
                )?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &chosen)?;
            writeln!(out)?;
        }
        Format::Ndjson => {
            for p in &chosen {
                serde_json::to_writer(&mut out, p)?;
                writeln!(out)?;
            }
        }
        Format::Csv => bail!("presets are listed as text, json or ndjson"),
    }
    out.flush()?;
    Ok(EXIT_OK)
}

fn run_test_pattern(args: TestPatternArgs) -> Result<u8> {
    let filter = pattern_filter(&args.pattern)?;
    for n in filter.pattern.notes() {
        eprintln!("ctreplay: note: {}", sanitize(n));
    }
    let limit = ctreplay::scan::ScanOptions::default().max_inflated;
    let events = match args.file.as_deref() {
        None => ctreplay::testpattern::read_events(std::io::stdin().lock(), "-", limit)
            .context("reading events from stdin")?,
        Some(p) if p.as_os_str() == "-" => {
            ctreplay::testpattern::read_events(std::io::stdin().lock(), "-", limit)
                .context("reading events from stdin")?
        }
        Some(p) => {
            let f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
            ctreplay::testpattern::read_events(f, &p.to_string_lossy(), limit)
                .with_context(|| format!("reading {}", p.display()))?
        }
    };
    let result = ctreplay::testpattern::test(&filter.pattern, &events);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    serde_json::to_writer_pretty(&mut out, &result)?;
    writeln!(out)?;
    out.flush()?;
    Ok(EXIT_OK)
}

fn run_synth(args: SynthArgs) -> Result<u8> {
    let manifest = synth::write_trail(
        &args.out,
        &synth::SynthOptions {
            size: args.size,
            seed: args.seed,
            largest: args.largest,
        },
    )
    .with_context(|| format!("writing the synthetic trail to {}", args.out.display()))?;
    eprintln!(
        "ctreplay: wrote {} objects, {} records, {:.1} MB of JSON ({:.1} MB stored) to {}",
        manifest.objects,
        manifest.records,
        manifest.bytes_inflated as f64 / 1e6,
        manifest.bytes_stored as f64 / 1e6,
        args.out.display()
    );
    Ok(EXIT_OK)
}
