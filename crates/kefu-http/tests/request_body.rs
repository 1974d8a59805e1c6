//! A JSON body that cannot be serialized is an error, and nothing is sent
//! (it used to go out as `{}`).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use kefu_core::{Error, Operation, Vendor};
use kefu_http::{RetryPolicy, Transport, TransportConfig, WireRequest, parse_base_url};
use kefu_testkit::sandbox::{Emulator, Sandbox};

/// Answers every POST to `/add` with success.
struct Accepts;

impl Emulator for Accepts {
    fn vendor(&self) -> Vendor {
        Vendor::Easemob
    }
    fn routes(self: Arc<Self>) -> Router {
        Router::new().route(
            "/add",
            post(|| async { axum::Json(serde_json::json!({"status": "OK"})) }),
        )
    }
    fn reset(&self) {}
    fn env(&self, _: &str) -> Vec<(String, String)> {
        Vec::new()
    }
    fn dump(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

async fn transport() -> (Sandbox, Transport) {
    let sandbox = Sandbox::start(Arc::new(Accepts)).await.unwrap();
    let config = TransportConfig {
        retry: RetryPolicy::none(),
        request_timeout: Some(Duration::from_secs(5)),
        ..TransportConfig::default()
    };
    let base = parse_base_url("base_url", sandbox.base_url()).unwrap();
    let t = Transport::new(Vendor::Easemob, base, config).unwrap();
    (sandbox, t)
}

#[tokio::test]
async fn an_unserializable_body_is_refused_before_sending() {
    let (sandbox, t) = transport().await;
    // JSON object keys must be strings: serde_json refuses a tuple key.
    let body: BTreeMap<(u8, u8), &str> = BTreeMap::from([((1, 2), "x")]);
    let request = WireRequest::post(Operation::AddAgent, "/add").json(&body);
    assert!(request.body.is_none(), "no `{{}}` stands in for the body");

    let err = t.call(&request, |_| Ok(())).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert_eq!(err.field(), Some("body"));
    assert!(err.to_string().contains("JSON"), "{err}");
    assert!(sandbox.requests().is_empty(), "nothing was sent");

    // A body set again, correctly, replaces the failed one.
    let request = request.json(&serde_json::json!({"username": "a@b.example"}));
    t.call(&request, |_| Ok(())).await.unwrap();
    assert_eq!(sandbox.requests().len(), 1);
    sandbox.stop().await;
}
