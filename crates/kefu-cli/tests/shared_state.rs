//! Many `kefu` processes, one vendor account: real processes started at
//! once against one `kefu sandbox serve`, sharing tokens and the chat-list
//! budget through the file store and through Redis.
//!
//! Redis is the local server (`KEFU_TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379`); each test uses its own key prefix and deletes
//! its keys. Unreachable, the test fails with a one-line instruction;
//! `KEFU_SKIP_REDIS=1` skips the Redis half and says so on stderr.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Home, Ran, Served};
use serde_json::Value;

/// A store as the processes of one test name it.
enum Store {
    /// Each process its own (the control).
    Memory,
    File(String),
    Redis {
        url: String,
        prefix: String,
    },
}

impl Store {
    fn file(home: &Home) -> Self {
        Store::File(format!("file:{}", home.path().join("shared").display()))
    }

    /// The local Redis with a prefix of this test's own, or None when the
    /// caller opted out (said on stderr).
    fn redis(test: &str) -> Option<Self> {
        if std::env::var("KEFU_SKIP_REDIS").is_ok_and(|v| v == "1") {
            eprintln!("SKIPPED (KEFU_SKIP_REDIS=1): {test}");
            return None;
        }
        let url = std::env::var("KEFU_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let client = redis::Client::open(url.as_str()).expect("KEFU_TEST_REDIS_URL is a Redis URL");
        let reachable = client
            .get_connection_with_timeout(Duration::from_secs(2))
            .is_ok();
        // HOST:PORT, without any password.
        let at = url.trim_start_matches("redis://");
        let at = at.split('/').next().unwrap_or(at);
        let at = at.rsplit('@').next().unwrap_or(at);
        assert!(
            reachable,
            "Redis is not reachable at {at}: start it, or set KEFU_SKIP_REDIS=1 to skip these tests"
        );
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        Some(Store::Redis {
            url,
            prefix: format!("kefu-test:{test}:{}:{nanos}:", std::process::id()),
        })
    }

    fn env(&self) -> Vec<(String, String)> {
        match self {
            Store::Memory => vec![("KEFU_SHARED_STORE".into(), "memory".into())],
            Store::File(spec) => vec![("KEFU_SHARED_STORE".into(), spec.clone())],
            Store::Redis { url, prefix } => vec![
                ("KEFU_SHARED_STORE".into(), url.clone()),
                ("KEFU_SHARED_STORE_PREFIX".into(), prefix.clone()),
            ],
        }
    }

    /// The Redis keys under this test's prefix.
    fn redis_keys(&self) -> Vec<String> {
        let Store::Redis { url, prefix } = self else {
            return Vec::new();
        };
        let client = redis::Client::open(url.as_str()).expect("url");
        let mut con = client.get_connection().expect("redis");
        redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query(&mut con)
            .expect("KEYS")
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let keys = self.redis_keys();
        if let Store::Redis { url, .. } = &*self
            && !keys.is_empty()
            && let Ok(mut con) = redis::Client::open(url.as_str()).and_then(|c| c.get_connection())
        {
            let _: redis::RedisResult<usize> = redis::cmd("DEL").arg(&keys).query(&mut con);
        }
    }
}

/// Starts `n` `kefu args` processes at once with `env`, HOME in `home`;
/// waits for all.
fn run_at_once(home: &Path, n: usize, env: &[(String, String)], args: &[&str]) -> Vec<Ran> {
    let children: Vec<Child> = (0..n)
        .map(|_| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_kefu"));
            cmd.env_clear()
                .env("HOME", home)
                .env("XDG_CONFIG_HOME", home.join(".config"))
                .current_dir(home)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.spawn().expect("spawn kefu")
        })
        .collect();
    children
        .into_iter()
        .map(|c| Ran::of(c.wait_with_output().expect("kefu ran")))
        .collect()
}

fn vendor_control(served: &Served, action: &str, body: &str) -> Value {
    let text = served.control("POST", &format!("/__sandbox/vendor/{action}"), Some(body));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{action}: not JSON ({e}): {text}"))
}

