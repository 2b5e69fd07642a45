//! The `ctreplay` binary: parse arguments, run, map the outcome to an exit
//! code. Everything else lives in the library.

mod app;

use std::process::ExitCode;

use clap::Parser;
use ctreplay::cli::exit::Exit;

fn main() -> ExitCode {
    // A panic the Parquet inventory reader's guard catches is reported as
    // that file's error: its message would only interrupt the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !ctreplay::source::inventory::in_guarded_read() {
            default_hook(info);
        }
    }));
    let cli = match ctreplay::cli::Cli::try_parse() {
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
