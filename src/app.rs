//! One function per subcommand: build the library's options from the
//! arguments ([`ctreplay::cli::config`]), run the library, write the output
//! ([`ctreplay::report`]), pick the exit code. The only place that uses
//! anyhow, and the only place that prints to stderr.

use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use ctreplay::audit;
use ctreplay::aws::{self, bundle::Bundle};
use ctreplay::cli::config;
use ctreplay::cli::exit::Exit;
use ctreplay::cli::{
    AuditArgs, Cli, Command, MergeArgs, PresetsArgs, ScanArgs, SynthArgs, TestPatternArgs,
    VerifyArgs,
};
use ctreplay::filter::{presets, Filter};
use ctreplay::integrity;
use ctreplay::progress::Bar;
use ctreplay::report::terminal::{Look, Wrap};
use ctreplay::report::{self, sanitize::sanitize, FilterInfo, Query, View};
use ctreplay::scan::{self, Detector, ScanOptions, ScanReport};
use ctreplay::scope::Scope;
use ctreplay::shard::partial::{self, Partial, PartialFilter, PartialQuery};
use ctreplay::shard::Shard;
use ctreplay::synth;
use ctreplay::testpattern;

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<Exit> {
    let look = cli.look();
    match cli.command {
        Command::Scan(args) => run_scan(args, look),
        Command::Audit(args) => run_audit(*args, look),
        Command::Verify(args) => run_verify(args, look),
        Command::Merge(args) => run_merge(args, look),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            with_stdout(|out| {
                clap_complete::generate(shell, &mut cmd, "ctreplay", out);
                Ok(())
            })?;
            Ok(Exit::Clean)
        }
        Command::Man => {
            use clap::CommandFactory;
            let man = clap_mangen::Man::new(Cli::command());
            with_stdout(|out| man.render(out))?;
            Ok(Exit::Clean)
        }
        Command::Synth(args) => run_synth(args),
        Command::Presets(args) => run_presets(args, look),
        Command::TestPattern(args) => run_test_pattern(args),
    }
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

fn print_notes(filters: &[Filter], quiet: bool) {
    if quiet {
        return;
    }
    for f in filters {
        for n in f.pattern.notes() {
            eprintln!(
                "ctreplay: note: filter {}: {}",
                sanitize(&f.name),
                sanitize(n)
            );
        }
    }
}

