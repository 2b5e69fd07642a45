//! One function per subcommand: resolve the arguments, run the library,
//! write the output, pick the exit code. The only place that uses anyhow.

use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use ctreplay::cli::{Cli, Command, ScanArgs, SynthArgs};
use ctreplay::detect::Detector;
use ctreplay::progress::Bar;
use ctreplay::report::{self, sanitize::sanitize, Query, View};
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
    }
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
    let detector = Detector::security_group_changes();
    let stored: u64 = listing.objects.iter().map(|o| o.size).sum();
    let bar = Bar::new(listing.objects.len() as u64, stored, args.quiet);
    let started = Instant::now();
    let result = scan::scan(&listing, &detector, &opts, &bar);
    bar.finish();
    let elapsed = started.elapsed().as_secs_f64();

    let query = Query {
        pattern: detector.pattern().to_owned(),
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
