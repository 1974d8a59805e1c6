//! A minimal third vendor, registered only in test builds (the `kefu`
//! facade's `testvendor` feature, which only `kefu-cli`'s dev-dependencies
//! enable). It follows the template of `docs/architecture.md` ("How to add
//! a vendor") at its smallest, so the CLI driving it end to end proves that
//! a vendor is a crate plus one registry line.
//!
//! Its wire API (invented, and served by [`sandbox`]):
//!
//! | trait method | endpoint |
//! |---|---|
//! | [`AgentAdmin::list_agents`](kefu_core::AgentAdmin::list_agents) | `GET /v1/agents` → `{"agents":[{"email","name"}]}` |
//! | [`AgentAdmin::list_roles`](kefu_core::AgentAdmin::list_roles) | `GET /v1/roles` → `{"roles":[{"id","name"}]}` |
//!
//! Every call carries `Authorization: Bearer <KEFU_TESTVENDOR_TOKEN>`; a
//! wrong token is answered 401. Everything else is `Unsupported`.

mod client;
mod descriptor;
mod error_map;
pub mod sandbox;
mod wire;

pub use client::{TestVendorBuilder, TestVendorClient};
pub use descriptor::{DESCRIPTOR, ENV_BASE_URL, ENV_TOKEN, VENDOR};
