//! Contributor tasks: `cargo xtask <command>`. See `cargo xtask help`.
//!
//! std only, so that running a task never waits on a dependency build.
#![allow(clippy::print_stdout)]

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::Duration;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  ci                  everything CI checks, in order, stopping at the first failure:
                      fmt, clippy, tests (nextest if installed) and doctests, rustdoc,
                      each vendor feature of `kefu` alone, examples per vendor, and
                      dependency hygiene (no HTTP/runtime in kefu-core; no cross-vendor
                      dependency in the facade)
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
  fuzz [CASES]        fuzz every response decoder (release), 20000 cases per property
                      by default (CI runs 96)
  help                this message
";

mod sync_bench;

const VENDORS: [&str; 2] = ["sobot", "easemob"];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    let result = match cmd.as_str() {
        "ci" => no_args(&cmd, &rest).and_then(|()| ci()),
        "snapshots" => no_args(&cmd, &rest).and_then(|()| snapshots()),
        "sandbox" => sandbox(&rest),
        "bench" => bench(&rest),
        "bench-sync" => sync_bench::bench_sync_only(&rest),
        "reliability" => no_args(&cmd, &rest).and_then(|()| reliability()),
        "fuzz" => fuzz(&rest),
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
struct Error(String);

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

// ---------------------------------------------------------------- helpers --

/// The workspace root, whatever directory `cargo xtask` was started from.
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `cargo`, the same one that runs us when there is one.
fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(root());
    cmd.args(args.into_iter().map(Into::into));
    cmd
}

