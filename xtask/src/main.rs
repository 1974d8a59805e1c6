//! Contributor tasks: `cargo xtask <command>`. See `cargo xtask help`.
//!
//! A small dispatcher: each command lives in its own module.
#![allow(clippy::print_stdout)]

mod bench;
mod bench_store;
mod ci;
mod fuzz;
mod json;
mod man;
mod process;
mod reliability;
mod sandbox;
mod sandbox_http;
mod snapshots;

use std::fmt;
use std::process::ExitCode;

use json::Json;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  ci                  everything CI checks, in order, stopping at the first failure:
                      fmt, clippy, tests (nextest if installed) and doctests, rustdoc,
                      each vendor feature of `kefu` alone, examples per vendor, and
                      dependency hygiene (no HTTP/runtime in kefu-core; no cross-vendor
                      dependency in the facade; no mocks or snapshot helpers
                      in the kefu binary), then README's first command (debug)
  snapshots           review insta snapshots (`cargo insta review`; without cargo-insta,
                      writes .snap.new files and lists them); never accepts anything
  sandbox [--vendor V] [ARGS...]
                      serve the vendor sandboxes (`kefu sandbox serve`); both vendors
                      unless --vendor is given (repeatable); other ARGS are passed on;
                      stop with Ctrl-C
  bench [--quick]     build release binaries, run every benchmark (SDK overhead, export
                      of 100,000 and 1,000,000 sandbox sessions vs a raw loop, pacing) and
                      write docs/benchmarks.md; --quick: small sizes, written to
                      target/benchmarks-quick.md
  bench-sync [--quick] only the kefu sync figures of `bench` (sync of 100,000 and 1,000,000
                      sessions into SQLite and PostgreSQL beside the export), into the
                      same file
  reliability         every operation of both vendors under every sandbox fault (release);
                      rewrites the table in docs/reliability.md
  man [DIR]           man pages of `kefu` and each subcommand, from the clap
                      definitions (clap_mangen), into DIR (default target/man)
  fuzz [CASES]        fuzz every response decoder (release), 20000 cases per property
                      by default (CI runs 96)
  help                this message
";

const VENDORS: [&str; 2] = ["sobot", "easemob"];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    let result = match cmd.as_str() {
        "ci" => no_args(&cmd, &rest).and_then(|()| ci::ci()),
        "snapshots" => no_args(&cmd, &rest).and_then(|()| snapshots::snapshots()),
        "sandbox" => sandbox::sandbox(&rest),
        "bench" => bench::bench(&rest),
        "bench-sync" => bench::sync::bench_sync_only(&rest),
        "reliability" => no_args(&cmd, &rest).and_then(|()| reliability::reliability()),
        "fuzz" => fuzz::fuzz(&rest),
        "man" => man::man(&rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(Error(format!("unknown command `{other}`\n\n{USAGE}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {cmd}: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A failure, already worded for the person at the terminal.
#[derive(Debug)]
struct Error(pub(crate) String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

fn no_args(cmd: &str, rest: &[String]) -> Result {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(Error(format!("`{cmd}` takes no arguments, got `{arg}`"))),
    }
}