/// Print the problems and the timing line; 2 when something was
/// unreadable. The problems go to stderr once: not when a text report on
/// the terminal lists them itself (`shown`). The timing line is for a
/// person watching: only on a terminal, and not with --quiet.
fn report_reading(result: &ScanReport, started: Instant, quiet: bool, text: bool) -> Exit {
    use std::io::IsTerminal;
    let shown = text && std::io::stdout().is_terminal();
    let elapsed = started.elapsed().as_secs_f64();
    let t = &result.totals;
    if !quiet {
        for n in &result.notes {
            eprintln!("ctreplay: note: {}", sanitize(n));
        }
    }
    if !shown {
        for e in &t.errors {
            eprintln!("ctreplay: {}: {}", sanitize(&e.object), sanitize(&e.reason));
        }
    }
    let timing = !quiet && std::io::stderr().is_terminal();
    if timing {
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
    let spilled = result.events.spilled() || result.blind_spots.spilled();
    if spilled && !quiet {
        eprintln!(
            "ctreplay: {} events were held past --max-memory and merged from temporary files",
            result.events.len() + result.blind_spots.len()
        );
    }
    if t.errors.is_empty() {
        Exit::Clean
    } else {
        eprintln!(
            "ctreplay: {} problem(s) in {} object(s); the records that could be read are included",
            t.errors.len(),
            t.objects_failed
        );
        Exit::Partial
    }
}

/// A scan with the progress bar on stderr (unless quiet).
fn scan_shown(
    source: &dyn ctreplay::source::Source,
    sel: &ctreplay::source::Selection,
    detector: &Detector,
    opts: &ScanOptions,
    quiet: bool,
) -> Result<ScanReport> {
    let bar = Bar::new(quiet);
    let result = scan::run(source, sel, detector, opts, &bar);
    bar.finish();
    Ok(result?)
}

/// Write to stdout through one buffer.
fn with_stdout(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    f(&mut out).context("writing the report")?;
    out.flush().context("writing the report")
}

/// The look of a report: the terminal's for text, plain for the machine
/// formats (never coloured, never fitted).
fn text_look(text: bool, look: Look) -> Look {
    if text {
        look
    } else {
        Look::PLAIN
    }
}

/// Write a text report to stdout: word-wrapped at the terminal's width
/// when the look has one.
fn with_text_stdout(
    look: Look,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let Some(width) = look.width() else {
        return with_stdout(f);
    };
    let stdout = std::io::stdout();
    let mut out = Wrap::new(BufWriter::with_capacity(1 << 16, stdout.lock()), width);
    f(&mut out).context("writing the report")?;
    out.into_inner()
        .and_then(|mut b| b.flush())
        .context("writing the report")
}

fn run_scan(args: ScanArgs, look: Look) -> Result<Exit> {
    let input = &args.input;
    let sel = config::selection(input)?;
    let opts = config::scan_options(input)?;
    let filters = match &args.metric_filters {
        Some(file) => {
            let (filters, skipped) = config::export_filters(file)?;
            for s in skipped {
                eprintln!("ctreplay: warning: {}", sanitize(&s));
            }
            filters
        }
        None => vec![config::pattern_filter(&args.pattern)?],
    };
    let source = config::source(input)?;
    let detector = Detector::new(filters);
    print_notes(detector.filters(), input.quiet);
    let started = Instant::now();
    let result = scan_shown(source.as_ref(), &sel, &detector, &opts, input.quiet)?;
    let exit = report_reading(
        &result,
        started,
        input.quiet,
        args.format == report::ScanFormat::Text,
    );
    if sel.shard.is_some() && args.format != report::ScanFormat::Partial {
        eprintln!("ctreplay: warning: this report covers shard {} only; write --format partial and join the shards with `ctreplay merge`", sel.shard.map_or(String::new(), |s| s.to_string()));
    }
    if args.format == report::ScanFormat::Partial {
        let query = partial_query("scan", input, &source.describe(), detector.filters());
        let shard = sel.shard.unwrap_or(Shard { index: 0, count: 1 });
        let p = Partial::of(&result, query, shard).context("reading back spilled events")?;
        with_stdout(|out| p.write(out))?;
        return Ok(exit);
    }
    let query = Query {
        filters: describe(detector.filters()),
        names: detector.names().to_vec(),
        since: input.since,
        until: input.until,
    };
    let scope = Scope::of(source.describe(), &sel, &result)?;
    let look = text_look(args.format == report::ScanFormat::Text, look);
    let view = View::new(&query, &scope, &result)?.with_look(look);
    with_text_stdout(look, |out| report::write_scan(args.format, &view, out))?;
    Ok(exit)
}

fn run_audit(args: AuditArgs, look: Look) -> Result<Exit> {
    let input = &args.input;
    let mut sel = config::selection(input)?;
    let mut opts = config::scan_options(input)?;
    let i = &args.integrity;
    if !args.verify && (!i.public_keys.is_empty() || i.bucket.is_some() || i.strict) {
        bail!("--public-keys, --bucket and --strict are for --verify");
    }
    // The keys files are read before any log, so a bad one fails first.
    let given_keys = if args.verify {
        integrity::prepare(&mut opts, &mut sel);
        Some(config::public_keys(&i.public_keys)?)
    } else {
        None
    };
    let partial_out = args.format == report::AuditFormat::Partial;
    if sel.shard.is_some() != partial_out && args.partials.is_empty() {
        bail!("--shard and --format partial go together: a shard's audit is only meaningful once merged (`ctreplay audit --partial ...`)");
    }
    if partial_out && (args.verify || args.fix.is_some()) {
        bail!("--verify and --fix apply to the whole audit, not to a shard's partial");
    }
    if args.patterns_from.is_some() && !partial_out {
        bail!("--patterns-from is for the shards' second phase (--shard i/N --format partial)");
    }
    let assumptions = config::assumptions(&args)?;
    let aws_opts = config::aws_options(&args, &assumptions)?;
    let (inputs, paths, bucket_region) = if args.aws || args.evidence.is_some() {
        let bundle = match &args.evidence {
            Some(dir) => Bundle::read(dir).context("reading the evidence bundle")?,
            None => {
                if let Some(dir) = &args.save_evidence {
                    aws::bundle::ensure_empty(dir).context("--save-evidence")?;
                }
                if !input.quiet {
                    eprintln!("ctreplay: reading the deployed configuration from AWS");
                }
                let b = aws::calls::collect(&aws_opts, chrono::Utc::now())
                    .context("starting the AWS client")?;
                if let Some(dir) = &args.save_evidence {
                    b.write(dir).context("saving the evidence")?;
                }
                b
            }
        };
        let deployed =
            aws::deployed::read(&bundle, args.trail.as_deref()).context("reading the evidence")?;
        if let (Some(want), None) = (&args.trail, &deployed.trail) {
            let listed: Vec<&str> = deployed.trails.iter().map(|t| t.arn.as_str()).collect();
            bail!(
                "--trail {}: no such trail; the account lists {}",
                sanitize(want),
                if listed.is_empty() {
                    "none".to_owned()
                } else {
                    sanitize(&listed.join(", ")).into_owned()
                }
            );
        }
        for why in &deployed.unreadable {
            eprintln!("ctreplay: {}", sanitize(why));
        }
        let trail = deployed.trail.clone();
        let inputs = audit::deployment::inputs(&bundle, deployed, config::benchmark(&args)?);
        let mut paths = input.paths.clone();
        if paths.is_empty() {
            let Some(url) = trail.as_ref().and_then(config::trail_url) else {
                bail!("no PATH given and no trail with an S3 bucket was found to read: name the logs' folder or s3:// URL");
            };
            if !input.quiet {
                eprintln!(
                    "ctreplay: reading trail {}'s logs at {}",
                    sanitize(&trail.as_ref().map_or(String::new(), |t| t.name.clone())),
                    sanitize(&url.display().to_string())
                );
            }
            paths.push(url);
        }
        (inputs, paths, trail.map(|t| t.home_region))
    } else {
        let (inputs, not_exported) = config::audit_inputs(&args)?;
        if let Some(h) = &args.history {
            for n in not_exported {
                eprintln!(
                    "ctreplay: {}: AlarmHistoryItems name alarm {:?}, which {} does not hold; its items are not judged",
                    h.display(),
                    sanitize(&n),
                    args.alarms
                        .as_deref()
                        .map_or("the alarms export".into(), |a| a.display().to_string())
                );
            }
        }
        (inputs, input.paths.clone(), None)
    };
    let quiet = input.quiet;
    let started = Instant::now();
    let run = if !args.partials.is_empty() {
        if args.format == report::AuditFormat::Partial {
            bail!("--partial with --format partial: join partials with `ctreplay merge --format partial`");
        }
        audit_from_partials(&args.partials, &inputs, &assumptions)?
    } else {
        let source = config::source_of(input, &paths, bucket_region.as_deref())?;
        if args.format == report::AuditFormat::Partial {
            return audit_shard(&args, &inputs, source.as_ref(), &sel, &opts, started);
        }
        let bar = Bar::new(quiet);
        let result = audit::run(source.as_ref(), &sel, &opts, &inputs, &assumptions, &bar);
        bar.finish();
        let mut run = result?;
        if let Some(given) = given_keys {
            let remote = source.describe().iter().any(|d| d.starts_with("s3://"));
            let locator = config::locator(i, remote)?;
            let (keys, _) = keys_for(input, given, remote, &run.scan.digests)?;
            let report = integrity::judge(
                source.as_ref(),
                &run.scan,
                &sel,
                &integrity::Judging {
                    keys: &keys,
                    locator,
                    strict: i.strict,
                },
            );
            if report.digests.is_empty() && !quiet {
                eprintln!("ctreplay: --verify: no digest files were found among the logs read: nothing is proven");
            }
            audit::integrity::apply(&mut run.audit, &report);
        }
        run
    };
    print_notes(run.plan.filters(), quiet);
    if run.rescanned && !quiet {
        eprintln!(
            "ctreplay: CloudTrail shows earlier filter patterns; scanned again with every version"
        );
    }
    let reading = report_reading(
        &run.scan,
        started,
        quiet,
        args.format == report::AuditFormat::Text && args.fix.is_none(),
    );
    let errors = &run.scan.totals.errors;
    if let Some(format) = args.fix {
        let plan = ctreplay::remedy::plan(&run.audit, &inputs);
        with_stdout(|out| ctreplay::remedy::write(&plan, format, out))?;
    } else {
        let look = text_look(args.format == report::AuditFormat::Text, look);
        with_text_stdout(look, |out| match args.format {
            report::AuditFormat::Json => report::audit::write_json(&run.audit, errors, out),
            report::AuditFormat::Text => report::audit::write_text(&run.audit, errors, look, out),
            report::AuditFormat::Html => report::html::write_audit(&run.audit, errors, out),
            report::AuditFormat::Ndjson => report::audit::write_ndjson(&run.audit, out),
            report::AuditFormat::Csv => report::audit::write_csv(&run.audit, out),
            report::AuditFormat::Ocsf => report::ocsf::write(&run.audit, out),
            report::AuditFormat::Asff => report::asff::write(&run.audit, out),
            report::AuditFormat::Partial => Err(std::io::Error::other(
                "a partial is written by the shard's scan",
            )),
        })?;
    }
    let verdict = match run.audit.verdict {
        audit::Verdict::Gaps => Exit::Findings,
        audit::Verdict::Inconclusive => Exit::Inconclusive,
        audit::Verdict::Covered => Exit::Clean,
    };
    Ok(verdict.max(reading))
}

/// Every option of a scan that changes its answer, for its partial.
fn partial_query(
    command: &str,
    input: &ctreplay::cli::Input,
    inputs: &[String],
    filters: &[Filter],
) -> PartialQuery {
    PartialQuery {
        command: command.into(),
        inputs: inputs.to_vec(),
        filters: filters.iter().map(PartialFilter::of).collect(),
        since: input.since.map(|t| ctreplay::event::format_time(&t)),
        until: input.until.map(|t| ctreplay::event::format_time(&t)),
        accounts: input.accounts.clone(),
        regions: input.regions.clone(),
        delivery_skew_seconds: input.delivery_skew.0.num_seconds(),
        max_inflated: input.max_inflated_size.0,
        max_record: input.max_record_size.0,
        validate: input.validate,
    }
}

/// One shard of an audit (`--shard i/N --format partial`): the scan the
/// audit would make, of the exports' patterns, or with --patterns-from of
/// every version a merged first phase's pipeline changes show.
fn audit_shard(
    args: &AuditArgs,
    inputs: &audit::Inputs,
    source: &dyn ctreplay::source::Source,
    sel: &ctreplay::source::Selection,
    opts: &ScanOptions,
    started: Instant,
) -> Result<Exit> {
    let plan = match &args.patterns_from {
        Some(f) => {
            let mut first = read_partials(std::slice::from_ref(f))?;
            if first.query.command != "audit" {
                bail!(
                    "--patterns-from {}: not the partial of an audit",
                    f.display()
                );
            }
            check_complete(&first, false)?;
            let report = partial::into_report(&mut first)?;
            audit::Plans::of(inputs, &report.pipeline).plan
        }
        None => audit::first_plan(inputs),
    };
    let detector = Detector::for_audit(plan.filters().to_vec());
    let result = scan_shown(source, sel, &detector, opts, args.input.quiet)?;
    let exit = report_reading(&result, started, args.input.quiet, false);
    let query = partial_query("audit", &args.input, &source.describe(), plan.filters());
    let shard = sel.shard.unwrap_or(Shard { index: 0, count: 1 });
    let p = Partial::of(&result, query, shard).context("reading back spilled events")?;
    with_stdout(|out| p.write(out))?;
    Ok(exit)
}

/// The audit of every shard's partial, as one run would give it. The
/// shards must have scanned the patterns the merged pipeline changes call
/// for: when CloudTrail shows versions the exports lack, that is a second
/// phase (`--patterns-from`).
fn audit_from_partials(
    paths: &[std::path::PathBuf],
    inputs: &audit::Inputs,
    a: &audit::Assumptions,
) -> Result<audit::AuditRun> {
    let mut merged = read_partials(paths)?;
    if merged.query.command != "audit" {
        bail!(
            "these are partials of `{}`: an audit needs `audit --shard i/N --format partial`",
            merged.query.command
        );
    }
    check_complete(&merged, false)?;
    let sel = partial_selection(&merged.query)?;
    let scanned = merged.query.filters.clone();
    let inputs_shown = merged.query.inputs.clone();
    let report = partial::into_report(&mut merged)?;
    let full = audit::Plans::of(inputs, &report.pipeline);
    let first = audit::first_plan(inputs);
    let same = |p: &audit::plan::ScanPlan| {
        p.filters()
            .iter()
            .map(PartialFilter::of)
            .collect::<Vec<_>>()
            == scanned
    };
    let (plan, rescanned) = if same(&full.plan) {
        (full.plan.clone(), !first.covers(&full.plan))
    } else if same(&first) && first.covers(&full.plan) {
        (first, false)
    } else if same(&first) {
        bail!(
            "CloudTrail's pipeline changes in these partials show filter patterns the exports lack: run the shards again with `--patterns-from MERGED` (MERGED: these partials joined with `ctreplay merge --format partial`), then audit those partials"
        );
    } else {
        bail!("the shards scanned other filter patterns than these exports give: were they run with other --metric-filters or --alarms?");
    };
    Ok(audit::judge(
        inputs_shown,
        &sel,
        inputs,
        a,
        report,
        plan,
        full,
        rescanned,
    )?)
}

/// Read and merge partial files.
fn read_partials(paths: &[std::path::PathBuf]) -> Result<Partial> {
    let mut parts = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let f = std::fs::File::open(path).with_context(|| format!("opening {name}"))?;
        parts.push((
            name.clone(),
            Partial::read(&name, std::io::BufReader::new(f))?,
        ));
    }
    Ok(partial::merge(parts)?)
}

