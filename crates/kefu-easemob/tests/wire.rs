//! The exact wire request of every operation, as the sandbox received it,
//! checked against the document's own request examples and snapshotted.

mod common;

use chrono::{TimeZone, Utc};
use common::{builder_for, client_for, sandbox};
use futures_util::StreamExt;
use kefu_core::model::{AgentQuery, AgentUpdate, Channel, NewAgent, SessionQuery, SortOrder};
use kefu_core::{AgentAdmin, Secret, SessionHistory};
use kefu_testkit::fixtures::easemob as fx;
use kefu_testkit::sandbox::LoggedRequest;
use kefu_testkit::snapshot::wire;
use serde_json::Value;

/// Credentials in bodies; the `Kefu-Token` header is hidden by `wire` itself.
const VOLATILE: &[&str] = &["secretId", "password", "accessToken"];

const EMAIL: &str = "32273591@qq.com";

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture")
}

/// The document's add example, as a caller states it.
fn documents_agent() -> NewAgent {
    NewAgent {
        email: EMAIL.into(),
        nickname: "123".into(),
        real_name: "321".into(),
        password: Some(Secret::new("qwe12345")),
        role: "admin".into(),
        max_sessions: 10,
        phone: None,
        agent_number: None,
    }
}

fn last(sb: &kefu_testkit::sandbox::easemob::EasemobSandbox) -> LoggedRequest {
    sb.requests().pop().expect("a request was sent")
}

#[tokio::test]
async fn the_token_request() {
    let sb = sandbox().await;
    client_for(&sb).list_roles().await.expect("roles");
    let token = sb.requests().remove(0);
    let body = token.json().expect("json body");
    // The document's Request body fields (clientId, secretId, tenantId).
    let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&body), keys(&fixture(fx::ACCESS_TOKEN_REQUEST)));
    assert_eq!(body["tenantId"], 1);
    insta::assert_json_snapshot!("access_token", wire(&token, VOLATILE));
}

#[tokio::test]
async fn agents_search() {
    let sb = sandbox().await;
    let query = AgentQuery {
        search: Some(EMAIL.into()),
        page_size: Some(10),
    };
    let found: Vec<_> = client_for(&sb)
        .list_agents(&query)
        .expect("query")
        .collect()
        .await;
    assert!(found.is_empty());
    // As the document's curl: page=0&size=10&keyValue=32273591@qq.com.
    insta::assert_json_snapshot!("agents_search", wire(&last(&sb), VOLATILE));
}

#[tokio::test]
async fn agent_add_sends_the_documents_example_byte_for_byte() {
    let sb = sandbox().await;
    client_for(&sb)
        .add_agent(&documents_agent())
        .await
        .expect("add");
    let request = last(&sb);
    assert_eq!(request.json(), Some(fixture(fx::AGENT_ADD_REQUEST)));
    insta::assert_json_snapshot!("agent_add", wire(&request, VOLATILE));
}

#[tokio::test]
async fn agent_update_sends_only_what_changes() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    c.add_agent(&documents_agent()).await.expect("add");
    c.update_agent(&AgentUpdate {
        email: EMAIL.into(),
        nickname: Some("环环".into()),
        real_name: Some("小环".into()),
        phone: Some(String::new()),
        agent_number: Some(String::new()),
        role: Some("1".into()),
        max_sessions: None,
    })
    .await
    .expect("update");
    let request = last(&sb);
    // The document's example minus `"maxServiceSessionCount": null`: a field
    // left unchanged is not sent.
    let mut expected = fixture(fx::AGENT_UPDATE_REQUEST);
    if let Some(m) = expected.as_object_mut() {
        m.retain(|_, v| !v.is_null());
    }
    assert_eq!(request.json(), Some(expected));
    insta::assert_json_snapshot!("agent_update", wire(&request, VOLATILE));
}

#[tokio::test]
async fn agent_state_changes_send_the_documents_bodies() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    c.add_agent(&documents_agent()).await.expect("add");

    c.disable_agent(EMAIL).await.expect("disable");
    let disable = last(&sb);
    assert_eq!(disable.json(), Some(fixture(fx::AGENT_DISABLE_REQUEST)));

    c.enable_agent(EMAIL).await.expect("enable");
    let enable = last(&sb);
    assert_eq!(enable.json(), Some(fixture(fx::AGENT_ENABLE_REQUEST)));

    c.set_agent_password(EMAIL, &Secret::new("qwe123456"))
        .await
        .expect("password");
    let password = last(&sb);
    assert_eq!(password.json(), Some(fixture(fx::AGENT_PASSWORD_REQUEST)));

    c.delete_agent(EMAIL).await.expect("delete");
    let delete = last(&sb);
    assert_eq!(delete.json(), Some(fixture(fx::AGENT_DELETE_REQUEST)));

    insta::assert_json_snapshot!("agent_disable", wire(&disable, VOLATILE));
    insta::assert_json_snapshot!("agent_enable", wire(&enable, VOLATILE));
    insta::assert_json_snapshot!("agent_password", wire(&password, VOLATILE));
    insta::assert_json_snapshot!("agent_delete", wire(&delete, VOLATILE));
}

#[tokio::test]
async fn roles() {
    let sb = sandbox().await;
    client_for(&sb).list_roles().await.expect("roles");
    insta::assert_json_snapshot!("roles", wire(&last(&sb), VOLATILE));
}

#[tokio::test]
async fn session_history_with_every_filter() {
    let sb = sandbox().await;
    let t = |d, h, m| {
        Utc.with_ymd_and_hms(2018, 4, d, h, m, 0)
            .single()
            .expect("t")
    };
    // The document's curl example, stated as a query.
    let query = SessionQuery {
        from: Some(t(16, 0, 0)),
        to: Some(t(20, 23, 59)),
        channel: Some(Channel::Web),
        customer_name: Some("customerNiceName".into()),
        transferred: Some(false),
        from_agent_callback: Some(false),
        satisfaction: Some(1),
        queue_ids: vec!["1".into(), "2".into()],
        agent_ids: vec!["425b496b-d96d-4931-be1c-f095ecdc09ef".into()],
        order: SortOrder::Descending,
        page_size: Some(1),
        vendor_params: vec![
            ("state".into(), "Terminal,Abort".into()),
            ("isAgent".into(), "false".into()),
        ],
        ..SessionQuery::default()
    };
    // One window, walked alone: the first request is the query as asked.
    let one = builder_for(&sb)
        .page_concurrency(1)
        .build()
        .expect("client");
    let mut stream = one.sessions(&query).expect("query");
    assert!(stream.next().await.is_none(), "nothing in 2018");
    insta::assert_json_snapshot!("service_session_historys", wire(&last(&sb), VOLATILE));
}

#[tokio::test]
async fn session_history_by_default() {
    let sb = sandbox().await;
    let one = builder_for(&sb)
        .page_concurrency(1)
        .build()
        .expect("client");
    let mut stream = one.sessions(&SessionQuery::default()).expect("query");
    stream.next().await.expect("a session").expect("ok");
    let first = sb
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("serviceSessionHistorys"))
        .expect("page 1");
    insta::assert_json_snapshot!("service_session_historys_default", wire(&first, VOLATILE));
}
