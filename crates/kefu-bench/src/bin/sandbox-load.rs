//! `sandbox-load --from T --to T [--concurrency N] [--seconds S]`: the
//! Easemob sandbox's own throughput for one session page.
//!
//! N raw clients ask page 1 of the window (`per_page` 50) over and over for
//! S seconds and only read the bytes (no JSON parsing, so the client costs as
//! little CPU as it can). Reads `KEFU_EASEMOB_*` from the environment.
//! Prints `{"concurrency", "seconds", "requests", "requests_per_s",
//! "sessions_per_s", "mib_per_s"}`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kefu_bench::args::Args;
use kefu_bench::entry::Runtime;
use kefu_bench::raw::{Login, RawEasemob, export_params};

fn main() -> ExitCode {
    kefu_bench::entry::block_on("sandbox-load", Runtime::MultiThread, run)
        .map_or(ExitCode::FAILURE, |()| ExitCode::SUCCESS)
}

async fn run() -> kefu_bench::Result<()> {
    let args = Args::from_env()?;
    let from = args.required("from")?.to_owned();
    let to = args.required("to")?.to_owned();
    let concurrency: usize = args.get("concurrency", 8)?;
    let seconds: f64 = args.get("seconds", 5.0)?;
    let login = Login::from_env()?;
    // The raw client's token; the page is fetched as bytes below.
    let token = RawEasemob::connect(&login).await?.token().to_owned();
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/tenants/{}/serviceSessionHistorys",
        login.base_url, login.tenant_id
    );
    let mut query: Vec<(String, String)> = vec![("page".into(), "1".into())];
    query.extend(
        export_params(&from, &to)
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let query = Arc::new(query);

    // One request first: how many sessions a page holds, and that it works.
    let probe = http
        .get(&url)
        .query(&*query)
        .header("Kefu-Token", &token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let page: serde_json::Value = serde_json::from_slice(&probe)?;
    let per_page = page
        .pointer("/entity/items")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);

    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, url, query, token) =
                (http.clone(), url.clone(), query.clone(), token.clone());
            tokio::spawn(async move {
                let (mut requests, mut bytes) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let body = http
                        .get(&url)
                        .query(&*query)
                        .header("Kefu-Token", &token)
                        .send()
                        .await?
                        .error_for_status()?
                        .bytes()
                        .await?;
                    requests += 1;
                    bytes += body.len() as u64;
                }
                Ok::<_, reqwest::Error>((requests, bytes))
            })
        })
        .collect();
    let (mut requests, mut bytes) = (0u64, 0u64);
    for w in workers {
        let (r, b) = w.await??;
        requests += r;
        bytes += b;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "concurrency": concurrency,
            "seconds": elapsed,
            "requests": requests,
            "sessions_per_page": per_page,
            "requests_per_s": requests as f64 / elapsed,
            "sessions_per_s": (requests * per_page as u64) as f64 / elapsed,
            "mib_per_s": bytes as f64 / elapsed / 1_048_576.0,
        })
    );
    Ok(())
}
