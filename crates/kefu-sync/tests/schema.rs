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

/// A column as text (any text: it is only compared with itself).
fn text(db: &Db, column: &str) -> String {
    match db.dialect() {
        kefu_sync::Dialect::Sqlite => column.to_owned(),
        kefu_sync::Dialect::Postgres => format!("{column}::text"),
    }
}

/// `id → (record_hash, synced_at)` of a table, as text.
async fn hashes(db: &Db, table: &str) -> Vec<(String, Option<i64>, String)> {
    let synced = text(db, "synced_at");
    sqlx::query(&format!(
        "SELECT id, record_hash, {synced} FROM {table} ORDER BY id"
    ))
    .fetch_all(db.pool())
    .await
    .expect("hashes")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// A database written by kefu before schema version 3 holds FNV-1a record
/// hashes. After the upgrade, re-reading its unchanged records counts no
/// update and moves no `synced_at`; their hashes are brought up to date; a
/// record that did change is still updated.
async fn hashes_of_an_older_kefu_are_recognized(t: &TestDb) {
    let vendor = Easemob::start(60).await;
    let db = t.open().await;
    let sqlite = db.dialect() == kefu_sync::Dialect::Sqlite;
    // Snapshots compare hashes in kefu itself on both databases; where an
    // older kefu's record text is not at hand (PostgreSQL keeps `jsonb`),
    // sessions alone.
    let streams = if sqlite {
        vec![Stream::Sessions, Stream::Agents]
    } else {
        vec![Stream::Sessions]
    };
    let mut o = Options::new(streams.clone(), june());
    o.since = may();
    run(&db, &vendor.source(), &o, &Controls::default())
        .await
        .expect("first run");
    let fresh: Vec<_> = [
        hashes(&db, "easemob_sessions").await,
        hashes(&db, "easemob_agents").await,
    ]
    .concat();
    assert!(fresh.len() >= 60, "{}", fresh.len());

    // As kefu before version 3 would have left it.
    for table in ["easemob_sessions", "easemob_agents"] {
        let set = if sqlite {
            let rows = sqlx::query(&format!("SELECT id, record FROM {table}"))
                .fetch_all(db.pool())
                .await
                .expect("records");
            for r in rows {
                let (id, record): (String, String) = (r.get(0), r.get(1));
                sqlx::query(&format!(
                    "UPDATE {table} SET record_hash = $1 WHERE id = $2"
                ))
                .bind(kefu_sync::row::fnv1a(record.as_bytes()))
                .bind(id)
                .execute(db.pool())
                .await
                .expect("old hash");
            }
            continue;
        } else {
            // Another hash of the same record.
            format!("UPDATE {table} SET record_hash = record_hash # 1")
        };
        sqlx::query(&set)
            .execute(db.pool())
            .await
            .expect("old hash");
    }
    // One session did change at the vendor since (here: the stored copy
    // is another record, under that record's old hash).
    let changed = fresh[0].0.clone();
    let other = r#"{"serviceSessionId":"changed"}"#;
    let cast = if sqlite { "" } else { "::jsonb" };
    sqlx::query(&format!(
        "UPDATE easemob_sessions SET record = $1{cast}, record_hash = $2 WHERE id = $3"
    ))
    .bind(other)
    .bind(kefu_sync::row::fnv1a(other.as_bytes()))
    .bind(&changed)
    .execute(db.pool())
    .await
    .expect("changed");
    sqlx::query("DELETE FROM kefu_schema_version WHERE version = 3")
        .execute(db.pool())
        .await
        .expect("as version 2");
    db.close().await;

    // The upgraded kefu re-reads everything (the look-back covers it all).
    let db = t.open().await;
    assert_eq!(schema::version(&db).await.expect("v"), LATEST);
    o.now = june() + chrono::Duration::minutes(10);
    o.until = o.now;
    o.lookback = chrono::Duration::days(40);
    let report = run(&db, &vendor.source(), &o, &Controls::default())
        .await
        .expect("second run");
    for s in &report.streams {
        let updated = u64::from(s.stream == "sessions");
        assert_eq!((s.inserted, s.updated, s.deleted), (0, updated, 0), "{s:?}");
    }
    let now: Vec<_> = [
        hashes(&db, "easemob_sessions").await,
        hashes(&db, "easemob_agents").await,
    ]
    .concat();
    assert_eq!(now.len(), fresh.len());
    for (before, after) in fresh.iter().zip(&now) {
        assert_eq!(before.0, after.0);
        assert_eq!(
            before.1, after.1,
            "{}: the hash is this kefu's again",
            after.0
        );
        if after.0 != changed {
            assert_eq!(before.2, after.2, "{}: synced_at moved", after.0);
        }
    }
    let (record, synced): (String, String) = sqlx::query(&format!(
        "SELECT {}, {} FROM easemob_sessions WHERE id = $1",
        text(&db, "record"),
        text(&db, "synced_at"),
    ))
    .bind(&changed)
    .fetch_one(db.pool())
    .await
    .map(|r| (r.get(0), r.get(1)))
    .expect("changed row");
    assert!(!record.contains("\"changed\""), "{record}");
    assert_ne!(synced, fresh[0].2, "the changed row was written");

    // And a third run finds nothing to do.
    let report = run(&db, &vendor.source(), &o, &Controls::default())
        .await
        .expect("third run");
    for s in &report.streams {
        assert_eq!((s.inserted, s.updated), (0, 0), "{s:?}");
    }
    db.close().await;
}
both!(
    old_hashes_sqlite,
    old_hashes_postgres,
    hashes_of_an_older_kefu_are_recognized
);
