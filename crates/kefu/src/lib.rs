//! kefu: one Rust SDK for China's customer-service clouds.
//!
//! This facade re-exports the provider-agnostic contract ([`kefu_core`]) and
//! the vendors, each behind a cargo feature (`sobot`, `easemob`; both on by
//! default). An app written against the traits swaps vendors by feature or
//! at run time without touching its calls:
//!
//! ```no_run
//! # async fn run() -> kefu::Result<()> {
//! use futures_util::TryStreamExt;
//!
//! // KEFU_VENDOR=easemob|sobot plus that vendor's KEFU_* credentials.
//! let client = kefu::Client::from_env()?;
//! let agents = client.agents();
//! let all: Vec<kefu::model::Agent> = agents.list_agents(&Default::default())?.try_collect().await?;
//! println!("{} agents on {}", all.len(), client.vendor());
//! # Ok(()) }
//! ```
//!
//! A library that only needs the contract depends on `kefu-core` alone.

mod client;
pub mod registry;

pub use client::{Client, ClientBuilder};
pub use kefu_core::*;

/// Transport settings every vendor client accepts: timeouts and retries.
pub mod transport {
    pub use kefu_http::{
        Exchange, ExchangeObserver, FolderRecorder, Hooks, RetryPolicy, TransportConfig,
    };
}

/// The Sobot (智齿) client crate.
#[cfg(feature = "sobot")]
pub use kefu_sobot as sobot;

/// The Easemob Kefu (环信客服云) client crate.
#[cfg(feature = "easemob")]
pub use kefu_easemob as easemob;

/// Vendors compiled into this build (those [`registry::listed`] shows).
pub fn built_vendors() -> &'static [Vendor] {
    registry::listed_vendors()
}

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
