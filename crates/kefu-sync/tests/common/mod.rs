//! Real databases for the sync tests: a temporary SQLite file, or a
//! PostgreSQL database of its own per test (created here, dropped at the
//! end; a unique name, so leftovers of an earlier run never matter).
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use kefu::{Client, ClientBuilder, FixedClock, Vendor};
use kefu_sync::{Db, DbUrl, Source};
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::easemob::{EasemobEmulator, EasemobSandbox};
use sqlx::Connection;

/// Which destination a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A database of one test.
pub struct TestDb {
    pub url: DbUrl,
    pub text_url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// The PostgreSQL server of the tests.
pub fn pg_admin_url() -> String {
    std::env::var("KEFU_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `true` (and a line on stderr) when PostgreSQL tests are opted out.
pub fn skip_postgres(test: &str) -> bool {
    if std::env::var("KEFU_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED (KEFU_SKIP_POSTGRES=1): {test}");
        return true;
    }
    false
}

fn host_port(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let rest = rest.rsplit('@').next().unwrap_or(rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl TestDb {
    /// A fresh database of `kind` for `test`; `None` when PostgreSQL tests
    /// are skipped (said on stderr).
    pub async fn new(kind: Kind, test: &str) -> Option<Self> {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("kefu.db");
                Some(Self {
                    url: DbUrl::sqlite(&path),
                    text_url: path.to_string_lossy().into_owned(),
                    _dir: Some(dir),
                    pg: None,
                })
            }
            Kind::Postgres => {
                if skip_postgres(test) {
                    return None;
                }
                let admin = pg_admin_url();
                let mut conn = match sqlx::PgConnection::connect(&admin).await {
                    Ok(c) => c,
                    Err(e) => panic!(
                        "PostgreSQL is not reachable at {}: start it, or set KEFU_SKIP_POSTGRES=1 to skip these tests ({e})",
                        host_port(&admin)
                    ),
                };
                let name = format!(
                    "kefu_test_{}_{}_{}_{}",
                    test.chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .take(30)
                        .collect::<String>(),
                    std::process::id(),
                    Utc::now().timestamp_micros(),
                    SEQ.fetch_add(1, Ordering::Relaxed)
                )
                .to_lowercase();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let _ = conn.close().await;
                let text_url = with_database(&admin, &name);
                Some(Self {
                    url: text_url.parse().expect("pg url"),
                    text_url,
                    _dir: None,
                    pg: Some((admin, name)),
                })
            }
        }
    }

    /// Opens it (migrating).
    pub async fn open(&self) -> Db {
        Db::open(&self.url).await.expect("open db")
    }

    /// Drops a PostgreSQL database (SQLite: the directory goes with `self`).
    pub async fn finish(self) {
        if let Some((admin, name)) = &self.pg {
            let mut conn = sqlx::PgConnection::connect(admin).await.expect("admin");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .expect("drop test database");
        }
    }
}

/// Runs `body` against SQLite and PostgreSQL in turn, each on a database
/// of its own that is dropped afterwards, whether `body` passed or not.
#[macro_export]
macro_rules! both {
    ($sqlite:ident, $pg:ident, $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            if let Some(db) = common::TestDb::new(common::Kind::Sqlite, stringify!($sqlite)).await {
                // A failing test drops its database too, then fails.
                let outcome =
                    futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe($body(&db)))
                        .await;
                db.finish().await;
                if let Err(panic) = outcome {
                    std::panic::resume_unwind(panic);
                }
            }
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $pg() {
            if let Some(db) = common::TestDb::new(common::Kind::Postgres, stringify!($pg)).await {
                // A failing test drops its database too, then fails.
                let outcome =
                    futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe($body(&db)))
                        .await;
                db.finish().await;
                if let Err(panic) = outcome {
                    std::panic::resume_unwind(panic);
                }
            }
        }
    };
}

/// 2024-06-02T00:00:00Z: after the sandbox's seeded May.
pub fn june() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 2, 0, 0, 0)
        .single()
        .expect("t")
}

/// 2024-05-01T00:00:00+08:00.
pub fn may() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 4, 30, 16, 0, 0)
        .single()
        .expect("t")
}

/// An Easemob sandbox on a clock the test moves, and a client of it.
pub struct Easemob {
    pub sandbox: EasemobSandbox,
    pub clock: Arc<FixedClock>,
    pub client: Client,
}

impl Easemob {
    pub async fn start(sessions: usize) -> Self {
        let clock = Arc::new(FixedClock::new(june()));
        let config = SeedConfig {
            sessions,
            ..SeedConfig::default()
        };
        let emulator = EasemobEmulator::with_clock(config, clock.clone());
        let sandbox = EasemobSandbox::serve(emulator).await.expect("sandbox");
        let client = client_of(Vendor::Easemob, sandbox.env());
        Self {
            sandbox,
            clock,
            client,
        }
    }

    pub fn source(&self) -> Source {
        source_of(&self.client, "1")
    }

    /// Requests to the sessions route so far.
    pub fn session_requests(&self) -> usize {
        self.sandbox
            .requests()
            .iter()
            .filter(|r| r.path.contains("serviceSessionHistorys"))
            .count()
    }
}

pub fn client_of(vendor: Vendor, env: Vec<(String, String)>) -> Client {
    let env: std::collections::HashMap<String, String> = env.into_iter().collect();
    ClientBuilder::new()
        .lookup(move |k: &str| env.get(k).cloned())
        .vendor(vendor)
        .build()
        .expect("client")
}

pub fn source_of(client: &Client, account: &str) -> Source {
    Source::new(
        client.vendor(),
        account,
        client.tenants(),
        client.agents(),
        client.sessions(),
        client.reports(),
    )
}

/// `(count, distinct ids)` of `table` for `account`.
pub async fn count_rows(db: &Db, table: &str, account: &str) -> (i64, i64) {
    use sqlx::Row;
    let row = sqlx::query(&format!(
        "SELECT COUNT(*), COUNT(DISTINCT id) FROM {table} WHERE account = $1"
    ))
    .bind(account.to_owned())
    .fetch_one(db.pool())
    .await
    .expect("count");
    (row.get(0), row.get(1))
}

/// Every id of `table` for `account`, sorted.
pub async fn ids(db: &Db, table: &str, account: &str) -> Vec<String> {
    use sqlx::Row;
    let mut out: Vec<String> = sqlx::query(&format!("SELECT id FROM {table} WHERE account = $1"))
        .bind(account.to_owned())
        .fetch_all(db.pool())
        .await
        .expect("ids")
        .iter()
        .map(|r| r.get(0))
        .collect();
    out.sort();
    out
}
