//! The `ctreplay` binary: parse arguments, run, map the outcome to an exit
//! code. Everything else lives in the library.

mod app;

use std::process::ExitCode;

use ctreplay::cli::exit::Exit;

/// Parse the command line; clap's help and errors follow `--color` and
/// NO_COLOR as the reports do (clap reads neither before it has parsed).
fn parse() -> Result<ctreplay::cli::Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let asked = args
        .windows(2)
        .find_map(|w| (w[0] == "--color").then(|| w[1].to_string_lossy().into_owned()));
    let asked = asked.or_else(|| {
        args.iter()
            .find_map(|a| a.to_str()?.strip_prefix("--color=").map(str::to_owned))
    });
    let choice = match asked.as_deref() {
        Some("never") => clap::ColorChoice::Never,
        Some("always") => clap::ColorChoice::Always,
        _ if ctreplay::cli::no_color_set() => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    };
    let matches = ctreplay::cli::Cli::command()
        .color(choice)
        .try_get_matches_from(args)?;
    ctreplay::cli::Cli::from_arg_matches(&matches)
}

fn main() -> ExitCode {
    // A panic the Parquet inventory reader's guard catches is reported as
    // that file's error: its message would only interrupt the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !ctreplay::source::inventory::in_guarded_read() {
            default_hook(info);
        }
    }));
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; every other parse failure is
            // a usage error, exit code 1 (clap's own default would be 2,
            // which ctreplay reserves for unreadable objects).
            return if e.use_stderr() {
                Exit::Fatal.into()
            } else {
                Exit::Clean.into()
            };
        }
    };
    match app::run(cli) {
        Ok(exit) => exit.into(),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return Exit::Clean.into();
            }
            eprintln!(
                "ctreplay: {}",
                ctreplay::report::sanitize::sanitize(&format!("{e:#}"))
            );
            Exit::Fatal.into()
        }
    }
}
