//! Snapshot streams keep what the vendor stopped listing, marked deleted.

mod common;

use common::{Easemob, TestDb, june, may};
use kefu_sync::{Controls, Options, Stream, run};
use sqlx::Row;

async fn deleted_at(db: &kefu_sync::Db, id: &str) -> Option<String> {
    let sql = match db.dialect() {
        kefu_sync::Dialect::Postgres => {
            "SELECT deleted_at::text FROM easemob_agents WHERE account = '1' AND id = $1"
        }
        kefu_sync::Dialect::Sqlite => {
            "SELECT deleted_at FROM easemob_agents WHERE account = '1' AND id = $1"
        }
    };
    sqlx::query(sql)
        .bind(id.to_owned())
        .fetch_one(db.pool())
        .await
        .expect("row")
        .get(0)
}

async fn deletions_are_marked_and_cleared(t: &TestDb) {
    let vendor = Easemob::start(10).await;
    let db = t.open().await;
    let src = vendor.source();
    let mut o = Options::new(vec![Stream::Agents, Stream::Roles], june());
    o.since = may();
    let report = run(&db, &src, &o, &Controls::default())
        .await
        .expect("first");
    let agents = report.streams[0].clone();
    assert!(agents.complete && agents.inserted > 1, "{agents:?}");
    assert!(report.streams[1].inserted > 0);

    let gone = vendor
        .sandbox
        .easemob()
        .usernames()
        .last()
        .expect("agents")
        .clone();
    let gone_id = vendor.sandbox.agent(&gone).expect("agent")["userId"]
        .as_str()
        .expect("userId")
        .to_owned();
    vendor
        .client
        .agents()
        .delete_agent(&gone)
        .await
        .expect("delete");

    let report = run(&db, &src, &o, &Controls::default())
        .await
        .expect("second");
    let s = &report.streams[0];
    assert_eq!((s.inserted, s.updated, s.deleted), (0, 0, 1), "{s:?}");
    assert!(
        deleted_at(&db, &gone_id).await.is_some(),
        "kept, marked deleted"
    );
    let (rows, _) = common::count_rows(&db, "easemob_agents", "1").await;
    assert_eq!(rows as u64, agents.inserted, "nothing removed");

    // Listed again unchanged: nothing new is marked, nothing counted.
    let report = run(&db, &src, &o, &Controls::default())
        .await
        .expect("third");
    let s = &report.streams[0];
    assert_eq!((s.inserted, s.updated, s.deleted), (0, 0, 0), "{s:?}");
    db.close().await;
}
both!(
    deletions_sqlite,
    deletions_postgres,
    deletions_are_marked_and_cleared
);

/// A listing that fails half-way marks nothing deleted and writes nothing.
async fn a_failed_listing_marks_nothing(t: &TestDb) {
    use kefu_testkit::sandbox::Fault;
    let vendor = Easemob::start(10).await;
    let db = t.open().await;
    let src = vendor.source();
    let mut o = Options::new(vec![Stream::Agents], june());
    o.since = may();
    run(&db, &src, &o, &Controls::default())
        .await
        .expect("first");
    // Every attempt of the next listing breaks.
    vendor
        .sandbox
        .chaos()
        .inject(Fault::Status { status: 500 }, 100);
    let report = run(&db, &src, &o, &Controls::default())
        .await
        .expect("report");
    assert!(report.error.is_some());
    assert!(!report.streams[0].complete);
    vendor.sandbox.chaos().clear();
    let sql = "SELECT COUNT(*) FROM easemob_agents WHERE deleted_at IS NOT NULL";
    let n: i64 = sqlx::query(sql)
        .fetch_one(db.pool())
        .await
        .expect("n")
        .get(0);
    assert_eq!(n, 0);
    db.close().await;
}
both!(
    failed_listing_sqlite,
    failed_listing_postgres,
    a_failed_listing_marks_nothing
);
