//! `kefu sync` figures for `cargo xtask bench` (and `cargo xtask bench-sync`):
//! a sync of N sandbox sessions into SQLite and into PostgreSQL beside
//! `kefu sessions export` of the same range, in the same run, interleaved;
//! rows a second, peak memory, the CPU each used (with the sandbox's and the
//! local PostgreSQL server's beside it), and the requests of an incremental
//! run with nothing new. Written as one delimited block of docs/benchmarks.md.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::report::Stats;
use super::{empty_config, show_short};
use crate::json::{self, At, Json};
use crate::process::{root, target_dir};
use crate::sandbox_http::http;
use crate::{Error, Result};

const BLOCK_START: &str = "<!-- sync: written by cargo xtask bench -->";
const BLOCK_END: &str = "<!-- /sync -->";
const SINCE: &str = "2024-04-01";
const UNTIL: &str = "2024-06-30";

/// One process run under `peak-rss`.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall_s: f64,
    peak_rss_kib: f64,
    /// `kefu`'s own CPU-seconds (user and system).
    cpu_s: f64,
    /// What the processes beside it used meanwhile.
    beside: Beside,
}

impl Run {
    /// CPU-seconds of everything the run kept busy: `kefu`, the sandbox,
    /// and with `server` the PostgreSQL server; `NaN` where one is unknown.
    fn busy_s(&self, server: bool) -> f64 {
        let unknown = f64::NAN;
        let mut s = self.cpu_s + self.beside.sandbox_s.unwrap_or(unknown);
        if server {
            s += self.beside.server_s.unwrap_or(unknown);
        }
        s
    }

    /// `2.07 s, 48421 rows/s, peak RSS 58.0 MiB, CPU 2.7 s (sandbox 0.7 s,
    /// PostgreSQL server 0.0 s)`, for the console: `count` things of `unit`.
    fn line(&self, count: u64, unit: &str) -> String {
        let opt = |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{v:.1} s"));
        format!(
            "{:.2} s, {:.0} {unit}/s, peak RSS {:.1} MiB, CPU {:.1} s (sandbox {}, PostgreSQL server {})",
            self.wall_s,
            count as f64 / self.wall_s,
            self.peak_rss_kib / 1024.0,
            self.cpu_s,
            opt(self.beside.sandbox_s),
            opt(self.beside.server_s)
        )
    }
}

/// CPU-seconds the processes beside `kefu` used during a run: the sandbox
/// (always), and the PostgreSQL server when it runs on this machine.
///
/// A ratio of CPU per row says how much of a gap in rows a second is the
/// sync's own work, and how much is cores left idle. It is no steadier
/// than wall time on these virtual machines: the CPU-seconds a run needs
/// stretch with the host's load (steal, caches shared with other guests),
/// so both moved alike from round to round (issue 12x, docs/sync.md,
/// Performance).
#[derive(Debug, Clone, Copy, Default)]
struct Beside {
    sandbox_s: Option<f64>,
    server_s: Option<f64>,
}

impl Beside {
    /// The counters now (`sandbox` is the served sandbox's pid).
    fn now(sandbox: u32) -> Self {
        Self {
            sandbox_s: super::machine::proc_cpu_s(sandbox),
            server_s: postgres_cpu_s(),
        }
    }

    /// What was used from `self` to `later`.
    fn until(self, later: Self) -> Self {
        let d = |a: Option<f64>, b: Option<f64>| Some(b? - a?).filter(|d| *d >= 0.0);
        Self {
            sandbox_s: d(self.sandbox_s, later.sandbox_s),
            server_s: d(self.server_s, later.server_s),
        }
    }
}

/// CPU-seconds of every `postgres` process on this machine, reaped
/// children included (a backend's time moves to the postmaster's
/// `cutime`/`cstime` when it ends, so the sum carries it over); `None` when
/// there is none to see (a server elsewhere, or in another pid namespace).
fn postgres_cpu_s() -> Option<f64> {
    let mut total = 0.0;
    let mut seen = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(s) = postgres_cpu_of(&stat) {
            total += s;
            seen = true;
        }
    }
    seen.then_some(total)
}