/// Refuse (or, with `allow`, warn about) an incomplete set of shards.
fn check_complete(merged: &Partial, allow: bool) -> Result<()> {
    let missing = merged.missing();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if !allow {
        bail!(
            "shards {list} of {} are missing: the report would cover part of the archive (give every shard's partial, or --allow-missing)",
            merged.count()
        );
    }
    eprintln!(
        "ctreplay: warning: shards {list} of {} are missing: this report covers the others only",
        merged.count()
    );
    Ok(())
}

/// The selection a partial's query recorded.
fn partial_selection(q: &PartialQuery) -> Result<ctreplay::source::Selection> {
    let time = |t: &Option<String>| -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        t.as_deref()
            .map(|s| {
                chrono::DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .context("a partial's time range")
            })
            .transpose()
    };
    Ok(ctreplay::source::Selection {
        window: ctreplay::source::TimeWindow {
            since: time(&q.since)?,
            until: time(&q.until)?,
            skew: chrono::Duration::seconds(q.delivery_skew_seconds),
        },
        accounts: q.accounts.clone(),
        regions: q.regions.clone(),
        collect_digests: false,
        shard: None,
    })
}

fn run_merge(args: MergeArgs, look: Look) -> Result<Exit> {
    let mut merged = read_partials(&args.partials)?;
    if args.format == report::ScanFormat::Partial {
        with_stdout(|out| merged.write(out))?;
        return Ok(Exit::Clean);
    }
    if merged.query.command != "scan" {
        bail!(
            "these are partials of `{}`: give them to `ctreplay audit --partial` with the exports",
            merged.query.command
        );
    }
    check_complete(&merged, args.allow_missing)?;
    let q = merged.query.clone();
    let filters = q
        .filters
        .iter()
        .map(|f| Filter::new(&f.name, &f.pattern))
        .collect::<Result<Vec<_>, _>>()
        .context("a partial's filter pattern")?;
    let detector = Detector::new(filters);
    let sel = partial_selection(&q)?;
    let (since, until) = (sel.window.since, sel.window.until);
    let result = partial::into_report(&mut merged)?;
    for e in &result.totals.errors {
        eprintln!("ctreplay: {}: {}", sanitize(&e.object), sanitize(&e.reason));
    }
    let query = Query {
        filters: describe(detector.filters()),
        names: detector.names().to_vec(),
        since,
        until,
    };
    let scope = Scope::of(q.inputs.clone(), &sel, &result)?;
    let look = text_look(args.format == report::ScanFormat::Text, look);
    let view = View::new(&query, &scope, &result)?.with_look(look);
    with_text_stdout(look, |out| report::write_scan(args.format, &view, out))?;
    Ok(if result.totals.errors.is_empty() {
        Exit::Clean
    } else {
        Exit::Partial
    })
}

