//! `pacing [--calls N]`: Sobot's chatIndexPage (20 calls a minute, refused
//! with status 4 beyond) through kefu against the Sobot sandbox, under
//! tokio's paused clock, so minutes of virtual time pass in milliseconds.
//!
//! Prints `{"calls", "errors", "refused_by_sandbox", "admitted",
//! "virtual_seconds", "sustained_per_minute", "max_in_any_minute"}`, where
//! the sustained rate leaves out the first burst (the limit's allowance
//! that any client gets at once) as the vendor's limit is about the rate
//! held over time.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use kefu::SessionHistory;
use kefu::sobot::SobotBuilder;
use kefu::transport::TransportConfig;
use kefu_bench::args::Args;
use kefu_bench::entry::Runtime;
use kefu_testkit::sandbox::{SeedConfig, sobot};
use tokio::time::Instant;

/// The vendor's limit: "每分钟调用 20 次".
const LIMIT: usize = 20;

fn main() -> ExitCode {
    kefu_bench::entry::block_on("pacing", Runtime::Paused, run).map_or(ExitCode::from(2), |met| {
        if met {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    })
}

async fn run() -> kefu_bench::Result<bool> {
    let args = Args::from_env()?;
    let calls: usize = args.get("calls", 200)?;
    if calls <= LIMIT {
        return Err(format!("--calls must exceed the limit of {LIMIT}").into());
    }
    let sb = sobot::start(SeedConfig::default()).await?;
    let env: HashMap<String, String> = sb.env().into_iter().collect();
    // No timers in the transport: under paused time they would fire at once
    // while real loopback I/O is in flight.
    let client = SobotBuilder::from_lookup(|k| env.get(k).cloned())
        .transport(TransportConfig::without_timers())
        .build()?;
    let partners = sb.sobot().partner_ids();
    if partners.is_empty() {
        return Err("the Sobot sandbox has no partners".into());
    }
    let t0 = Instant::now();
    let mut at = Vec::with_capacity(calls);
    let mut errors = 0usize;
    for i in 0..calls {
        let partner = &partners[i % partners.len()];
        if client.chats(partner).await.is_err() {
            errors += 1;
        }
        at.push(t0.elapsed());
    }
    let elapsed = at.last().copied().unwrap_or_default();
    let minutes = elapsed.as_secs_f64() / 60.0;
    let sustained = (calls - LIMIT) as f64 / minutes;
    let max_in_any_minute = at
        .iter()
        .enumerate()
        .map(|(i, t)| {
            at[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(60))
                .count()
        })
        .max()
        .unwrap_or(0);
    let refused = sb.chat_calls_refused();
    println!(
        "{}",
        serde_json::json!({
            "calls": calls,
            "errors": errors,
            "refused_by_sandbox": refused,
            "admitted": sb.chat_calls_admitted(),
            "virtual_seconds": elapsed.as_secs_f64(),
            "sustained_per_minute": sustained,
            "max_in_any_minute": max_in_any_minute,
        })
    );
    Ok(errors == 0 && refused == 0 && sustained >= 19.0)
}
