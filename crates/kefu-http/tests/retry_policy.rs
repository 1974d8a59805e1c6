//! The shared transport policy against real faults on a loopback server:
//! reads survive transient faults, writes are never blindly repeated.

#![allow(clippy::unwrap_used)] // test helpers, not only #[test] fns

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use kefu_core::{Error, ErrorKind, Operation, Secret, Vendor};
use kefu_http::{
    RetryPolicy, Transport, TransportConfig, WireRequest, WireResponse, is_ambiguous_write_failure,
    parse_base_url, status_error,
};
use kefu_testkit::sandbox::{Emulator, Fault, Sandbox};

/// A minimal vendor: `GET /read` answers the write count, `POST /write` adds one.
#[derive(Default)]
struct Counter(AtomicU64);

impl Emulator for Counter {
    fn vendor(&self) -> Vendor {
        Vendor::Easemob
    }
    fn routes(self: Arc<Self>) -> Router {
        let r = self.clone();
        let w = self.clone();
        Router::new()
            .route(
                "/read",
                get(move || async move {
                    axum::Json(serde_json::json!({"writes": r.0.load(Ordering::SeqCst)}))
                }),
            )
            .route(
                "/write",
                post(move || async move {
                    w.0.fetch_add(1, Ordering::SeqCst);
                    axum::Json(serde_json::json!({"ok": true}))
                }),
            )
    }
    fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
    fn env(&self, _: &str) -> Vec<(String, String)> {
        Vec::new()
    }
    fn dump(&self) -> serde_json::Value {
        serde_json::json!({"writes": self.0.load(Ordering::SeqCst)})
    }
}

fn fast_policy() -> TransportConfig {
    TransportConfig {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        request_timeout: Some(Duration::from_secs(5)),
        ..TransportConfig::default()
    }
}

async fn setup(config: TransportConfig) -> (Sandbox, Arc<Counter>, Transport) {
    let counter = Arc::new(Counter::default());
    let sandbox = Sandbox::start(counter.clone()).await.unwrap();
    let base = parse_base_url("base_url", sandbox.base_url()).unwrap();
    let transport = Transport::new(Vendor::Easemob, base, config).unwrap();
    (sandbox, counter, transport)
}

fn decode(r: &WireResponse) -> kefu_core::Result<serde_json::Value> {
    if !r.is_success() {
        return Err(status_error(Vendor::Easemob, r));
    }
    serde_json::from_slice(&r.body)
        .map_err(|e| Error::decode(Vendor::Easemob, e.to_string(), &r.body))
}

fn read() -> WireRequest {
    WireRequest::get(Operation::ListAgents, "/read")
        .secret_header("Kefu-Token", Secret::new("t0ken-value"))
}

fn write() -> WireRequest {
    WireRequest::post(Operation::AddAgent, "/write")
        .json(&serde_json::json!({"password": "pw123456"}))
}

#[tokio::test]
async fn a_read_survives_two_transient_faults_in_a_row() {
    for fault in [
        Fault::Status { status: 503 },
        Fault::Html,
        Fault::Truncate,
        Fault::DropBefore,
        Fault::DropAfter,
        Fault::Status { status: 502 },
    ] {
        let (sandbox, _, transport) = setup(fast_policy()).await;
        sandbox.chaos().inject(fault.clone(), 2);
        let v = transport
            .call(&read(), decode)
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(v["writes"], 0);
        assert_eq!(sandbox.requests().len(), 3, "{fault:?}");
    }
}

#[tokio::test]
async fn a_read_gives_up_after_the_attempt_budget_with_a_typed_error() {
    let (sandbox, _, transport) = setup(fast_policy()).await;
    sandbox.chaos().inject(Fault::Status { status: 503 }, 5);
    let e = transport.call(&read(), decode).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Vendor);
    assert_eq!(e.vendor_error().unwrap().code, "HTTP 503");
    assert_eq!(sandbox.requests().len(), 3);
}

#[tokio::test]
async fn a_write_is_never_repeated_when_it_may_have_happened() {
    for fault in [
        Fault::Status { status: 503 },
        Fault::DropAfter,
        Fault::Truncate,
        Fault::Html,
    ] {
        let (sandbox, counter, transport) = setup(fast_policy()).await;
        sandbox.chaos().inject(fault.clone(), 1);
        let e = transport.call(&write(), decode).await.unwrap_err();
        assert_eq!(sandbox.requests().len(), 1, "{fault:?} was retried");
        assert!(is_ambiguous_write_failure(&e), "{fault:?}: {e}");
        let expected = if matches!(fault, Fault::DropAfter | Fault::Truncate) {
            1
        } else {
            0
        };
        assert_eq!(counter.0.load(Ordering::SeqCst), expected, "{fault:?}");
    }
}

