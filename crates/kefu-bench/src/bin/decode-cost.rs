//! `decode-cost [--reps N]`: CPU cost a page, without any I/O, of each step
//! between the bytes of an answer and the line written, kefu's way and the
//! raw loop's way. Profiling aid: says whether decoding or writing records
//! is worth optimizing.
//!
//! The answers are real sandbox pages (50 sessions; 50 agents), fetched
//! once. Prints microseconds of this thread's CPU time a page for each
//! step: the median of `--rounds` rounds (default 5) of `--reps`
//! repetitions (default 1000), each round every step raw and kefu in ten
//! alternating slices; and each kefu/raw ratio as the median of the
//! rounds' ratios (the figure issue 11 sets at 1.1 at most for a session
//! page).
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Duration;

use kefu::time::Zone;
use kefu_bench::args::Args;
use kefu_bench::cpu::thread_time;
use kefu_bench::entry::Runtime;
use kefu_bench::raw::{Login, RawEasemob};
use kefu_bench::stats::Summary;
use kefu_http::WireResponse;
use kefu_testkit::sandbox::{SeedConfig, easemob};
use serde_json::{Value, json};

fn main() -> ExitCode {
    kefu_bench::entry::block_on("decode-cost", Runtime::CurrentThread, run)
        .map_or(ExitCode::FAILURE, |()| ExitCode::SUCCESS)
}

/// CPU time of `reps` calls of `f`.
fn cpu(reps: usize, f: &mut impl FnMut()) -> Duration {
    let started = thread_time();
    for _ in 0..reps {
        f();
    }
    thread_time().saturating_sub(started)
}

/// Microseconds of CPU time per call of `raw` and of `kefu`, about `reps`
/// calls each, in ten slices taken in turn: a change of load on the shared
/// machine falls on both sides of the ratio alike.
fn pair(reps: usize, mut raw: impl FnMut(), mut kefu: impl FnMut()) -> [f64; 2] {
    const SLICES: usize = 10;
    let per = reps.div_ceil(SLICES).max(1);
    let (mut a, mut b) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..SLICES {
        a += cpu(per, &mut raw);
        b += cpu(per, &mut kefu);
    }
    let calls = (per * SLICES) as f64;
    [a.as_secs_f64() * 1e6 / calls, b.as_secs_f64() * 1e6 / calls]
}

async fn fetch(login: &Login, rest: &str, token: &str) -> kefu_bench::Result<bytes_like::Body> {
    let url = format!("{}/api/tenants/{}/{rest}", login.base_url, login.tenant_id);
    let body = reqwest::Client::new()
        .get(url)
        .header("Kefu-Token", token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    Ok(bytes_like::Body(body.to_vec()))
}

mod bytes_like {
    /// An answer's body.
    pub struct Body(pub Vec<u8>);
}

async fn run() -> kefu_bench::Result<()> {
    let args = Args::from_env()?;
    let reps: usize = args.get("reps", 1000)?;
    let rounds: usize = args.get("rounds", 5)?;
    let sb = easemob::start(SeedConfig {
        agents: 50,
        sessions: 50,
        ..SeedConfig::default()
    })
    .await?;
    let env: HashMap<String, String> = sb.env().into_iter().collect();
    let login = Login::from_lookup(|k| env.get(k).cloned())?;
    let token = RawEasemob::connect(&login).await?.token().to_owned();
    let sessions = fetch(&login, "serviceSessionHistorys?page=1&per_page=50", &token).await?;
    let agents = fetch(&login, "agents?page=0&size=50&keyValue=", &token).await?;
    let zone = Zone::CHINA;
    let session_answer = WireResponse::new(200, sessions.0.clone());
    let agent_answer = WireResponse::new(200, agents.0.clone());

    let items: Vec<Value> = serde_json::from_slice::<Value>(&sessions.0)?
        .pointer("/entity/items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let records = kefu::easemob::decode::sessions_page(&session_answer, zone)?.items;
    let mut buf = Vec::with_capacity(1 << 20);

    // Rounds, each step raw and kefu in turn, and the median of the
    // rounds: a shared machine's load moves single measurements.
    let mut raw_buf = Vec::with_capacity(1 << 20);
    let mut runs: Vec<[f64; 6]> = Vec::new();
    for _ in 0..rounds {
        let [s_raw, s_kefu] = pair(
            reps,
            || {
                black_box(serde_json::from_slice::<Value>(black_box(&sessions.0)).ok());
            },
            || {
                black_box(
                    kefu::easemob::decode::sessions_page(black_box(&session_answer), zone).ok(),
                );
            },
        );
        let [a_raw, a_kefu] = pair(
            reps,
            || {
                black_box(serde_json::from_slice::<Value>(black_box(&agents.0)).ok());
            },
            || {
                black_box(kefu::easemob::decode::agents_page(black_box(&agent_answer), zone).ok());
            },
        );
        let [w_raw, w_kefu] = pair(
            reps,
            || {
                raw_buf.clear();
                for item in &items {
                    let _ = serde_json::to_writer(&mut raw_buf, item);
                    raw_buf.push(b'\n');
                }
                black_box(&raw_buf);
            },
            || {
                buf.clear();
                for record in &records {
                    let _ = serde_json::to_writer(&mut buf, record);
                    buf.push(b'\n');
                }
                black_box(&buf);
            },
        );
        runs.push([s_raw, s_kefu, a_raw, a_kefu, w_raw, w_kefu]);
    }
    let median = |k: usize| {
        let v: Vec<f64> = runs.iter().map(|r| r[k]).collect();
        Summary::of(&v).map_or(f64::NAN, |s| s.median)
    };
    // kefu/raw of each round, then the median: the two sides of a ratio
    // ran back to back, under the same load.
    let ratio = |kefu: usize, raw: usize| {
        let v: Vec<f64> = runs.iter().map(|r| r[kefu] / r[raw]).collect();
        Summary::of(&v).map_or(f64::NAN, |s| s.median)
    };
    let out = json!({
        "reps": reps,
        "rounds": rounds,
        "session_page_bytes": sessions.0.len(),
        "agent_page_bytes": agents.0.len(),
        "session_page_us": {"raw_parse_value": median(0), "kefu_decode": median(1)},
        "agent_page_us": {"raw_parse_value": median(2), "kefu_decode": median(3)},
        "write_page_us": {"raw_items": median(4), "kefu_records": median(5)},
        "kefu_over_raw": {
            "session_page": ratio(1, 0),
            "agent_page": ratio(3, 2),
            "write_page": ratio(5, 4),
        },
    });
    println!("{out}");
    Ok(())
}
