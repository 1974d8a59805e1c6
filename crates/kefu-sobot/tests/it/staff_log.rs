//! getStaffLogInfos: any range, fetched as consecutive week windows.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::{StreamExt, TryStreamExt};
use kefu_core::model::AgentStatusLog;
use kefu_core::{ErrorKind, Reports};
use kefu_testkit::sandbox::Fault;
use serde_json::json;

use crate::common::setup;

fn day(d: u32) -> DateTime<Utc> {
    // Midnight in UTC+8.
    Utc.with_ymd_and_hms(2024, 4, 30, 16, 0, 0)
        .single()
        .unwrap()
        + Duration::days(i64::from(d) - 1)
}

type Key = (String, String, i64, String);

fn key(e: &AgentStatusLog) -> Key {
    (
        e.company_id.clone(),
        e.agent_id.clone(),
        e.at.map(|t| t.timestamp_millis()).unwrap_or_default(),
        e.status.clone().unwrap_or_default(),
    )
}

#[tokio::test]
async fn three_weeks_come_back_whole_none_lost_none_repeated() {
    let (sb, client) = setup().await;
    let (from, to) = (day(2), day(23));
    let got: Vec<AgentStatusLog> = client
        .agent_status_log(from, to)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let want: Vec<Key> = sb
        .sobot()
        .status_logs_between(from.timestamp_millis(), to.timestamp_millis())
        .into_iter()
        .map(|e| (e.company_id, e.staff_id, e.datetime, e.action))
        .collect();
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for e in &got {
        *counts.entry(key(e)).or_default() += 1;
    }
    assert!(counts.values().all(|n| *n == 1), "an entry came back twice");
    let mut got_keys: Vec<Key> = got.iter().map(key).collect();
    got_keys.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got_keys, want_sorted);
    // Each of the three weeks has entries, in time order.
    for w in 0..3 {
        let (a, b) = (from + Duration::weeks(w), from + Duration::weeks(w + 1));
        assert!(
            got.iter().any(|e| e.at.is_some_and(|t| a <= t && t < b)),
            "week {w} is empty"
        );
    }
    assert!(got.windows(2).all(|p| p[0].at <= p[1].at));
    // Three requests, each of at most a week, both ends always sent.
    let requests = sb
        .log()
        .to_route("GET", "/tenantpro/coutomer/getStaffLogInfos");
    assert_eq!(requests.len(), 3);
    let mut expected_start = from.timestamp_millis();
    for r in &requests {
        let start: i64 = r.query_param("startTime").unwrap().parse().unwrap();
        let end: i64 = r.query_param("endTime").unwrap().parse().unwrap();
        assert_eq!(start, expected_start);
        assert!(end - start <= Duration::days(7).num_milliseconds());
        expected_start = end;
    }
    assert_eq!(expected_start, to.timestamp_millis());
    // The flattened records keep the document's other fields.
    assert!(got[0].extra.contains_key("datetimeFormat"));
    assert!(matches!(got[0].source, Some(0 | 2)));
}

#[tokio::test]
async fn an_entry_on_a_window_boundary_appears_once() {
    let (sb, client) = setup().await;
    let from = day(2);
    let boundary = from + Duration::days(7);
    sb.control(
        "add_status_logs",
        json!({"entries": [
            {"datetime": boundary.timestamp_millis(), "action": "边界"},
            {"datetime": from.timestamp_millis(), "action": "起点"},
            {"datetime": (from + Duration::days(14)).timestamp_millis(), "action": "终点"}
        ]}),
    )
    .unwrap();
    let got: Vec<AgentStatusLog> = client
        .agent_status_log(from, from + Duration::days(14))
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let actions: Vec<&str> = got.iter().filter_map(|e| e.status.as_deref()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "边界").count(), 1);
    // [from, to): the start is in, the end is out.
    assert_eq!(actions.iter().filter(|a| **a == "起点").count(), 1);
    assert_eq!(actions.iter().filter(|a| **a == "终点").count(), 0);
}

#[tokio::test]
async fn an_empty_range_sends_nothing() {
    let (sb, client) = setup().await;
    let n = client
        .agent_status_log(day(3), day(3))
        .unwrap()
        .count()
        .await;
    assert_eq!(n, 0);
    assert!(sb.log().is_empty());
}

#[tokio::test]
async fn a_failing_window_ends_the_stream_with_the_error() {
    let (sb, client) = setup().await;
    let first_week = sb
        .sobot()
        .status_logs_between(day(2).timestamp_millis(), day(9).timestamp_millis())
        .len();
    // The first window succeeds; the second fails on every attempt.
    let first = client
        .agent_status_log(day(2), day(9))
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(first.len(), first_week);
    sb.log().clear();
    let mut stream = client.agent_status_log(day(2), day(16)).unwrap();
    let mut ok = 0;
    while let Some(item) = stream.next().await {
        match item {
            Ok(_) => {
                ok += 1;
                if ok == first_week {
                    sb.chaos().inject(Fault::Status { status: 502 }, 3);
                }
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Vendor);
                assert_eq!(e.vendor_error().unwrap().http_status, Some(502));
                break;
            }
        }
    }
    assert_eq!(ok, first_week);
    assert!(
        stream.next().await.is_none(),
        "the stream ends after its error"
    );
    // Reads are retried: 1 + 3 attempts.
    assert_eq!(sb.log().len(), 4);
}

#[tokio::test]
async fn entries_the_vendor_lists_twice_come_back_once() {
    let (sb, client) = setup().await;
    let (from, to) = (day(2), day(16));
    // Both week windows answer every entry twice.
    sb.chaos().inject(Fault::DuplicateItems, 2);
    let got: Vec<AgentStatusLog> = client
        .agent_status_log(from, to)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut want: Vec<Key> = sb
        .sobot()
        .status_logs_between(from.timestamp_millis(), to.timestamp_millis())
        .into_iter()
        .map(|e| (e.company_id, e.staff_id, e.datetime, e.action))
        .collect();
    assert!(!want.is_empty());
    let mut got_keys: Vec<Key> = got.iter().map(key).collect();
    got_keys.sort();
    want.sort();
    assert_eq!(got_keys, want);
}

#[tokio::test]
async fn a_range_needing_more_requests_than_allowed_sends_nothing() {
    let (sb, _) = setup().await;
    let client = crate::common::builder(&sb).max_requests(2).build().unwrap();
    let e = match client.agent_status_log(day(2), day(23)) {
        Err(e) => e,
        Ok(_) => panic!("three weeks with a limit of two were accepted"),
    };
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.field(), Some("startTime"));
    assert!(e.to_string().contains("needs 3 requests"), "{e}");
    assert!(sb.log().all().is_empty(), "something was sent");
    let client = crate::common::builder(&sb).max_requests(3).build().unwrap();
    let n = client
        .agent_status_log(day(2), day(23))
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert!(n > 0);
    assert_eq!(sb.log().all().len(), 3);
}
