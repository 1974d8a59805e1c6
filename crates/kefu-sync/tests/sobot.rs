//! Sobot's four streams: snapshots of tenants and app keys, the status log
//! a week a window, daily figures replaced whole.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{TestDb, client_of, count_rows, source_of};
use kefu::Vendor;
use kefu_sync::{Controls, Options, Stream, run};
use kefu_testkit::sandbox::{SeedConfig, sobot};

async fn every_stream_once_and_again(t: &TestDb) {
    let sandbox = sobot::start(SeedConfig::default()).await.expect("sandbox");
    let client = client_of(Vendor::Sobot, sandbox.sandbox().env());
    let src = source_of(&client, sobot::UNION_CODE);
    let db = t.open().await;
    let now = Utc
        .with_ymd_and_hms(2024, 6, 2, 0, 0, 0)
        .single()
        .expect("t");
    let mut o = Options::new(Stream::of(Vendor::Sobot).to_vec(), now);
    o.since = Utc
        .with_ymd_and_hms(2024, 4, 30, 16, 0, 0)
        .single()
        .expect("t");

    let report = run(&db, &src, &o, &Controls::default()).await.expect("run");
    assert!(report.error.is_none(), "{:?}", report.error);
    let by = |name: &str| {
        report
            .streams
            .iter()
            .find(|s| s.stream == name)
            .expect(name)
            .clone()
    };
    for s in &report.streams {
        assert!(s.complete, "{s:?}");
        assert_eq!(s.updated, 0, "{s:?}");
    }
    let tenants = by("tenants");
    assert_eq!(tenants.inserted, sandbox.tenants().len() as u64);
    assert_eq!(
        count_rows(&db, "sobot_tenants", "10004").await.0 as u64,
        tenants.inserted
    );
    assert!(by("app_keys").inserted > 0);
    let status = by("agent_status");
    assert!(status.inserted > 0);
    // Every log entry of the range is there, once.
    let from = o.since.timestamp_millis();
    let want = sandbox
        .sobot()
        .status_logs_between(from, now.timestamp_millis())
        .len() as i64;
    let (rows, distinct) = count_rows(&db, "sobot_agent_status", "10004").await;
    assert_eq!(rows, distinct);
    assert_eq!(rows, want);
    let stats = by("agent_stats");
    assert!(stats.inserted > 0);
    assert_eq!(stats.cursor.as_deref(), Some("2024-06-02"));

    // Again, a day later: nothing new is written; the status log reads only
    // the look-back and the new day; the figures re-read two days.
    let before = sandbox.sandbox().requests().len();
    o.now = now + Duration::days(1);
    o.until = o.now;
    let report = run(&db, &src, &o, &Controls::default())
        .await
        .expect("again");
    for s in &report.streams {
        assert!(s.complete, "{s:?}");
        assert_eq!((s.inserted, s.updated), (0, 0), "{s:?}");
    }
    let requests = sandbox.sandbox().requests();
    let stats_calls = requests[before..]
        .iter()
        .filter(|r| r.path.contains("tenantStaffJobList"))
        .count();
    assert_eq!(stats_calls, 3, "two look-back days and the new one");
    let status_calls = requests[before..]
        .iter()
        .filter(|r| r.path.contains("getStaffLogInfos"))
        .count();
    assert_eq!(status_calls, 1);
    db.close().await;
}
both!(sobot_sqlite, sobot_postgres, every_stream_once_and_again);
