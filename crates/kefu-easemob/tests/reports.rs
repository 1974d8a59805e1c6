//! Agent figures derived from the session history, against the sandbox:
//! the streamed rows agree with a straightforward count over a full export.

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use kefu_core::model::{AgentDayStats, SessionQuery};
use kefu_core::time::Zone;
use kefu_core::{Reports, SessionHistory};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 5, d).expect("day")
}

#[tokio::test]
async fn rows_match_a_plain_count_over_the_export() {
    let sb = common::sandbox().await;
    let client = common::client_for(&sb);
    let rows: Vec<AgentDayStats> = client
        .agent_day_stats(day(3), day(5))
        .expect("stream")
        .try_collect()
        .await
        .expect("rows");
    assert!(!rows.is_empty());

    let zone = Zone::CHINA;
    let all: Vec<_> = client
        .sessions(&SessionQuery::stopped_between(
            zone.start_of(day(3)),
            zone.start_of(day(6)) - chrono::Duration::milliseconds(1),
        ))
        .expect("export")
        .try_collect()
        .await
        .expect("sessions");
    let mut expected: BTreeMap<(NaiveDate, String), (u64, u64, Vec<f64>)> = BTreeMap::new();
    for s in &all {
        let (Some(agent), Some(stop)) = (s.agent_id.clone(), s.stopped_at) else {
            continue;
        };
        let e = expected.entry((zone.date_of(stop), agent)).or_default();
        e.0 += 1;
        e.1 += u64::from(s.transferred == Some(true));
        if let Some(start) = s.started_at.filter(|t| *t <= stop) {
            e.2.push((stop - start).num_milliseconds() as f64 / 1000.0);
        }
    }
    assert_eq!(rows.len(), expected.len());
    for row in &rows {
        let (sessions, transferred, mut handle) = expected
            .remove(&(row.day, row.agent_id.clone()))
            .unwrap_or_else(|| panic!("unexpected row {row:?}"));
        assert_eq!(
            (row.sessions, row.transferred),
            (sessions, transferred),
            "{row:?}"
        );
        handle.sort_by(f64::total_cmp);
        if let Some(median) = row.median_handle_seconds {
            let n = handle.len();
            let want = if n % 2 == 1 {
                handle[n / 2]
            } else {
                (handle[n / 2 - 1] + handle[n / 2]) / 2.0
            };
            assert!((median - want).abs() < 0.001, "{row:?}");
        }
        let rated: u64 = row.satisfaction.values().sum();
        assert!(rated <= sessions);
    }
    // Day by day, in order; within a day by agent.
    let keys: Vec<(NaiveDate, String)> = rows.iter().map(|r| (r.day, r.agent_id.clone())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[tokio::test]
async fn a_reversed_range_is_refused_before_any_request() {
    let sb = common::sandbox().await;
    let client = common::client_for(&sb);
    let e = client
        .agent_day_stats(day(5), day(3))
        .err()
        .expect("refused");
    assert_eq!(e.field(), Some("to"));
    assert!(sb.requests().is_empty());
}
