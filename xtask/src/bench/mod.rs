//! `cargo xtask bench [--quick]`: builds the release binaries of kefu-cli and
//! kefu-bench, runs every benchmark (each in its own process, sandboxes
//! served by `kefu sandbox serve`), and writes docs/benchmarks.md (with
//! `--quick`: small sizes, written to target/benchmarks-quick.md instead).
//! The section of docs/benchmarks.md between the history markers is kept.

mod machine;
mod report;
pub(crate) mod sync;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::json::{self, At, Json};
use crate::process::{cargo, root, run, target_dir};
use crate::sandbox_http::http;
use crate::{Error, Result};
use machine::{machine, proc_cpu_s, proc_status_kib};
use report::{BenchReport, ExportResult, LoadResult, Measured};

/// Where a section written by hand survives regeneration.
pub(super) const HISTORY_START: &str = "<!-- history: kept by cargo xtask bench -->";
pub(super) const HISTORY_END: &str = "<!-- /history -->";

/// The export window: every seeded session (May 2024, UTC+8) lies in it.
/// `kefu` takes whole days in UTC+8; the raw loop the same instants in the
/// vendor's format.
pub(super) const EXPORT_FROM_DAY: &str = "2024-04-01";
pub(super) const EXPORT_TO_DAY: &str = "2024-06-30";
const EXPORT_FROM_UTC: &str = "2024-03-31T16:00:00.000Z";
const EXPORT_TO_UTC: &str = "2024-06-30T15:59:59.999Z";

/// 40 MB, the ceiling for the exporting process, in KiB.
pub(super) const RSS_CEILING_KIB: f64 = 40_000_000.0 / 1024.0;

/// One export setting: sessions served, latency added to every request.
#[derive(Debug, Clone, Copy)]
struct ExportPlan {
    sessions: u64,
    latency_ms: u64,
    runs: usize,
}

/// Everything one `bench` run does.
#[derive(Debug)]
struct BenchPlan {
    quick: bool,
    overhead_args: Vec<&'static str>,
    decode_reps: &'static str,
    /// Grouped by size: one `serve` process per size.
    exports: Vec<ExportPlan>,
    load_seconds: &'static str,
    load_concurrency: &'static str,
    pacing_calls: &'static str,
}

impl BenchPlan {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                overhead_args: vec!["--rounds", "2", "--searches", "5", "--pages", "50"],
                decode_reps: "200",
                exports: vec![
                    ExportPlan {
                        sessions: 2_000,
                        latency_ms: 0,
                        runs: 2,
                    },
                    ExportPlan {
                        sessions: 2_000,
                        latency_ms: 20,
                        runs: 1,
                    },
                    ExportPlan {
                        sessions: 20_000,
                        latency_ms: 0,
                        runs: 2,
                    },
                ],
                load_seconds: "1",
                load_concurrency: "4",
                pacing_calls: "60",
            }
        } else {
            Self {
                quick,
                overhead_args: vec!["--rounds", "9"],
                decode_reps: "1000",
                exports: vec![
                    ExportPlan {
                        sessions: 100_000,
                        latency_ms: 0,
                        runs: 5,
                    },
                    ExportPlan {
                        sessions: 100_000,
                        latency_ms: 20,
                        runs: 3,
                    },
                    ExportPlan {
                        sessions: 1_000_000,
                        latency_ms: 0,
                        runs: 3,
                    },
                ],
                load_seconds: "5",
                load_concurrency: "4",
                pacing_calls: "200",
            }
        }
    }
}

