//! Everything a test of kefu, or of an app built on kefu, needs:
//!
//! - [`mocks`]: mockall mocks of the four core traits (feature `mock`);
//! - [`fixtures`]: every example of both vendor documents, verbatim;
//! - [`snapshot`]: insta helpers for wire requests and results (feature `snapshot`);
//! - [`behavior`]: a behavior suite written once against the traits;
//! - [`sandbox`]: faithful emulators of each vendor on a loopback port, with
//!   a request log, fault injection and a reset (feature `sandbox`). They
//!   also back `kefu --sandbox` and `kefu sandbox serve`.

pub mod behavior;
pub mod fixtures;
#[cfg(feature = "sandbox")]
pub mod sandbox;

#[cfg(feature = "mock")]
pub mod mocks;
#[cfg(feature = "mock")]
pub use mocks::*;

#[cfg(feature = "snapshot")]
pub mod snapshot;
