//! `gbg-go`: run GBG GO journeys through the sandboxed client component.

mod args;
mod commands;
mod connection;
mod exit;
mod files;
mod interactions;
mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use gbg_go_host::contract::settings;
use tracing_subscriber::EnvFilter;

use self::args::Cli;
use self::exit::CommandError;
use self::output::Output;

/// Parses the command line, runs the command, and turns its outcome into an
/// exit status (documented on [`exit::Exit`]).
fn main() -> ExitCode {
    let cli = Cli::parse_recording_origins();
    init_tracing(cli.verbose);
    let out = Output::new(cli.json);
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::internal(format!("cannot start the async runtime: {e}")))
        .and_then(|runtime| runtime.block_on(commands::run(cli)));
    match outcome {
        Ok(exit) => exit.into(),
        Err(failure) => {
            out.failure(&failure);
            failure.exit.into()
        }
    }
}

/// Logs go to stderr; `GBG_GO_LOG` (an `EnvFilter` directive) overrides the
/// level chosen with `-v`.
fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter =
        EnvFilter::try_from_env(settings::LOG.env).unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
