//! The raw baseline sends exactly the requests kefu sends (same paths, same
//! parameters in the same order), so a ratio between them measures kefu's
//! own cost and nothing else.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use futures_util::TryStreamExt;
use kefu::easemob::EasemobBuilder;
use kefu::model::{AgentQuery, SessionQuery, SessionTime};
use kefu::{AgentAdmin, SessionHistory};
use kefu_bench::raw::{Login, RawEasemob, export_params};
use kefu_testkit::sandbox::{LoggedRequest, SeedConfig, easemob};

/// A request's method, path and query.
type Call = (String, String, Vec<(String, String)>);

/// Every request but the token's, in page order.
fn calls(log: Vec<LoggedRequest>) -> Vec<Call> {
    let mut calls: Vec<_> = log
        .into_iter()
        .filter(|r| !r.path.ends_with("/accessToken"))
        .map(|r| {
            assert!(r.headers.contains_key("kefu-token"), "{r:?}");
            (r.method, r.path, r.query)
        })
        .collect();
    calls.sort_by_key(|(_, _, q)| {
        q.iter()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse::<u32>().ok())
    });
    calls
}

#[tokio::test]
async fn raw_and_kefu_send_the_same_requests() {
    let sb = easemob::start(SeedConfig {
        agents: 120,
        // One page: what the overhead benchmark's session page reads. (A
        // longer export is walked by time in sub-windows, which the raw
        // sequential loop of the export benchmark does not imitate.)
        sessions: 50,
        ..SeedConfig::default()
    })
    .await
    .expect("sandbox");
    let env: HashMap<String, String> = sb.env().into_iter().collect();
    let lookup = |k: &str| env.get(k).cloned();
    let kefu = EasemobBuilder::from_lookup(lookup).build().expect("client");
    let raw = RawEasemob::connect(&Login::from_lookup(lookup).expect("login"))
        .await
        .expect("token");

    // The export's window: whole days 2024-04-01..2024-06-30 in UTC+8.
    let from = Utc
        .with_ymd_and_hms(2024, 3, 31, 16, 0, 0)
        .single()
        .expect("from");
    let to = Utc
        .with_ymd_and_hms(2024, 6, 30, 15, 59, 59)
        .single()
        .expect("to")
        + chrono::Duration::milliseconds(999);
    let query = SessionQuery {
        by: SessionTime::Stopped,
        from: Some(from),
        to: Some(to),
        ..SessionQuery::default()
    };

    sb.log().clear();
    let sessions: Vec<_> = kefu
        .sessions(&query)
        .expect("query")
        .try_collect()
        .await
        .expect("sessions");
    assert_eq!(sessions.len(), 50);
    let by_kefu = calls(sb.requests());

    sb.log().clear();
    let params = export_params("2024-03-31T16:00:00.000Z", "2024-06-30T15:59:59.999Z");
    let mut n = 0;
    n += raw.session_page(1, &params).await.expect("page").1.len();
    assert_eq!(n, 50);
    assert_eq!(calls(sb.requests()), by_kefu);

    sb.log().clear();
    let agents: Vec<_> = kefu
        .list_agents(&AgentQuery::default())
        .expect("query")
        .try_collect()
        .await
        .expect("agents");
    assert_eq!(agents.len(), 120);
    let by_kefu = calls(sb.requests());
    sb.log().clear();
    assert_eq!(raw.all_agents(50).await.expect("agents").len(), 120);
    assert_eq!(calls(sb.requests()), by_kefu);
}