/// Public keys for a verification: the files given, else (reading from S3)
/// ListPublicKeys in every region the digests name, over their time span.
fn keys_for(
    input: &ctreplay::cli::Input,
    given: (integrity::PublicKeys, Vec<String>),
    remote: bool,
    digests: &[ctreplay::source::ObjectRef],
) -> Result<(integrity::PublicKeys, Vec<String>)> {
    let (keys, names) = given;
    if !keys.is_empty() || !remote || digests.is_empty() {
        return Ok((keys, names));
    }
    let parsed: Vec<_> = digests
        .iter()
        .filter_map(|d| integrity::digest::DigestName::parse(&d.location.to_string()))
        .collect();
    let mut regions: Vec<String> = parsed
        .iter()
        .flat_map(|n| [n.region.clone(), n.home_region.clone()])
        .collect();
    regions.sort();
    regions.dedup();
    let (Some(first), Some(last)) = (
        parsed.iter().map(|n| n.end).min(),
        parsed.iter().map(|n| n.end).max(),
    ) else {
        return Ok((keys, names));
    };
    let opts = config::plain_aws_options(input);
    let keys = ctreplay::aws::calls::public_keys(
        &opts,
        &regions,
        first - chrono::Duration::days(1),
        last + chrono::Duration::days(1),
    )
    .map_err(anyhow::Error::msg)?;
    Ok((
        keys,
        vec![format!("ListPublicKeys in {}", regions.join(", "))],
    ))
}