pub(crate) fn bench(rest: &[String]) -> Result {
    let quick = match rest {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => {
            return Err(Error(format!(
                "`bench` takes only --quick, got `{}`",
                rest.join(" ")
            )));
        }
    };
    let plan = BenchPlan::new(quick);
    // Two builds, not one: built together, the bench crate's features
    // (tokio's test-util) would be unified into the kefu binary measured.
    run(cargo(["build", "--release", "-p", "kefu-cli"]))?;
    run(cargo(["build", "--release", "-p", "kefu-bench"]))?;
    let bin = target_dir().join("release");
    let work = std::env::temp_dir().join(format!("kefu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)
        .map_err(|e| Error(format!("cannot create {}: {e}", work.display())))?;
    let result = run_benchmarks(&plan, &bin, &work);
    let _ = std::fs::remove_dir_all(&work);
    let report = result?;

    let out = if quick {
        target_dir().join("benchmarks-quick.md")
    } else {
        root().join("docs/benchmarks.md")
    };
    let history = std::fs::read_to_string(root().join("docs/benchmarks.md"))
        .ok()
        .and_then(|text| kept_history(&text));
    let text = report.markdown(&plan, history.as_deref());
    std::fs::write(&out, text)
        .map_err(|e| Error(format!("cannot write {}: {e}", out.display())))?;
    println!("\nwrote {}", out.display());
    for line in report.verdicts() {
        println!("  {line}");
    }
    // kefu sync beside the export, into the same file (issue 12).
    sync::bench_sync(quick, &bin, &out)
}

fn run_benchmarks(plan: &BenchPlan, bin: &Path, work: &Path) -> Result<BenchReport> {
    let mut report = BenchReport {
        machine: machine(),
        ..BenchReport::default()
    };

    println!("\n== SDK overhead (in-process sandbox)");
    let mut cmd = Command::new(bin.join("overhead"));
    cmd.args(&plan.overhead_args);
    report.overhead = Some(bench_json(&mut report.commands, cmd)?);

    println!("\n== decode cost (no I/O)");
    let mut cmd = Command::new(bin.join("decode-cost"));
    cmd.args(["--reps", plan.decode_reps]);
    report.decode = Some(bench_json(&mut report.commands, cmd)?);

    let mut sizes: Vec<u64> = plan.exports.iter().map(|e| e.sessions).collect();
    sizes.dedup();
    for size in sizes {
        let settings: Vec<ExportPlan> = plan
            .exports
            .iter()
            .copied()
            .filter(|e| e.sessions == size)
            .collect();
        let (exports, load) = exports_at(plan, bin, work, size, &settings, &mut report.commands)?;
        report.exports.extend(exports);
        report.loads.push(load);
    }

    println!("\n== pacing (Sobot chatIndexPage, paused time)");
    let mut cmd = Command::new(bin.join("pacing"));
    cmd.args(["--calls", plan.pacing_calls]);
    // Exits non-zero when the target is missed: the figures still count.
    report.pacing = Some(bench_json_any_exit(&mut report.commands, cmd)?);

    println!("\n== shared store (memory, file, Redis)");
    let mut cmd = Command::new(bin.join("shared-store"));
    cmd.args(["--ops", if plan.quick { "500" } else { "4000" }]);
    report.shared_store = Some(bench_json(&mut report.commands, cmd)?);
    Ok(report)
}

/// Serves `size` sessions with `kefu sandbox serve`, measures the sandbox's
/// own throughput, then runs every export setting of that size.
fn exports_at(
    plan: &BenchPlan,
    bin: &Path,
    work: &Path,
    size: u64,
    settings: &[ExportPlan],
    commands: &mut Vec<String>,
) -> Result<(Vec<ExportResult>, LoadResult)> {
    println!("\n== {size} sessions: kefu sandbox serve");
    let mut serve = Command::new(bin.join("kefu"));
    serve
        .args(["sandbox", "serve", "--vendor", "easemob", "--sessions"])
        .arg(size.to_string())
        .env_clear()
        .env("KEFU_CONFIG", empty_config(work)?)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    commands.push(show_short(&serve));
    let mut child = serve
        .spawn()
        .map_err(|e| Error(format!("cannot start kefu sandbox serve: {e}")))?;
    let result = with_server(plan, bin, work, size, settings, commands, &mut child);
    // Our own child, by its handle.
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// What `kefu sandbox serve` announces on its first line: the base URL and
/// the environment that points `kefu` at it.
pub(super) fn announcement(child: &mut Child) -> Result<(String, Vec<(String, String)>)> {
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error("serve has no stdout".into()))?;
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first)
        .map_err(|e| Error(format!("cannot read serve's first line: {e}")))?;
    let announced = json::parse(&first)
        .map_err(|e| Error(format!("serve's first line is not JSON ({e}): {first}")))?;
    let base_url = announced
        .at(&["base_url"])
        .and_then(Json::as_str)
        .ok_or_else(|| Error(format!("no base_url in serve's first line: {first}")))?
        .to_owned();
    let env: Vec<(String, String)> = match announced.at(&["env"]) {
        Some(Json::Object(pairs)) => pairs
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        _ => return Err(Error(format!("no env in serve's first line: {first}"))),
    };
    Ok((base_url, env))
}

fn with_server(
    plan: &BenchPlan,
    bin: &Path,
    work: &Path,
    size: u64,
    settings: &[ExportPlan],
    commands: &mut Vec<String>,
    child: &mut Child,
) -> Result<(Vec<ExportResult>, LoadResult)> {
    let (base_url, env) = announcement(child)?;
    let pid = child.id();
    let rss_start_kib = proc_status_kib(pid, "VmRSS");

    let state = json::parse(&http(&base_url, "GET", "/__sandbox/state", None)?)
        .map_err(|e| Error(format!("sandbox state: {e}")))?;
    let total = state
        .at(&["sessions", "total"])
        .and_then(Json::as_f64)
        .ok_or_else(|| Error("no sessions.total in the sandbox state".into()))?
        as u64;
    if total != size {
        return Err(Error(format!(
            "the sandbox serves {total} sessions, not {size}"
        )));
    }

    println!(
        "-- sandbox throughput: one session page, {} clients",
        plan.load_concurrency
    );
    let mut load = Command::new(bin.join("sandbox-load"));
    load.args(["--from", EXPORT_FROM_UTC, "--to", EXPORT_TO_UTC])
        .args([
            "--concurrency",
            plan.load_concurrency,
            "--seconds",
            plan.load_seconds,
        ])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)));
    let load = bench_json(commands, load)?;
    http(&base_url, "DELETE", "/__sandbox/requests", None)?;

    let mut results = Vec::new();
    for setting in settings {
        println!(
            "-- export of {size} sessions, {} ms added per request, {} runs each",
            setting.latency_ms, setting.runs
        );
        http(
            &base_url,
            "POST",
            "/__sandbox/chaos",
            Some(&format!("{{\"latency_ms\": {}}}", setting.latency_ms)),
        )?;
        let mut result = ExportResult {
            sessions: size,
            latency_ms: setting.latency_ms,
            ..ExportResult::default()
        };
        for run_no in 0..setting.runs {
            // Alternate who goes first, so drift favors neither.
            let order = if run_no % 2 == 0 {
                ["kefu", "raw"]
            } else {
                ["raw", "kefu"]
            };
            for who in order {
                http(&base_url, "DELETE", "/__sandbox/requests", None)?;
                let file = work.join(format!("{who}.jsonl"));
                let mut cmd = Command::new(bin.join("peak-rss"));
                cmd.arg("--");
                let id_field = if who == "kefu" {
                    cmd.arg(bin.join("kefu")).args([
                        "sessions",
                        "export",
                        "--from",
                        EXPORT_FROM_DAY,
                        "--to",
                        EXPORT_TO_DAY,
                        "--out",
                    ]);
                    "id"
                } else {
                    cmd.arg(bin.join("raw-export")).args([
                        "--from",
                        EXPORT_FROM_UTC,
                        "--to",
                        EXPORT_TO_UTC,
                        "--out",
                    ]);
                    "serviceSessionId"
                };
                cmd.arg(&file)
                    .env_clear()
                    .envs(env.iter().map(|(k, v)| (k, v)))
                    .env("KEFU_CONFIG", empty_config(work)?);
                let serve_before = proc_cpu_s(pid);
                let line = bench_json(commands, cmd)?;
                let serve_cpu_s = match (serve_before, proc_cpu_s(pid)) {
                    (Some(a), Some(b)) => b - a,
                    _ => f64::NAN,
                };
                let measured = Measured {
                    serve_cpu_s,
                    wall_s: line
                        .at(&["wall_s"])
                        .and_then(Json::as_f64)
                        .unwrap_or(f64::NAN),
                    peak_rss_kib: line
                        .at(&["peak_rss_kib"])
                        .and_then(Json::as_f64)
                        .unwrap_or(f64::NAN),
                    cpu_s: line.at(&["user_s"]).and_then(Json::as_f64).unwrap_or(0.0)
                        + line.at(&["sys_s"]).and_then(Json::as_f64).unwrap_or(0.0),
                };
                let mut check = Command::new(bin.join("export-check"));
                check
                    .args(["--id", id_field, "--expect"])
                    .arg(size.to_string())
                    .arg("--file")
                    .arg(&file);
                let verdict = bench_json_any_exit(commands, check)?;
                if verdict.at(&["ok"]).and_then(Json::as_bool) != Some(true) {
                    result
                        .problems
                        .push(format!("{who} run {}: {}", run_no + 1, verdict));
                }
                let _ = std::fs::remove_file(&file);
                println!(
                    "   {who}: {:.2} s, {:.0} sessions/s, peak RSS {:.1} MiB",
                    measured.wall_s,
                    size as f64 / measured.wall_s,
                    measured.peak_rss_kib / 1024.0
                );
                if who == "kefu" {
                    result.kefu.push(measured);
                } else {
                    result.raw.push(measured);
                }
            }
        }
        http(&base_url, "DELETE", "/__sandbox/chaos", None)?;
        results.push(result);
    }
    let rss_peak_kib = proc_status_kib(pid, "VmHWM");
    Ok((
        results,
        LoadResult {
            sessions: size,
            load,
            rss_start_kib,
            rss_peak_kib,
        },
    ))
}