/// How a command reads on a shell line, for the log and error messages.
fn show(cmd: &Command) -> String {
    let mut line = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            line.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    let program = Path::new(cmd.get_program());
    // `$CARGO` is an absolute path; `cargo` is what a person would type.
    let name = program
        .file_stem()
        .filter(|stem| *stem == "cargo")
        .map_or_else(|| program.to_string_lossy(), |stem| stem.to_string_lossy());
    line.push_str(&name);
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `cmd` with the terminal attached; a non-zero exit is an error.
fn run(mut cmd: Command) -> Result {
    let line = show(&cmd);
    println!("$ {line}");
    let status = cmd
        .status()
        .map_err(|e| Error(format!("could not start `{line}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error(format!("`{line}` failed ({status})")))
    }
}

/// Runs `cmd` and returns its stdout; stderr goes to the terminal.
fn output(mut cmd: Command) -> Result<String> {
    let line = show(&cmd);
    println!("$ {line}");
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error(format!("could not start `{line}`: {e}")))?;
    if !out.status.success() {
        return Err(Error(format!("`{line}` failed ({})", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `cargo <args>` runs at all (an installed subcommand), quietly.
fn cargo_has(args: &[&str]) -> bool {
    cargo(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Names the failing step, so a long CI log ends with what broke.
fn step(name: &str, result: Result) -> Result {
    result.map_err(|e| Error(format!("step `{name}` failed: {e}")))
}

// --------------------------------------------------------------------- ci --

fn ci() -> Result {
    step("format", run(cargo(["fmt", "--all", "--check"])))?;
    step(
        "clippy",
        run(cargo([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    )?;

    let mut doc = cargo(["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    step("docs", run(doc))?;

    // Each vendor must build without the other, and the core without any.
    for vendor in VENDORS {
        step(
            &format!("facade with only `{vendor}`"),
            run(cargo([
                "check",
                "-p",
                "kefu",
                "--no-default-features",
                "--features",
                vendor,
            ])),
        )?;
    }
    step(
        "facade with no vendor",
        run(cargo(["check", "-p", "kefu", "--no-default-features"])),
    )?;
    for vendor in VENDORS {
        step(
            &format!("examples with only `{vendor}`"),
            run(cargo([
                "check",
                "-p",
                "kefu",
                "--examples",
                "--no-default-features",
                "--features",
                vendor,
            ])),
        )?;
    }

    step("dependency hygiene", hygiene())?;

    // Tests last: they take longest, and their summary closes the log.
    if cargo_has(&["nextest", "--version"]) {
        step("tests", run(cargo(["nextest", "run", "--workspace"])))?;
        // nextest does not run doctests.
        step("doctests", run(cargo(["test", "--workspace", "--doc"])))?;
    } else {
        println!("(cargo-nextest not installed: using cargo test)");
        step("tests", run(cargo(["test", "--workspace"])))?;
    }
    println!("\nci: all steps passed");
    Ok(())
}

/// The core must stay free of HTTP clients and runtimes, and picking one
/// vendor must not pull in the other.
fn hygiene() -> Result {
    let core = output(cargo([
        "tree",
        "-p",
        "kefu-core",
        "-e",
        "normal",
        "--prefix",
        "none",
    ]))?;
    let found = crates_named(&core, &["reqwest", "tokio", "hyper"]);
    if !found.is_empty() {
        return Err(Error(format!(
            "kefu-core must not depend on an HTTP client or async runtime, but its tree has: {}",
            found.join(", ")
        )));
    }

    for (vendor, other) in [("sobot", "kefu-easemob"), ("easemob", "kefu-sobot")] {
        let tree = output(cargo([
            "tree",
            "-p",
            "kefu",
            "-e",
            "normal",
            "--no-default-features",
            "--features",
            vendor,
            "--prefix",
            "none",
        ]))?;
        if !crates_named(&tree, &[other]).is_empty() {
            return Err(Error(format!(
                "`kefu --features {vendor}` must not depend on {other}"
            )));
        }
    }
    Ok(())
}

/// Crates in a `cargo tree --prefix none` listing whose name is one of
/// `names` or a `name-...` companion (`tokio-macros`, `hyper-util`).
fn crates_named(tree: &str, names: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|krate| {
            names.iter().any(|name| {
                *krate == *name
                    || krate
                        .strip_prefix(name)
                        .is_some_and(|rest| rest.starts_with('-'))
            })
        })
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

// -------------------------------------------------------------- snapshots --

fn snapshots() -> Result {
    if cargo_has(&["insta", "--version"]) {
        // Interactive: the reviewer accepts or rejects each snapshot.
        return run(cargo(["insta", "review"]));
    }

    println!(
        "cargo-insta is not installed; install it with `cargo install cargo-insta` \
         for an interactive review.\nFalling back: writing new snapshots as .snap.new files \
         (nothing is accepted)."
    );
    let mut test = cargo(["test", "--workspace", "--no-fail-fast"]);
    test.env("INSTA_UPDATE", "new");
    // Tests whose snapshot changed fail by design here; what matters is
    // whether they left something to review.
    let tests = run(test);

    let mut pending = Vec::new();
    find_pending(&root(), &mut pending);
    pending.sort();
    if pending.is_empty() {
        return match tests {
            Ok(()) => {
                println!("no pending snapshots");
                Ok(())
            }
            Err(e) => Err(Error(format!(
                "tests failed but left no snapshot to review: {e}"
            ))),
        };
    }

    println!("\npending snapshots ({}):", pending.len());
    for path in &pending {
        let shown = path.strip_prefix(root()).unwrap_or(path);
        println!("  {}", shown.display());
    }
    println!(
        "\nReview each one against its .snap: to accept, rename `X.snap.new` to `X.snap`; \
         to reject, delete the .snap.new (inline snapshots: `.pending-snap`, needs cargo-insta)."
    );
    Err(Error(format!(
        "{} snapshot(s) wait for review",
        pending.len()
    )))
}

/// `.snap.new` and `.pending-snap` files under `dir`, skipping build output.
fn find_pending(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != "target" && !name.starts_with('.') {
                find_pending(&path, found);
            }
        } else if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            found.push(path);
        }
    }
}

// ---------------------------------------------------------------- sandbox --

fn sandbox(args: &[String]) -> Result {
    let mut vendors = Vec::new();
    let mut passthrough = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--vendor" {
            let v = it
                .next()
                .ok_or_else(|| Error("`--vendor` needs a value".into()))?;
            vendors.push(v.clone());
        } else if let Some(v) = arg.strip_prefix("--vendor=") {
            vendors.push(v.to_owned());
        } else {
            passthrough.push(arg.clone());
        }
    }
    if vendors.is_empty() {
        vendors = VENDORS.iter().map(|v| (*v).to_owned()).collect();
    }

    // Build once, so two `cargo run`s do not race for the build lock.
    run(cargo(["build", "-p", "kefu-cli"]))?;

    let mut children: Vec<(String, Child)> = Vec::new();
    for vendor in &vendors {
        let mut cmd = cargo(["run", "-q", "-p", "kefu-cli", "--", "sandbox", "serve"]);
        cmd.args(["--vendor", vendor]).args(&passthrough);
        println!("$ {}", show(&cmd));
        match cmd.spawn() {
            Ok(child) => children.push((vendor.clone(), child)),
            Err(e) => {
                stop_all(&mut children);
                return Err(Error(format!("could not start the {vendor} sandbox: {e}")));
            }
        }
    }
    println!(
        "sandbox: serving {}; press Ctrl-C to stop",
        vendors.join(" and ")
    );

    // Ctrl-C reaches the children too (same process group); we just wait.
    // If one sandbox dies on its own, the others are stopped with it.
    while !children.is_empty() {
        let mut i = 0;
        while i < children.len() {
            let (vendor, child) = &mut children[i];
            match child.try_wait() {
                Ok(None) => i += 1,
                Ok(Some(status)) => {
                    let vendor = vendor.clone();
                    children.remove(i);
                    if !status.success() {
                        stop_all(&mut children);
                        return Err(Error(format!("the {vendor} sandbox exited ({status})")));
                    }
                }
                Err(e) => {
                    let vendor = vendor.clone();
                    children.remove(i);
                    stop_all(&mut children);
                    return Err(Error(format!("lost the {vendor} sandbox: {e}")));
                }
            }
        }
        thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Stops the sandboxes this task started (by their handles, nothing else).
fn stop_all(children: &mut Vec<(String, Child)>) {
    for (vendor, child) in children.iter_mut() {
        if let Err(e) = child.kill() {
            eprintln!("could not stop the {vendor} sandbox: {e}");
        }
        let _ = child.wait();
    }
    children.clear();
}

// ------------------------------------------ bench / reliability / fuzz --

/// Runs the `#[ignore]`d, release-mode test target `target` of kefu-testkit,
/// where the long-running suites live.
/// Runs one of the facade's cross-vendor suites in release mode, with
/// `env` set: the same test CI runs quickly, here at full size.
fn suite(target: &str, env: &[(&str, String)]) -> Result {
    let mut cmd = cargo([
        "test",
        "--release",
        "-p",
        "kefu",
        "--test",
        target,
        "--",
        "--nocapture",
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd)
}

/// `cargo xtask reliability`: every operation of both vendors under every
/// fault, regenerating the table in docs/reliability.md.
fn reliability() -> Result {
    let doc = root().join("docs/reliability.md");
    suite(
        "reliability",
        &[("KEFU_RELIABILITY_REPORT", doc.display().to_string())],
    )?;
    println!("wrote the table in {}", doc.display());
    Ok(())
}

/// `cargo xtask fuzz [CASES]`: the decoder fuzz suite with many more cases
/// than CI's quick pass (default 20,000 per property).
fn fuzz(rest: &[String]) -> Result {
    let cases = match rest.first() {
        None => "20000".to_owned(),
        Some(n) if n.parse::<u32>().is_ok() => n.clone(),
        Some(other) => {
            return Err(Error(format!(
                "fuzz takes a number of cases, not `{other}`"
            )));
        }
    };
    suite("fuzz", &[("KEFU_FUZZ_CASES", cases)])
}

// ------------------------------------------------------------------ bench --
//
// `cargo xtask bench [--quick]`: builds the release binaries of kefu-cli and
// kefu-bench, runs every benchmark (each in its own process, sandboxes
// served by `kefu sandbox serve`), and writes docs/benchmarks.md (with
// `--quick`: small sizes, written to target/benchmarks-quick.md instead).
// The section of docs/benchmarks.md between the history markers is kept.

/// Where a section written by hand survives regeneration.
const HISTORY_START: &str = "<!-- history: kept by cargo xtask bench -->";
const HISTORY_END: &str = "<!-- /history -->";

/// The export window: every seeded session (May 2024, UTC+8) lies in it.
/// `kefu` takes whole days in UTC+8; the raw loop the same instants in the
/// vendor's format.
const EXPORT_FROM_DAY: &str = "2024-04-01";
const EXPORT_TO_DAY: &str = "2024-06-30";
const EXPORT_FROM_UTC: &str = "2024-03-31T16:00:00.000Z";
const EXPORT_TO_UTC: &str = "2024-06-30T15:59:59.999Z";

/// 40 MB, the issue's ceiling for the exporting process, in KiB.
const RSS_CEILING_KIB: f64 = 40_000_000.0 / 1024.0;

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

fn bench(rest: &[String]) -> Result {
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
    sync_bench::bench_sync(quick, &bin, &out)
}

/// The figures of one run, as the bench binaries printed them.
#[derive(Debug, Default)]
struct BenchReport {
    machine: Vec<(String, String)>,
    commands: Vec<String>,
    overhead: Option<Json>,
    decode: Option<Json>,
    exports: Vec<ExportResult>,
    loads: Vec<LoadResult>,
    pacing: Option<Json>,
}

/// One export setting's runs.
#[derive(Debug, Default)]
struct ExportResult {
    sessions: u64,
    latency_ms: u64,
    kefu: Vec<Measured>,
    raw: Vec<Measured>,
    /// `export-check` failures, worded.
    problems: Vec<String>,
}

/// One process's run as `peak-rss` measured it.
#[derive(Debug, Clone, Copy)]
struct Measured {
    wall_s: f64,
    peak_rss_kib: f64,
    cpu_s: f64,
    /// CPU the serving sandbox spent meanwhile.
    serve_cpu_s: f64,
}

/// The sandbox's own throughput, and its memory, at one size.
#[derive(Debug)]
struct LoadResult {
    sessions: u64,
    load: Json,
    /// `VmRSS` of the serving process when it had just started, in KiB.
    rss_start_kib: Option<f64>,
    /// `VmHWM` (peak) of the serving process after every export, in KiB.
    rss_peak_kib: Option<f64>,
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

fn with_server(
    plan: &BenchPlan,
    bin: &Path,
    work: &Path,
    size: u64,
    settings: &[ExportPlan],
    commands: &mut Vec<String>,
    child: &mut Child,
) -> Result<(Vec<ExportResult>, LoadResult)> {
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error("serve has no stdout".into()))?;
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first)
        .map_err(|e| Error(format!("cannot read serve's first line: {e}")))?;
    let announced = Json::parse(&first)
        .map_err(|e| Error(format!("serve's first line is not JSON ({e}): {first}")))?;
    let base_url = announced
        .at(&["base_url"])
        .and_then(Json::as_str)
        .ok_or_else(|| Error(format!("no base_url in serve's first line: {first}")))?
        .to_owned();
    let env: Vec<(String, String)> = match announced.at(&["env"]) {
        Some(Json::Obj(pairs)) => pairs
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        _ => return Err(Error(format!("no env in serve's first line: {first}"))),
    };
    let pid = child.id();
    let rss_start_kib = proc_status_kib(pid, "VmRSS");

    let state = Json::parse(&http(&base_url, "GET", "/__sandbox/state", None)?)
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
                    result.problems.push(format!(
                        "{who} run {}: {}",
                        run_no + 1,
                        verdict.to_text()
                    ));
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

/// Where cargo builds: `CARGO_TARGET_DIR` when set, else the workspace's.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| root().join("target"), |p| root().join(p))
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
        return Err(Error(format!("the bench failed: {}", json.to_text())));
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
    let json = Json::parse(last).map_err(|e| {
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

/// User and system CPU seconds of a process so far, from /proc/PID/stat
/// (Linux; clock ticks taken as 100 a second, Linux's USER_HZ).
fn proc_cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// A field of /proc/PID/status, in KiB (Linux; `None` elsewhere).
fn proc_status_kib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A plain HTTP/1.1 exchange with the sandbox on loopback (std only).
fn http(base_url: &str, method: &str, path: &str, body: Option<&str>) -> Result<String> {
    use std::io::{Read, Write};
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| Error(format!("not a loopback http URL: {base_url}")))?
        .trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host)
        .map_err(|e| Error(format!("cannot reach the sandbox at {host}: {e}")))?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut answer = Vec::new();
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.read_to_end(&mut answer))
        .map_err(|e| Error(format!("{method} {path}: {e}")))?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, content) = answer
        .split_once("\r\n\r\n")
        .unwrap_or((answer.as_str(), ""));
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if !status.starts_with('2') {
        return Err(Error(format!(
            "{method} {path} answered {status}: {content}"
        )));
    }
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    Ok(if chunked {
        dechunk(content)
    } else {
        content.to_owned()
    })
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        text = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// The machine the figures come from.
fn machine() -> Vec<(String, String)> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let meminfo = read("/proc/meminfo");
    let mem = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(
            || "unknown".into(),
            |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        );
    let cores =
        thread::available_parallelism().map_or_else(|_| "unknown".into(), |n| n.to_string());
    let load = read("/proc/loadavg");
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    vec![
        ("date (UTC)".into(), utc_now()),
        ("cores (nproc)".into(), cores),
        ("CPU".into(), model),
        ("memory".into(), mem),
        ("kernel".into(), kernel),
        ("load average at start (1, 5, 15 min)".into(), load),
        ("rustc".into(), rustc),
        ("commit".into(), commit),
    ]
}

/// Now as `YYYY-MM-DD HH:MM`, from the system clock (std has no calendar).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// The hand-written section between the history markers, markers included.
fn kept_history(text: &str) -> Option<String> {
    let start = text.find(HISTORY_START)?;
    let end = text[start..].find(HISTORY_END)? + start + HISTORY_END.len();
    Some(text[start..end].to_owned())
}

/// Median, min and max of some runs.
#[derive(Debug, Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
    n: usize,
}

impl Stats {
    fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Self {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }

    /// `1234 (1200–1300, n=5)`, with `digits` decimals.
    fn show(&self, digits: usize) -> String {
        format!(
            "{:.digits$} ({:.digits$}–{:.digits$}, n={})",
            self.median, self.min, self.max, self.n
        )
    }
}

/// A summary the bench binaries print (`{"median", "min", "max", "n"}`).
fn summary_of(json: Option<&Json>) -> Option<Stats> {
    let json = json?;
    Some(Stats {
        median: json.at(&["median"])?.as_f64()?,
        min: json.at(&["min"])?.as_f64()?,
        max: json.at(&["max"])?.as_f64()?,
        n: json.at(&["n"])?.as_f64()? as usize,
    })
}

fn yes_no(met: bool) -> &'static str {
    if met { "**met**" } else { "**not met**" }
}

impl ExportResult {
    fn rate(&self, runs: &[Measured]) -> Option<Stats> {
        Stats::of(runs.iter().map(|m| self.sessions as f64 / m.wall_s))
    }

    /// kefu/raw of each pair of runs measured back to back.
    fn ratio(&self) -> Option<Stats> {
        Stats::of(
            self.kefu
                .iter()
                .zip(&self.raw)
                .map(|(k, r)| r.wall_s / k.wall_s),
        )
    }

    fn label(&self) -> String {
        format!(
            "{} sessions, {}",
            group(self.sessions),
            if self.latency_ms == 0 {
                "loopback (no added latency)".to_owned()
            } else {
                format!("{} ms added to every request", self.latency_ms)
            }
        )
    }
}

/// `1000000` as `1,000,000`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl BenchReport {
    fn overhead_ratio(&self, workload: &str) -> Option<Stats> {
        summary_of(self.overhead.as_ref()?.at(&[workload, "ratio"]))
    }

    fn export(&self, sessions_max: bool, latency: bool) -> Option<&ExportResult> {
        let pick = self
            .exports
            .iter()
            .filter(|e| (e.latency_ms > 0) == latency);
        if sessions_max {
            pick.max_by_key(|e| e.sessions)
        } else {
            pick.min_by_key(|e| e.sessions)
        }
    }

    /// Each target of the issue: what it asks, the figure, whether met.
    fn targets(&self) -> Vec<(String, String, bool)> {
        let mut rows = Vec::new();
        for (workload, what) in [
            ("agent_search", "paged agent search"),
            ("session_page", "one session page"),
        ] {
            if let Some(r) = self.overhead_ratio(workload) {
                rows.push((
                    format!("SDK overhead, {what}: kefu/raw throughput ≥ 0.95"),
                    format!("{:.3} (median of {} rounds)", r.median, r.n),
                    r.median >= 0.95,
                ));
            }
        }
        for e in &self.exports {
            if let Some(r) = e.ratio() {
                rows.push((
                    format!(
                        "export ≥ 3× the sequential loop, default concurrency: {}",
                        e.label()
                    ),
                    format!("{:.2}×", r.median),
                    r.median >= 3.0,
                ));
            }
        }
        let small = self.export(false, false);
        let large = self.export(true, false);
        if let (Some(small), Some(large)) = (small, large)
            && small.sessions < large.sessions
            && let (Some(s), Some(l)) = (
                Stats::of(small.kefu.iter().map(|m| m.peak_rss_kib)),
                Stats::of(large.kefu.iter().map(|m| m.peak_rss_kib)),
            )
        {
            rows.push((
                format!(
                    "flat memory: peak RSS of the {}-session export within 10% of the {}-session one",
                    group(large.sessions),
                    group(small.sessions)
                ),
                format!(
                    "{:.1} MiB vs {:.1} MiB ({:+.1}%)",
                    l.median / 1024.0,
                    s.median / 1024.0,
                    (l.median / s.median - 1.0) * 100.0
                ),
                l.median <= s.median * 1.10,
            ));
            rows.push((
                format!(
                    "peak RSS of the {}-session export under 40 MB",
                    group(large.sessions)
                ),
                format!(
                    "{:.1} MB (max of runs {:.1} MB)",
                    l.median * 1024.0 / 1e6,
                    l.max * 1024.0 / 1e6
                ),
                l.max < RSS_CEILING_KIB,
            ));
        }
        if let Some(p) = &self.pacing {
            let rate = p
                .at(&["sustained_per_minute"])
                .and_then(Json::as_f64)
                .unwrap_or(0.0);
            let refused = p
                .at(&["refused_by_sandbox"])
                .and_then(Json::as_f64)
                .unwrap_or(-1.0);
            let errors = p.at(&["errors"]).and_then(Json::as_f64).unwrap_or(-1.0);
            rows.push((
                "pacing: Sobot chat list ≥ 19 calls/minute, no refusal".to_owned(),
                format!("{rate:.2} calls/minute, {refused} refused, {errors} errors"),
                rate >= 19.0 && refused == 0.0 && errors == 0.0,
            ));
        }
        if let Some(first) = self.loads.first()
            && let Some(e) = self
                .exports
                .iter()
                .find(|e| e.sessions == first.sessions && e.latency_ms == 0)
            && let (Some(sandbox), Some(client)) = (
                first.load.at(&["sessions_per_s"]).and_then(Json::as_f64),
                e.rate(&e.kefu),
            )
        {
            rows.push((
                "the sandbox is not the bottleneck (its own page throughput beside the client's)"
                    .to_owned(),
                format!(
                    "sandbox {:.0} sessions/s vs kefu export {:.0} sessions/s ({:.2}×)",
                    sandbox,
                    client.median,
                    sandbox / client.median
                ),
                sandbox >= client.median * 1.5,
            ));
        }
        let problems: Vec<&String> = self.exports.iter().flat_map(|e| &e.problems).collect();
        rows.push((
            "every export file has exactly the sandbox's session count, no duplicate id".to_owned(),
            if problems.is_empty() {
                format!(
                    "{} files checked",
                    self.exports
                        .iter()
                        .map(|e| e.kefu.len() + e.raw.len())
                        .sum::<usize>()
                )
            } else {
                format!("{} problem(s)", problems.len())
            },
            problems.is_empty(),
        ));
        rows
    }

    fn verdicts(&self) -> Vec<String> {
        self.targets()
            .into_iter()
            .map(|(what, figure, met)| {
                format!("[{}] {what}: {figure}", if met { "met" } else { "NOT MET" })
            })
            .collect()
    }

    fn markdown(&self, plan: &BenchPlan, history: Option<&str>) -> String {
        let mut md = String::new();
        let mut w = |line: &str| {
            md.push_str(line);
            md.push('\n');
        };
        w("# Benchmarks");
        w("");
        w(&format!(
            "Written by `cargo xtask bench{}`{}: everything but the history section at the end, \
             which is written by hand and kept. Each figure is the median of several runs with \
             the smallest and largest in brackets; each ratio compares two things measured in \
             the same run, interleaved.",
            if plan.quick { " --quick" } else { "" },
            if plan.quick {
                " (smoke sizes, not the real figures)"
            } else {
                ""
            },
        ));
        w("");
        w("## Machine");
        w("");
        w("| | |");
        w("|---|---|");
        for (k, v) in &self.machine {
            w(&format!("| {k} | {v} |"));
        }
        w("");
        w(
            "The machine is shared (other builds may run beside the benchmark): absolute figures move \
           with its load; the ratios, measured back to back, much less.",
        );
        w("");
        w("## Targets");
        w("");
        w("| target | figure | |");
        w("|---|---|---|");
        for (what, figure, met) in self.targets() {
            w(&format!("| {what} | {figure} | {} |", yes_no(met)));
        }
        w("");

        w("## SDK overhead");
        w("");
        w(
            "`overhead`: the Easemob sandbox in the same process; kefu's `EasemobClient` and a raw \
           reqwest + serde_json loop (`kefu_bench::raw`) send the same requests one at a time, \
           rounds interleaved (kefu first in even rounds, raw first in odd ones). A paged agent \
           search reads every page of the agent list (50 a page); a session page is one \
           `serviceSessionHistorys` page of 50 sessions, decoded into records by kefu and into a \
           `serde_json::Value` by the raw loop. Operations a second:",
        );
        w("");
        w("| workload | kefu | raw | kefu/raw |");
        w("|---|---|---|---|");
        if let Some(o) = &self.overhead {
            for (workload, what) in [
                ("agent_search", "paged agent search"),
                ("session_page", "session page (50)"),
            ] {
                let cell = |side: &str, digits: usize| {
                    summary_of(o.at(&[workload, side])).map_or("–".into(), |s| s.show(digits))
                };
                w(&format!(
                    "| {what} | {} | {} | {} |",
                    cell("kefu_ops_per_s", 1),
                    cell("raw_ops_per_s", 1),
                    cell("ratio", 3)
                ));
            }
            if let Some(pages) = o.at(&["agent_pages"]).and_then(Json::as_f64) {
                w("");
                w(&format!("An agent search is {pages:.0} pages."));
            }
        }
        w("");
        if let Some(d) = &self.decode {
            w(
                "CPU cost a page without I/O (`decode-cost`, microseconds): the raw loop parses the \
               answer into a `serde_json::Value`; kefu decodes it into records (lenient typing, \
               `extra`); the export then writes each record as a JSON line.",
            );
            w("");
            w("| step | raw | kefu |");
            w("|---|---|---|");
            let us = |path: &[&str]| {
                d.at(path)
                    .and_then(Json::as_f64)
                    .map_or("–".into(), |v| format!("{v:.0}"))
            };
            w(&format!(
                "| decode a session page (50) | {} | {} |",
                us(&["session_page_us", "raw_parse_value"]),
                us(&["session_page_us", "kefu_decode"])
            ));
            w(&format!(
                "| decode an agent page (50) | {} | {} |",
                us(&["agent_page_us", "raw_parse_value"]),
                us(&["agent_page_us", "kefu_decode"])
            ));
            w(&format!(
                "| write a session page as JSON lines | {} | {} |",
                us(&["write_page_us", "raw_items"]),
                us(&["write_page_us", "kefu_records"])
            ));
            w("");
        }

        w("## Export");
        w("");
        w(&format!(
            "`kefu sessions export --from {EXPORT_FROM_DAY} --to {EXPORT_TO_DAY} --out FILE` (default \
             concurrency: 4 pages in flight) against `kefu sandbox serve --vendor easemob --sessions N` \
             running in its own process, versus `raw-export`, the sequential loop (reqwest + \
             serde_json, one page of 50 after another, each item written as a JSON line), over the \
             same window. Both run under `peak-rss` (wall time; peak resident memory from wait4's \
             `ru_maxrss`). Every file is checked by `export-check`: exactly N lines, no id twice."
        ));
        w("");
        w(
            "| setting | kefu sessions/s | raw sessions/s | kefu/raw | kefu peak RSS (MiB) | raw peak RSS (MiB) | kefu CPU s | raw CPU s | sandbox CPU s (kefu run / raw run) |",
        );
        w("|---|---|---|---|---|---|---|---|---|");
        for e in &self.exports {
            let cell = |s: Option<Stats>, digits: usize| s.map_or("–".into(), |s| s.show(digits));
            let rss = |runs: &[Measured]| Stats::of(runs.iter().map(|m| m.peak_rss_kib / 1024.0));
            let cpu = |runs: &[Measured]| Stats::of(runs.iter().map(|m| m.cpu_s));
            let serve = |runs: &[Measured]| {
                Stats::of(runs.iter().map(|m| m.serve_cpu_s))
                    .map_or("–".into(), |s| format!("{:.2}", s.median))
            };
            w(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} |",
                e.label(),
                cell(e.rate(&e.kefu), 0),
                cell(e.rate(&e.raw), 0),
                cell(e.ratio(), 2),
                cell(rss(&e.kefu), 1),
                cell(rss(&e.raw), 1),
                cell(cpu(&e.kefu), 2),
                cell(cpu(&e.raw), 2),
                serve(&e.kefu),
                serve(&e.raw),
            ));
        }
        w("");
        w(
            "Without added latency the export is bound by CPU, not by waiting: the exporting \
           process and the sandbox share this machine's cores, and the sequential loop spends \
           its time alternately in the sandbox and in itself. Concurrency can at best spread \
           both over the cores, so kefu's wall time cannot be below their CPU together over the \
           number of cores, whatever the SDK does:",
        );
        w("");
        let cores = thread::available_parallelism().map_or(1.0, |n| n.get() as f64);
        for e in self.exports.iter().filter(|e| e.latency_ms == 0) {
            let med = |runs: &[Measured], f: fn(&Measured) -> f64| {
                Stats::of(runs.iter().map(f)).map_or(f64::NAN, |s| s.median)
            };
            let (k_cpu, k_serve) = (med(&e.kefu, |m| m.cpu_s), med(&e.kefu, |m| m.serve_cpu_s));
            let raw_wall = med(&e.raw, |m| m.wall_s);
            let floor = (k_cpu + k_serve) / cores;
            w(&format!(
                "- {}: kefu {k_cpu:.2} s of CPU and the sandbox {k_serve:.2} s on {cores:.0} cores: \
                 at least {floor:.2} s, so at most {:.2}× the sequential loop's {raw_wall:.2} s \
                 (measured: {}×).",
                e.label(),
                raw_wall / floor,
                e.ratio().map_or("–".into(), |r| format!("{:.2}", r.median)),
            ));
        }
        w("");
        w(
            "With latency to hide (the 20 ms setting: a page a round trip, as against a real \
           vendor far away), pages in flight overlap the waiting and the ratio approaches the \
           concurrency (4).",
        );
        for e in &self.exports {
            for p in &e.problems {
                w(&format!("- problem ({}): {p}", e.label()));
            }
        }
        w("");

        w("## The sandbox");
        w("");
        w(&format!(
            "`sandbox-load`: {} raw clients ask the same session page (50) of the served sandbox over \
             and over, reading the bytes only, beside the client's export rate at the same size. \
             Memory of the `kefu sandbox serve` process itself (sessions are derived from the seed \
             on demand; only its request log grows, and the bench clears it before each export):",
            plan.load_concurrency
        ));
        w("");
        w(
            "| sessions served | sandbox pages/s | sandbox sessions/s | kefu export sessions/s | serve RSS at start (MiB) | serve peak RSS (MiB) |",
        );
        w("|---|---|---|---|---|---|");
        for l in &self.loads {
            let num = |path: &[&str], digits: usize| {
                l.load
                    .at(path)
                    .and_then(Json::as_f64)
                    .map_or("–".into(), |v| format!("{v:.digits$}"))
            };
            let client = self
                .exports
                .iter()
                .find(|e| e.sessions == l.sessions && e.latency_ms == 0)
                .and_then(|e| e.rate(&e.kefu))
                .map_or("–".into(), |s| format!("{:.0}", s.median));
            let mib = |v: Option<f64>| v.map_or("–".into(), |k| format!("{:.1}", k / 1024.0));
            w(&format!(
                "| {} | {} | {} | {client} | {} | {} |",
                group(l.sessions),
                num(&["requests_per_s"], 0),
                num(&["sessions_per_s"], 0),
                mib(l.rss_start_kib),
                mib(l.rss_peak_kib),
            ));
        }
        w("");

        w("## Pacing");
        w("");
        if let Some(p) = &self.pacing {
            let num = |k: &str, digits: usize| {
                p.at(&[k])
                    .and_then(Json::as_f64)
                    .map_or("–".into(), |v| format!("{v:.digits$}"))
            };
            w(&format!(
                "`pacing`: {} chatIndexPage calls through kefu's `SobotClient` against the Sobot \
                 sandbox (which refuses the 21st call within a minute with status 4), under tokio's \
                 paused clock: {} virtual seconds. Sustained rate after the first burst of 20: \
                 **{} calls/minute**; at most {} calls in any 60 s; {} refused by the sandbox; {} errors.",
                num("calls", 0),
                num("virtual_seconds", 0),
                num("sustained_per_minute", 2),
                num("max_in_any_minute", 0),
                num("refused_by_sandbox", 0),
                num("errors", 0),
            ));
        }
        w("");

        w("## Commands");
        w("");
        w(
            "Run from the workspace root after `cargo build --release -p kefu-cli` and \
             `cargo build --release -p kefu-bench`; \
           each export ran with only the sandbox's environment (`env_clear`, then the `env` of \
           serve's first line, and `KEFU_CONFIG` pointing at an empty file).",
        );
        w("");
        w("```sh");
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.commands {
            if seen.insert(c.clone()) {
                w(c);
            }
        }
        w("```");
        w("");
        match history {
            Some(h) => w(h),
            None => {
                w(HISTORY_START);
                w("## History");
                w("");
                w("(nothing yet)");
                w(HISTORY_END);
            }
        }
        md
    }
}

/// Just enough JSON for the bench binaries' one-line reports (std only).
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> std::result::Result<Json, String> {
        let mut p = JsonParser {
            bytes: text.trim().as_bytes(),
            pos: 0,
        };
        let value = p.value()?;
        if p.pos != p.bytes.len() {
            return Err(format!("trailing characters at {}", p.pos));
        }
        Ok(value)
    }

    /// The value at a path of object keys.
    fn at(&self, path: &[&str]) -> Option<&Json> {
        path.iter().try_fold(self, |v, key| match v {
            Json::Obj(pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        })
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Compact text again (for messages).
    fn to_text(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Num(n) => n.to_string(),
            Json::Str(s) => format!("{s:?}"),
            Json::Arr(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Json::to_text)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Json::Obj(pairs) => format!(
                "{{{}}}",
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k:?}:{}", v.to_text()))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }
}

struct JsonParser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl JsonParser<'_> {
    fn skip_ws(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(u8::is_ascii_whitespace)
        {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> std::result::Result<(), String> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at {}", b as char, self.pos))
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> std::result::Result<Json, String> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(format!("unexpected text at {}", self.pos))
        }
    }

    fn value(&mut self) -> std::result::Result<Json, String> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            None => Err("unexpected end".into()),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(format!("expected `,` or `]` at {}", self.pos)),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut pairs = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Json::Obj(pairs));
                }
                loop {
                    self.skip_ws();
                    let key = self.string()?;
                    self.eat(b':')?;
                    pairs.push((key, self.value()?));
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Obj(pairs));
                        }
                        _ => return Err(format!("expected `,` or `}}` at {}", self.pos)),
                    }
                }
            }
            Some(_) => {
                let start = self.pos;
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
                {
                    self.pos += 1;
                }
                std::str::from_utf8(&self.bytes[start..self.pos])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .map(Json::Num)
                    .ok_or_else(|| format!("bad value at {start}"))
            }
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(format!("expected a string at {}", self.pos));
        }
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err("unterminated string".into());
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.bytes.get(self.pos) else {
                        return Err("unterminated escape".into());
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = self
                                .bytes
                                .get(self.pos..self.pos + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .ok_or_else(|| format!("bad \\u escape at {}", self.pos))?;
                            self.pos += 4;
                            let c = char::from_u32(hex).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
        String::from_utf8(out).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_named_matches_whole_names_and_companions_only() {
        let tree = "kefu-core v0.1.0 (/w/crates/kefu-core)\n\
                    async-trait v0.1.92 (proc-macro)\n\
                    tokio-macros v2.5.0 (proc-macro)\n\
                    hyperloglog v1.0.0\n\
                    tokio v1.44.0\n\
                    tokio v1.44.0 (*)\n";
        assert_eq!(
            crates_named(tree, &["reqwest", "tokio", "hyper"]),
            ["tokio", "tokio-macros"]
        );
        assert!(crates_named(tree, &["kefu-easemob"]).is_empty());
    }

    #[test]
    fn find_pending_skips_target_and_hidden_dirs() {
        let dir = std::env::temp_dir().join(format!("xtask-pending-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in [
            "crates/a/tests/snapshots",
            "crates/a/src",
            "target/x",
            ".git",
        ] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        for file in [
            "crates/a/tests/snapshots/t__one.snap",
            "crates/a/tests/snapshots/t__one.snap.new",
            "crates/a/src/.lib.rs.pending-snap",
            "target/x/t__two.snap.new",
            ".git/t__three.snap.new",
        ] {
            std::fs::write(dir.join(file), "").expect("write");
        }
        let mut found = Vec::new();
        find_pending(&dir, &mut found);
        found.sort();
        let found: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(&dir).expect("under dir"))
            .collect();
        assert_eq!(
            found,
            [
                Path::new("crates/a/src/.lib.rs.pending-snap"),
                Path::new("crates/a/tests/snapshots/t__one.snap.new"),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn show_prints_env_and_cargo_by_name() {
        let mut cmd = Command::new("/home/x/.cargo/bin/cargo");
        cmd.args(["doc", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(show(&cmd), "RUSTDOCFLAGS=-D warnings cargo doc --no-deps");
    }
    #[test]
    fn bench_json_reads_what_the_bench_binaries_print() {
        let j = Json::parse(
            r#"{"a":{"median":1.5,"n":3},"s":"x\"y\u00e9","l":[1,-2e3,true,null],"ok":false}"#,
        )
        .expect("json");
        assert_eq!(j.at(&["a", "median"]).and_then(Json::as_f64), Some(1.5));
        assert_eq!(j.at(&["s"]).and_then(Json::as_str), Some("x\"yé"));
        assert_eq!(
            j.at(&["l"]),
            Some(&Json::Arr(vec![
                Json::Num(1.0),
                Json::Num(-2000.0),
                Json::Bool(true),
                Json::Null
            ]))
        );
        assert_eq!(j.at(&["ok"]).and_then(Json::as_bool), Some(false));
        assert!(j.at(&["a", "missing"]).is_none());
        assert!(Json::parse("{\"a\":1} x").is_err());
        assert!(Json::parse("{\"a\":").is_err());
        let summary = summary_of(j.at(&["a"]));
        assert!(summary.is_none(), "min and max are missing");
    }

    #[test]
    fn bench_helpers() {
        assert_eq!(group(1_000_000), "1,000,000");
        assert_eq!(group(100), "100");
        let s = Stats::of([3.0, 1.0, f64::NAN, 2.0, 10.0]).expect("stats");
        assert_eq!((s.median, s.min, s.max, s.n), (2.5, 1.0, 10.0, 4));
        assert_eq!(dechunk("4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"), "Wikipedia");
        let doc = format!("# B\nfigures\n{HISTORY_START}\nkept\n{HISTORY_END}\n");
        assert_eq!(
            kept_history(&doc).as_deref(),
            Some(format!("{HISTORY_START}\nkept\n{HISTORY_END}").as_str())
        );
        let now = utc_now();
        assert_eq!(now.len(), "2024-05-01 00:00".len(), "{now}");
        assert!(now.starts_with("20"), "{now}");
    }
}
