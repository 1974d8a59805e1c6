//! `transport-cost [--reps N] [--rounds R]`: the fixed cost a request of
//! kefu's transport (timeouts, retry loop, span, body limit) versus a bare
//! reqwest GET, on an answer small enough that decoding does not count:
//! the Easemob sandbox's roles list, body read and dropped. Profiling aid.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use kefu::{Operation, Vendor};
use kefu_bench::args::Args;
use kefu_bench::entry::Runtime;
use kefu_bench::raw::{Login, RawEasemob};
use kefu_bench::stats::Summary;
use kefu_http::{Transport, TransportConfig, WireRequest, parse_base_url};
use kefu_testkit::sandbox::{SeedConfig, easemob};
use serde_json::json;

fn main() -> ExitCode {
    kefu_bench::entry::block_on("transport-cost", Runtime::MultiThread, run)
        .map_or(ExitCode::FAILURE, |()| ExitCode::SUCCESS)
}

async fn run() -> kefu_bench::Result<()> {
    let args = Args::from_env()?;
    let reps: usize = args.get("reps", 2000)?;
    let rounds: usize = args.get("rounds", 5)?;
    let sb = easemob::start(SeedConfig {
        sessions: 50,
        ..SeedConfig::default()
    })
    .await?;
    let env: HashMap<String, String> = sb.env().into_iter().collect();
    let login = Login::from_lookup(|k| env.get(k).cloned())?;
    let token = RawEasemob::connect(&login).await?.token().to_owned();
    let (rest, query): (&str, &[(&str, &str)]) = if args.flag("sessions") {
        (
            "serviceSessionHistorys",
            &[("page", "1"), ("per_page", "50")],
        )
    } else {
        ("roles", &[])
    };
    let path = format!("/api/tenants/{}/{rest}", login.tenant_id);
    let base = parse_base_url("base", &login.base_url)?;
    let timed = Transport::new(Vendor::Easemob, base.clone(), TransportConfig::default())?;
    let untimed = Transport::new(Vendor::Easemob, base, TransportConfig::without_timers())?;
    let http = reqwest::Client::new();
    let url = format!("{}{path}", login.base_url);
    let request = query
        .iter()
        .fold(
            WireRequest::get(Operation::ListRoles, path.clone()),
            |r, (k, v)| r.query(*k, *v),
        )
        .secret_header("Kefu-Token", kefu::Secret::new(token.clone()));

    let mut results: HashMap<&str, Vec<f64>> = HashMap::new();
    for _ in 0..rounds {
        sb.log().clear();
        let started = Instant::now();
        for _ in 0..reps {
            http.get(&url)
                .query(query)
                .header("Kefu-Token", &token)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
        }
        let raw = started.elapsed().as_secs_f64() * 1e6 / reps as f64;
        results.entry("raw_us").or_default().push(raw);
        for (name, transport) in [("kefu_us", &timed), ("kefu_without_timers_us", &untimed)] {
            let started = Instant::now();
            for _ in 0..reps {
                transport.call(&request, |_| Ok(())).await?;
            }
            let us = started.elapsed().as_secs_f64() * 1e6 / reps as f64;
            results.entry(name).or_default().push(us);
        }
    }
    let out: serde_json::Map<String, serde_json::Value> = results
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(Summary::of(&v))))
        .collect();
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}
