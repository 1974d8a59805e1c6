//! Every response example of the document, decoded as the client decodes
//! it, snapshotted in kefu's normalized form.

use kefu_core::time::Zone;
use kefu_easemob::decode;
use kefu_http::WireResponse;
use kefu_testkit::fixtures::easemob as fx;
use kefu_testkit::snapshot::normalized;
use serde_json::json;

fn ok(text: &str) -> WireResponse {
    WireResponse::new(200, text.to_owned())
}

#[test]
fn access_token() {
    let grant = decode::access_token(&ok(fx::ACCESS_TOKEN_RESPONSE)).expect("decode");
    assert!(grant.token.matches("4313913457bfd684eccbbb7405ba074f"));
    insta::assert_json_snapshot!(json!({
        "token": grant.token.to_string(),
        "expires_in_secs": grant.expires_in.as_secs(),
    }));
}

#[test]
fn agents_search() {
    let page = decode::agents_page(&ok(fx::AGENTS_SEARCH_RESPONSE), Zone::CHINA).expect("decode");
    // totalPages 11 for one element: not a total anyone should trust.
    assert_eq!(page.total, None);
    assert_eq!(page.last, Some(false));
    insta::assert_json_snapshot!(json!({
        "items": normalized(&page.items),
        "last": page.last,
    }));
}

#[test]
fn agent_add() {
    let agent = decode::added_agent(&ok(fx::AGENT_ADD_RESPONSE), Zone::CHINA).expect("decode");
    insta::assert_json_snapshot!(normalized(&agent));
}

#[test]
fn roles() {
    let roles = decode::roles(&ok(fx::ROLES_RESPONSE), Zone::CHINA).expect("decode");
    insta::assert_json_snapshot!(normalized(&roles));
}

#[test]
fn service_session_historys() {
    let page = decode::sessions_page(&ok(fx::SERVICE_SESSION_HISTORYS_RESPONSE), Zone::CHINA)
        .expect("decode");
    assert_eq!(page.total, Some(10178));
    insta::assert_json_snapshot!(json!({
        "total": page.total,
        "items": normalized(&page.items),
    }));
}

#[test]
fn the_bare_ok_answers() {
    for text in [
        fx::AGENT_UPDATE_RESPONSE,
        fx::AGENT_PASSWORD_RESPONSE,
        fx::AGENT_DELETE_RESPONSE,
        fx::AGENT_DISABLE_RESPONSE,
        fx::AGENT_ENABLE_RESPONSE,
    ] {
        decode::acknowledged(&ok(text)).expect(text);
    }
}

#[test]
fn naive_times_follow_the_configured_zone() {
    let utc = decode::sessions_page(&ok(fx::SERVICE_SESSION_HISTORYS_RESPONSE), Zone::UTC)
        .expect("decode");
    let cst = decode::sessions_page(&ok(fx::SERVICE_SESSION_HISTORYS_RESPONSE), Zone::CHINA)
        .expect("decode");
    let (u, c) = (&utc.items[0], &cst.items[0]);
    assert_eq!(
        u.stopped_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2018-04-19T15:00:59+00:00")
    );
    assert_eq!(
        c.stopped_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2018-04-19T07:00:59+00:00")
    );
}
