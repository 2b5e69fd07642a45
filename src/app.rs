//! One function per subcommand: resolve the arguments, run the library,
//! write the output, pick the exit code. The only place that uses anyhow.

use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use ctreplay::cli::{Cli, Command, PatternArgs, PresetsArgs, ScanArgs, SynthArgs, TestPatternArgs};
use ctreplay::detect::{Detector, Filter};
use ctreplay::exports::metric_filters;
use ctreplay::filter::presets;
use ctreplay::progress::Bar;
use ctreplay::report::{self, sanitize::sanitize, FilterInfo, Format, Query, View};
use ctreplay::scan::{self, ScanOptions};
use ctreplay::source::{local, TimeWindow};
use ctreplay::synth;

/// Everything was read.
pub const EXIT_OK: u8 = 0;
/// Bad arguments: a bad time, a missing path.
pub const EXIT_USAGE: u8 = 1;
/// The scan finished but some objects (or parts of them) could not be read.
pub const EXIT_PARTIAL: u8 = 2;

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => run_scan(args),
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

fn run_scan(args: ScanArgs) -> Result<u8> {
    if let (Some(s), Some(u)) = (args.since, args.until) {
        if s >= u {
            bail!("--since must be before --until");
        }
    }
    if args.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let filters = match &args.metric_filters {
        Some(file) => export_filters(file)?,
        None => vec![pattern_filter(&args.pattern)?],
    };
    let listing = local::list(&args.paths)?;
    let defaults = ScanOptions::default();
    let opts = ScanOptions {
        window: TimeWindow {
            since: args.since,
            until: args.until,
            skew: args.delivery_skew,
        },
        accounts: args.accounts,
        regions: args.regions,
        max_inflated: args.max_inflated_size,
        max_record: usize::try_from(args.max_record_size).unwrap_or(usize::MAX),
        validate: args.validate,
        threads: args.threads.unwrap_or(defaults.threads),
    };
    let detector = Detector::new(filters);
    if !args.quiet {
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
    let stored: u64 = listing.objects.iter().map(|o| o.size).sum();
    let bar = Bar::new(listing.objects.len() as u64, stored, args.quiet);
    let started = Instant::now();
    let result = scan::scan(&listing, &detector, &opts, &bar);
    bar.finish();
    let elapsed = started.elapsed().as_secs_f64();

    let query = Query {
        filters: describe(detector.filters()),
        names: detector.names().to_vec(),
        since: args.since,
        until: args.until,
    };
    let view = View::new(&query, &result);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    report::write(args.format, &view, &mut out).context("writing the report")?;
    out.flush().context("writing the report")?;

    let t = &result.totals;
    for e in &t.errors {
        eprintln!("ctreplay: {}: {}", sanitize(&e.object), sanitize(&e.reason));
    }
    if !args.quiet {
        eprintln!(
            "ctreplay: {} records in {} objects, {:.1} MB of JSON in {:.2} s ({:.0} MB/s)",
            t.records_scanned,
            t.objects_scanned + t.objects_failed,
            t.bytes_inflated as f64 / 1e6,
            elapsed,
            t.bytes_inflated as f64 / 1e6 / elapsed.max(1e-9)
        );
    }
    if t.errors.is_empty() {
        Ok(EXIT_OK)
    } else {
        eprintln!(
            "ctreplay: {} problem(s) in {} object(s); the records that could be read are included",
            t.errors.len(),
            t.objects_failed
        );
        Ok(EXIT_PARTIAL)
    }
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
