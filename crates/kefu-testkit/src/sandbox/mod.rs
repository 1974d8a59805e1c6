//! Faithful, in-process emulators of each vendor, served over real HTTP on
//! loopback.
//!
//! A vendor module ([`easemob`], [`sobot`]) implements [`Emulator`]: its
//! routes, its state, its seeding. This module wraps any emulator in the same
//! harness: a free port on 127.0.0.1, a [`RequestLog`], [`Chaos`] (fault
//! injection) and control endpoints under `/__sandbox/`:
//!
//! | method + path | what it does |
//! |---|---|
//! | `POST /__sandbox/reset` | re-seed the state, clear the log and all faults |
//! | `GET /__sandbox/requests` | the request log as a JSON array |
//! | `DELETE /__sandbox/requests` | clear the log |
//! | `POST /__sandbox/chaos` | add a [`Fault`] (JSON body; `{"fault":"echo","status":400,"json":true}`, `{"fault":"replay"}`, `{"fault":"duplicate_items"}`, ...) |
//! | `DELETE /__sandbox/chaos` | clear all faults |
//! | `GET /__sandbox/state` | a dump of the emulator's state |
//! | `POST /__sandbox/vendor/{action}` | a vendor-specific control (e.g. expire a token) |

mod chaos;
mod emulators;
mod log;
pub mod replay;
mod seed;
mod server;

pub mod easemob;
pub mod sobot;

pub use chaos::{Chaos, Fault};
pub use emulators::emulator_of;
pub use log::{DEFAULT_LOG_LIMIT, LoggedRequest, RequestLog};
pub use seed::SeedConfig;
pub use server::Sandbox;

use std::sync::Arc;

use axum::Router;
use kefu_core::Vendor;

/// One vendor's behavior, as the harness serves it.
pub trait Emulator: Send + Sync + 'static {
    /// Which vendor this emulates.
    fn vendor(&self) -> Vendor;

    /// The vendor's routes (paths exactly as the document spells them).
    fn routes(self: Arc<Self>) -> Router;

    /// Back to the seeded state.
    fn reset(&self);

    /// Environment variables that point `kefu` at a sandbox served at `base_url`.
    fn env(&self, base_url: &str) -> Vec<(String, String)>;

    /// The state, for `GET /__sandbox/state` and debugging.
    fn dump(&self) -> serde_json::Value;

    /// A refusal in this vendor's shape carrying `message` (for
    /// [`Fault::Echo`]).
    fn refusal(&self, message: &str) -> serde_json::Value {
        serde_json::json!({ "error": message })
    }

    /// A vendor-specific control action with a JSON argument; `Err` names
    /// what was wrong.
    fn control(&self, action: &str, arg: serde_json::Value) -> Result<serde_json::Value, String> {
        let _ = arg;
        Err(format!("unknown control action {action:?}"))
    }
}
