//! An export while the vendor misbehaves between pages: sessions inserted
//! mid-read at the front, the middle and the end of the window (sorting
//! *before* the pages already read, too), ties larger than a page, a vendor
//! that ignores `sortOrder`, pages listed twice or served again. Every
//! session present when the read began is handed out, none twice, and a
//! page served again and again is an error, not success.

mod common;

use std::collections::{HashMap, HashSet};

use chrono::{TimeZone, Utc};
use common::{builder_for, sandbox_with_sessions};
use futures_util::StreamExt;
use kefu_core::model::{SessionQuery, SessionTime, SortOrder};
use kefu_core::{ErrorKind, SessionHistory};
use kefu_testkit::sandbox::Fault;
use kefu_testkit::sandbox::easemob::Insert;

struct Case {
    by: SessionTime,
    order: SortOrder,
    concurrency: usize,
    window: bool,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for by in [SessionTime::Stopped, SessionTime::Created] {
        for order in [SortOrder::Ascending, SortOrder::Descending] {
            for (concurrency, window) in [(1, true), (4, true), (4, false)] {
                out.push(Case {
                    by,
                    order,
                    concurrency,
                    window,
                });
            }
        }
    }
    out
}

fn query(case: &Case) -> SessionQuery {
    let t = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().expect("t");
    SessionQuery {
        by: case.by,
        order: case.order,
        from: case.window.then(|| t(2000)),
        to: case.window.then(|| t(2100)),
        ..SessionQuery::default()
    }
}

/// Reads everything; returns how often each id came.
async fn read_all(
    c: &impl SessionHistory,
    q: &SessionQuery,
) -> (Vec<String>, Option<kefu_core::Error>) {
    let mut stream = c.sessions(q).expect("query");
    let mut ids = Vec::new();
    while let Some(s) = stream.next().await {
        match s {
            Ok(s) => ids.push(s.id),
            Err(e) => return (ids, Some(e)),
        }
    }
    (ids, None)
}

fn check(label: &str, before: &HashSet<String>, got: &[String]) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in got {
        *count.entry(id).or_default() += 1;
    }
    let repeated = count.values().filter(|n| **n > 1).count();
    assert_eq!(repeated, 0, "{label}: {repeated} sessions handed out twice");
    let lost = before
        .iter()
        .filter(|id| !count.contains_key(id.as_str()))
        .count();
    assert_eq!(lost, 0, "{label}: {lost} sessions that existed were lost");
}

#[tokio::test]
async fn inserts_at_the_front_middle_and_end_lose_and_repeat_nothing() {
    for at in [Insert::Front, Insert::Middle, Insert::End] {
        for case in cases() {
            let sb = sandbox_with_sessions(1000).await;
            let c = builder_for(&sb)
                .page_concurrency(case.concurrency)
                .build()
                .expect("client");
            let before: HashSet<String> = sb.session_ids().into_iter().collect();
            // 45 arrive after the 3rd page, 60 in one second (more than a
            // page) after the 9th.
            sb.easemob().insert_sessions_after(3, 45, at);
            sb.easemob().insert_sessions_after(9, 60, at);
            let label = format!(
                "{at:?} {:?} {:?} x{} window={}",
                case.by, case.order, case.concurrency, case.window
            );
            let (got, error) = read_all(&c, &query(&case)).await;
            assert!(error.is_none(), "{label}: {error:?}");
            check(&label, &before, &got);
        }
    }
}

#[tokio::test]
async fn a_vendor_that_ignores_sort_order_still_gives_each_session_once() {
    for at in [Insert::Front, Insert::End] {
        for case in cases() {
            let sb = sandbox_with_sessions(600).await;
            sb.easemob().ignore_sort_order(true);
            let c = builder_for(&sb)
                .page_concurrency(case.concurrency)
                .build()
                .expect("client");
            let before: HashSet<String> = sb.session_ids().into_iter().collect();
            sb.easemob().insert_sessions_after(4, 45, at);
            let label = format!("ignored sort, {at:?} {:?} {:?}", case.by, case.order);
            let (got, error) = read_all(&c, &query(&case)).await;
            assert!(error.is_none(), "{label}: {error:?}");
            check(&label, &before, &got);
        }
    }
}

#[tokio::test]
async fn pages_listing_sessions_twice_hand_each_out_once() {
    let sb = sandbox_with_sessions(300).await;
    let c = builder_for(&sb)
        .page_concurrency(1)
        .build()
        .expect("client");
    sb.chaos().inject(Fault::DuplicateItems, 3);
    let (got, error) = read_all(&c, &SessionQuery::default()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, sb.session_ids());
}

#[tokio::test]
async fn a_page_served_again_and_again_is_an_error_not_success() {
    for concurrency in [1, 4] {
        let sb = sandbox_with_sessions(500).await;
        let c = builder_for(&sb)
            .page_concurrency(concurrency)
            .build()
            .expect("client");
        // Whatever is asked after the first pages, the same page comes back.
        sb.chaos().inject(Fault::Replay, 0);
        let q = SessionQuery {
            order: SortOrder::Ascending,
            ..SessionQuery::default()
        };
        let mut stream = c.sessions(&q).expect("query");
        let mut n = 0;
        let mut failed = None;
        // Let the first page through, then replay every later one.
        while let Some(s) = stream.next().await {
            match s {
                Ok(_) => {
                    n += 1;
                    if n == 1 {
                        sb.chaos().inject(Fault::Replay, 10_000);
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let e = failed.unwrap_or_else(|| panic!("x{concurrency}: success after {n} sessions"));
        assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
        let text = e.to_string();
        assert!(
            text.contains("repeats") || text.contains("outside the window asked"),
            "{e}"
        );
        let asked = sb
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("serviceSessionHistorys"))
            .count();
        assert!(asked < 40, "x{concurrency}: {asked} pages asked");
        assert!(n <= 500, "x{concurrency}: {n} sessions handed out");
    }
}

#[tokio::test]
async fn times_read_in_another_zone_than_the_tenants_stop_the_walk_not_lose_sessions() {
    let sb = sandbox_with_sessions(300).await;
    // The sandbox writes UTC+8 times; read as UTC they are 8 hours late,
    // and a walk from the last one's time would skip 8 hours of sessions.
    let c = builder_for(&sb)
        .zone("UTC".parse().expect("zone"))
        .build()
        .expect("client");
    let case = Case {
        by: SessionTime::Stopped,
        order: SortOrder::Ascending,
        concurrency: 4,
        window: true,
    };
    let mut q = query(&case);
    // A window ending among the sessions, so some read as after it.
    let all: Vec<String> = sb.session_ids();
    let last = sb.easemob().session(150).expect("session 150");
    let stop = last["stopDateTime"].as_str().expect("stop").to_owned();
    q.to = Some(
        chrono::NaiveDateTime::parse_from_str(&stop, "%Y-%m-%d %H:%M:%S")
            .expect("naive")
            .and_utc()
            - chrono::TimeDelta::hours(8),
    );
    let (got, error) = read_all(&c, &q).await;
    let e = error.unwrap_or_else(|| panic!("{} of {} sessions and success", got.len(), all.len()));
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert!(e.to_string().contains("KEFU_EASEMOB_ZONE"), "{e}");
}