fn run_verify(args: VerifyArgs, look: Look) -> Result<Exit> {
    let input = &args.input;
    let mut sel = config::selection(input)?;
    let mut opts = config::scan_options(input)?;
    integrity::prepare(&mut opts, &mut sel);
    // The keys files are read before any log, so a bad one fails first.
    let given_keys = config::public_keys(&args.integrity.public_keys)?;
    let source = config::source(input)?;
    let remote = source.describe().iter().any(|d| d.starts_with("s3://"));
    let locator = config::locator(&args.integrity, remote)?;
    let detector = Detector::for_audit(vec![Filter::security_group_changes()]);
    let started = Instant::now();
    let result = scan_shown(source.as_ref(), &sel, &detector, &opts, input.quiet)?;
    let reading = report_reading(
        &result,
        started,
        input.quiet,
        args.format == report::VerifyFormat::Text,
    );
    let (keys, key_sources) = keys_for(input, given_keys, remote, &result.digests)?;
    let report = integrity::judge(
        source.as_ref(),
        &result,
        &sel,
        &integrity::Judging {
            keys: &keys,
            locator,
            strict: args.integrity.strict,
        },
    );
    let query = report::integrity::VerifyQuery {
        paths: source.describe(),
        since: input.since,
        until: input.until,
        accounts: input.accounts.clone(),
        regions: input.regions.clone(),
        bucket: args.integrity.bucket.clone(),
        public_keys: key_sources,
        public_key_count: keys.len(),
        strict: args.integrity.strict,
    };
    let look = text_look(args.format == report::VerifyFormat::Text, look);
    with_text_stdout(look, |out| match args.format {
        report::VerifyFormat::Json => report::integrity::write_json(&query, &report, out),
        report::VerifyFormat::Text => report::integrity::write_text(&query, &report, look, out),
    })?;
    let verdict = match report.outcome() {
        integrity::Outcome::Clean => Exit::Clean,
        integrity::Outcome::Findings => Exit::Findings,
        integrity::Outcome::NothingToVerify => {
            eprintln!("ctreplay: no digest files were found: nothing could be verified (is log file validation on for the trail, and are the CloudTrail-Digest folders in the input?)");
            Exit::Inconclusive
        }
    };
    Ok(verdict.max(reading))
}

