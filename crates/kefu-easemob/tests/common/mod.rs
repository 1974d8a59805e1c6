//! What every test of the Easemob client needs: a sandbox and a client
//! pointed at it.
#![allow(dead_code)] // each test binary uses its own part of this

use std::sync::Arc;
use std::time::Duration;

use kefu_core::Clock;
use kefu_easemob::{EasemobBuilder, EasemobClient};
use kefu_http::{RetryPolicy, TransportConfig};
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::easemob::{self, EasemobSandbox};

/// Retries as in production, minus the waiting.
pub fn quick_transport() -> TransportConfig {
    TransportConfig {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            jitter: false,
            ..RetryPolicy::default()
        },
        request_timeout: Some(Duration::from_secs(10)),
        ..TransportConfig::default()
    }
}

/// A builder with the sandbox's settings, read the way `from_env` reads them.
pub fn builder_for(sandbox: &EasemobSandbox) -> EasemobBuilder {
    let env = sandbox.env();
    EasemobBuilder::from_lookup(move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        .transport(quick_transport())
}

/// A client of `sandbox`.
pub fn client_for(sandbox: &EasemobSandbox) -> EasemobClient {
    builder_for(sandbox).build().expect("client")
}

/// A client of `sandbox` whose token expiry is judged by `clock`.
pub fn client_with_clock(sandbox: &EasemobSandbox, clock: Arc<dyn Clock>) -> EasemobClient {
    builder_for(sandbox).clock(clock).build().expect("client")
}

/// A sandbox with the default seed.
pub async fn sandbox() -> EasemobSandbox {
    easemob::start(SeedConfig::default())
        .await
        .expect("sandbox")
}

/// A sandbox with `sessions` sessions.
pub async fn sandbox_with_sessions(sessions: usize) -> EasemobSandbox {
    easemob::start(SeedConfig {
        sessions,
        ..SeedConfig::default()
    })
    .await
    .expect("sandbox")
}

/// The routes (`METHOD path`) the sandbox has served, in order.
pub fn routes(sandbox: &EasemobSandbox) -> Vec<String> {
    sandbox.requests().iter().map(|r| r.route()).collect()
}
