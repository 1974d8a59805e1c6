//! `shared-store [--ops N] [--instances T] [--redis URL]`: what sharing
//! tokens and rate budgets costs, per store (memory, a file store in a
//! temporary directory, the local Redis).
//!
//! For each store: the latency of one token read (`get`), one rate
//! reservation (`reserve`, GCRA) and one lock taken and released, N times
//! in a row (median and p99, microseconds); then T store instances (as T
//! processes would hold) reserving from one budget at once: reservations a
//! second. Redis that is not reachable is reported as skipped, not failed.
//!
//! Prints `{"ops", "instances", "stores": [{"store", "skipped"?, "get_us",
//! "reserve_us", "lock_unlock_us", "contended_reserves_per_s"}]}`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kefu::Secret;
use kefu::shared::{MemoryStore, RateBudget, SharedStore};
use kefu_bench::args::Args;
use kefu_bench::entry::Runtime;
use kefu_store::{FileStore, RedisStore};
use serde_json::{Value, json};

fn main() -> ExitCode {
    kefu_bench::entry::block_on("shared-store", Runtime::MultiThread, run).map_or(
        ExitCode::from(2),
        |report| {
            println!("{report}");
            ExitCode::SUCCESS
        },
    )
}

type Opener = Box<dyn Fn() -> kefu_bench::Result<Arc<dyn SharedStore>>>;

async fn run() -> kefu_bench::Result<Value> {
    let args = Args::from_env()?;
    let ops: usize = args.get("ops", 2000)?.max(1);
    let instances: usize = args.get("instances", 8)?.max(1);
    let redis_url = args
        .text("redis")
        .map(str::to_owned)
        .or_else(|| std::env::var("KEFU_TEST_REDIS_URL").ok())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());

    let dir = std::env::temp_dir().join(format!("kefu-bench-store-{}", std::process::id()));
    let prefix = format!("kefu-bench:{}:", std::process::id());
    let memory: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
    let file_dir = dir.clone();
    let (url, pre) = (redis_url.clone(), prefix.clone());
    let stores: Vec<(&str, Opener)> = vec![
        ("memory", Box::new(move || Ok(memory.clone()))),
        (
            "file",
            Box::new(move || Ok(Arc::new(FileStore::open(&file_dir)?) as Arc<dyn SharedStore>)),
        ),
        (
            "redis",
            Box::new(move || Ok(Arc::new(RedisStore::open(&url, &pre)?) as Arc<dyn SharedStore>)),
        ),
    ];

    let mut out = Vec::new();
    for (name, open) in &stores {
        let store = open()?;
        // One probe decides whether the store is there at all.
        if let Err(e) = store.get("probe").await {
            out.push(json!({"store": name, "skipped": e.to_string()}));
            continue;
        }
        eprintln!("shared-store: {name}");
        out.push(measure(name, open, ops, instances).await?);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Ok(redis) = RedisStore::open(&redis_url, &prefix) {
        let _ = redis.clear_prefix().await;
    }
    Ok(json!({"ops": ops, "instances": instances, "stores": out}))
}

/// Median and p99 of `samples` (microseconds).
fn spread(mut samples: Vec<f64>) -> Value {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    json!({"median": at(0.5), "p99": at(0.99)})
}

async fn measure(
    name: &str,
    open: &Opener,
    ops: usize,
    instances: usize,
) -> kefu_bench::Result<Value> {
    let store = open()?;
    let token = Secret::new(r#"{"token":"x","obtained_at_ms":1,"expires_at_ms":2}"#);
    store.put("token", &token, Duration::from_secs(600)).await?;
    // So generous that a reservation never waits: this times the store.
    let budget = RateBudget::new(1_000_000_000, Duration::from_secs(1), 1_000_000_000);

    let mut get = Vec::with_capacity(ops);
    let mut reserve = Vec::with_capacity(ops);
    let mut lock = Vec::with_capacity(ops);
    for _ in 0..ops {
        let t = Instant::now();
        store.get("token").await?;
        get.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        store.reserve("rate", &budget).await?;
        reserve.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        store
            .try_lock("lock", "me", Duration::from_secs(30))
            .await?;
        store.unlock("lock", "me").await?;
        lock.push(t.elapsed().as_secs_f64() * 1e6);
    }

    let per_instance = (ops / instances).max(1);
    let mut opened = Vec::new();
    for _ in 0..instances {
        let s = open()?;
        // Connected (Redis) before the clock starts.
        s.get("probe").await?;
        opened.push(s);
    }
    let t = Instant::now();
    let mut tasks = Vec::new();
    for s in opened {
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_instance {
                s.reserve("contended", &budget).await?;
            }
            Ok::<(), kefu::shared::StoreError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let rate = (per_instance * instances) as f64 / t.elapsed().as_secs_f64();
    Ok(json!({
        "store": name,
        "get_us": spread(get),
        "reserve_us": spread(reserve),
        "lock_unlock_us": spread(lock),
        "contended_reserves_per_s": rate.round(),
    }))
}