fn run_presets(args: PresetsArgs, look: Look) -> Result<Exit> {
    let chosen = presets::search(&args.names);
    if chosen.is_empty() {
        bail!(
            "no preset name, title or control number matches {}",
            args.names.join(" or ")
        );
    }
    let look = text_look(args.format == report::ListFormat::Text, look);
    with_text_stdout(look, |out| {
        report::presets::write(args.format, &chosen, out)
    })?;
    Ok(Exit::Clean)
}

fn run_test_pattern(args: TestPatternArgs) -> Result<Exit> {
    let filter = config::pattern_filter(&args.pattern)?;
    for n in filter.pattern.notes() {
        eprintln!("ctreplay: note: {}", sanitize(n));
    }
    let limit = ScanOptions::default().max_inflated;
    let events = match args.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
            testpattern::read_events(f, &p.to_string_lossy(), limit)
                .with_context(|| format!("reading {}", p.display()))?
        }
        _ => testpattern::read_events(std::io::stdin().lock(), "-", limit)
            .context("reading events from stdin")?,
    };
    let result = testpattern::test(&filter.pattern, &events);
    with_stdout(|out| report::write_pretty_json(&result, out))?;
    Ok(Exit::Clean)
}

fn run_synth(args: SynthArgs) -> Result<Exit> {
    let used = std::fs::read_dir(&args.out)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if used && !args.force {
        bail!(
            "{} is not empty: a new trail there would mix with what is in it, and its manifest would describe only the new one (empty it, choose another folder, or --force)",
            args.out.display()
        );
    }
    if used {
        for name in ["AWSLogs", "manifest.json", "public-keys.json"] {
            let p = args.out.join(name);
            let removed = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
            match removed {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("removing {}", p.display()));
                }
                _ => {}
            }
        }
    }
    let manifest = synth::write_trail(
        &args.out,
        &synth::SynthOptions {
            size: args.size.0,
            seed: args.seed,
            largest: args.largest.0,
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
    Ok(Exit::Clean)
}
