//! Session history against the sandbox: paging, filters, order, and an
//! export that runs while sessions keep arriving.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use common::{builder_for, client_for, sandbox, sandbox_with_sessions};
use futures_util::{StreamExt, TryStreamExt};
use kefu_core::SessionHistory;
use kefu_core::model::{Channel, Session, SessionQuery, SessionTime, SortOrder};

fn ids(sessions: &[Session]) -> Vec<String> {
    sessions.iter().map(|s| s.id.clone()).collect()
}

async fn export(c: &impl SessionHistory, q: &SessionQuery) -> Vec<Session> {
    c.sessions(q)
        .expect("query")
        .try_collect()
        .await
        .expect("export")
}

/// The sandbox's naive UTC+8 text as an instant.
fn utc8(text: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("naive time");
    chrono::FixedOffset::east_opt(8 * 3600)
        .and_then(|z| z.from_local_datetime(&naive).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("time")
}

#[tokio::test]
async fn all_1234_sessions_arrive_once_in_order_over_25_pages() {
    let sb = sandbox_with_sessions(1234).await;
    let c = client_for(&sb);
    let all = export(&c, &SessionQuery::default()).await;
    assert_eq!(ids(&all), sb.session_ids());

    // Walked by time: the first page, then slices of about 45 sessions
    // read 4 at a time (the one-session probe for the far end asks
    // per_page 1), a few more than 25 requests.
    let pages: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/serviceSessionHistorys"))
        .filter(|r| r.query_param("per_page") == Some("50"))
        .collect();
    for r in &pages {
        assert_eq!(r.query_param("sortOrder"), Some("asc"));
    }
    assert!((25..=35).contains(&pages.len()), "{} pages", pages.len());
    assert_eq!(sb.token_requests(), 1);
}

#[tokio::test]
async fn small_pages_and_one_page_in_flight_give_the_same_sessions() {
    let sb = sandbox_with_sessions(137).await;
    let c = builder_for(&sb)
        .page_concurrency(1)
        .build()
        .expect("client");
    let q = SessionQuery {
        page_size: Some(10),
        order: SortOrder::Descending,
        ..SessionQuery::default()
    };
    let all = export(&c, &q).await;
    let mut expected = sb.session_ids();
    expected.reverse();
    assert_eq!(ids(&all), expected);
    // One token; 137 sessions, 10 a page, each page after the first
    // starting at the last one's time (so repeating it): 15 or 16 pages.
    let n = sb.requests().len();
    assert!((1 + 14..=1 + 16).contains(&n), "{n} requests");
}

#[tokio::test]
async fn sessions_arriving_during_an_export_do_not_shift_or_repeat_what_existed() {
    let sb = sandbox_with_sessions(1234).await;
    let c = client_for(&sb);
    let before: HashSet<String> = sb.session_ids().into_iter().collect();
    let mut stream = c.sessions(&SessionQuery::default()).expect("query");
    let mut seen = Vec::new();
    while let Some(s) = stream.next().await {
        seen.push(s.expect("session").id);
        if seen.len() == 120 {
            sb.add_sessions(75);
        }
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a session was repeated");
    assert!(before.is_subset(&unique), "a session that existed was lost");
}

#[tokio::test]
async fn a_token_dying_mid_export_is_replaced_and_nothing_is_lost() {
    let sb = sandbox_with_sessions(600).await;
    let c = builder_for(&sb)
        .page_concurrency(1)
        .build()
        .expect("client");
    let mut stream = c.sessions(&SessionQuery::default()).expect("query");
    let mut seen = Vec::new();
    while let Some(s) = stream.next().await {
        seen.push(s.expect("session").id);
        if seen.len() == 60 {
            sb.expire_tokens();
        }
    }
    assert_eq!(seen, sb.session_ids());
    assert_eq!(sb.token_requests(), 2);
}

#[tokio::test]
async fn a_stop_window_returns_exactly_the_sessions_that_ended_in_it() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    let from = Utc
        .with_ymd_and_hms(2024, 5, 9, 16, 0, 0)
        .single()
        .expect("t");
    let to = Utc
        .with_ymd_and_hms(2024, 5, 12, 15, 59, 59)
        .single()
        .expect("t");
    let got = export(&c, &SessionQuery::stopped_between(from, to)).await;
    let expected: Vec<String> = (0..500)
        .filter_map(|i| sb.easemob().session(i))
        .filter(|s| {
            let stop = utc8(s["stopDateTime"].as_str().unwrap_or_default());
            from <= stop && stop <= to
        })
        .map(|s| {
            s["serviceSessionId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids(&got), expected);
    assert!(
        got.iter()
            .all(|s| s.stopped_at.is_some_and(|t| from <= t && t <= to))
    );

    // Each request asks a part of the window, never beyond it.
    let asked: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/serviceSessionHistorys"))
        .collect();
    let froms: Vec<String> = asked
        .iter()
        .filter_map(|q| q.query_param("stopDateFrom").map(str::to_owned))
        .collect();
    let tos: Vec<String> = asked
        .iter()
        .filter_map(|q| q.query_param("stopDateTo").map(str::to_owned))
        .collect();
    assert_eq!(
        froms.iter().min().map(String::as_str),
        Some("2024-05-09T16:00:00.000Z")
    );
    assert_eq!(
        tos.iter().max().map(String::as_str),
        Some("2024-05-12T15:59:59.000Z")
    );
    assert!(
        asked
            .iter()
            .all(|q| q.query_param("sortField") == Some("stopDateTime"))
    );
}

#[tokio::test]
async fn filters_select_what_they_name_and_records_decode_fully() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    let web = export(
        &c,
        &SessionQuery {
            channel: Some(Channel::Web),
            satisfaction: Some(5),
            ..SessionQuery::default()
        },
    )
    .await;
    assert!(!web.is_empty());
    for s in &web {
        assert_eq!(s.channels, vec!["webim"]);
        assert_eq!(s.satisfaction, Some(5));
        assert!(s.created_at <= s.started_at && s.started_at <= s.stopped_at);
        assert!(s.agent_id.is_some() && !s.agents.is_empty());
        assert!(!s.summaries.is_empty());
        assert!(s.extra.contains_key("chatGroupId") && s.extra.contains_key("techChannelName"));
    }
    // Every time is the sandbox's naive UTC+8 text, read in UTC+8.
    let first = sb.easemob().session(0).expect("session 0");
    let all = export(&c, &SessionQuery::default()).await;
    assert_eq!(
        all[0].stopped_at,
        Some(utc8(first["stopDateTime"].as_str().unwrap_or_default()))
    );

    let by_start = export(
        &c,
        &SessionQuery {
            by: SessionTime::Started,
            from: Some(
                Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0)
                    .single()
                    .expect("t"),
            ),
            vendor_params: vec![("state".into(), "Terminal".into())],
            ..SessionQuery::default()
        },
    )
    .await;
    assert!(
        by_start
            .iter()
            .all(|s| s.state.as_deref() == Some("Terminal") && s.started_at.is_some())
    );
    // The first request asks the window as given (later ones move its start).
    let first = sb
        .requests()
        .into_iter()
        .find(|r| r.query_param("beginDate").is_some())
        .expect("request");
    assert_eq!(
        first.query_param("beginDate"),
        Some("2024-05-01T00:00:00.000Z")
    );
    let last = sb.requests().pop().expect("request");
    assert_eq!(last.query_param("sortField"), Some("startDateTime"));
    assert_eq!(last.query_param("state"), Some("Terminal"));
}

#[tokio::test]
async fn pages_after_the_first_are_fetched_several_at_a_time() {
    let sb = sandbox_with_sessions(450).await;
    // Every request takes 150 ms: a token and 9 pages one at a time take
    // 1.5 s; a token, the first page, the probe for the far end, then
    // about 9 slices 8 at a time: about 0.6-0.75 s.
    sb.chaos()
        .set_latency(std::time::Duration::from_millis(150));
    let c = builder_for(&sb)
        .page_concurrency(8)
        .build()
        .expect("client");
    let started = std::time::Instant::now();
    let all = export(&c, &SessionQuery::default()).await;
    let elapsed = started.elapsed();
    assert_eq!(ids(&all), sb.session_ids(), "still in order");
    assert!(
        elapsed < std::time::Duration::from_millis(1200),
        "{elapsed:?}"
    );
}