/// An empty config file, so no profile of the person running the bench
/// changes what is measured.
fn empty_config(work: &Path) -> Result<PathBuf> {
    let path = work.join("empty-config.toml");
    if !path.exists() {
        std::fs::write(&path, "")
            .map_err(|e| Error(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(path)
}

/// Runs a bench binary and reads the JSON object on the last line of its
/// stdout; a failing exit is an error.
fn bench_json(commands: &mut Vec<String>, cmd: Command) -> Result<Json> {
    let (ok, json) = bench_output(commands, cmd)?;
    if !ok {
        return Err(Error(format!("the bench failed: {}", json)));
    }
    Ok(json)
}

/// Like [`bench_json`], but a failing exit still yields its figures.
fn bench_json_any_exit(commands: &mut Vec<String>, cmd: Command) -> Result<Json> {
    bench_output(commands, cmd).map(|(_, json)| json)
}

fn bench_output(commands: &mut Vec<String>, mut cmd: Command) -> Result<(bool, Json)> {
    let line = show_short(&cmd);
    commands.push(line.clone());
    println!("$ {line}");
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error(format!("could not start `{line}`: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let json = json::parse(last).map_err(|e| {
        Error(format!(
            "`{line}` ({}) did not end with a JSON line ({e}): {stdout}",
            out.status
        ))
    })?;
    Ok((out.status.success(), json))
}

/// A command as a person would type it from the workspace root: binaries
/// under target/release by their relative path, temporary files by name.
fn show_short(cmd: &Command) -> String {
    let root = root();
    let tmp = std::env::temp_dir();
    let shorten = |s: &std::ffi::OsStr| {
        let path = Path::new(s);
        if let Ok(rel) = path.strip_prefix(&root) {
            rel.display().to_string()
        } else if path.starts_with(&tmp) {
            format!(
                "/tmp/{}",
                path.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            )
        } else {
            s.to_string_lossy().into_owned()
        }
    };
    let mut line = shorten(cmd.get_program());
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&shorten(arg));
    }
    line
}

/// The hand-written section between the history markers, markers included.
fn kept_history(text: &str) -> Option<String> {
    let start = text.find(HISTORY_START)?;
    let end = text[start..].find(HISTORY_END)? + start + HISTORY_END.len();
    Some(text[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_section_is_kept_with_its_markers() {
        let doc = format!("# B\nfigures\n{HISTORY_START}\nkept\n{HISTORY_END}\n");
        assert_eq!(
            kept_history(&doc).as_deref(),
            Some(format!("{HISTORY_START}\nkept\n{HISTORY_END}").as_str())
        );
        assert_eq!(kept_history("# B\nno history\n"), None);
    }
}
