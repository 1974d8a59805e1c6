//! The token's life, proved by the sandbox's count of token requests.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use common::{builder_for, client_for, client_with_clock, routes, sandbox};
use futures_util::future::join_all;
use kefu_core::{AgentAdmin, ErrorKind, FixedClock, Secret};
use kefu_easemob::{AccessToken, MemoryTokenStore, TokenStore};
use kefu_testkit::sandbox::Fault;

#[tokio::test]
async fn one_token_serves_many_calls() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    for _ in 0..10 {
        c.list_roles().await.expect("roles");
    }
    // Clones share it too.
    c.clone().list_roles().await.expect("roles");
    assert_eq!(sb.token_requests(), 1);
    let tokens: Vec<_> = sb
        .requests()
        .iter()
        .filter_map(|r| r.headers.get("kefu-token").cloned())
        .collect();
    assert_eq!(tokens.len(), 11);
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn a_token_that_dies_early_is_replaced_once_and_the_call_retried() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    c.list_roles().await.expect("roles");
    sb.expire_tokens();
    c.list_roles().await.expect("roles after early expiry");
    assert_eq!(sb.token_requests(), 2);
    assert_eq!(
        routes(&sb),
        [
            "POST /api/tenant/1/accessToken",
            "GET /api/tenants/1/roles",
            "GET /api/tenants/1/roles", // refused: API_002
            "POST /api/tenant/1/accessToken",
            "GET /api/tenants/1/roles",
        ]
    );
    assert_eq!(sb.requests()[2].status, 401);
    // And the new token is kept.
    c.list_roles().await.expect("roles");
    assert_eq!(sb.token_requests(), 2);
}

#[tokio::test]
async fn a_write_refused_for_its_token_is_sent_again_with_a_new_one() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    c.list_roles().await.expect("token");
    sb.expire_tokens();
    sb.log().clear();
    c.disable_agent("agent003@example.com")
        .await
        .expect("disable");
    assert_eq!(
        routes(&sb),
        [
            "PUT /api/tenants/1/agent/disable",
            "POST /api/tenant/1/accessToken",
            "PUT /api/tenants/1/agent/disable",
        ]
    );
}

/// A store that always hands out the same dead token, whatever is saved.
#[derive(Debug)]
struct StuckStore;

#[async_trait::async_trait]
impl TokenStore for StuckStore {
    async fn load(&self, _key: &str) -> kefu_core::Result<Option<AccessToken>> {
        let now = chrono::Utc::now();
        Ok(Some(AccessToken::new(
            Secret::new("dead-token"),
            now,
            Duration::from_secs(7200),
        )))
    }
    async fn save(&self, _key: &str, _token: &AccessToken) -> kefu_core::Result<()> {
        Ok(())
    }
    async fn discard(&self, _key: &str, _stale: &AccessToken) -> kefu_core::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_token_refused_again_after_the_retry_is_an_authentication_error_not_a_loop() {
    let sb = sandbox().await;
    let c = builder_for(&sb)
        .token_store(Arc::new(StuckStore))
        .build()
        .expect("client");
    let e = c.list_roles().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(e.vendor_error().map(|v| v.code.as_str()), Some("API_002"));
    // Sent, refused, sent once more, refused: then it gives up.
    assert_eq!(
        routes(&sb),
        ["GET /api/tenants/1/roles", "GET /api/tenants/1/roles"]
    );
}

#[tokio::test]
async fn twenty_concurrent_calls_without_a_token_make_one_token_request() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    let calls = (0..20).map(|_| {
        let c = c.clone();
        async move { c.list_roles().await }
    });
    let results = join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(sb.token_requests(), 1);

    // The same after an early expiry: twenty refusals, one new token.
    sb.expire_tokens();
    let calls = (0..20).map(|_| {
        let c = c.clone();
        async move { c.list_roles().await }
    });
    assert!(join_all(calls).await.iter().all(Result::is_ok));
    assert_eq!(sb.token_requests(), 2);
}

#[tokio::test]
async fn the_token_is_refreshed_ahead_of_its_expire_time() {
    let sb = sandbox().await;
    let start = chrono::Utc
        .with_ymd_and_hms(2024, 5, 1, 0, 0, 0)
        .single()
        .expect("time");
    let clock = Arc::new(FixedClock::new(start));
    let c = client_with_clock(&sb, clock.clone());
    c.list_roles().await.expect("roles");
    // expireTime is 7200 s: at 6890 s (more than 5 minutes left) it is kept...
    clock.advance(chrono::Duration::seconds(6890));
    c.list_roles().await.expect("roles");
    assert_eq!(sb.token_requests(), 1);
    // ...at 6910 s (less than 5 minutes left) it is replaced before use.
    clock.advance(chrono::Duration::seconds(20));
    c.list_roles().await.expect("roles");
    assert_eq!(sb.token_requests(), 2);
    let refused = sb.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!(refused, 0, "nothing was sent with a token about to expire");
}

