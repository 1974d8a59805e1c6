//! Migrations: a database of the first schema version is upgraded in place.

mod common;

use common::{Easemob, Kind, TestDb, june, may};
use kefu_sync::schema::{self, LATEST};
use kefu_sync::{Controls, Db, Options, Stream, run};
use sqlx::Row;

async fn upgrades_from_v1(t: &TestDb) {
    // A database as the first kefu sync left it, with a row in it.
    let db = Db::connect(&t.url).await.expect("connect");
    schema::migrate_to(&db, 1).await.expect("v1");
    assert_eq!(schema::version(&db).await.expect("v"), 1);
    let insert = match db.dialect() {
        kefu_sync::Dialect::Sqlite => {
            "INSERT INTO easemob_agents (account, id, record, synced_at) VALUES ('1', 'old', '{\"email\":\"old@example.com\"}', '2024-01-01T00:00:00.000Z')"
        }
        kefu_sync::Dialect::Postgres => {
            "INSERT INTO easemob_agents (account, id, record, synced_at) VALUES ('1', 'old', '{\"email\":\"old@example.com\"}'::jsonb, '2024-01-01T00:00:00Z'::timestamptz)"
        }
    };
    sqlx::query(insert)
        .execute(db.pool())
        .await
        .expect("v1 row");
    db.close().await;

    // Opening it with this kefu upgrades it; the row stays.
    let db = t.open().await;
    assert_eq!(schema::version(&db).await.expect("v"), LATEST);
    let versions: Vec<i64> =
        sqlx::query("SELECT version FROM kefu_schema_version ORDER BY version")
            .fetch_all(db.pool())
            .await
            .expect("versions")
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert_eq!(versions, (1..=LATEST).collect::<Vec<_>>());
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM easemob_agents WHERE id = 'old'")
        .fetch_one(db.pool())
        .await
        .expect("n")
        .get(0);
    assert_eq!(n, 1);

    // And it syncs: the old row is no longer listed, so it is marked deleted.
    let vendor = Easemob::start(5).await;
    let mut o = Options::new(vec![Stream::Agents], june());
    o.since = may();
    let report = run(&db, &vendor.source(), &o, &Controls::default())
        .await
        .expect("run");
    assert_eq!(report.streams[0].deleted, 1, "{:?}", report.streams[0]);
    db.close().await;

    // Opening again changes nothing.
    let db = t.open().await;
    assert_eq!(schema::version(&db).await.expect("v"), LATEST);
    db.close().await;
}
both!(v1_sqlite, v1_postgres, upgrades_from_v1);

async fn a_newer_schema_is_refused(t: &TestDb) {
    let db = t.open().await;
    sqlx::query("INSERT INTO kefu_schema_version (version, applied_at) VALUES (99, 'future')")
        .execute(db.pool())
        .await
        .expect("future");
    db.close().await;
    let e = Db::open(&t.url).await.expect_err("too new");
    assert!(e.to_string().contains("schema version 99"), "{e}");
}
both!(newer_sqlite, newer_postgres, a_newer_schema_is_refused);

/// Tables that exist without a version row are not recreated over.
#[tokio::test]
async fn foreign_tables_are_never_replaced() {
    let t = TestDb::new(Kind::Sqlite, "foreign").await.expect("sqlite");
    let db = Db::connect(&t.url).await.expect("connect");
    sqlx::query("CREATE TABLE easemob_sessions (x TEXT)")
        .execute(db.pool())
        .await
        .expect("foreign");
    db.close().await;
    let e = Db::open(&t.url).await.expect_err("refused");
    assert!(
        e.to_string().contains("migration to schema version 1"),
        "{e}"
    );
}

/// A new SQLite file gets 16 KiB pages (a session row is about 1.3 KB: with
/// SQLite's 4 KiB default every WAL frame costs a system call per three
/// rows); a file made with other pages keeps them and is upgraded as usual.
#[tokio::test]
async fn new_sqlite_files_get_16_kib_pages_and_old_ones_keep_theirs() {
    use sqlx::{Connection, Executor};

    async fn page_size(db: &Db) -> i64 {
        sqlx::query("PRAGMA page_size")
            .fetch_one(db.pool())
            .await
            .expect("page_size")
            .get(0)
    }

    let fresh = TestDb::new(Kind::Sqlite, "pages-new")
        .await
        .expect("sqlite");
    let db = fresh.open().await;
    assert_eq!(page_size(&db).await, 16384);
    db.close().await;

    // A file an earlier kefu made, with SQLite's default pages, in WAL mode.
    let old = TestDb::new(Kind::Sqlite, "pages-old")
        .await
        .expect("sqlite");
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&format!("sqlite:{}?mode=rwc", old.text_url))
        .await
        .expect("connect");
    conn.execute("PRAGMA page_size = 4096").await.expect("4096");
    conn.execute("PRAGMA journal_mode = WAL")
        .await
        .expect("wal");
    conn.execute("CREATE TABLE kefu_note (x TEXT)")
        .await
        .expect("table");
    conn.close().await.expect("close");
    let db = old.open().await;
    assert_eq!(page_size(&db).await, 4096);
    assert_eq!(schema::version(&db).await.expect("v"), LATEST);
    db.close().await;
}