#[tokio::test]
async fn a_write_refused_with_429_was_not_processed_and_is_retried() {
    let (sandbox, counter, transport) = setup(fast_policy()).await;
    sandbox.chaos().inject(
        Fault::RateLimit {
            retry_after_secs: 0,
        },
        1,
    );
    transport.call(&write(), decode).await.unwrap();
    assert_eq!(sandbox.requests().len(), 2);
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn retries_wait_on_the_request_pacer() {
    let (sandbox, _, transport) = setup(fast_policy()).await;
    sandbox.chaos().inject(Fault::Status { status: 503 }, 2);
    // One call per 300 ms: the first attempt is the caller's, so its two
    // retries wait on the pacer and cannot come sooner than 600 ms.
    let pacer = kefu_http::Pacer::new(1, Duration::from_millis(300));
    pacer.acquire().await;
    let started = std::time::Instant::now();
    transport
        .call(&read().pace_retries(pacer), decode)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(590),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_write_that_never_left_is_retried() {
    // Nothing listens on a port we bound and closed: connect fails, so the
    // request provably never reached a vendor and repeating it is safe.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = parse_base_url("base_url", &format!("http://127.0.0.1:{port}")).unwrap();
    let transport = Transport::new(Vendor::Sobot, base, fast_policy()).unwrap();
    let e = transport.call(&write(), decode).await.unwrap_err();
    assert!(matches!(e, Error::Transport { not_sent: true, .. }), "{e}");
    assert!(!is_ambiguous_write_failure(&e));
    assert!(e.is_retryable());
}

#[tokio::test]
async fn retry_after_is_honored() {
    let (sandbox, _, transport) = setup(fast_policy()).await;
    sandbox.chaos().inject(
        Fault::RateLimit {
            retry_after_secs: 1,
        },
        1,
    );
    let started = std::time::Instant::now();
    transport.call(&read(), decode).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sandbox.requests().len(), 2);
}

#[tokio::test]
async fn a_slow_vendor_becomes_a_timeout_error() {
    let config = TransportConfig {
        request_timeout: Some(Duration::from_millis(100)),
        operation_timeout: Some(Duration::from_secs(5)),
        ..fast_policy()
    };
    let (sandbox, _, transport) = setup(config).await;
    sandbox.chaos().set_latency(Duration::from_millis(400));
    let e = transport.call(&read(), decode).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(
        sandbox.requests().len(),
        0,
        "the sandbox logs after its latency; none finished"
    );
}

#[tokio::test]
async fn the_operation_deadline_bounds_all_attempts() {
    let config = TransportConfig {
        request_timeout: Some(Duration::from_secs(5)),
        operation_timeout: Some(Duration::from_millis(300)),
        ..fast_policy()
    };
    let (sandbox, _, transport) = setup(config).await;
    sandbox.chaos().set_latency(Duration::from_secs(2));
    let started = std::time::Instant::now();
    let e = transport.call(&read(), decode).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn errors_never_carry_the_url_or_credentials() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = parse_base_url("base_url", &format!("http://127.0.0.1:{port}")).unwrap();
    let transport = Transport::new(Vendor::Sobot, base, fast_policy()).unwrap();
    let req = WireRequest::get(
        Operation::AgentStatusLog,
        "/tenantpro/coutomer/getStaffLogInfos",
    )
    .secret_query("token", Secret::new("5ecret-signature"));
    let e = transport.call(&req, decode).await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("5ecret-signature") && !text.contains("getStaffLogInfos?"),
        "{text}"
    );
}

#[tokio::test]
async fn an_absurd_retry_after_is_no_panic_and_no_endless_wait() {
    // u64::MAX and 10^13 seconds: beyond what a Duration added to an
    // Instant or a time can hold. The wait is capped, and one longer than
    // the retry budget ends the call with the typed error at once.
    for secs in [u64::MAX, 10_000_000_000_000] {
        let (sandbox, _, transport) = setup(fast_policy()).await;
        sandbox.chaos().inject(
            Fault::RateLimit {
                retry_after_secs: secs,
            },
            1,
        );
        let started = std::time::Instant::now();
        let e = transport.call(&read(), decode).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
        match e {
            Error::RateLimited {
                retry_after: Some(wait),
                ..
            } => assert!(wait <= Duration::from_secs(3600), "{wait:?}"),
            other => panic!("{other}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(sandbox.requests().len(), 1);
    }
}