/// A `/proc/PID/stat` line's CPU-seconds, its reaped children's included,
/// if the process is a `postgres` one.
fn postgres_cpu_of(stat: &str) -> Option<f64> {
    match super::machine::stat_cpu_s(stat, true)? {
        ("postgres", s) => Some(s),
        _ => None,
    }
}

#[derive(Debug, Default)]
struct Size {
    sessions: u64,
    export: Vec<Run>,
    sqlite: Vec<Run>,
    postgres: Vec<Run>,
    sqlite_rows: Vec<u64>,
    postgres_rows: Vec<u64>,
    sqlite_incremental_requests: Option<u64>,
    postgres_incremental_requests: Option<u64>,
    postgres_skipped: Option<String>,
}

/// Runs the sync benchmark and writes its block into `out`.
pub fn bench_sync(quick: bool, bin: &Path, out: &Path) -> Result {
    let sizes: &[(u64, usize)] = if quick {
        &[(10_000, 2), (50_000, 1)]
    } else {
        // Three rounds at 1,000,000: one round moved by about 10% from run
        // to run, too much for a verdict near a target. Nine at 100,000,
        // where a round takes seconds: in two runs of the same code its
        // export alone took 2.5 to 4.4 s, and three rounds gave medians of
        // 0.70x and 0.94x (issue 12v). A multiple of three, so each of the
        // three goes first, second and third equally often.
        &[(100_000, 9), (1_000_000, 3)]
    };
    // Read before the first process starts: the load it found, and where.
    let machine = super::machine::machine();
    let work = std::env::temp_dir().join(format!("kefu-bench-sync-{}", std::process::id()));
    std::fs::create_dir_all(&work)
        .map_err(|e| Error(format!("cannot create {}: {e}", work.display())))?;
    let mut results = Vec::new();
    let mut outcome = Ok(());
    for &(sessions, runs) in sizes {
        match at_size(bin, &work, sessions, runs) {
            Ok(r) => results.push(r),
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    outcome?;
    let block = markdown(&results, &measured_on(&machine));
    let text = std::fs::read_to_string(out).unwrap_or_default();
    let text = match (text.find(BLOCK_START), text.find(BLOCK_END)) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{block}{}", &text[..a], &text[b + BLOCK_END.len()..])
        }
        _ => match text.find(super::HISTORY_START) {
            Some(h) => format!("{}{block}\n\n{}", &text[..h], &text[h..]),
            None => format!("{}\n{block}\n", text.trim_end()),
        },
    };
    std::fs::write(out, text).map_err(|e| Error(format!("cannot write {}: {e}", out.display())))?;
    println!("\nwrote the sync figures into {}", out.display());
    for line in verdicts(&results) {
        println!("  {line}");
    }
    Ok(())
}

/// `cargo xtask bench-sync [--quick]`: only these figures.
pub fn bench_sync_only(rest: &[String]) -> Result {
    let quick = match rest {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => {
            return Err(Error(format!(
                "`bench-sync` takes only --quick, got `{}`",
                rest.join(" ")
            )));
        }
    };
    crate::process::run(crate::process::cargo([
        "build",
        "--release",
        "-p",
        "kefu-cli",
    ]))?;
    crate::process::run(crate::process::cargo([
        "build",
        "--release",
        "-p",
        "kefu-bench",
    ]))?;
    let out = if quick {
        target_dir().join("benchmarks-quick.md")
    } else {
        root().join("docs/benchmarks.md")
    };
    bench_sync(quick, &target_dir().join("release"), &out)
}

