//! The wire shapes, with serde derive.

use kefu_core::model::{Agent, Role};
use serde::{Deserialize, Serialize};

/// `GET /v1/agents`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AgentsPage {
    /// The agents.
    #[serde(default)]
    pub agents: Vec<WireAgent>,
}

/// One agent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WireAgent {
    /// Login email.
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

impl From<WireAgent> for Agent {
    fn from(w: WireAgent) -> Self {
        Agent {
            email: w.email,
            nickname: w.name,
            ..Agent::default()
        }
    }
}

/// `GET /v1/roles`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RolesPage {
    /// The roles.
    #[serde(default)]
    pub roles: Vec<WireRole>,
}

/// One role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WireRole {
    /// Role id.
    pub id: String,
    /// Role name.
    pub name: String,
}

impl From<WireRole> for Role {
    fn from(w: WireRole) -> Self {
        Role {
            id: w.id,
            name: w.name,
            ..Role::default()
        }
    }
}
