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

/// Sessions are checked by the vendor's own total of each window (one
/// request of one record), so a window that matches costs one request and
/// is not listed; a window whose total differs is named with both numbers,
/// then listed to name its records.
async fn totals_name_the_windows_that_differ(t: &TestDb) {
    let vendor = Easemob::start(400).await;
    let db = t.open().await;
    let src = vendor.source();
    let mut o = Options::new(vec![Stream::Sessions], june());
    o.since = may();
    run(&db, &src, &o, &Controls::default())
        .await
        .expect("sync");

    let before = vendor.sandbox.requests().len();
    let diffs = verify(&db, &src, &o, None, None).await.expect("verify");
    assert!(diffs.is_empty(), "{diffs:?}");
    let asked: Vec<_> = vendor.sandbox.requests()[before..]
        .iter()
        .filter(|r| r.path.contains("serviceSessionHistorys"))
        .cloned()
        .collect();
    // 2024-04-30T16:00Z to the cursor 2024-06-02T00:00Z: 33 day windows,
    // each one total and nothing listed.
    assert_eq!(asked.len(), 33, "one request a window");
    assert!(
        asked.iter().all(|r| r.query_param("per_page") == Some("1")),
        "only totals were asked"
    );

    // Rows lost from the database in one window (all of 6 May, China time).
    let (lo, hi) = ("2024-05-05T16:00:00.000Z", "2024-05-06T16:00:00.000Z");
    let delete = match db.dialect() {
        kefu_sync::Dialect::Sqlite => {
            "DELETE FROM easemob_sessions WHERE stopped_at >= $1 AND stopped_at < $2"
        }
        kefu_sync::Dialect::Postgres => {
            "DELETE FROM easemob_sessions WHERE stopped_at >= $1::timestamptz AND stopped_at < $2::timestamptz"
        }
    };
    let lost = sqlx::query(delete)
        .bind(lo)
        .bind(hi)
        .execute(db.pool())
        .await
        .expect("delete")
        .rows_affected();
    assert!(lost > 0, "the sandbox has sessions on 6 May");
    // And a session added at the vendor after the sync, in another window.
    vendor.clock.set(june() - Duration::days(3));
    vendor.sandbox.add_sessions(1);
    let late = vendor.sandbox.session_ids().last().expect("late").clone();

    let diffs = verify(&db, &src, &o, None, None).await.expect("verify");
    let counts: Vec<_> = diffs.iter().filter(|d| d.kind == "count").collect();
    assert_eq!(counts.len(), 2, "two windows differ: {diffs:?}");
    let emptied = counts
        .iter()
        .find(|d| d.window == format!("{lo}/{hi}"))
        .expect("the emptied window is named");
    assert_eq!(emptied.db, Some(0));
    assert_eq!(emptied.vendor, Some(lost));
    let grown = counts
        .iter()
        .find(|d| d.window != format!("{lo}/{hi}"))
        .expect("the late session's window is named");
    let (db_n, vendor_n) = (grown.db.expect("db"), grown.vendor.expect("vendor"));
    assert_eq!(vendor_n, db_n + 1, "{grown:?}");
    // The differing windows were listed: every record is named.
    let missing: Vec<_> = diffs.iter().filter(|d| d.kind == "missing").collect();
    assert_eq!(missing.len() as u64, lost + 1, "{diffs:?}");
    assert!(
        missing
            .iter()
            .any(|d| d.id.as_deref() == Some(late.as_str()) && d.window == grown.window)
    );
    assert!(diffs.iter().all(|d| d.kind != "extra"), "{diffs:?}");
    db.close().await;
}
both!(
    verify_totals_sqlite,
    verify_totals_postgres,
    totals_name_the_windows_that_differ
);