fn token_requests(served: &Served) -> u64 {
    vendor_control(served, "token_requests", "{}")["token_requests"]
        .as_u64()
        .expect("count")
}

fn chat_counts(served: &Served) -> (u64, u64) {
    let state: Value =
        serde_json::from_str(&served.control("GET", "/__sandbox/state", None)).expect("state");
    let find = |key: &str| {
        state
            .get(key)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("{key} not in the state: {state}"))
    };
    (find("chat_calls_admitted"), find("chat_calls_refused"))
}

fn env_with(served: &Served, store: &Store) -> Vec<(String, String)> {
    let mut env = served.env_pairs();
    env.extend(store.env());
    env
}

fn all_ok(runs: &[Ran]) {
    for r in runs {
        r.assert_ok();
        assert!(
            !r.stderr.contains("warning"),
            "the store must not have failed: {}",
            r.stderr
        );
    }
}

/// 8 processes at once: one token fetch; after the token's expiry, 8 more:
/// one more fetch.
fn one_token_per_expiry_window(store: Store) {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    // 10 s of life, the last tenth of it for refreshing ahead: fresh for 9 s.
    vendor_control(&served, "token_ttl", r#"{"seconds": 10}"#);
    let env = env_with(&served, &store);
    let started = Instant::now();
    all_ok(&run_at_once(
        home.path(),
        8,
        &env,
        &["-o", "json", "roles", "list"],
    ));
    assert_eq!(token_requests(&served), 1, "one fetch for 8 processes");
    all_ok(&run_at_once(
        home.path(),
        8,
        &env,
        &["-o", "json", "agents", "list"],
    ));
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "the waves outlived the token's freshness: {:?}",
        started.elapsed()
    );
    assert_eq!(
        token_requests(&served),
        1,
        "the token is reused by the next wave"
    );

    std::thread::sleep(
        Duration::from_secs(10).saturating_sub(started.elapsed()) + Duration::from_millis(200),
    );
    all_ok(&run_at_once(
        home.path(),
        8,
        &env,
        &["-o", "json", "roles", "list"],
    ));
    assert_eq!(token_requests(&served), 2, "one fetch per expiry window");
    if let Store::Redis { prefix, .. } = &store {
        let keys = store.redis_keys();
        assert!(keys.iter().all(|k| k.starts_with(prefix.as_str())));
        assert!(
            keys.iter().any(|k| k.contains("token|easemob|")),
            "{keys:?}"
        );
    }
}