fn at_size(bin: &Path, work: &Path, sessions: u64, runs: usize) -> Result<Size> {
    println!("\n== sync: {sessions} sessions: kefu sandbox serve");
    let mut serve = Command::new(bin.join("kefu"));
    serve
        .args(["sandbox", "serve", "--vendor", "easemob", "--sessions"])
        .arg(sessions.to_string())
        .env_clear()
        .env("KEFU_CONFIG", empty_config(work)?)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = serve
        .spawn()
        .map_err(|e| Error(format!("cannot start kefu sandbox serve: {e}")))?;
    let result = with_server(bin, work, sessions, runs, &mut child);
    // Our own child, by its handle.
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn with_server(
    bin: &Path,
    work: &Path,
    sessions: u64,
    runs: usize,
    child: &mut Child,
) -> Result<Size> {
    let (base_url, env) = super::announcement(child)?;
    let sandbox = child.id();
    let config = empty_config(work)?;
    let kefu = |args: &[&str]| {
        let mut cmd = Command::new(bin.join("peak-rss"));
        cmd.arg("--")
            .arg(bin.join("kefu"))
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("KEFU_CONFIG", &config);
        cmd
    };
    let pg_admin = std::env::var("KEFU_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut size = Size {
        sessions,
        ..Size::default()
    };
    for run_no in 0..runs {
        // Export, SQLite, PostgreSQL; the order turns each round.
        let order = ["export", "sqlite", "postgres"];
        for k in 0..3 {
            let who = order[(k + run_no) % 3];
            match who {
                "export" => {
                    let file = work.join("export.jsonl");
                    let file_s = file.to_string_lossy().into_owned();
                    let (run, _) = measured(
                        kefu(&[
                            "sessions", "export", "--from", SINCE, "--to", UNTIL, "--out", &file_s,
                        ]),
                        sandbox,
                    )?;
                    let _ = std::fs::remove_file(&file);
                    println!("   export: {}", run.line(sessions, "sessions"));
                    size.export.push(run);
                }
                "sqlite" => {
                    let db = work.join(format!("sync-{run_no}.db"));
                    let db_s = db.to_string_lossy().into_owned();
                    let (run, rows) = sync_once(&kefu, sandbox, &db_s)?;
                    println!("   sync into SQLite: {}", run.line(rows, "rows"));
                    size.sqlite.push(run);
                    size.sqlite_rows.push(rows);
                    if run_no == 0 {
                        size.sqlite_incremental_requests =
                            Some(incremental(&kefu, sandbox, &base_url, &db_s)?);
                    }
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{db_s}{suffix}"));
                    }
                }
                _ => {
                    if size.postgres_skipped.is_some() {
                        continue;
                    }
                    let name = format!("kefu_bench_sync_{}_{run_no}", std::process::id());
                    if let Err(e) = psql(&pg_admin, &format!("CREATE DATABASE {name}")) {
                        println!("   PostgreSQL skipped: {e}");
                        size.postgres_skipped = Some(e.0);
                        continue;
                    }
                    let url = with_database(&pg_admin, &name);
                    let measured = sync_once(&kefu, sandbox, &url).and_then(|(run, rows)| {
                        let inc = if run_no == 0 {
                            Some(incremental(&kefu, sandbox, &base_url, &url)?)
                        } else {
                            None
                        };
                        Ok((run, rows, inc))
                    });
                    let _ = psql(
                        &pg_admin,
                        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    );
                    let (run, rows, inc) = measured?;
                    println!("   sync into PostgreSQL: {}", run.line(rows, "rows"));
                    size.postgres.push(run);
                    size.postgres_rows.push(rows);
                    if inc.is_some() {
                        size.postgres_incremental_requests = inc;
                    }
                }
            }
        }
    }
    Ok(size)
}

/// `kefu sync run` of the benchmark's range into `db`.
fn sync_args(db: &str) -> [&str; 10] {
    [
        "sync",
        "run",
        "--streams",
        "sessions",
        "--since",
        SINCE,
        "--until",
        UNTIL,
        "--db",
        db,
    ]
}

/// A first sync into `db`: its run and the rows it inserted.
fn sync_once(kefu: &dyn Fn(&[&str]) -> Command, sandbox: u32, db: &str) -> Result<(Run, u64)> {
    let args = [&sync_args(db)[..], &["-o", "json"]].concat();
    let (run, stdout) = measured(kefu(&args), sandbox)?;
    let summary = json::parse(&stdout)
        .map_err(|e| Error(format!("sync summary is not JSON ({e}): {stdout}")))?;
    let inserted = match &summary {
        Json::Array(rows) => rows
            .iter()
            .find(|r| r.at(&["stream"]).and_then(Json::as_str) == Some("sessions"))
            .and_then(|r| r.at(&["inserted"]))
            .and_then(Json::as_f64),
        _ => None,
    }
    .ok_or_else(|| Error(format!("no sessions row in the sync summary: {stdout}")))?;
    Ok((run, inserted as u64))
}

