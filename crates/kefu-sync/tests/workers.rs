//! Several `sync run` processes on one database.

mod common;

use common::{Easemob, Kind, TestDb, count_rows, june, may};
use kefu_sync::{Controls, Options, Stream, lock, run};

fn options() -> Options {
    let mut o = Options::new(
        vec![Stream::Agents, Stream::Roles, Stream::Sessions],
        june(),
    );
    o.since = may();
    o
}

/// A stream held by another worker is skipped, and the summary says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_stream_is_skipped_on_postgres() {
    let Some(t) = TestDb::new(Kind::Postgres, "a_held_stream_is_skipped").await else {
        return;
    };
    let vendor = Easemob::start(200).await;
    let other = t.open().await;
    let held = lock::try_lock(&other, "1", Stream::Sessions)
        .await
        .expect("lock")
        .expect("free");
    let db = t.open().await;
    let report = run(&db, &vendor.source(), &options(), &Controls::default())
        .await
        .expect("run");
    let sessions = report
        .streams
        .iter()
        .find(|s| s.stream == "sessions")
        .expect("row");
    assert!(sessions.skipped, "{sessions:?}");
    assert!(!sessions.complete);
    assert!(
        sessions
            .note
            .as_deref()
            .is_some_and(|n| n.contains("another process"))
    );
    assert!(!report.stopped_early(), "skipping is not stopping");
    assert_eq!(count_rows(&db, "easemob_sessions", "1").await, (0, 0));
    // The other streams were not held.
    assert!(
        report
            .streams
            .iter()
            .filter(|s| s.stream != "sessions")
            .all(|s| s.complete)
    );

    held.release().await.expect("release");
    let report = run(&db, &vendor.source(), &options(), &Controls::default())
        .await
        .expect("run");
    assert!(
        report.streams.iter().all(|s| s.complete),
        "{:?}",
        report.streams
    );
    assert_eq!(count_rows(&db, "easemob_sessions", "1").await, (200, 200));
    db.close().await;
    other.close().await;
    t.finish().await;
}

/// Two workers started together: each stream is worked by one of them (or
/// by both in turn), every row is there once, nothing fails.
async fn two_workers_together(t: &TestDb) {
    let vendor = Easemob::start(2000).await;
    let (a, b) = (t.open().await, t.open().await);
    let (src_a, src_b) = (vendor.source(), vendor.source());
    let o = options();
    let controls = Controls::default();
    let (ra, rb) = tokio::join!(
        run(&a, &src_a, &o, &controls),
        run(&b, &src_b, &o, &controls),
    );
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    assert!(
        ra.error.is_none() && rb.error.is_none(),
        "{:?} {:?}",
        ra.error,
        rb.error
    );
    for (x, y) in ra.streams.iter().zip(&rb.streams) {
        assert!(x.complete || y.complete, "{x:?} {y:?}");
        assert!(x.complete || x.skipped, "{x:?}");
        assert!(y.complete || y.skipped, "{y:?}");
    }
    let inserted: u64 = ra
        .streams
        .iter()
        .chain(&rb.streams)
        .filter(|s| s.stream == "sessions")
        .map(|s| s.inserted)
        .sum();
    assert_eq!(
        inserted, 2000,
        "each session inserted by exactly one worker"
    );
    assert_eq!(count_rows(&a, "easemob_sessions", "1").await, (2000, 2000));
    a.close().await;
    b.close().await;
}
both!(
    two_workers_sqlite,
    two_workers_postgres,
    two_workers_together
);

/// Two accounts side by side in one database.
async fn accounts_side_by_side(t: &TestDb) {
    let one = Easemob::start(50).await;
    let two = Easemob::start(70).await;
    let db = t.open().await;
    let o = options();
    run(&db, &one.source(), &o, &Controls::default())
        .await
        .expect("one");
    let src_two = common::source_of(&two.client, "2");
    run(&db, &src_two, &o, &Controls::default())
        .await
        .expect("two");
    assert_eq!(count_rows(&db, "easemob_sessions", "1").await, (50, 50));
    assert_eq!(count_rows(&db, "easemob_sessions", "2").await, (70, 70));
    let status = kefu_sync::status(&db).await.expect("status");
    let accounts: std::collections::BTreeSet<_> =
        status.iter().map(|s| s.account.as_str()).collect();
    assert_eq!(accounts.into_iter().collect::<Vec<_>>(), ["1", "2"]);
    db.close().await;
}
both!(accounts_sqlite, accounts_postgres, accounts_side_by_side);
