//! The transport's hooks on a real loopback server: observers see every
//! exchange redacted, a dry run holds every write back, and a recording
//! folder gets one complete file per exchange with no secret in it.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use kefu_core::{Error, Operation, Secret, Vendor};
use kefu_http::{
    Exchange, ExchangeObserver, FolderRecorder, Hooks, RetryPolicy, Transport, TransportConfig,
    WireRequest, WireResponse, parse_base_url,
};
use kefu_testkit::sandbox::{Emulator, Sandbox};

const PASSWORD: &str = "Hunter2-Hunter2";
const TOKEN: &str = "tok-0123456789";
const ISSUED: &str = "issued-token-abcdef";

/// Echoes every body back, and hands out a token on `/token`.
struct Echo;

impl Emulator for Echo {
    fn vendor(&self) -> Vendor {
        Vendor::Easemob
    }
    fn routes(self: Arc<Self>) -> Router {
        Router::new()
            .route(
                "/echo",
                post(|body: String| async move {
                    axum::Json(serde_json::json!({
                        "status": "OK",
                        "message": format!("you sent {body}"),
                        "entity": {"password": PASSWORD, "note": format!("token {TOKEN} ok")}
                    }))
                }),
            )
            .route(
                "/token",
                post(|| async { axum::Json(serde_json::json!({"access_token": ISSUED})) }),
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

#[derive(Default)]
struct Seen(Mutex<Vec<Exchange>>);

impl ExchangeObserver for Seen {
    fn exchange(&self, exchange: &Exchange) {
        self.0.lock().unwrap().push(exchange.clone());
    }
}

async fn transport(hooks: Hooks) -> (Sandbox, Transport) {
    let sandbox = Sandbox::start(Arc::new(Echo)).await.unwrap();
    let config = TransportConfig {
        retry: RetryPolicy::none(),
        request_timeout: Some(Duration::from_secs(5)),
        hooks,
        ..TransportConfig::default()
    };
    let base = parse_base_url("base_url", sandbox.base_url()).unwrap();
    (
        sandbox,
        Transport::new(Vendor::Easemob, base, config).unwrap(),
    )
}

fn add() -> WireRequest {
    WireRequest::post(Operation::AddAgent, "/echo")
        .query("tenant", "42")
        .secret_query("sign", Secret::new("5f4dcc3b5aa765d61d8327deb882cf99"))
        .secret_header("Kefu-Token", Secret::new(TOKEN))
        .json(&serde_json::json!({"username": "a@b.example", "password": PASSWORD}))
}

fn ok(r: &WireResponse) -> kefu_core::Result<serde_json::Value> {
    Ok(serde_json::from_slice(&r.body).unwrap_or_default())
}

#[tokio::test]
async fn observers_see_every_exchange_with_no_secret() {
    let seen = Arc::new(Seen::default());
    let (sandbox, t) = transport(Hooks {
        observers: vec![seen.clone()],
        dry_run: None,
    })
    .await;
    t.call(&add(), ok).await.unwrap();
    t.call(&WireRequest::post(Operation::ListAgents, "/token"), ok)
        .await
        .unwrap();
    assert_eq!(sandbox.requests().len(), 2);
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let text = serde_json::to_string(&*seen).unwrap();
    for secret in [PASSWORD, TOKEN, ISSUED, "5f4dcc3b"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(seen[0].status, Some(200));
    assert_eq!(
        seen[0].query,
        [
            ("tenant".into(), "42".into()),
            ("sign".into(), "***".into())
        ]
    );
    assert_eq!(seen[0].body.as_ref().unwrap()["username"], "a@b.example");
    assert_eq!(seen[0].body.as_ref().unwrap()["password"], "***");
    assert_eq!(seen[1].answer.as_ref().unwrap()["access_token"], "***");
}

#[tokio::test]
async fn a_dry_run_holds_writes_back_and_sends_reads() {
    let held = Arc::new(Seen::default());
    let (sandbox, t) = transport(Hooks {
        observers: Vec::new(),
        dry_run: Some(held.clone()),
    })
    .await;
    let e = t.call(&add(), ok).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::DryRun {
                operation: Operation::AddAgent,
                ..
            }
        ),
        "{e}"
    );
    assert!(sandbox.requests().is_empty(), "a write was sent");
    // A read (and a token for a write) still goes out.
    t.call(&WireRequest::post(Operation::ListAgents, "/token"), ok)
        .await
        .unwrap();
    t.call(
        &WireRequest::post(Operation::AddAgent, "/token").changes_state(false),
        ok,
    )
    .await
    .unwrap();
    assert_eq!(sandbox.requests().len(), 2);
    let held = held.0.lock().unwrap();
    assert_eq!(held.len(), 1);
    assert!(!held[0].sent);
    assert_eq!(held[0].method, "POST");
    assert_eq!(held[0].path, "/echo");
    assert!(!serde_json::to_string(&held[0]).unwrap().contains(PASSWORD));
}

#[tokio::test]
async fn a_recording_folder_gets_one_whole_file_per_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(FolderRecorder::new(dir.path().join("rec")).unwrap());
    let (_sandbox, t) = transport(Hooks {
        observers: vec![recorder.clone()],
        dry_run: None,
    })
    .await;
    t.call(&add(), ok).await.unwrap();
    t.call(&add(), ok).await.unwrap();
    recorder.finish().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("rec"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["000001-POST-echo.json", "000002-POST-echo.json"]);
    for name in names {
        let text = std::fs::read_to_string(dir.path().join("rec").join(name)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["status"], 200);
        assert_eq!(json["method"], "POST");
        assert!(json["elapsed_ms"].is_u64());
        for secret in [PASSWORD, TOKEN, ISSUED] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
    // A second run into the same folder continues the numbering.
    let again = FolderRecorder::new(dir.path().join("rec")).unwrap();
    again.exchange(&Exchange::held(Vendor::Easemob, &add()));
    assert!(dir.path().join("rec/000003-POST-echo.json").exists());
}

/// Sees only method, path and status.
#[derive(Default)]
struct Light(Mutex<Vec<Exchange>>);

impl ExchangeObserver for Light {
    fn exchange(&self, exchange: &Exchange) {
        self.0.lock().unwrap().push(exchange.clone());
    }
    fn wants_bodies(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn observers_that_do_not_read_bodies_are_not_handed_them() {
    let light = Arc::new(Light::default());
    let (_sandbox, t) = transport(Hooks {
        observers: vec![light.clone()],
        dry_run: None,
    })
    .await;
    t.call(&add(), ok).await.unwrap();
    {
        let seen = light.0.lock().unwrap();
        assert_eq!(seen[0].status, Some(200));
        assert_eq!(seen[0].path, "/echo");
        assert!(seen[0].body.is_none() && seen[0].answer.is_none());
        assert_eq!(seen[0].query[1], ("sign".into(), "***".into()));
    }
    // Beside one that does, both get the bodies (built once).
    let full = Arc::new(Seen::default());
    let (_sandbox, t) = transport(Hooks {
        observers: vec![light.clone(), full.clone()],
        dry_run: None,
    })
    .await;
    t.call(&add(), ok).await.unwrap();
    assert!(full.0.lock().unwrap()[0].answer.is_some());
}
