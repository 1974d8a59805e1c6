//! The streams of the contract: what each reads, where it writes, how.

use std::fmt;

use kefu_core::{Operation, Vendor};

use crate::db::ColumnKind;
use crate::error::{Result, SyncError};

/// How a stream moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Bounded time windows after a cursor, plus a look-back.
    Incremental,
    /// The vendor's whole list each run; rows it no longer lists get `deleted_at`.
    Snapshot,
    /// One day at a time; days inside the look-back are replaced whole.
    Daily,
}

/// A stream of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// Easemob service sessions, incremental on stop time.
    Sessions,
    /// Easemob agents (snapshot).
    Agents,
    /// Easemob roles (snapshot).
    Roles,
    /// Sobot merchant tenants (snapshot).
    Tenants,
    /// Sobot app keys (snapshot).
    AppKeys,
    /// Sobot agent status log, incremental on the log time, a week a window.
    AgentStatus,
    /// Sobot agent statistics, one row per agent and day.
    AgentStats,
}

impl Stream {
    /// Every stream of `vendor`, in the order a run works them.
    pub fn of(vendor: Vendor) -> &'static [Stream] {
        match vendor {
            Vendor::Easemob => &[Self::Agents, Self::Roles, Self::Sessions],
            Vendor::Sobot => &[
                Self::Tenants,
                Self::AppKeys,
                Self::AgentStatus,
                Self::AgentStats,
            ],
            _ => &[],
        }
    }

    /// Parses a `--streams` entry for `vendor`.
    pub fn parse(vendor: Vendor, name: &str) -> Result<Self> {
        let name = name.trim();
        Self::of(vendor)
            .iter()
            .copied()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::of(vendor).iter().map(|s| s.name()).collect();
                SyncError::invalid(
                    "streams",
                    format!(
                        "{vendor} has no stream {name:?}; it has {}",
                        known.join(", ")
                    ),
                )
            })
    }

    /// Parses a comma-separated `--streams` list (empty: every stream).
    pub fn parse_list(vendor: Vendor, list: Option<&str>) -> Result<Vec<Self>> {
        let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
            return Ok(Self::of(vendor).to_vec());
        };
        let mut out = Vec::new();
        for name in list.split(',') {
            let s = Self::parse(vendor, name)?;
            if !out.contains(&s) {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Its name in `--streams` and in `kefu_sync_state`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sessions => "sessions",
            Self::Agents => "agents",
            Self::Roles => "roles",
            Self::Tenants => "tenants",
            Self::AppKeys => "app_keys",
            Self::AgentStatus => "agent_status",
            Self::AgentStats => "agent_stats",
        }
    }

    /// The vendor operation it reads with.
    pub fn operation(self) -> Operation {
        match self {
            Self::Sessions => Operation::ListSessions,
            Self::Agents => Operation::ListAgents,
            Self::Roles => Operation::ListRoles,
            Self::Tenants => Operation::ListTenants,
            Self::AppKeys => Operation::ListAppKeys,
            Self::AgentStatus => Operation::AgentStatusLog,
            Self::AgentStats => Operation::AgentStats,
        }
    }

    /// Its table.
    pub fn table(self) -> &'static str {
        match self {
            Self::Sessions => "easemob_sessions",
            Self::Agents => "easemob_agents",
            Self::Roles => "easemob_roles",
            Self::Tenants => "sobot_tenants",
            Self::AppKeys => "sobot_app_keys",
            Self::AgentStatus => "sobot_agent_status",
            Self::AgentStats => "sobot_agent_stats",
        }
    }

    /// How it moves forward.
    pub fn kind(self) -> StreamKind {
        match self {
            Self::Sessions | Self::AgentStatus => StreamKind::Incremental,
            Self::AgentStats => StreamKind::Daily,
            _ => StreamKind::Snapshot,
        }
    }

    /// Columns besides `account`, `id`, `record`, `record_hash`, `synced_at`.
    pub(crate) fn columns(self) -> &'static [(&'static str, ColumnKind)] {
        match self {
            Self::Sessions => &[("stopped_at", ColumnKind::Time)],
            Self::AgentStatus => &[("at", ColumnKind::Time)],
            Self::AgentStats => &[
                ("agent_id", ColumnKind::Text),
                ("company_id", ColumnKind::Text),
                ("day", ColumnKind::Date),
            ],
            _ => &[],
        }
    }

    /// The natural key (its conflict target).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::AgentStats => "account, agent_id, company_id, day",
            _ => "account, id",
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