#[tokio::test]
async fn a_failed_early_refresh_keeps_using_the_token_until_it_expires() {
    let sb = sandbox().await;
    let start = chrono::Utc
        .with_ymd_and_hms(2024, 5, 1, 0, 0, 0)
        .single()
        .expect("time");
    let clock = Arc::new(FixedClock::new(start));
    let c = builder_for(&sb)
        .clock(clock.clone())
        .transport(kefu_http::TransportConfig {
            retry: kefu_http::RetryPolicy::none(),
            ..common::quick_transport()
        })
        .build()
        .expect("client");
    c.list_roles().await.expect("roles");
    clock.advance(chrono::Duration::seconds(7000));
    sb.chaos().inject(Fault::Status { status: 503 }, 1);
    c.list_roles().await.expect("old token still good");
    let token_posts = routes(&sb)
        .iter()
        .filter(|r| r.ends_with("/accessToken"))
        .count();
    assert_eq!(
        token_posts, 2,
        "the refresh was tried (and refused by the injected 503)"
    );
    // Once it has expired, a failing refresh is the call's error.
    clock.advance(chrono::Duration::seconds(300));
    sb.chaos().inject(Fault::Status { status: 503 }, 1);
    let e = c.list_roles().await.unwrap_err();
    assert_eq!(e.vendor_error().map(|v| v.code.as_str()), Some("HTTP 503"));
}

#[tokio::test]
async fn bad_credentials_are_an_authentication_error_naming_the_code() {
    let sb = sandbox().await;
    let c = builder_for(&sb)
        .secret_id("wrong-secret")
        .build()
        .expect("client");
    let e = c.list_roles().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    let v = e.vendor_error().expect("vendor error");
    assert_eq!(
        (v.code.as_str(), v.message.as_str()),
        ("API_004", "clientId or secretId is incorrect")
    );
    // Refused credentials are not retried, and nothing else was sent.
    assert_eq!(routes(&sb), ["POST /api/tenant/1/accessToken"]);

    let c = builder_for(&sb).tenant_id("2").build().expect("client");
    let e = c.list_roles().await.unwrap_err();
    assert_eq!(e.vendor_error().map(|v| v.code.as_str()), Some("API_003"));
}

#[tokio::test]
async fn a_shared_token_store_lets_two_clients_use_one_token() {
    let sb = sandbox().await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let a = builder_for(&sb)
        .token_store(store.clone())
        .build()
        .expect("a");
    let b = builder_for(&sb)
        .token_store(store.clone())
        .build()
        .expect("b");
    a.list_roles().await.expect("a");
    b.list_roles().await.expect("b");
    assert_eq!(sb.token_requests(), 1);

    // b finds the token dead and replaces it; a, still holding the dead one
    // in flight, must not throw b's fresh token away.
    sb.expire_tokens();
    b.list_roles().await.expect("b refreshes");
    a.list_roles().await.expect("a uses b's token");
    assert_eq!(sb.token_requests(), 2);

    // Separate stores: separate tokens.
    let c = builder_for(&sb).build().expect("c");
    c.list_roles().await.expect("c");
    assert_eq!(sb.token_requests(), 3);
}

/// Eight clients that share nothing but a store, as eight processes would:
/// one token fetch between them, even when they all start at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_a_store_fetch_one_token_between_them() {
    use kefu_core::shared::{MemoryStore, SharedStore};

    let sb = sandbox().await;
    let store: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
    let clients: Vec<_> = (0..8)
        .map(|_| {
            builder_for(&sb)
                .shared_store(store.clone())
                .build()
                .expect("client")
        })
        .collect();
    let calls = clients.iter().map(|c| c.list_roles());
    for r in join_all(calls).await {
        r.expect("roles");
    }
    assert_eq!(sb.token_requests(), 1);

    // Each on its own: a token each.
    let sb = sandbox().await;
    let alone: Vec<_> = (0..8).map(|_| client_for(&sb)).collect();
    for r in join_all(alone.iter().map(|c| c.list_roles())).await {
        r.expect("roles");
    }
    assert_eq!(sb.token_requests(), 8);
}

/// A vendor whose every new token retires the old ones: clients sharing a
/// store still all succeed, and a token refused for all of them at once is
/// replaced once, not once per client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_token_is_replaced_once_for_all_clients_sharing_a_store() {
    use kefu_core::shared::{MemoryStore, SharedStore};

    let sb = sandbox().await;
    sb.easemob().set_retire_old_tokens(true);
    let store: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
    let clients: Vec<_> = (0..8)
        .map(|_| {
            builder_for(&sb)
                .shared_store(store.clone())
                .build()
                .expect("client")
        })
        .collect();
    for r in join_all(clients.iter().map(|c| c.list_roles())).await {
        r.expect("roles");
    }
    assert_eq!(sb.token_requests(), 1);
    sb.expire_tokens();
    for r in join_all(clients.iter().map(|c| c.list_roles())).await {
        r.expect("every client succeeds after the token died");
    }
    assert_eq!(sb.token_requests(), 2);
}