/// A second run with nothing new: the requests it made.
fn incremental(
    kefu: &dyn Fn(&[&str]) -> Command,
    sandbox: u32,
    base_url: &str,
    db: &str,
) -> Result<u64> {
    http(base_url, "DELETE", "/__sandbox/requests", None)?;
    measured(kefu(&sync_args(db)), sandbox)?;
    let log = json::parse(&http(base_url, "GET", "/__sandbox/requests", None)?)
        .map_err(|e| Error(format!("request log: {e}")))?;
    match log {
        Json::Array(items) => Ok(items.len() as u64),
        _ => Err(Error("the request log is not a list".into())),
    }
}

/// Runs `peak-rss -- ...`: its figures, and what the command printed before them.
fn measured(mut cmd: Command, sandbox: u32) -> Result<(Run, String)> {
    let line = show_short(&cmd);
    println!("$ {line}");
    let before = Beside::now(sandbox);
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error(format!("could not start `{line}`: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    let last = lines.pop().unwrap_or("");
    let figures = json::parse(last).map_err(|e| {
        Error(format!(
            "`{line}` did not end with a JSON line ({e}): {stdout}"
        ))
    })?;
    if !out.status.success() {
        return Err(Error(format!(
            "`{line}` failed ({}): {}",
            out.status, figures
        )));
    }
    // A backend ends just after its client: give the postmaster a moment
    // to reap it, so its time is counted in this run and not the next.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let beside = before.until(Beside::now(sandbox));
    let num = |k: &str| figures.at(&[k]).and_then(Json::as_f64).unwrap_or(f64::NAN);
    Ok((
        Run {
            wall_s: num("wall_s"),
            peak_rss_kib: num("peak_rss_kib"),
            cpu_s: num("user_s") + num("sys_s"),
            beside,
        },
        lines.join("\n"),
    ))
}

fn psql(url: &str, sql: &str) -> Result {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| Error(format!("psql is not available: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error(format!(
            "PostgreSQL refused `{sql}`: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn rates(runs: &[Run], rows: &[u64]) -> Vec<f64> {
    runs.iter()
        .zip(rows)
        .map(|(r, n)| *n as f64 / r.wall_s)
        .collect()
}

fn fmt_stats(s: Option<Stats>, digits: usize) -> String {
    s.map_or_else(
        || "n/a".to_owned(),
        |s| {
            if s.n > 1 {
                format!(
                    "{:.digits$} ({:.digits$}–{:.digits$}, n={})",
                    s.median, s.min, s.max, s.n
                )
            } else {
                format!("{:.digits$} (n=1)", s.median)
            }
        },
    )
}

fn export_rates(size: &Size) -> Vec<f64> {
    size.export
        .iter()
        .map(|r| size.sessions as f64 / r.wall_s)
        .collect()
}

/// Per round, sync rate over the export rate of the same round.
fn ratios(size: &Size, runs: &[Run], rows: &[u64]) -> Vec<f64> {
    rates(runs, rows)
        .iter()
        .zip(export_rates(size))
        .map(|(s, e)| s / e)
        .collect()
}

/// CPU-seconds a 100,000 rows, by `cpu` of each run.
fn cpu_per_100k(runs: &[Run], rows: &[u64], cpu: impl Fn(&Run) -> Option<f64>) -> Vec<f64> {
    runs.iter()
        .zip(rows)
        .map(|(r, n)| cpu(r).map_or(f64::NAN, |c| c * 100_000.0 / *n as f64))
        .collect()
}

/// The export's rows, once per run, to pair with [`cpu_per_100k`].
fn export_rows(size: &Size) -> Vec<u64> {
    vec![size.sessions; size.export.len()]
}

/// Per round, the sync's rows per CPU-second of all it kept busy (the
/// server too, with `server`) over the export's (`kefu` and the sandbox).
fn cpu_ratios(size: &Size, runs: &[Run], rows: &[u64], server: bool) -> Vec<f64> {
    runs.iter()
        .zip(rows)
        .zip(&size.export)
        .map(|((r, n), e)| {
            (*n as f64 / r.busy_s(server)) / (size.sessions as f64 / e.busy_s(false))
        })
        .collect()
}

fn rss_mib(runs: &[Run]) -> Option<Stats> {
    Stats::of(runs.iter().map(|r| r.peak_rss_kib / 1024.0))
}

fn verdicts(sizes: &[Size]) -> Vec<String> {
    let mut out = Vec::new();
    let met = |ok: bool| if ok { "**met**" } else { "**not met**" };
    for s in sizes {
        if let Some(r) = Stats::of(ratios(s, &s.sqlite, &s.sqlite_rows)) {
            out.push(format!(
                "| SQLite sync ≥ 0.8× the export's rate, {} sessions | {:.2}× | {} |",
                s.sessions,
                r.median,
                met(r.median >= 0.8)
            ));
        }
        if let Some(r) = Stats::of(ratios(s, &s.postgres, &s.postgres_rows)) {
            out.push(format!(
                "| PostgreSQL sync ≥ 0.5× the export's rate, {} sessions | {:.2}× | {} |",
                s.sessions,
                r.median,
                met(r.median >= 0.5)
            ));
        } else if let Some(why) = &s.postgres_skipped {
            out.push(format!("| PostgreSQL sync ≥ 0.5× the export's rate, {} sessions | not measured: {why} | **not met** |", s.sessions));
        }
        for (name, n) in [
            ("SQLite", s.sqlite_incremental_requests),
            ("PostgreSQL", s.postgres_incremental_requests),
        ] {
            if let Some(n) = n {
                out.push(format!("| an incremental {name} run with nothing new costs a few requests, {} sessions | {n} requests (token included) | {} |", s.sessions, met(n <= 5)));
            }
        }
    }
    if let [small, large, ..] = sizes {
        for (name, a, b) in [
            ("SQLite", &small.sqlite, &large.sqlite),
            ("PostgreSQL", &small.postgres, &large.postgres),
        ] {
            if let (Some(a), Some(b)) = (rss_mib(a), rss_mib(b)) {
                let grow = (b.median / a.median - 1.0) * 100.0;
                out.push(format!(
                    "| flat memory: {name} sync of {} sessions within 10% of {} | {:.1} MiB vs {:.1} MiB ({grow:+.1}%) | {} |",
                    large.sessions, small.sessions, b.median, a.median, met(grow <= 10.0)
                ));
            }
        }
    }
    out
}

/// When, at which commit, and on what the figures were measured: the same
/// code measured 0.71x one day and 0.68x the next on another machine of the
/// same kind (docs/benchmarks.md, History), so a block says where it is from.
fn measured_on(machine: &[(String, String)]) -> String {
    let get = |key: &str| {
        machine
            .iter()
            .find(|(k, _)| k.starts_with(key))
            .map_or("unknown", |(_, v)| v.as_str())
    };
    format!(
        "Measured {} UTC at commit {}, on {} cores ({}), load average at start {}.",
        get("date"),
        get("commit"),
        get("cores"),
        get("CPU"),
        get("load average"),
    )
}

fn markdown(sizes: &[Size], measured: &str) -> String {
    let mut m = String::new();
    m.push_str(BLOCK_START);
    m.push_str("\n## Sync\n\n");
    m.push_str(measured);
    m.push_str("\n\n");
    m.push_str(&format!(
        "`kefu sync run --streams sessions --since {SINCE} --until {UNTIL} --db DB` (a fresh database each run) beside `kefu sessions export --from {SINCE} --to {UNTIL} --out FILE`, against the same `kefu sandbox serve --vendor easemob --sessions N`, rounds interleaved (the order turns each round); every process under `peak-rss`. Rows a second are the rows the sync inserted over its wall time (opening and migrating the database included); the ratio compares each sync with the export of its own round. The incremental run is the same command again with nothing new: the sandbox's request log counts what it sent. PostgreSQL is the local server ({}). Where the time goes, and what was tried: docs/sync.md, section Performance.\n\n",
        "127.0.0.1:5432 unless KEFU_TEST_POSTGRES_URL says otherwise"
    ));
    m.push_str("| target | figure | |\n|---|---|---|\n");
    for line in verdicts(sizes) {
        m.push_str(&line);
        m.push('\n');
    }
    m.push_str("\n| sessions | export sessions/s | SQLite rows/s | SQLite/export | PostgreSQL rows/s | PostgreSQL/export | peak RSS MiB: export / SQLite / PostgreSQL |\n|---|---|---|---|---|---|---|\n");
    for s in sizes {
        m.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} / {} / {} |\n",
            s.sessions,
            fmt_stats(Stats::of(export_rates(s)), 0),
            fmt_stats(Stats::of(rates(&s.sqlite, &s.sqlite_rows)), 0),
            fmt_stats(Stats::of(ratios(s, &s.sqlite, &s.sqlite_rows)), 2),
            fmt_stats(Stats::of(rates(&s.postgres, &s.postgres_rows)), 0),
            fmt_stats(Stats::of(ratios(s, &s.postgres, &s.postgres_rows)), 2),
            fmt_stats(rss_mib(&s.export), 1),
            fmt_stats(rss_mib(&s.sqlite), 1),
            fmt_stats(rss_mib(&s.postgres), 1),
        ));
    }
    m.push_str(
        "\nCPU-seconds a 100,000 rows (medians; the server's and the ratios with the smallest and largest): `kefu`'s from `peak-rss`, the sandbox's and the PostgreSQL server's from `/proc` (the server's only when it runs on this machine; its reaped backends included). \"By CPU\" compares rows per CPU-second of all that a run kept busy (`kefu` and the sandbox, and for PostgreSQL the server), round by round: where the two cores are the limit, it is the ratio of rates the wall clock tends to; a wall-time ratio above it means the sync kept the cores busier than the export did. On these virtual machines CPU time stretches with the host's load as wall time does (docs/sync.md, Performance).\n\n| sessions | `kefu`: export / SQLite / PostgreSQL | sandbox: export / SQLite / PostgreSQL | PostgreSQL server | SQLite/export by CPU | PostgreSQL/export by CPU |\n|---|---|---|---|---|---|\n",
    );
    for s in sizes {
        let own = |r: &Run| Some(r.cpu_s);
        let sandbox = |r: &Run| r.beside.sandbox_s;
        let med =
            |v: Vec<f64>| Stats::of(v).map_or("–".to_owned(), |s| format!("{:.2}", s.median));
        m.push_str(&format!(
            "| {} | {} / {} / {} | {} / {} / {} | {} | {} | {} |\n",
            s.sessions,
            med(cpu_per_100k(&s.export, &export_rows(s), own)),
            med(cpu_per_100k(&s.sqlite, &s.sqlite_rows, own)),
            med(cpu_per_100k(&s.postgres, &s.postgres_rows, own)),
            med(cpu_per_100k(&s.export, &export_rows(s), sandbox)),
            med(cpu_per_100k(&s.sqlite, &s.sqlite_rows, sandbox)),
            med(cpu_per_100k(&s.postgres, &s.postgres_rows, sandbox)),
            fmt_stats(
                Stats::of(cpu_per_100k(&s.postgres, &s.postgres_rows, |r| r
                    .beside
                    .server_s)),
                2
            ),
            fmt_stats(
                Stats::of(cpu_ratios(s, &s.sqlite, &s.sqlite_rows, false)),
                2
            ),
            fmt_stats(
                Stats::of(cpu_ratios(s, &s.postgres, &s.postgres_rows, true)),
                2
            ),
        ));
    }
    m.push('\n');
    m.push_str(BLOCK_END);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_cpu_counts_its_processes_and_their_reaped_children() {
        // pid (comm) state ppid ... utime stime cutime cstime ...
        let postmaster =
            "2242 (postgres) S 1 2242 2242 0 -1 4194560 1 2 0 0 150 50 900 100 20 0 1 0 5";
        assert_eq!(postgres_cpu_of(postmaster), Some(12.0));
        // Without children, its own time only (what the sandbox is measured by).
        assert_eq!(
            crate::bench::machine::stat_cpu_s(postmaster, false),
            Some(("postgres", 2.0))
        );
        // Other processes, and names that only look alike, are not counted.
        let other = "77 (kefu) S 1 77 77 0 -1 4194560 1 2 0 0 150 50 900 100 20 0 1 0 5";
        assert_eq!(postgres_cpu_of(other), None);
        let lookalike =
            "78 (x (postgres) y) S 1 77 77 0 -1 4194560 1 2 0 0 150 50 900 100 20 0 1 0 5";
        assert_eq!(postgres_cpu_of(lookalike), None);
        assert_eq!(postgres_cpu_of("79 (postgres) S 1 2"), None, "cut short");
    }

    #[test]
    fn by_cpu_compares_rows_per_second_of_all_a_run_kept_busy() {
        let run = |cpu_s: f64, sandbox: Option<f64>, server: Option<f64>| Run {
            wall_s: 1.0,
            peak_rss_kib: 1.0,
            cpu_s,
            beside: Beside {
                sandbox_s: sandbox,
                server_s: server,
            },
        };
        let size = Size {
            sessions: 100_000,
            // 12 CPU-seconds for 100,000 sessions, then 10.
            export: vec![run(10.0, Some(2.0), Some(9.0)), run(8.0, Some(2.0), None)],
            // 15 for the same rows: 0.8 of the export's rows per CPU-second.
            sqlite: vec![run(13.0, Some(2.0), None), run(11.0, None, None)],
            // The server's time counts for PostgreSQL: 20 CPU-seconds, 0.6.
            postgres: vec![run(10.0, Some(2.0), Some(8.0))],
            sqlite_rows: vec![100_000, 100_000],
            postgres_rows: vec![100_000],
            ..Size::default()
        };
        let r = cpu_ratios(&size, &size.sqlite, &size.sqlite_rows, false);
        assert!((r[0] - 0.8).abs() < 1e-9, "{r:?}");
        assert!(r[1].is_nan(), "a sandbox not measured is no figure: {r:?}");
        let r = cpu_ratios(&size, &size.postgres, &size.postgres_rows, true);
        assert!((r[0] - 0.6).abs() < 1e-9, "{r:?}");
        assert_eq!(
            cpu_per_100k(&size.sqlite, &[50_000, 100_000], |r| Some(r.cpu_s)),
            [26.0, 11.0]
        );
        let (a, b) = (
            Beside {
                sandbox_s: Some(1.0),
                server_s: Some(5.0),
            },
            Beside {
                sandbox_s: Some(3.5),
                server_s: Some(4.0),
            },
        );
        let d = a.until(b);
        assert_eq!(d.sandbox_s, Some(2.5));
        assert_eq!(d.server_s, None, "a counter that went back is no figure");
    }

    #[test]
    fn the_block_says_when_and_where_it_was_measured() {
        let machine: Vec<(String, String)> = [
            ("date (UTC)", "2026-12-03 10:48"),
            ("cores (nproc)", "2"),
            ("CPU", "AMD EPYC"),
            ("load average at start (1, 5, 15 min)", "0.5 0.4 0.3"),
            ("commit", "abc1234"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let block = markdown(&[], &measured_on(&machine));
        assert!(
            block.contains(
                "Measured 2026-12-03 10:48 UTC at commit abc1234, on 2 cores (AMD EPYC), \
                 load average at start 0.5 0.4 0.3."
            ),
            "{block}"
        );
        assert!(block.starts_with(BLOCK_START) && block.trim_end().ends_with(BLOCK_END));
    }

    /// `measured_on` finds its values by the labels of the machine table;
    /// a label renamed there would otherwise turn into a silent "unknown".
    #[test]
    fn the_machine_table_has_every_label_the_block_reads() {
        let machine = crate::bench::machine::machine();
        for label in ["date", "commit", "cores", "CPU", "load average"] {
            assert!(
                machine.iter().any(|(k, _)| k.starts_with(label)),
                "no `{label}` in {machine:?}"
            );
        }
    }
}
