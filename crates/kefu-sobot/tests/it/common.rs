//! Starting a sandbox and a client pointed at it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use kefu_core::{Error, ErrorKind, FixedClock};
use kefu_http::{RetryPolicy, TransportConfig};
use kefu_sobot::{SobotBuilder, SobotClient};
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::sobot::{self, SobotSandbox};

/// Retries as in production, but without waiting: tests stay fast.
pub fn quick_transport() -> TransportConfig {
    TransportConfig {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            jitter: false,
            ..RetryPolicy::default()
        },
        ..TransportConfig::default()
    }
}

/// The sandbox's environment as a lookup.
pub fn lookup(sb: &SobotSandbox) -> impl Fn(&str) -> Option<String> + use<> {
    let env: HashMap<String, String> = sb.env().into_iter().collect();
    move |k| env.get(k).cloned()
}

/// A builder configured from the sandbox's environment (merchant `M001`).
pub fn builder(sb: &SobotSandbox) -> SobotBuilder {
    SobotBuilder::from_lookup(lookup(sb)).transport(quick_transport())
}

/// A default-seeded sandbox on the system clock.
pub async fn sandbox() -> SobotSandbox {
    sobot::start(SeedConfig::default())
        .await
        .expect("sandbox starts")
}

/// A sandbox and a client, both on the system clock.
pub async fn setup() -> (SobotSandbox, SobotClient) {
    let sb = sandbox().await;
    let client = builder(&sb).build().expect("client builds");
    (sb, client)
}

/// 2024-05-20T00:00:00Z, inside the seeded May 2024.
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 20, 0, 0, 0)
        .single()
        .expect("valid time")
}

/// A sandbox and a client sharing one fixed clock.
pub async fn setup_fixed() -> (SobotSandbox, SobotClient, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(fixed_now()));
    let sb = sobot::start_with_clock(SeedConfig::default(), clock.clone())
        .await
        .expect("sandbox starts");
    let client = builder(&sb)
        .clock(clock.clone())
        .build()
        .expect("client builds");
    (sb, client, clock)
}

/// The error's kind, vendor code and message.
pub fn refusal(e: &Error) -> (ErrorKind, String, String) {
    let (code, message) = e
        .vendor_error()
        .map(|v| (v.code.clone(), v.message.clone()))
        .unwrap_or_default();
    (e.kind(), code, message)
}

/// Asserts an `InvalidInput` naming `field`.
#[track_caller]
pub fn assert_invalid(e: &Error, field: &str) {
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(e.field(), Some(field), "{e}");
}
