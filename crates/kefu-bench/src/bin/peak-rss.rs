//! `peak-rss -- CMD ARGS...`: runs a command and prints, as the last line of
//! stdout, its wall time and peak resident memory as JSON:
//! `{"command": [...], "wall_s", "peak_rss_kib", "exit_code", "user_s", "sys_s"}`.
//! The command's own output passes through. Exits 1 if the command failed.
#![allow(clippy::print_stdout)]

use std::process::{Command, ExitCode};

use kefu_bench::args::Args;
use kefu_bench::rss::measure;

fn main() -> ExitCode {
    kefu_bench::entry::report("peak-rss", run()).map_or(ExitCode::from(2), |code| code)
}

fn run() -> kefu_bench::Result<ExitCode> {
    let args = Args::from_env()?;
    let Some((program, rest)) = args.rest.split_first() else {
        return Err("usage: peak-rss -- CMD ARGS...".into());
    };
    let mut cmd = Command::new(program);
    cmd.args(rest);
    let m = measure(cmd)?;
    let mut line = serde_json::to_value(&m)?;
    line["command"] = serde_json::json!(args.rest);
    println!("{line}");
    Ok(if m.exit_code == Some(0) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
