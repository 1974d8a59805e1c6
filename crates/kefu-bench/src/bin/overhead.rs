//! `overhead [--rounds R] [--agents N] [--searches K] [--pages K]`: kefu
//! versus a raw reqwest + serde_json loop, same requests, same in-process
//! Easemob sandbox, one request at a time on both sides, so the ratio is the
//! SDK's own cost.
//!
//! Two workloads, measured in interleaved rounds (kefu first on even rounds,
//! raw first on odd ones, so drift hurts neither side):
//!
//! - `agent_search`: every page of the agent search (`list_agents`, N
//!   agents, 50 a page), K times;
//! - `session_page`: one page of 50 sessions (`sessions` over a sandbox of
//!   exactly 50), K times.
//!
//! Prints one JSON object: for each workload the kefu and raw throughputs
//! (operations a second) and the kefu/raw ratio of each round, each as
//! median, min, max and spread.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::future::Future;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use futures_util::TryStreamExt;
use kefu::easemob::{EasemobBuilder, EasemobClient};
use kefu::model::{AgentQuery, SessionQuery, SessionTime};
use kefu::{AgentAdmin, SessionHistory};
use kefu_bench::args::Args;
use kefu_bench::entry::Runtime;
use kefu_bench::raw::{Login, RawEasemob, export_params};
use kefu_bench::stats::Summary;
use kefu_testkit::sandbox::{SeedConfig, easemob};
use serde_json::{Value, json};

fn main() -> ExitCode {
    kefu_bench::entry::block_on("overhead", Runtime::MultiThread, run)
        .map_or(ExitCode::FAILURE, |()| ExitCode::SUCCESS)
}

/// The window every session lies in (May 2024, UTC+8, with room).
fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    let from = Utc.with_ymd_and_hms(2024, 3, 31, 16, 0, 0).single();
    let to = Utc.with_ymd_and_hms(2024, 6, 30, 15, 59, 59).single();
    (from.unwrap_or_default(), to.unwrap_or_default())
}

fn vendor_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

struct Bench {
    kefu: EasemobClient,
    raw: RawEasemob,
    agent_query: AgentQuery,
    session_query: SessionQuery,
    from: String,
    to: String,
    agents: usize,
}

impl Bench {
    async fn kefu_search(&self) -> kefu_bench::Result<usize> {
        let all: Vec<_> = self
            .kefu
            .list_agents(&self.agent_query)?
            .try_collect()
            .await?;
        Ok(all.len())
    }

    async fn raw_search(&self) -> kefu_bench::Result<usize> {
        Ok(self.raw.all_agents(50).await?.len())
    }

    async fn kefu_page(&self) -> kefu_bench::Result<usize> {
        let all: Vec<_> = self
            .kefu
            .sessions(&self.session_query)?
            .try_collect()
            .await?;
        Ok(all.len())
    }

    async fn raw_page(&self) -> kefu_bench::Result<usize> {
        let params = export_params(&self.from, &self.to);
        Ok(self.raw.session_page(1, &params).await?.1.len())
    }
}

/// Operations a second over `reps` runs of `op`, each of which must return
/// `expect` records.
async fn throughput<F, Fut>(reps: usize, expect: usize, op: F) -> kefu_bench::Result<f64>
where
    F: Fn() -> Fut,
    Fut: Future<Output = kefu_bench::Result<usize>>,
{
    let started = Instant::now();
    for _ in 0..reps {
        let n = op().await?;
        if n != expect {
            return Err(format!("expected {expect} records, got {n}").into());
        }
    }
    Ok(reps as f64 / started.elapsed().as_secs_f64())
}

fn summary(runs: &[f64]) -> Value {
    json!(Summary::of(runs))
}

async fn run() -> kefu_bench::Result<()> {
    let args = Args::from_env()?;
    let rounds: usize = args.get("rounds", 7)?;
    let agents: usize = args.get("agents", 500)?;
    let searches: usize = args.get("searches", 40)?;
    let pages: usize = args.get("pages", 400)?;
    // Profiling aid: run one side only (`--only kefu` or `--only raw`).
    let only = args.text("only").map(str::to_owned);
    let workloads: Vec<&str> = match args.text("workload") {
        Some("agent_search") => vec!["agent_search"],
        Some("session_page") => vec!["session_page"],
        _ => vec!["agent_search", "session_page"],
    };

    let seed = SeedConfig {
        agents,
        sessions: 50,
        ..SeedConfig::default()
    };
    let sb = easemob::start(seed).await?;
    let env: HashMap<String, String> = sb.env().into_iter().collect();
    let lookup = |k: &str| env.get(k).cloned();
    let (from, to) = window();
    let bench = Bench {
        kefu: EasemobBuilder::from_lookup(lookup).build()?,
        raw: RawEasemob::connect(&Login::from_lookup(lookup)?).await?,
        agent_query: AgentQuery::default(),
        session_query: SessionQuery {
            by: SessionTime::Stopped,
            from: Some(from),
            to: Some(to),
            ..SessionQuery::default()
        },
        from: vendor_time(from),
        to: vendor_time(to),
        agents,
    };

    // Warm up both (tokens, connections, allocator), and check they agree.
    for _ in 0..3 {
        let (k, r) = (bench.kefu_search().await?, bench.raw_search().await?);
        if k != agents || r != agents {
            return Err(format!("agents: kefu {k}, raw {r}, seeded {agents}").into());
        }
        let (k, r) = (bench.kefu_page().await?, bench.raw_page().await?);
        if k != 50 || r != 50 {
            return Err(format!("session page: kefu {k}, raw {r}, expected 50").into());
        }
    }

    let mut results: HashMap<&str, (Vec<f64>, Vec<f64>)> = HashMap::new();
    for round in 0..rounds {
        // The request log would grow for the whole run otherwise.
        sb.log().clear();
        let kefu_first = round % 2 == 0;
        for workload in workloads.iter().copied() {
            let kefu = || async {
                match workload {
                    "agent_search" => {
                        throughput(searches, bench.agents, || bench.kefu_search()).await
                    }
                    _ => throughput(pages, 50, || bench.kefu_page()).await,
                }
            };
            let raw = || async {
                match workload {
                    "agent_search" => {
                        throughput(searches, bench.agents, || bench.raw_search()).await
                    }
                    _ => throughput(pages, 50, || bench.raw_page()).await,
                }
            };
            let (k, r) = if let Some(side) = &only {
                if side == "kefu" {
                    (kefu().await?, f64::NAN)
                } else {
                    (f64::NAN, raw().await?)
                }
            } else if kefu_first {
                let k = kefu().await?;
                (k, raw().await?)
            } else {
                let r = raw().await?;
                (kefu().await?, r)
            };
            let entry = results.entry(workload).or_default();
            entry.0.push(k);
            entry.1.push(r);
            eprintln!(
                "round {}: {workload}: kefu {k:.1}/s, raw {r:.1}/s, ratio {:.3}",
                round + 1,
                k / r
            );
        }
    }

    let mut out = json!({
        "rounds": rounds,
        "agents": agents,
        "agent_pages": agents.div_ceil(50),
        "searches_per_round": searches,
        "pages_per_round": pages,
    });
    for (workload, (kefu, raw)) in &results {
        let ratio: Vec<f64> = kefu.iter().zip(raw).map(|(k, r)| k / r).collect();
        out[*workload] = json!({
            "kefu_ops_per_s": summary(kefu),
            "raw_ops_per_s": summary(raw),
            "ratio": summary(&ratio),
        });
    }
    println!("{out}");
    Ok(())
}
