//! Every store keeps the same promises, tested on real backends: the file
//! store in a temporary directory, Redis on the local server (its own key
//! prefix per test, deleted at the end), and memory.
//!
//! Several store instances on one directory or one Redis stand for several
//! processes (the CLI's tests start real processes too).

// Helpers here unwrap too: a panic in a test is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kefu_core::Secret;
use kefu_store::{FileStore, MemoryStore, RateBudget, SharedStore, StoreSpec};

/// A store and the other "processes" sharing it.
type Opener = Box<dyn Fn() -> Arc<dyn SharedStore> + Send + Sync>;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn tokens_compare_before_they_expire(open: &Opener) {
    let a = open();
    let b = open();
    let old = Secret::new("old-token");
    let new = Secret::new("new-token");
    a.put("token|k", &old, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        b.get("token|k")
            .await
            .unwrap()
            .is_some_and(|v| v.matches("old-token"))
    );
    // b replaces it; a's refusal of the old one must not delete the new one.
    b.put("token|k", &new, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(!a.expire_if("token|k", &old).await.unwrap());
    assert!(
        a.get("token|k")
            .await
            .unwrap()
            .is_some_and(|v| v.matches("new-token"))
    );
    assert!(a.expire_if("token|k", &new).await.unwrap());
    assert!(b.get("token|k").await.unwrap().is_none());
    // A TTL ends a value.
    a.put("token|short", &old, Duration::from_millis(1000))
        .await
        .unwrap();
    assert!(b.get("token|short").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(b.get("token|short").await.unwrap().is_none());
}

async fn one_lock_holder_at_a_time(open: &Opener) {
    let inside = Arc::new(AtomicUsize::new(0));
    let entered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = open();
        let inside = inside.clone();
        let entered = entered.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("owner-{i}");
            for _ in 0..3 {
                while !store
                    .try_lock("lock|k", &owner, Duration::from_secs(10))
                    .await
                    .unwrap()
                {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                entered.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(3)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                assert!(store.unlock("lock|k", &owner).await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(entered.load(Ordering::SeqCst), 24);
    // Only the owner releases; a lease runs out.
    let s = open();
    assert!(
        s.try_lock("lock|lease", "a", Duration::from_millis(1000))
            .await
            .unwrap()
    );
    assert!(
        !s.try_lock("lock|lease", "b", Duration::from_secs(5))
            .await
            .unwrap()
    );
    assert!(!s.unlock("lock|lease", "b").await.unwrap());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        s.try_lock("lock|lease", "b", Duration::from_secs(5))
            .await
            .unwrap()
    );
    assert!(!s.unlock("lock|lease", "a").await.unwrap());
    assert!(s.unlock("lock|lease", "b").await.unwrap());
}

/// 24 callers on 6 "processes" reserve at once: their slots are spaced by
/// the interval once the burst is spent, so no window of `per` holds more
/// than `limit`. (Reserving does not sleep, so a long interval costs the
/// test nothing and dwarfs the time a reservation takes on a busy machine.)
async fn rate_budget_spaces_every_caller(open: &Opener) {
    let budget = RateBudget::new(5, Duration::from_millis(5000), 2);
    let interval = budget.interval_ms();
    assert_eq!(interval, 1250);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = open();
        tasks.push(tokio::spawn(async move {
            let mut slots = Vec::new();
            for _ in 0..4 {
                let before = now_ms();
                let wait = store.reserve("rate|k", &budget).await.unwrap();
                let after = now_ms();
                slots.push((
                    before + wait.as_millis() as i64,
                    after + wait.as_millis() as i64,
                ));
            }
            slots
        }));
    }
    let mut slots = Vec::new();
    for t in tasks {
        slots.extend(t.await.unwrap());
    }
    slots.sort();
    // Each slot is known within the duration of its call.
    let slack = slots.iter().map(|(lo, hi)| hi - lo).max().unwrap();
    assert!(slack < 400, "a reservation took {slack} ms");
    // Beyond the burst of 2, consecutive slots are an interval apart.
    let burst_end = slots[0].1;
    let after_burst: Vec<_> = slots
        .iter()
        .filter(|(lo, _)| *lo > burst_end + slack)
        .collect();
    assert!(after_burst.len() >= 21, "{slots:?}");
    for pair in after_burst.windows(2) {
        assert!(
            pair[1].1 - pair[0].0 >= interval - 2 * slack,
            "slots {pair:?} closer than {interval} ms"
        );
    }
    // 24 reservations: the last is (24 - 2) intervals out.
    let span = slots[23].1 - slots[0].0;
    assert!(span >= 22 * interval - 2 * slack, "span {span}");
}

/// Values no honest writer leaves: a lifetime that overflows, and (set by
/// `poison`) a budget time far in the future. Neither may fail a call or
/// make a caller sleep for hours.
async fn hostile_values_are_survived(open: &Opener) {
    let s = open();
    s.put("token|forever", &Secret::new("t"), Duration::MAX)
        .await
        .unwrap();
    assert!(s.get("token|forever").await.unwrap().is_some());
    assert!(
        s.try_lock("lock|forever", "a", Duration::MAX)
            .await
            .unwrap()
    );
    assert!(s.unlock("lock|forever", "a").await.unwrap());
}

async fn contract(open: Opener) {
    hostile_values_are_survived(&open).await;
    tokens_compare_before_they_expire(&open).await;
    one_lock_holder_at_a_time(&open).await;
    rate_budget_spaces_every_caller(&open).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_keeps_the_contract() {
    let shared: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
    contract(Box::new(move || shared.clone())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_store_keeps_the_contract_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kefu");
    contract(Box::new(move || {
        Arc::new(FileStore::open(&path).unwrap()) as Arc<dyn SharedStore>
    }))
    .await;
}

#[tokio::test]
async fn file_store_files_are_private_and_whole() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path().join("cache/kefu")).unwrap();
    let dir_mode = std::fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    store
        .put(
            "token|x",
            &Secret::new("s3cr3t-token"),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    store
        .reserve("rate|x", &RateBudget::new(1, Duration::from_secs(1), 1))
        .await
        .unwrap();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(store.dir()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
        assert!(!name.contains(".tmp-"), "a temporary file was left: {name}");
        names.push(name);
    }
    assert!(names.iter().any(|n| n.ends_with(".value")), "{names:?}");
    // Nothing secret in a file name, nor in Debug.
    assert!(names.iter().all(|n| !n.contains("s3cr3t")));
    assert!(!format!("{store:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn a_budget_time_far_in_the_future_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let budget = RateBudget::new(20, Duration::from_secs(61), 4);
    store.reserve("rate|k", &budget).await.unwrap();
    for entry in std::fs::read_dir(store.dir()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "rate") {
            std::fs::write(&p, i64::MAX.to_string()).unwrap();
        }
    }
    assert_eq!(
        store.reserve("rate|k", &budget).await.unwrap(),
        Duration::ZERO
    );
}

#[tokio::test]
async fn an_unusable_directory_fails_to_open_and_a_garbled_file_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let e = FileStore::open(file.join("kefu")).unwrap_err();
    assert!(e.to_string().contains("cannot create the directory"), "{e}");

    let store = FileStore::open(dir.path().join("ok")).unwrap();
    store
        .put("k", &Secret::new("v"), Duration::from_secs(60))
        .await
        .unwrap();
    for entry in std::fs::read_dir(store.dir()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "value") {
            std::fs::write(&p, [0xff, 0xfe, 0x00]).unwrap();
        }
    }
    assert!(store.get("k").await.unwrap().is_none());
}

#[tokio::test]
async fn a_store_that_fails_falls_back_once_and_keeps_working() {
    let told = Arc::new(AtomicUsize::new(0));
    let t = told.clone();
    let notice: kefu_store::FallbackNotice = Arc::new(move |_| {
        t.fetch_add(1, Ordering::SeqCst);
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, "x").unwrap();
    let store = kefu_store::guarded(&StoreSpec::File(file.join("kefu")), notice.clone());
    store
        .put("k", &Secret::new("v"), Duration::from_secs(60))
        .await
        .unwrap();
    assert!(store.get("k").await.unwrap().is_some());
    assert!(
        store
            .try_lock("l", "me", Duration::from_secs(5))
            .await
            .unwrap()
    );
    assert_eq!(told.load(Ordering::SeqCst), 1);
    assert!(
        store
            .describe()
            .starts_with("memory (fallen back from file:"),
        "{}",
        store.describe()
    );

    // A directory removed under a running store: the next call falls back.
    let gone = dir.path().join("gone");
    let store = kefu_store::guarded(&StoreSpec::File(gone.clone()), notice);
    store
        .put("k", &Secret::new("v"), Duration::from_secs(60))
        .await
        .unwrap();
    std::fs::remove_dir_all(&gone).unwrap();
    std::fs::write(&gone, "now a file").unwrap();
    store
        .put("k", &Secret::new("w"), Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        store
            .get("k")
            .await
            .unwrap()
            .is_some_and(|v| v.matches("w"))
    );
    assert_eq!(told.load(Ordering::SeqCst), 2);
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use kefu_store::RedisStore;
    use kefu_store::StoreSpec;

    /// The test server's URL, or None when the caller opted out.
    fn redis_url(test: &str) -> Option<String> {
        if std::env::var("KEFU_SKIP_REDIS").is_ok_and(|v| v == "1") {
            eprintln!("SKIPPED (KEFU_SKIP_REDIS=1): {test}");
            return None;
        }
        let url = std::env::var("KEFU_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let hostport = url
            .trim_start_matches("redis://")
            .split(['/', '?'])
            .next()
            .unwrap_or("127.0.0.1:6379")
            .rsplit('@')
            .next()
            .unwrap_or("127.0.0.1:6379")
            .to_owned();
        let reachable = std::net::ToSocketAddrs::to_socket_addrs(&hostport)
            .ok()
            .and_then(|mut a| a.next())
            .is_some_and(|a| {
                std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok()
            });
        assert!(
            reachable,
            "Redis is not reachable at {hostport}: start it, or set KEFU_SKIP_REDIS=1 to skip these tests"
        );
        Some(url)
    }

    fn unique_prefix(test: &str) -> String {
        format!("kefu-test:{test}:{}:{}:", std::process::id(), now_ms())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_store_keeps_the_contract_across_connections() {
        let test = "redis_store_keeps_the_contract_across_connections";
        let Some(url) = redis_url(test) else { return };
        let prefix = unique_prefix(test);
        let (u, p) = (url.clone(), prefix.clone());
        contract(Box::new(move || {
            Arc::new(RedisStore::open(&u, &p).unwrap()) as Arc<dyn SharedStore>
        }))
        .await;
        let store = RedisStore::open(&url, &prefix).unwrap();
        assert!(store.clear_prefix().await.unwrap() > 0);
        assert_eq!(store.clear_prefix().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn redis_keys_are_prefixed_and_all_expire() {
        let test = "redis_keys_are_prefixed_and_all_expire";
        let Some(url) = redis_url(test) else { return };
        let prefix = unique_prefix(test);
        let store = RedisStore::open(&url, &prefix).unwrap();
        store
            .put("t", &Secret::new("tok"), Duration::from_secs(30))
            .await
            .unwrap();
        store
            .try_lock("t", "me", Duration::from_secs(30))
            .await
            .unwrap();
        store
            .reserve("t", &RateBudget::new(20, Duration::from_secs(61), 4))
            .await
            .unwrap();
        let client = ::redis::Client::open(url.as_str()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = ::redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(keys.len(), 3, "{keys:?}");
        for key in &keys {
            assert!(key.starts_with(&prefix));
            let ttl: i64 = ::redis::cmd("PTTL")
                .arg(key)
                .query_async(&mut con)
                .await
                .unwrap();
            assert!(ttl > 0 && ttl <= 30_000, "{key} has TTL {ttl}");
        }
        store.clear_prefix().await.unwrap();
    }

    #[tokio::test]
    async fn a_budget_time_far_in_the_future_is_not_believed_by_the_script() {
        let test = "a_budget_time_far_in_the_future_is_not_believed_by_the_script";
        let Some(url) = redis_url(test) else { return };
        let prefix = unique_prefix(test);
        let store = RedisStore::open(&url, &prefix).unwrap();
        let budget = RateBudget::new(20, Duration::from_secs(61), 4);
        let client = ::redis::Client::open(url.as_str()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        for hostile in ["99999999999999999999", "1e300", "not a number"] {
            ::redis::cmd("SET")
                .arg(format!("{prefix}r:rate|k"))
                .arg(hostile)
                .arg("PX")
                .arg(60_000)
                .query_async::<()>(&mut con)
                .await
                .unwrap();
            assert_eq!(
                store.reserve("rate|k", &budget).await.unwrap(),
                Duration::ZERO,
                "{hostile}"
            );
        }
        store.clear_prefix().await.unwrap();
    }

    /// Redis that goes away in the middle of a run (here: the proxy in
    /// front of it dies): the next call falls back to memory, once, and the
    /// run goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_redis_lost_mid_run_falls_back_once() {
        use std::sync::Mutex;

        use tokio::net::{TcpListener, TcpStream};

        let test = "a_redis_lost_mid_run_falls_back_once";
        let Some(url) = redis_url(test) else { return };
        let upstream = url
            .trim_start_matches("redis://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_addr = listener.local_addr().unwrap();
        let links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let l = links.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                l.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });

        let prefix = unique_prefix(test);
        let told = Arc::new(AtomicUsize::new(0));
        let t = told.clone();
        let spec = StoreSpec::Redis {
            url: format!("redis://{proxy_addr}/0"),
            prefix: prefix.clone(),
        };
        let store = kefu_store::guarded(
            &spec,
            Arc::new(move |_| {
                t.fetch_add(1, Ordering::SeqCst);
            }),
        );
        store
            .put("k", &Secret::new("v1"), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(
            store
                .get("k")
                .await
                .unwrap()
                .is_some_and(|v| v.matches("v1"))
        );
        assert_eq!(told.load(Ordering::SeqCst), 0, "Redis is there");

        acceptor.abort();
        for link in links.lock().unwrap().drain(..) {
            link.abort();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;

        let started = std::time::Instant::now();
        store
            .put("k", &Secret::new("v2"), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(5), "failed fast");
        assert!(
            store
                .get("k")
                .await
                .unwrap()
                .is_some_and(|v| v.matches("v2"))
        );
        let b = RateBudget::new(1, Duration::from_secs(60), 1);
        assert_eq!(store.reserve("r", &b).await.unwrap(), Duration::ZERO);
        assert_eq!(told.load(Ordering::SeqCst), 1, "told once");
        assert!(
            store
                .describe()
                .starts_with("memory (fallen back from redis://")
        );
        RedisStore::open(&url, &prefix)
            .unwrap()
            .clear_prefix()
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_redis_that_is_down_fails_fast_and_says_where_without_the_password() {
        let store = RedisStore::open("redis://user:hunter2@127.0.0.1:1/0", "kefu:").unwrap();
        let started = std::time::Instant::now();
        let e = store.get("k").await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        let text = e.to_string();
        assert!(text.contains("127.0.0.1:1"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}

/// A process stuck while holding a key's lock makes the others fail (and
/// so fall back) after a bounded wait, not hang.
#[tokio::test]
async fn a_stuck_lock_holder_costs_a_bounded_wait() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    store
        .put("k", &Secret::new("v"), Duration::from_secs(60))
        .await
        .unwrap();
    let guard_path = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".value.guard"))
        .expect("a guard file");
    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(&guard_path)
        .unwrap();
    fs4::FileExt::lock(&held).unwrap();
    let started = std::time::Instant::now();
    let e = store.get("k").await.unwrap_err();
    let waited = started.elapsed();
    assert!(e.to_string().contains("held the lock"), "{e}");
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    fs4::FileExt::unlock(&held).unwrap();
    assert!(store.get("k").await.unwrap().is_some());
}

/// Many instances opened at once on one directory (threads of one process,
/// as a server opening a store per worker would) all open.
#[test]
fn instances_opened_at_once_all_open() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let path = dir.path().join("kefu");
            std::thread::spawn(move || FileStore::open(path).map(drop))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
}
