//! `kefu sync` through the real binary: the summary, status, bad input,
//! `--max-requests`, SIGTERM and SIGINT, accounts of several config
//! profiles in one database, and `kill -9` at random points then resume,
//! compared with a fresh full sync.

mod common;

use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::{Home, Served, run, run_with, sandboxed};
use sqlx::{Connection, Row};

const RANGE: [&str; 4] = ["--since", "2024-05-01", "--until", "2024-05-31"];

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `(rows, distinct ids)` and the sorted ids of `easemob_sessions`.
fn sessions_in(db: &str) -> (i64, i64, Vec<String>) {
    rt().block_on(async {
        let url = if db.starts_with("postgres") {
            db.to_owned()
        } else {
            format!("sqlite://{db}")
        };
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        let row = sqlx::query("SELECT COUNT(*), COUNT(DISTINCT id) FROM easemob_sessions")
            .fetch_one(&mut conn)
            .await
            .expect("count");
        let ids = sqlx::query("SELECT id FROM easemob_sessions ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .expect("ids")
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
        (row.get(0), row.get(1), ids)
    })
}

fn any_drivers() {
    sqlx::any::install_default_drivers();
}

#[test]
fn run_prints_one_row_per_stream_and_status_reads_the_file() {
    any_drivers();
    let home = Home::new();
    let mut args = vec!["sync", "run", "-o", "json"];
    args.extend(RANGE);
    let first = sandboxed(&home, "easemob", &args);
    first.assert_ok();
    let rows = first.json();
    let rows = rows.as_array().expect("array");
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["stream"].as_str().expect("stream"))
        .collect();
    assert_eq!(names, ["agents", "roles", "sessions"]);
    for r in rows {
        for key in [
            "stream", "fetched", "inserted", "updated", "cursor", "complete",
        ] {
            assert!(r.get(key).is_some(), "{key} in {r}");
        }
        assert_eq!(r["complete"], true);
    }
    let sessions = &rows[2];
    assert_eq!(sessions["inserted"], 500);
    // The default file, in the working directory.
    let db = home.path().join("kefu.db");
    assert!(db.exists());
    assert_eq!(sessions_in(&db.to_string_lossy()).0, 500);

    let status = run(&home, &[], &["sync", "status", "-o", "json"]);
    status.assert_ok();
    let status = status.json();
    let s = status
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["stream"] == "sessions")
        .expect("sessions")
        .clone();
    assert_eq!(s["account"], "1");
    assert_eq!(s["rows"], 500);
    assert_eq!(s["cursor"], "2024-05-31T16:00:00.000Z");

    let table = run(&home, &[], &["sync", "status"]);
    table.assert_ok();
    assert!(table.stdout.starts_with("ACCOUNT"), "{}", table.stdout);
}

/// Two accounts (here an Easemob tenant and a Sobot platform) side by side
/// in one file, each under its own `account`.
#[test]
fn accounts_share_one_database() {
    let home = Home::new();
    let mut easemob = vec!["sync", "run", "--streams", "sessions"];
    easemob.extend(RANGE);
    sandboxed(&home, "easemob", &easemob).assert_ok();
    let mut sobot = vec!["sync", "run", "--streams", "tenants,agent_status"];
    sobot.extend(RANGE);
    sandboxed(&home, "sobot", &sobot).assert_ok();
    let status = run(&home, &[], &["sync", "status", "-o", "json"]);
    status.assert_ok();
    let rows = status.json();
    let pairs: Vec<(String, String)> = rows
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["account"].as_str().expect("a").to_owned(),
                r["stream"].as_str().expect("s").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("1".to_owned(), "sessions".to_owned()),
            ("10004".to_owned(), "agent_status".to_owned()),
            ("10004".to_owned(), "tenants".to_owned()),
        ]
    );
}

#[test]
fn bad_input_names_the_flag_and_touches_nothing() {
    let home = Home::new();
    for (args, field) in [
        (vec!["sync", "run", "--lookback", "1w"], "--lookback"),
        (
            vec!["sync", "run", "--streams", "sessions,tickets"],
            "--streams",
        ),
        (vec!["sync", "run", "--since", "2024-13-01"], "--since"),
        (vec!["sync", "run", "--max-requests", "0"], "--max-requests"),
        (vec!["sync", "run", "--db", "mysql://x/y"], "--db"),
    ] {
        let ran = sandboxed(&home, "easemob", &args);
        ran.assert_error(2);
        assert!(ran.stderr.contains(field), "{field}: {}", ran.stderr);
        assert!(
            !home.path().join("kefu.db").exists(),
            "{args:?} created the file"
        );
    }
    let status = run(&home, &[], &["sync", "status"]);
    status.assert_error(2);
    assert!(
        status.stderr.contains("no sync database"),
        "{}",
        status.stderr
    );
    assert!(
        !home.path().join("kefu.db").exists(),
        "status created the file"
    );
}

