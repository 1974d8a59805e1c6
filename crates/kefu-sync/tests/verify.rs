//! `verify` names every difference between the database and the vendor.

mod common;

use chrono::Duration;
use common::{Easemob, TestDb, june, may};
use kefu_sync::{Controls, Options, Stream, run, verify};

async fn names_every_difference(t: &TestDb) {
    let vendor = Easemob::start(300).await;
    let db = t.open().await;
    let src = vendor.source();
    let mut o = Options::new(vec![Stream::Agents, Stream::Sessions], june());
    o.since = may();
    run(&db, &src, &o, &Controls::default())
        .await
        .expect("sync");
    let diffs = verify(&db, &src, &o, None, None).await.expect("verify");
    assert!(diffs.is_empty(), "{diffs:?}");

    // A session lost from the database, one that the vendor never had, and
    // a late one outside any look-back.
    let lost = vendor.sandbox.session_ids()[10].clone();
    sqlx::query("DELETE FROM easemob_sessions WHERE id = $1")
        .bind(lost.clone())
        .execute(db.pool())
        .await
        .expect("delete");
    let (insert, stop) = match db.dialect() {
        kefu_sync::Dialect::Sqlite => (
            "INSERT INTO easemob_sessions (account, id, stopped_at, record, synced_at) VALUES ('1', 'ghost', $1, '{}', $1)",
            "2024-05-10T00:00:00.000Z",
        ),
        kefu_sync::Dialect::Postgres => (
            "INSERT INTO easemob_sessions (account, id, stopped_at, record, synced_at) VALUES ('1', 'ghost', $1::timestamptz, '{}'::jsonb, $1::timestamptz)",
            "2024-05-10T00:00:00.000Z",
        ),
    };
    sqlx::query(insert)
        .bind(stop)
        .execute(db.pool())
        .await
        .expect("ghost");
    vendor.clock.set(june() - Duration::days(3));
    vendor.sandbox.add_sessions(1);
    let late = vendor.sandbox.session_ids().last().expect("late").clone();

    let diffs = verify(&db, &src, &o, None, None).await.expect("verify");
    let named = |kind: &str, id: &str| {
        diffs
            .iter()
            .any(|d| d.kind == kind && d.id.as_deref() == Some(id) && d.stream == "sessions")
    };
    assert!(named("missing", &lost), "{diffs:?}");
    assert!(named("missing", &late), "{diffs:?}");
    assert!(named("extra", "ghost"), "{diffs:?}");
    assert!(
        diffs
            .iter()
            .any(|d| d.kind == "count" && d.db.is_some() && d.vendor.is_some())
    );
    assert_eq!(
        diffs.iter().filter(|d| d.kind != "count").count(),
        3,
        "{diffs:?}"
    );
    db.close().await;
}
both!(verify_sqlite, verify_postgres, names_every_difference);