/// Every new token retires the old ones: processes that fetched their own
/// would knock each other out; sharing one, all succeed, and when it dies
/// under them all at once it is replaced once.
fn retiring_tokens_still_all_succeed(store: Store) {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    vendor_control(&served, "retire_old_tokens", r#"{"on": true}"#);
    let env = env_with(&served, &store);
    all_ok(&run_at_once(
        home.path(),
        8,
        &env,
        &["-o", "json", "agents", "list"],
    ));
    assert_eq!(token_requests(&served), 1);
    vendor_control(&served, "expire_tokens", "{}");
    // Each process reads the dead token, is refused, expires it only if it
    // is still the stored one, and waits for the one process refreshing.
    all_ok(&run_at_once(
        home.path(),
        8,
        &env,
        &["-o", "json", "agents", "list"],
    ));
    assert_eq!(token_requests(&served), 2);
}

/// The sandbox admitting 20 chat-list calls per 2 s across all callers, and
/// the environment of its clients.
fn chat_sandbox(home: &Home, store: &Store) -> (Served, Vec<(String, String)>) {
    let served = Served::start(home, "sobot", &[]);
    vendor_control(&served, "chat_limit", r#"{"calls": 20, "window_ms": 2000}"#);
    let mut env = env_with(&served, store);
    // The client's pace for the shortened window, with a second of slack:
    // a call may reach the sandbox up to that much later than its turn
    // (process scheduling on a busy machine) and still count in order.
    env.push(("KEFU_SOBOT_CHAT_PACE".into(), "20/3000ms".into()));
    (served, env)
}

/// 5 workers, each running 8 `chats list` one after another (40 processes
/// in all, 5 at a time): no refusal.
fn five_processes_share_the_chat_budget(store: Store) -> (u64, u64) {
    let home = Home::new();
    let (served, env) = chat_sandbox(&home, &store);
    let started = Instant::now();
    let workers: Vec<_> = (0..5)
        .map(|_| {
            let env = env.clone();
            let home = home.path().to_path_buf();
            std::thread::spawn(move || {
                (0..8)
                    .map(|_| {
                        run_at_once(
                            &home,
                            1,
                            &env,
                            &["-o", "json", "chats", "list", "--partner-id", "partner-001"],
                        )
                        .remove(0)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let runs: Vec<Ran> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("worker"))
        .collect();
    eprintln!("40 chat-list processes in {:?}", started.elapsed());
    all_ok(&runs);
    chat_counts(&served)
}

#[test]
fn file_store_one_token_per_expiry_window_across_8_processes() {
    let home = Home::new();
    one_token_per_expiry_window(Store::file(&home));
}

#[test]
fn redis_store_one_token_per_expiry_window_across_8_processes() {
    if let Some(store) = Store::redis("redis_store_one_token_per_expiry_window_across_8_processes")
    {
        one_token_per_expiry_window(store);
    }
}

#[test]
fn file_store_retiring_tokens_still_all_succeed() {
    let home = Home::new();
    retiring_tokens_still_all_succeed(Store::file(&home));
}

#[test]
fn redis_store_retiring_tokens_still_all_succeed() {
    if let Some(store) = Store::redis("redis_store_retiring_tokens_still_all_succeed") {
        retiring_tokens_still_all_succeed(store);
    }
}

#[test]
fn file_store_5_processes_share_the_chat_budget_without_a_refusal() {
    let home = Home::new();
    let (admitted, refused) = five_processes_share_the_chat_budget(Store::file(&home));
    assert_eq!(refused, 0);
    assert_eq!(admitted, 40);
}

#[test]
fn redis_store_5_processes_share_the_chat_budget_without_a_refusal() {
    if let Some(store) =
        Store::redis("redis_store_5_processes_share_the_chat_budget_without_a_refusal")
    {
        let (admitted, refused) = five_processes_share_the_chat_budget(store);
        assert_eq!(refused, 0);
        assert_eq!(admitted, 40);
    }
}

/// The control: processes that each pace themselves alone (each within its
/// own budget: one call) overrun the sandbox's window together, so the
/// tests above would see refusals without sharing.
#[test]
fn processes_pacing_alone_are_refused() {
    let home = Home::new();
    let (served, env) = chat_sandbox(&home, &Store::Memory);
    let _ = run_at_once(
        home.path(),
        40,
        &env,
        &["-o", "json", "chats", "list", "--partner-id", "partner-001"],
    );
    let (_, refused) = chat_counts(&served);
    assert!(refused > 0, "without a shared budget the vendor refuses");
}

/// An unwritable cache directory or a Redis that is down never breaks a
/// command: it runs on process-local state and says so once on stderr.
#[test]
fn a_failing_store_falls_back_and_says_so_once() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let not_a_dir = home.path().join("a-file");
    std::fs::write(&not_a_dir, "x").expect("write");
    for spec in [
        format!("file:{}", not_a_dir.join("kefu").display()),
        "redis://:hunter2@127.0.0.1:1/0".to_owned(),
    ] {
        let mut env = served.env_pairs();
        env.push(("KEFU_SHARED_STORE".into(), spec.clone()));
        let ran = run_at_once(home.path(), 1, &env, &["-o", "json", "roles", "list"]).remove(0);
        ran.assert_ok();
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr: {:?}", ran.stderr);
        assert!(
            lines[0].starts_with("kefu: warning: shared store ")
                && lines[0]
                    .ends_with("this run keeps tokens and rate budgets in this process only"),
            "{}",
            lines[0]
        );
        assert!(!ran.stderr.contains("hunter2"), "{}", ran.stderr);
        assert!(ran.json().as_array().is_some_and(|a| !a.is_empty()));
    }
    // The user's cache directory, unwritable (a file in its place): the
    // default store falls back too.
    std::fs::write(home.path().join(".cache"), "x").expect("write");
    let ran = run_at_once(home.path(), 1, &served.env_pairs(), &["roles", "list"]).remove(0);
    ran.assert_ok();
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
}

/// The default store is the user's cache directory, private; `--sandbox`
/// runs keep theirs in memory; a malformed store is bad input.
#[test]
fn the_default_store_and_bad_specs() {
    use std::os::unix::fs::PermissionsExt;

    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let ran = run_at_once(home.path(), 1, &served.env_pairs(), &["roles", "list"]).remove(0);
    ran.assert_ok();
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
    let dir = home.path().join(".cache/kefu");
    let mode = std::fs::metadata(&dir)
        .expect("cache dir")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("read")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "value")),
        "{files:?}"
    );
    for f in &files {
        let mode = std::fs::metadata(f).expect("file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    // XDG_CACHE_HOME moves it.
    let mut env = served.env_pairs();
    let xdg = home.path().join("xdg-cache");
    env.push(("XDG_CACHE_HOME".into(), xdg.display().to_string()));
    run_at_once(home.path(), 1, &env, &["roles", "list"])
        .remove(0)
        .assert_ok();
    assert!(xdg.join("kefu").is_dir());

    let sandboxed = Home::new();
    let ran = run_at_once(
        sandboxed.path(),
        1,
        &[],
        &["--sandbox", "--vendor", "easemob", "roles", "list"],
    )
    .remove(0);
    ran.assert_ok();
    assert!(
        !sandboxed.path().join(".cache/kefu").exists(),
        "--sandbox defaults to memory"
    );

    for (flag, env_value) in [(Some("mysql://x"), None), (None, Some("file"))] {
        let mut env = served.env_pairs();
        let mut args = vec!["roles", "list"];
        if let Some(v) = env_value {
            env.push(("KEFU_SHARED_STORE".into(), v.into()));
        }
        if let Some(f) = flag {
            args.splice(0..0, ["--shared-store", f]);
        }
        let before = served.requests().len();
        let ran = run_at_once(home.path(), 1, &env, &args).remove(0);
        ran.assert_error(2);
        let named = if flag.is_some() {
            "--shared-store"
        } else {
            "KEFU_SHARED_STORE"
        };
        assert!(ran.stderr.contains(named), "{}", ran.stderr);
        assert_eq!(served.requests().len(), before, "nothing was sent");
    }
}

/// The token is in the store, and nowhere else: not in a trace-level log,
/// not in a file or key name.
#[test]
fn the_shared_token_never_shows_in_logs_or_names() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let store = Store::file(&home);
    let mut env = env_with(&served, &store);
    env.push(("KEFU_LOG".into(), "trace".into()));
    let ran = run_at_once(home.path(), 1, &env, &["roles", "list"]).remove(0);
    ran.assert_ok();
    assert!(!ran.stderr.is_empty(), "the trace log is on stderr");
    let dir = home.path().join("shared");
    let mut tokens = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("store dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "value") {
            let text = std::fs::read_to_string(&path).expect("read");
            let record: Value = serde_json::from_str(text.split_once('\n').expect("lease").1)
                .expect("a token record");
            tokens.push(record["token"].as_str().expect("token").to_owned());
        }
    }
    assert_eq!(tokens.len(), 1, "one stored token");
    let token = &tokens[0];
    assert!(token.len() >= 16);
    assert!(
        !ran.stderr.contains(token.as_str()),
        "the token leaked into the log"
    );
    for entry in std::fs::read_dir(&dir).expect("store dir") {
        let name = entry.expect("entry").file_name();
        assert!(!name.to_string_lossy().contains(token.as_str()));
    }
    // The vendor saw that very token: the store holds the live one.
    let used = served
        .requests()
        .iter()
        .filter_map(|r| r["headers"]["kefu-token"].as_str().map(str::to_owned))
        .collect::<Vec<_>>();
    assert!(used.iter().any(|t| t == token), "{used:?}");
}
