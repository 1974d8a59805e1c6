//! Everything a vendor client is: the four traits at once.

use crate::{AgentAdmin, Reports, SessionHistory, TenantAdmin};

/// A whole vendor client (the four traits), as the facade and a vendor
/// descriptor hand it out: `Arc<dyn Kefu>`.
pub trait Kefu: TenantAdmin + AgentAdmin + SessionHistory + Reports {}

impl<T: TenantAdmin + AgentAdmin + SessionHistory + Reports> Kefu for T {}
