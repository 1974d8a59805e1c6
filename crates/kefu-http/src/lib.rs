//! The one transport both vendor crates use.
//!
//! Everything about getting bytes to a vendor and back that is not vendor
//! specific lives here, once: base-URL policy ([`endpoint`]), timeouts and
//! retries ([`policy`], [`transport`]), pacing below a vendor's call-rate
//! limit ([`pacer`]), secret-free request descriptions and tracing
//! ([`request`]), and tolerant reading of loosely typed JSON ([`lenient`]).
//!
//! A vendor crate builds a [`WireRequest`], hands [`Transport::call`] a
//! decoder that turns the [`WireResponse`] into a record or a typed
//! [`kefu_core::Error`], and the transport decides whether a failure may be
//! retried: reads and requests that provably never left are; a write whose
//! outcome is unknown never is, and is settled by looking its effect up
//! ([`reconcile`], one policy for every vendor).

pub mod endpoint;
pub mod lenient;
pub mod meter;
pub mod observe;
pub mod pacer;
pub mod policy;
pub mod reconcile;
pub mod record;
pub mod redact;
pub mod request;
pub mod settings;
pub mod task;
pub mod transport;
pub mod vendor;

pub use endpoint::parse_base_url;
pub use observe::{Exchange, ExchangeObserver, Hooks};
pub use pacer::Pacer;
pub use policy::{RetryPolicy, TransportConfig};
pub use reconcile::{Effect, no_lookup, settle};
pub use record::FolderRecorder;
pub use request::{WireRequest, WireResponse};
pub use task::on_task;
pub use transport::{Transport, is_ambiguous_write_failure, status_error};
pub use vendor::VendorDescriptor;
