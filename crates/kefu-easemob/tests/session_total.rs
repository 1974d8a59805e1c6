//! `SessionHistory::session_total`: the vendor's own count of a window, in
//! one small request, and what a careless answer does to it.

mod common;

use common::{client_for, sandbox_with_sessions};
use futures_util::TryStreamExt;
use kefu_core::SessionHistory;
use kefu_core::model::{Session, SessionQuery};
use kefu_testkit::sandbox::Fault;

fn session_requests(sb: &kefu_testkit::sandbox::easemob::EasemobSandbox) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.path.ends_with("/serviceSessionHistorys"))
        .count()
}

#[tokio::test]
async fn the_total_is_one_request_of_one_record_and_counts_the_window() {
    let sb = sandbox_with_sessions(321).await;
    let c = client_for(&sb);
    let all: Vec<Session> = c
        .sessions(&SessionQuery::default())
        .expect("query")
        .try_collect()
        .await
        .expect("export");
    // A window over the middle third of the sessions, by their stop times.
    let from = all[100].stopped_at.expect("stop");
    let to = all[200].stopped_at.expect("stop");
    let q = SessionQuery::stopped_between(from, to);
    let listed: Vec<Session> = c.sessions(&q).expect("q").try_collect().await.expect("w");
    assert!(listed.len() >= 100, "{}", listed.len());

    let before = session_requests(&sb);
    let total = c.session_total(&q).await.expect("total");
    assert_eq!(total, Some(listed.len() as u64));
    assert_eq!(session_requests(&sb), before + 1, "one request");
    let sent = sb.requests().last().cloned().expect("request");
    assert_eq!(sent.query_param("page"), Some("1"));
    assert_eq!(sent.query_param("per_page"), Some("1"));
    assert!(sent.query_param("stopDateFrom").is_some());
    assert!(sent.query_param("stopDateTo").is_some());

    // The whole history, and a page size the caller asked for is not sent.
    let q = SessionQuery {
        page_size: Some(50),
        ..SessionQuery::default()
    };
    assert_eq!(c.session_total(&q).await.expect("all"), Some(321));
    let sent = sb.requests().last().cloned().expect("request");
    assert_eq!(sent.query_param("per_page"), Some("1"));
}

#[tokio::test]
async fn a_broken_answer_is_an_error_not_a_count() {
    let sb = sandbox_with_sessions(10).await;
    let c = client_for(&sb);
    // An HTML page with status 200 (a proxy's error page): no number in it.
    sb.chaos().inject(Fault::Html, 10);
    let e = c
        .session_total(&SessionQuery::default())
        .await
        .expect_err("html");
    assert!(!e.to_string().is_empty());
    sb.chaos().clear();
    // Bad filters are refused before anything is sent.
    let before = session_requests(&sb);
    let bad = SessionQuery {
        satisfaction: Some(9),
        ..SessionQuery::default()
    };
    let e = c.session_total(&bad).await.expect_err("filter");
    assert_eq!(e.field(), Some("enquirySummary"));
    assert_eq!(session_requests(&sb), before);
}
