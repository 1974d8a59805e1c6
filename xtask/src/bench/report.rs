//! The figures of one `bench` run, and docs/benchmarks.md written from
//! them: the targets, the tables, the commands, the kept history.

use std::thread;

use super::{
    BenchPlan, EXPORT_FROM_DAY, EXPORT_TO_DAY, HISTORY_END, HISTORY_START, RSS_CEILING_KIB,
};
use crate::bench_store;
use crate::json::{At, Json};

/// The figures of one run, as the bench binaries printed them.
#[derive(Debug, Default)]
pub(super) struct BenchReport {
    pub(super) machine: Vec<(String, String)>,
    pub(super) commands: Vec<String>,
    pub(super) overhead: Option<Json>,
    pub(super) decode: Option<Json>,
    pub(super) exports: Vec<ExportResult>,
    pub(super) loads: Vec<LoadResult>,
    pub(super) pacing: Option<Json>,
    pub(super) shared_store: Option<Json>,
}

/// One export setting's runs.
#[derive(Debug, Default)]
pub(super) struct ExportResult {
    pub(super) sessions: u64,
    pub(super) latency_ms: u64,
    pub(super) kefu: Vec<Measured>,
    pub(super) raw: Vec<Measured>,
    /// `export-check` failures, worded.
    pub(super) problems: Vec<String>,
}

/// One process's run as `peak-rss` measured it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Measured {
    pub(super) wall_s: f64,
    pub(super) peak_rss_kib: f64,
    pub(super) cpu_s: f64,
    /// CPU the serving sandbox spent meanwhile.
    pub(super) serve_cpu_s: f64,
}

/// The sandbox's own throughput, and its memory, at one size.
#[derive(Debug)]
pub(super) struct LoadResult {
    pub(super) sessions: u64,
    pub(super) load: Json,
    /// `VmRSS` of the serving process when it had just started, in KiB.
    pub(super) rss_start_kib: Option<f64>,
    /// `VmHWM` (peak) of the serving process after every export, in KiB.
    pub(super) rss_peak_kib: Option<f64>,
}

/// Median, min and max of some runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stats {
    pub(super) median: f64,
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) n: usize,
}

impl Stats {
    pub(super) fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
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
pub(super) fn summary_of(json: Option<&Json>) -> Option<Stats> {
    let json = json?;
    Some(Stats {
        median: json.at(&["median"])?.as_f64()?,
        min: json.at(&["min"])?.as_f64()?,
        max: json.at(&["max"])?.as_f64()?,
        n: json.at(&["n"])?.as_f64()? as usize,
    })
}

pub(super) fn yes_no(met: bool) -> &'static str {
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
pub(super) fn group(n: u64) -> String {
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
        // Issue 11: decoding on serde must stay within 1.1x of a plain parse.
        if let Some(r) = self
            .decode
            .as_ref()
            .and_then(|d| d.at(&["kefu_over_raw", "session_page"]))
            .and_then(Json::as_f64)
        {
            rows.push((
                "decode a session page (50): CPU ≤ 1.1× `serde_json::from_slice::<Value>`"
                    .to_owned(),
                format!("{r:.2}× (median of the rounds' ratios)"),
                r <= 1.1,
            ));
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
        if let Some(row) = bench_store::verdict(self.shared_store.as_ref()) {
            rows.push(row);
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

    pub(super) fn verdicts(&self) -> Vec<String> {
        self.targets()
            .into_iter()
            .map(|(what, figure, met)| {
                format!("[{}] {what}: {figure}", if met { "met" } else { "NOT MET" })
            })
            .collect()
    }

    pub(super) fn markdown(&self, plan: &BenchPlan, history: Option<&str>) -> String {
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
                "CPU cost a page without I/O (`decode-cost`, microseconds of the thread's CPU time): \
               the raw loop parses the answer into a `serde_json::Value`; kefu decodes it into \
               records (lenient typing, `extra`); the export then writes each record as a JSON \
               line. kefu/raw is the median of each round's ratio (raw and kefu back to back).",
            );
            w("");
            w("| step | raw | kefu | kefu/raw |");
            w("|---|---|---|---|");
            let us = |path: &[&str]| {
                d.at(path)
                    .and_then(Json::as_f64)
                    .map_or("–".into(), |v| format!("{v:.0}"))
            };
            let ratio = |step: &str| {
                d.at(&["kefu_over_raw", step])
                    .and_then(Json::as_f64)
                    .map_or("–".into(), |v| format!("{v:.2}"))
            };
            w(&format!(
                "| decode a session page (50) | {} | {} | {} |",
                us(&["session_page_us", "raw_parse_value"]),
                us(&["session_page_us", "kefu_decode"]),
                ratio("session_page")
            ));
            w(&format!(
                "| decode an agent page (50) | {} | {} | {} |",
                us(&["agent_page_us", "raw_parse_value"]),
                us(&["agent_page_us", "kefu_decode"]),
                ratio("agent_page")
            ));
            w(&format!(
                "| write a session page as JSON lines | {} | {} | {} |",
                us(&["write_page_us", "raw_items"]),
                us(&["write_page_us", "kefu_records"]),
                ratio("write_page")
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

        for line in bench_store::markdown(self.shared_store.as_ref()) {
            w(&line);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_helpers() {
        assert_eq!(group(1_000_000), "1,000,000");
        assert_eq!(group(100), "100");
        let s = Stats::of([3.0, 1.0, f64::NAN, 2.0, 10.0]).expect("stats");
        assert_eq!((s.median, s.min, s.max, s.n), (2.5, 1.0, 10.0, 4));
    }

    #[test]
    fn a_summary_needs_every_figure() {
        let j: Json = serde_json::json!({"a": {"median": 1.5, "n": 3}});
        assert!(
            summary_of(j.at(&["a"])).is_none(),
            "min and max are missing"
        );
        let j: Json = serde_json::json!({"median": 2, "min": 1, "max": 3.5, "n": 4});
        let s = summary_of(Some(&j)).expect("all four");
        assert_eq!((s.median, s.min, s.max, s.n), (2.0, 1.0, 3.5, 4));
    }
}
