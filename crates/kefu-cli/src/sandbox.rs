//! The embedded sandboxes: `--sandbox` runs a command against a seeded
//! emulator in this process; `kefu sandbox serve` runs one as a standalone
//! server for other programs' tests.
//!
//! Both serve kefu-testkit's emulators through its harness, which adds the
//! request log, fault injection and the `/__sandbox/*` control endpoints.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use kefu::Vendor;
use kefu_testkit::sandbox::{Emulator, Sandbox, SeedConfig, emulator_of};

use crate::cli::ServeArgs;
use crate::exit::Failure;

/// The seeded emulator of `vendor`.
pub fn emulator(vendor: Vendor, seed: SeedConfig) -> Result<Arc<dyn Emulator>, Failure> {
    emulator_of(vendor, seed).ok_or_else(|| Failure::usage(format!("no sandbox for {vendor}")))
}

/// Starts `vendor`'s emulator with the default seed on a free loopback port.
pub async fn start_embedded(vendor: Vendor) -> Result<Sandbox, Failure> {
    Sandbox::start(emulator(vendor, SeedConfig::default())?)
        .await
        .map_err(|e| Failure::Local(format!("cannot start the {vendor} sandbox: {e}")))
}

/// The variables that point kefu at `sandbox`, `KEFU_VENDOR` included.
pub fn env_of(sandbox: &Sandbox) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = sandbox.env().into_iter().collect();
    env.entry("KEFU_VENDOR".to_owned())
        .or_insert_with(|| sandbox.vendor().as_str().to_owned());
    env
}

/// The seed of `kefu sandbox serve`: the defaults, resized by its flags.
pub fn seed_of(args: &ServeArgs) -> SeedConfig {
    let mut seed = SeedConfig::default();
    if let Some(s) = args.seed {
        seed.seed = s;
    }
    if let Some(n) = args.sessions {
        seed.sessions = n;
    }
    if let Some(n) = args.agents {
        seed.agents = n;
    }
    if let Some(n) = args.tenants {
        seed.tenants = n;
    }
    seed
}

/// The first line `serve` prints, in the contract's order:
/// `{"vendor":…, "base_url":…, "env":{…}}`.
#[derive(Debug, serde::Serialize)]
pub struct Announcement {
    /// `sobot` or `easemob`.
    pub vendor: &'static str,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The variables that point kefu at the sandbox.
    pub env: BTreeMap<String, String>,
}

impl Announcement {
    /// What `sandbox` announces.
    pub fn of(sandbox: &Sandbox) -> Self {
        Self {
            vendor: sandbox.vendor().as_str(),
            base_url: sandbox.base_url().to_owned(),
            env: env_of(sandbox),
        }
    }
}

/// `kefu sandbox serve`: serves until Ctrl-C or SIGTERM.
pub async fn serve(vendor: Vendor, args: &ServeArgs, mut out: impl Write) -> Result<(), Failure> {
    let mut stop = crate::signal::Stop::listen();
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port.unwrap_or(0)));
    let sandbox = Sandbox::start_on(emulator(vendor, seed_of(args))?, addr)
        .await
        .map_err(|e| Failure::Usage {
            message: format!("cannot listen on {addr}: {e}"),
            hint: Some("pick another --port, or leave it out for a free one".to_owned()),
        })?;
    // Bounded, so a long benchmark cannot grow the log without limit.
    sandbox.log().set_limit(args.log_limit);
    // One line, flushed at once: the caller reads it to learn where we are.
    let line = serde_json::to_string(&Announcement::of(&sandbox))
        .map_err(|e| Failure::Local(e.to_string()))?;
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(Failure::output)?;
    tracing::info!(vendor = %vendor, base_url = sandbox.base_url(), "sandbox serving");
    stop.requested().await;
    tracing::info!("sandbox stopping");
    sandbox.stop().await;
    Ok(())
}
