//! Easemob Kefu (环信客服云) API open platform client for kefu.
//!
//! [`EasemobClient`] implements the core traits over every endpoint of the
//! vendor's document:
//!
//! | endpoint | trait method |
//! |---|---|
//! | POST `/api/tenant/{tenantId}/accessToken` | (the token, fetched when needed) |
//! | GET `/api/tenants/{tenantId}/agents` | [`AgentAdmin::list_agents`](kefu_core::AgentAdmin::list_agents) |
//! | POST `/api/tenants/{tenantId}/agent` | [`AgentAdmin::add_agent`](kefu_core::AgentAdmin::add_agent) |
//! | PUT `/api/tenants/{tenantId}/agent` | [`AgentAdmin::update_agent`](kefu_core::AgentAdmin::update_agent) |
//! | DELETE `/api/tenants/{tenantId}/agent` | [`AgentAdmin::delete_agent`](kefu_core::AgentAdmin::delete_agent) |
//! | PUT `/api/tenants/{tenantId}/agent/enable` | [`AgentAdmin::enable_agent`](kefu_core::AgentAdmin::enable_agent) |
//! | PUT `/api/tenants/{tenantId}/agent/disable` | [`AgentAdmin::disable_agent`](kefu_core::AgentAdmin::disable_agent) |
//! | PUT `/api/tenants/{tenantId}/agent/password` | [`AgentAdmin::set_agent_password`](kefu_core::AgentAdmin::set_agent_password) |
//! | GET `/api/tenants/{tenantId}/roles` | [`AgentAdmin::list_roles`](kefu_core::AgentAdmin::list_roles) |
//! | GET `/api/tenants/{tenantId}/serviceSessionHistorys` | [`SessionHistory::sessions`](kefu_core::SessionHistory::sessions) |
//!
//! Everything else of the core traits answers
//! [`Error::Unsupported`](kefu_core::Error::Unsupported) before any I/O.
//! Decisions where the document is ambiguous are listed in `docs/easemob.md`.
//!
//! ```no_run
//! # async fn run() -> kefu_core::Result<()> {
//! use futures_util::TryStreamExt;
//! use kefu_core::SessionHistory;
//! use kefu_core::model::SessionQuery;
//!
//! let client = kefu_easemob::EasemobClient::builder()
//!     .tenant_id("1")
//!     .client_id("8340a6d8-211f-4b81-9202-63ce46f27c02")
//!     .secret_id("…")
//!     .build()?;
//! let from = "2024-05-01T00:00:00Z".parse().expect("time");
//! let to = "2024-05-02T00:00:00Z".parse().expect("time");
//! let sessions: Vec<_> = client.sessions(&SessionQuery::stopped_between(from, to))?.try_collect().await?;
//! # let _ = sessions; Ok(()) }
//! ```

mod agents;
mod auth;
mod client;
pub mod decode;
mod descriptor;
mod error_map;
mod reports;
mod roles;
mod sessions;
mod walk;
mod wire;

pub use agents::{DEFAULT_AGENT_PAGE_SIZE, MAX_AGENT_PAGE_SIZE};
pub use auth::shared::{REFRESH_LEASE, REFRESH_WAIT, SharedTokenStore};
pub use auth::{AccessToken, MAX_TOKEN_LIFETIME, MemoryTokenStore, TokenStore};
pub use client::{
    DEFAULT_BASE_URL, DEFAULT_PAGE_CONCURRENCY, ENV_BASE_URL, ENV_CLIENT_ID, ENV_PAGE_CONCURRENCY,
    ENV_SECRET_ID, ENV_TENANT_ID, ENV_ZONE, EasemobBuilder, EasemobClient,
};
pub use descriptor::DESCRIPTOR;
pub use sessions::MAX_SESSION_PAGE_SIZE;
