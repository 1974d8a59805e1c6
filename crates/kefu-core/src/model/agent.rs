use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Extra, Secret};

/// An agent (坐席 / 客服).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// Vendor user id (`userId`), when the vendor tells it.
    pub id: Option<String>,
    /// Login email (`username` / `email`).
    pub email: String,
    /// Display name (Easemob `nicename`, Sobot `nick`).
    pub nickname: Option<String>,
    /// Real name (`trueName`, `name`).
    pub real_name: Option<String>,
    /// Mobile phone.
    pub phone: Option<String>,
    /// Work number (`agentNumber`).
    pub agent_number: Option<String>,
    /// Role names or ids, as the vendor lists them.
    pub roles: Vec<String>,
    /// Enabled (may log in) or disabled.
    pub enabled: Option<bool>,
    /// Presence as the vendor words it (`Online`, `Offline`, ...).
    pub presence: Option<String>,
    /// Concurrent session limit (`maxServiceSessionCount`, `maxAcceptNum`).
    pub max_sessions: Option<u32>,
    /// Tenant the agent belongs to.
    pub tenant_id: Option<String>,
    /// Created at.
    #[serde(serialize_with = "super::instant::option")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last updated at.
    #[serde(serialize_with = "super::instant::option")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Which agents to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentQuery {
    /// Fuzzy match over email, real name, phone and work number.
    pub search: Option<String>,
    /// Page size (vendor default when `None`).
    pub page_size: Option<u32>,
}

/// An agent to create.
#[derive(Debug, Clone, Default)]
pub struct NewAgent {
    /// Login email, unique.
    pub email: String,
    /// Display name.
    pub nickname: String,
    /// Real name.
    pub real_name: String,
    /// Initial password.
    pub password: Option<Secret>,
    /// A vendor role id or well-known name (`admin`, `agent`, `online-agent`, ...).
    pub role: String,
    /// Concurrent session limit.
    pub max_sessions: u32,
    /// Mobile phone.
    pub phone: Option<String>,
    /// Work number.
    pub agent_number: Option<String>,
}

/// A change to an agent, found by email; `None` leaves a field unchanged
/// where the vendor allows that (Sobot requires nickname, name, phone and
/// session limit on every edit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentUpdate {
    /// Which agent.
    pub email: String,
    /// New display name.
    pub nickname: Option<String>,
    /// New real name.
    pub real_name: Option<String>,
    /// New mobile phone.
    pub phone: Option<String>,
    /// New role (id or well-known name).
    pub role: Option<String>,
    /// New concurrent session limit.
    pub max_sessions: Option<u32>,
    /// New work number.
    pub agent_number: Option<String>,
}

/// A role agents can hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Vendor role id, as a string.
    pub id: String,
    /// Role name (`admin`, `在线客服`, ...).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// `SYSTEM` or `CUSTOMIZED` where the vendor says.
    pub kind: Option<String>,
    /// Enabled.
    pub enabled: Option<bool>,
    /// Created at.
    #[serde(serialize_with = "super::instant::option")]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated at.
    #[serde(serialize_with = "super::instant::option")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl crate::paging::Unique for Agent {
    /// The user id, else the login email (unique per tenant either way).
    fn unique_id(&self) -> Option<&str> {
        self.id
            .as_deref()
            .filter(|id| !id.is_empty())
            .or(Some(self.email.as_str()).filter(|e| !e.is_empty()))
    }
}
