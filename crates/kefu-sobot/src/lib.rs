//! Sobot (智齿科技) e-commerce platform API client for kefu.
//!
//! [`SobotClient`] implements the core traits over the twelve operations of
//! Sobot's 电商平台 API:
//!
//! | trait method | endpoint |
//! |---|---|
//! | [`TenantAdmin::list_tenants`](kefu_core::TenantAdmin::list_tenants) | `POST /tenantpro/open/getTenantList`, every page |
//! | [`TenantAdmin::add_tenant`](kefu_core::TenantAdmin::add_tenant) | `POST /tenantpro/open/addTenant.json` |
//! | [`TenantAdmin::update_tenant`](kefu_core::TenantAdmin::update_tenant) | `POST /tenantpro/open/updateTenant.json` |
//! | [`TenantAdmin::app_keys`](kefu_core::TenantAdmin::app_keys) | `POST /tenantpro/getBatchAppKey` |
//! | [`AgentAdmin::add_agent`](kefu_core::AgentAdmin::add_agent) | `POST /tenantpro/open/addServiceInfoConfim.json` |
//! | [`AgentAdmin::update_agent`](kefu_core::AgentAdmin::update_agent) | `POST /tenantpro/open/updateServiceInfoConfim.json` |
//! | [`AgentAdmin::delete_agent`](kefu_core::AgentAdmin::delete_agent) | `POST /tenantpro/open/deleteServiceInfoConfim` |
//! | [`AgentAdmin::list_roles`](kefu_core::AgentAdmin::list_roles) | the four fixed roles, no I/O |
//! | [`SessionHistory::chats`](kefu_core::SessionHistory::chats) | `POST /chat-third/tenant/5/user/chatIndexPage`, paced |
//! | [`Reports::agent_stats`](kefu_core::Reports::agent_stats) | `POST /tenantpro/tenantReport/tenantStaffJobList` |
//! | [`Reports::export_report`](kefu_core::Reports::export_report) | `POST /tenantpro/tenantReport/tenantExportData` (type 7 / 8) |
//! | [`Reports::agent_status_log`](kefu_core::Reports::agent_status_log) | `GET /tenantpro/coutomer/getStaffLogInfos`, one week at a time |
//!
//! Staff operations act on one merchant, named by its `customerCode`
//! ([`SobotBuilder::customer_code`], [`SobotClient::for_tenant`]).
//!
//! ```no_run
//! # async fn demo() -> kefu_core::Result<()> {
//! use kefu_core::TenantAdmin;
//! use kefu_sobot::SobotClient;
//!
//! let client = SobotClient::builder()
//!     .union_code("10004")
//!     .union_key("the unionKey Sobot gave you")
//!     .email("admin@platform.example.com")
//!     .build()?;
//! let keys = client.app_keys().await?;
//! # let _ = keys; Ok(()) }
//! ```

mod agents;
pub mod auth;
mod client;
pub mod decode;
mod descriptor;
mod error_map;
pub mod pacing;
mod reports;
mod sessions;
mod tenants;
mod walk;
mod wire;

pub use agents::{ROLES, role_id};
pub use auth::{ReportSigner, SignInput};
pub use client::{
    DEFAULT_BASE_URL, DEFAULT_CHAT_PACE, DEFAULT_PAGE_CONCURRENCY, SobotBuilder, SobotClient,
    TsUnit,
};
pub use descriptor::{DESCRIPTOR, connected};
pub use tenants::DEFAULT_TENANT_PAGE_SIZE;
pub use walk::windows as week_windows;
