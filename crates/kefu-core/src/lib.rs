//! The provider-agnostic contract of kefu.
//!
//! A library that depends on this crate alone can drive any customer-service
//! cloud kefu supports: it talks to the four traits [`TenantAdmin`],
//! [`AgentAdmin`], [`SessionHistory`] and [`Reports`], reads the normalized
//! [`model`] types, and matches on one [`Error`].
//!
//! This crate has no HTTP client and no async runtime: vendors live in their
//! own crates (`kefu-sobot`, `kefu-easemob`) and the `kefu` facade picks one.
//!
//! ```
//! use std::sync::Arc;
//! use kefu_core::{AgentAdmin, Operation, Result};
//!
//! /// Written once, works with every vendor that can disable agents.
//! async fn offboard(admin: Arc<dyn AgentAdmin>, email: &str) -> Result<()> {
//!     if admin.capabilities().supports(Operation::DisableAgent) {
//!         admin.disable_agent(email).await?;
//!     }
//!     admin.delete_agent(email).await
//! }
//! ```

pub mod capability;
pub mod clock;
pub mod error;
pub mod model;
pub mod paging;
pub mod secret;
pub mod shared;
pub mod time;
pub mod validate;

mod agent_admin;
mod kefu;
mod reports;
mod session_history;
mod tenant_admin;

pub use agent_admin::AgentAdmin;
pub use capability::{Capabilities, Operation, Provider, Vendor};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, ErrorKind, Result, VendorError};
pub use kefu::Kefu;
pub use reports::Reports;
pub use secret::Secret;
pub use session_history::SessionHistory;
pub use tenant_admin::TenantAdmin;

/// The stream every list operation hands out: `'static`, `Send`, one record
/// (or one error, after which the stream ends) at a time.
pub type RecordStream<T> = futures_core::stream::BoxStream<'static, Result<T>>;

/// Vendor fields a record did not map, kept so that an export loses nothing.
pub type Extra = serde_json::Map<String, serde_json::Value>;