#[test]
fn max_requests_stops_with_exit_7_and_the_next_run_continues() {
    any_drivers();
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--sessions", "2000"]);
    let env = served.env_pairs();
    let mut args = vec![
        "sync",
        "run",
        "--streams",
        "sessions",
        "--max-requests",
        "5",
        "-o",
        "json",
    ];
    args.extend(RANGE);
    let stopped = run_with(&home, &env, &args);
    assert_eq!(stopped.code, 7, "{}", stopped.stderr);
    let row = &stopped.json()[0];
    assert_eq!(row["complete"], false);
    assert!(
        row["note"]
            .as_str()
            .expect("note")
            .contains("--max-requests")
    );
    assert!(
        stopped.stderr.contains("incomplete: sessions"),
        "{}",
        stopped.stderr
    );
    let kept = sessions_in(&home.path().join("kefu.db").to_string_lossy());
    assert!(kept.0 > 0 && kept.0 < 2000, "{kept:?}");

    let mut args = vec!["sync", "run", "--streams", "sessions", "-o", "json"];
    args.extend(RANGE);
    let rest = run_with(&home, &env, &args);
    rest.assert_ok();
    assert_eq!(
        rest.json()[0]["inserted"].as_i64().expect("n") + kept.0,
        2000
    );
}

#[test]
fn verify_exits_7_when_the_database_is_behind() {
    any_drivers();
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let env = served.env_pairs();
    let synced = run_with(
        &home,
        &env,
        &[
            "sync",
            "run",
            "--streams",
            "sessions",
            "--since",
            "2024-05-01",
            "--until",
            "2024-05-15",
        ],
    );
    synced.assert_ok();
    let v = run_with(
        &home,
        &env,
        &[
            "sync",
            "verify",
            "--streams",
            "sessions",
            "--until",
            "2024-05-31",
            "-o",
            "json",
        ],
    );
    assert_eq!(v.code, 7, "{}", v.stderr);
    let diffs = v.json();
    let diffs = diffs.as_array().expect("array");
    assert!(
        diffs
            .iter()
            .any(|d| d["kind"] == "missing" && d["id"].is_string()),
        "{diffs:?}"
    );
    assert!(diffs.iter().any(|d| d["kind"] == "count"));
    assert!(v.stderr.contains("differs"), "{}", v.stderr);
    // Within the synced range it matches.
    let ok = run_with(&home, &env, &["sync", "verify", "--streams", "sessions"]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
}

fn spawn_sync(home: &Home, env: &[(String, String)], db: &str) -> std::process::Child {
    let mut cmd = home.kefu_std();
    cmd.envs(env.iter().cloned())
        .args(["sync", "run", "--streams", "sessions", "--db", db])
        .args(RANGE)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().expect("spawn sync")
}

#[test]
fn sigterm_rolls_back_the_window_and_exits_7() {
    any_drivers();
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--sessions", "5000"]);
    served.control("POST", "/__sandbox/chaos", Some(r#"{"latency_ms": 20}"#));
    let env = served.env_pairs();
    let db = home.path().join("term.db").to_string_lossy().into_owned();
    let mut child = spawn_sync(&home, &env, &db);
    served.wait_for_request("serviceSessionHistorys", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let status = StdCommand::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let code = child.wait().expect("wait").code();
    assert_eq!(code, Some(7));
    served.control("POST", "/__sandbox/chaos", Some(r#"{"latency_ms": 0}"#));
    let mut args = vec!["sync", "run", "--streams", "sessions", "--db", &db];
    args.extend(RANGE);
    run_with(&home, &env, &args).assert_ok();
    let (rows, distinct, _) = sessions_in(&db);
    assert_eq!(rows, distinct);
    // Every session of the range (the last of 5000 stops after it), once.
    assert_eq!(rows, 4999);
    let mut args = vec!["sync", "verify", "--streams", "sessions", "--db", &db];
    args.extend(RANGE);
    let v = run_with(&home, &env, &args);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

/// Ctrl-C (SIGINT) on a running sync: the window in progress is rolled
/// back whole (nothing after the saved cursor, everything before it), the
/// summary says the stream is incomplete, exit 7; the next run completes
/// with nothing missing and nothing twice.
#[test]
fn sigint_rolls_back_the_window_says_incomplete_and_exits_7() {
    any_drivers();
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--sessions", "5000"]);
    served.control("POST", "/__sandbox/chaos", Some(r#"{"latency_ms": 20}"#));
    let env = served.env_pairs();
    let db = home.path().join("int.db").to_string_lossy().into_owned();
    let mut cmd = home.kefu_std();
    cmd.envs(env.iter().cloned())
        .args([
            "sync",
            "run",
            "--streams",
            "sessions",
            "--db",
            &db,
            "-o",
            "json",
        ])
        .args(RANGE)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn sync");
    served.wait_for_request("serviceSessionHistorys", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(400));
    let status = StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stdout}{stderr}");
    assert!(stderr.contains("incomplete: sessions"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("summary JSON");
    let row = &summary[0];
    assert_eq!(row["complete"], false, "{row}");
    assert!(
        row["note"].as_str().is_some_and(|n| n.contains("a signal")),
        "{row}"
    );

    // Whole windows only: no row after the saved cursor, and every session
    // up to it (verify over [since, cursor) finds nothing missing).
    let cursor = row["cursor"].as_str().map(str::to_owned);
    let (rows, distinct, _) = sessions_in(&db);
    assert_eq!(rows, distinct);
    let after = rt().block_on(async {
        let mut conn = sqlx::AnyConnection::connect(&format!("sqlite://{db}"))
            .await
            .expect("connect");
        let bound = cursor.clone().unwrap_or_default();
        sqlx::query("SELECT COUNT(*) FROM easemob_sessions WHERE stopped_at > $1")
            .bind(bound)
            .fetch_one(&mut conn)
            .await
            .expect("count")
            .get::<i64, _>(0)
    });
    match &cursor {
        None => assert_eq!(rows, 0, "no window committed, no rows"),
        Some(c) => {
            assert_eq!(
                after, 0,
                "rows after the cursor {c}: a window was half kept"
            );
            served.control("POST", "/__sandbox/chaos", Some(r#"{"latency_ms": 0}"#));
            let v = run_with(
                &home,
                &env,
                &[
                    "sync",
                    "verify",
                    "--streams",
                    "sessions",
                    "--db",
                    &db,
                    "--since",
                    "2024-05-01",
                    "--until",
                    c,
                ],
            );
            assert_eq!(v.code, 0, "up to the cursor: {}{}", v.stdout, v.stderr);
        }
    }

    served.control("POST", "/__sandbox/chaos", Some(r#"{"latency_ms": 0}"#));
    let mut args = vec![
        "sync",
        "run",
        "--streams",
        "sessions",
        "--db",
        &db,
        "-o",
        "json",
    ];
    args.extend(RANGE);
    let rest = run_with(&home, &env, &args);
    rest.assert_ok();
    assert_eq!(rest.json()[0]["complete"], true);
    let (rows, distinct, _) = sessions_in(&db);
    assert_eq!(rows, distinct, "no duplicates");
    assert_eq!(rows, 4999, "none missing");
    let mut args = vec!["sync", "verify", "--streams", "sessions", "--db", &db];
    args.extend(RANGE);
    let v = run_with(&home, &env, &args);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

/// Accounts of several profiles of one config file, synced into one
/// database (named once, at the top of the file): each account's rows
/// under its own `account`, and `sync status` lists both.
#[test]
fn profiles_of_one_config_file_share_one_database() {
    any_drivers();
    let home = Home::new();
    let easemob = Served::start(&home, "easemob", &["--sessions", "300"]);
    let sobot = Served::start(&home, "sobot", &[]);
    let mut config = String::from("default_profile = \"shop\"\nKEFU_DB = \"shared.db\"\n");
    for (name, served) in [("shop", &easemob), ("platform", &sobot)] {
        config.push_str(&format!("\n[profiles.{name}]\n"));
        // Its env names the vendor (KEFU_VENDOR) and the credentials.
        for (k, v) in &served.env {
            config.push_str(&format!("{k} = {v:?}\n"));
        }
    }
    let file = home.path().join("kefu.toml");
    std::fs::write(&file, config).expect("config");
    let cfg = file.to_string_lossy().into_owned();

    // The default profile, then the other one by name; no vendor, no
    // credentials, no database on the command line.
    let mut shop = vec![
        "--config",
        cfg.as_str(),
        "sync",
        "run",
        "--streams",
        "sessions",
    ];
    shop.extend(RANGE);
    run(&home, &[], &shop).assert_ok();
    let mut platform = vec![
        "--config",
        cfg.as_str(),
        "--profile",
        "platform",
        "sync",
        "run",
        "--streams",
        "tenants,agent_status",
    ];
    platform.extend(RANGE);
    run(&home, &[], &platform).assert_ok();

    let db = home.path().join("shared.db");
    assert!(db.exists(), "KEFU_DB of the file names the database");
    assert!(!home.path().join("kefu.db").exists());
    let accounts = |table: &str| -> Vec<(String, i64)> {
        rt().block_on(async {
            let mut conn = sqlx::AnyConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .expect("connect");
            sqlx::query(&format!(
                "SELECT account, COUNT(*) FROM {table} GROUP BY account ORDER BY account"
            ))
            .fetch_all(&mut conn)
            .await
            .expect("accounts")
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
            .collect()
        })
    };
    let sessions = accounts("easemob_sessions");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0].0, "1");
    assert!(sessions[0].1 > 0);
    for table in ["sobot_tenants", "sobot_agent_status"] {
        let rows = accounts(table);
        assert_eq!(rows.len(), 1, "{table}: {rows:?}");
        assert_eq!(rows[0].0, "10004", "{table}");
        assert!(rows[0].1 > 0, "{table}");
    }

    let status = run(
        &home,
        &[],
        &["--config", cfg.as_str(), "sync", "status", "-o", "json"],
    );
    status.assert_ok();
    let pairs: Vec<(String, String)> = status
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["account"].as_str().expect("a").to_owned(),
                r["stream"].as_str().expect("s").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("1".to_owned(), "sessions".to_owned()),
            ("10004".to_owned(), "agent_status".to_owned()),
            ("10004".to_owned(), "tenants".to_owned()),
        ]
    );
}

/// A tiny deterministic generator: the seed is printed, so a failure can be
/// replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn kill9_then_resume(db: &str, fresh: &str) {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--sessions", "6000"]);
    served.control("POST", "/__sandbox/chaos", Some(r#"{"latency_ms": 3}"#));
    let env = served.env_pairs();
    let seed = std::env::var("KEFU_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            Instant::now().elapsed().as_nanos() as u64 ^ u64::from(std::process::id())
        });
    eprintln!("kill -9 points from seed {seed} (KEFU_TEST_SEED to replay)");
    let mut rng = Lcg(seed);
    for _ in 0..5 {
        let mut child = spawn_sync(&home, &env, db);
        std::thread::sleep(Duration::from_millis(20 + rng.next(600)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    served.control("POST", "/__sandbox/chaos", Some(r#"{"latency_ms": 0}"#));
    let mut args = vec![
        "sync",
        "run",
        "--streams",
        "sessions",
        "--db",
        db,
        "-o",
        "json",
    ];
    args.extend(RANGE);
    // On PostgreSQL the last killed process's advisory lock lasts until the
    // server notices its connection is gone: until then the stream is
    // skipped (and says so), so run again until it completes.
    let mut attempts = 0;
    loop {
        let resumed = run_with(&home, &env, &args);
        resumed.assert_ok();
        let row = &resumed.json()[0];
        if row["complete"] == true {
            break;
        }
        assert!(
            row["note"]
                .as_str()
                .is_some_and(|n| n.contains("another process")),
            "{row}"
        );
        attempts += 1;
        assert!(
            attempts < 50,
            "the lock of a killed process never went away"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut args = vec!["sync", "run", "--streams", "sessions", "--db", fresh];
    args.extend(RANGE);
    run_with(&home, &env, &args).assert_ok();

    let (rows, distinct, ids) = sessions_in(db);
    let (f_rows, f_distinct, f_ids) = sessions_in(fresh);
    assert_eq!(rows, distinct, "no duplicates");
    assert_eq!(f_rows, f_distinct);
    assert!(f_rows > 0);
    assert_eq!(ids, f_ids, "the resumed database equals a fresh full sync");

    // And verify agrees.
    let mut args = vec!["sync", "verify", "--streams", "sessions", "--db", db];
    args.extend(RANGE);
    let v = run_with(&home, &env, &args);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

#[test]
fn kill_9_at_random_points_then_resume_sqlite() {
    any_drivers();
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("killed.db").to_string_lossy().into_owned();
    let fresh = dir.path().join("fresh.db").to_string_lossy().into_owned();
    kill9_then_resume(&db, &fresh);
}

/// A database of this test on the local PostgreSQL server (dropped after).
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

impl PgDb {
    fn new(test: &str) -> Option<Self> {
        if std::env::var("KEFU_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
            eprintln!("SKIPPED (KEFU_SKIP_POSTGRES=1): {test}");
            return None;
        }
        let admin = std::env::var("KEFU_TEST_POSTGRES_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!(
            "kefu_cli_{test}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros())
        );
        rt().block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                panic!("PostgreSQL is not reachable at {admin}: start it, or set KEFU_SKIP_POSTGRES=1 to skip these tests ({e})")
            });
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create");
        });
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_owned();
        let url = format!("{base}/{name}");
        Some(Self { admin, name, url })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        rt().block_on(async move {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        });
    }
}

#[test]
fn kill_9_at_random_points_then_resume_postgres() {
    any_drivers();
    let Some(db) = PgDb::new("kill9") else { return };
    let Some(fresh) = PgDb::new("kill9fresh") else {
        return;
    };
    kill9_then_resume(&db.url, &fresh.url);
}
