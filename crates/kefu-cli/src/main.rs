//! `kefu`: Sobot and Easemob Kefu from a terminal.
//!
//! The command line follows the kefu CLI contract; see `docs/cli.md`.
//! This file only parses, runs and turns the result into an exit code.

#[cfg(unix)]
mod alloc;
mod cli;
mod client;
mod commands;
mod config;
mod exit;
mod json_error;
mod ops;
mod output;
mod partial_file;
mod records;
mod sandbox;
mod shared_store;
mod signal;
mod usage;
mod vendors;
mod window;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::exit::Failure;

fn main() -> ExitCode {
    small_pages_only();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if json_error::wanted_in_args(std::env::args()) => return usage::exit_json(e),
        Err(e) => return usage::exit(e),
    };
    let json_errors = json_error::wanted(cli.output);
    // For JSON errors that do not name a vendor themselves.
    let vendor = cli.vendor.or_else(|| {
        std::env::var("KEFU_VENDOR")
            .ok()
            .and_then(|v| kefu::registry::find(&v).map(|d| d.vendor))
    });
    init_tracing();
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Local(format!("cannot start the async runtime: {e}")))
        .and_then(|rt| rt.block_on(commands::run(cli, config::process_env())));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let mut stderr = std::io::stderr().lock();
            if json_errors {
                if let Some(json) = json_error::of(&failure, vendor) {
                    let _ = writeln!(stderr, "{}", json.line());
                }
                return ExitCode::from(failure.code());
            }
            for line in failure.lines(&client::offering) {
                let _ = writeln!(stderr, "{line}");
            }
            ExitCode::from(failure.code())
        }
    }
}

/// No transparent huge pages for this process. Where the kernel backs
/// every large aligned region with 2 MiB pages (`transparent_hugepage=
/// always`, common on servers) a few live kilobytes keep whole huge pages
/// resident: with mimalloc a 100,000-session export peaked at 38-42 MiB
/// instead of 17-18 MiB, for no speed (docs/benchmarks.md, History).
/// Set before the runtime starts, so nearly every allocation is made under
/// it; failure (an old kernel) costs only memory.
fn small_pages_only() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

/// Logs to stderr as `KEFU_LOG` (else `RUST_LOG`) says; off by default, so
/// stderr holds only the error line. The transport never logs secrets.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;

    let filter = ["KEFU_LOG", "RUST_LOG"]
        .iter()
        .find_map(|key| std::env::var(key).ok().filter(|v| !v.trim().is_empty()))
        .and_then(|spec| EnvFilter::try_new(spec).ok());
    if let Some(filter) = filter {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .try_init();
    }
}
