//! `export-check --file FILE --id FIELD [--expect N]`: checks an export file: every
//! line a JSON object with a string id under FIELD, no id twice, and (with
//! `--expect`) exactly N lines. Prints
//! `{"lines", "unique_ids", "duplicates", "bad_lines", "ok"}`; exits 1 when
//! not ok.
#![allow(clippy::print_stdout)]

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::ExitCode;

use kefu_bench::args::Args;
use serde_json::Value;

fn main() -> ExitCode {
    kefu_bench::entry::report("export-check", run()).map_or(ExitCode::from(2), |ok| {
        if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    })
}

fn run() -> kefu_bench::Result<bool> {
    let args = Args::from_env()?;
    let path = args.rest.first().map(String::as_str).or(args.text("file"));
    let path = path.ok_or("usage: export-check --file FILE --id FIELD [--expect N]")?;
    let field = args.required("id")?;
    let expect: Option<u64> = args.text("expect").map(str::parse).transpose()?;
    let mut ids: HashSet<String> = HashSet::new();
    let (mut lines, mut duplicates, mut bad) = (0u64, 0u64, 0u64);
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        lines += 1;
        let id = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(mut map)) => match map.remove(field) {
                Some(Value::String(id)) if !id.is_empty() => id,
                _ => {
                    bad += 1;
                    continue;
                }
            },
            _ => {
                bad += 1;
                continue;
            }
        };
        if !ids.insert(id) {
            duplicates += 1;
        }
    }
    let ok = bad == 0 && duplicates == 0 && expect.is_none_or(|n| n == lines);
    println!(
        "{}",
        serde_json::json!({
            "file": path,
            "lines": lines,
            "unique_ids": ids.len(),
            "duplicates": duplicates,
            "bad_lines": bad,
            "expected": expect,
            "ok": ok,
        })
    );
    Ok(ok)
}
