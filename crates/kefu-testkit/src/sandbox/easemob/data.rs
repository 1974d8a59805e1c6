//! Seeded data: deterministic hashing, the roles, the agents.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{Value, json};

use super::TENANT_ID;
use crate::sandbox::SeedConfig;

/// splitmix64: a fixed, tiny mixer, so the same seed gives the same data on
/// every platform and every version of every dependency.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of (seed, what, i): independent streams for each attribute.
pub(super) fn mix(seed: u64, what: u64, i: u64) -> u64 {
    splitmix(splitmix(seed ^ what.wrapping_mul(0xD6E8_FEB8_6659_FD93)) ^ i)
}

/// A uuid-shaped id whose last group is `i`, so ids are unique by construction.
pub(super) fn uuid(seed: u64, what: u64, i: u64) -> String {
    let h = mix(seed, what, i);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        0x8000 | ((h >> 40) & 0x3fff),
        i & 0xffff_ffff_ffff
    )
}

/// Naive local time in the tenant's zone (UTC+8), as the vendor writes it.
pub(super) fn naive(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs + 8 * 3600, 0)
        .map(|t| {
            let (date, time) = (t.date_naive(), t.time());
            // What "%Y-%m-%d %H:%M:%S" gives, without parsing the format each
            // time (a page of sessions writes 200 times); chrono's own for
            // years four digits cannot hold.
            if (0..=9999).contains(&date.year()) {
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                    date.year(),
                    date.month(),
                    date.day(),
                    time.hour(),
                    time.minute(),
                    time.second()
                )
            } else {
                t.format("%Y-%m-%d %H:%M:%S").to_string()
            }
        })
        .unwrap_or_default()
}

/// A role of the tenant.
pub(super) struct RoleDef {
    pub(super) id: u64,
    pub(super) name: &'static str,
    /// What an agent holding it shows in `roles` (the document's agent with
    /// role 1 shows `"admin,agent"`).
    pub(super) agent_roles: &'static str,
}

/// The document's roles example: two SYSTEM roles and two custom ones.
pub(super) const ROLES: &[RoleDef] = &[
    RoleDef {
        id: 1,
        name: "admin",
        agent_roles: "admin,agent",
    },
    RoleDef {
        id: 2,
        name: "agent",
        agent_roles: "agent",
    },
    RoleDef {
        id: 3,
        name: "123",
        agent_roles: "123",
    },
    RoleDef {
        id: 4,
        name: "asd",
        agent_roles: "asd",
    },
];

pub(super) fn role(id: u64) -> Option<&'static RoleDef> {
    ROLES.iter().find(|r| r.id == id)
}

/// GET roles, exactly the document's example.
pub(super) fn roles_json() -> Value {
    json!([
        {"role_id": 1, "role_name": "admin", "role_description": "管理员", "role_type": "SYSTEM",
         "created_at": null, "updated_at": null, "status": "ENABLE"},
        {"role_id": 2, "role_name": "agent", "role_description": "坐席", "role_type": "SYSTEM",
         "created_at": null, "updated_at": null, "status": "ENABLE"},
        {"role_id": 3, "role_name": "123", "role_description": null, "role_type": "CUSTOMIZED",
         "created_at": "2018-03-23T16:02:02.000+0800", "updated_at": "2018-03-23T16:02:02.000+0800", "status": "ENABLE"},
        {"role_id": 4, "role_name": "asd", "role_description": null, "role_type": "CUSTOMIZED",
         "created_at": "2018-06-10T18:32:37.000+0800", "updated_at": "2018-06-10T18:32:37.000+0800", "status": "ENABLE"},
    ])
}

/// An agent as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AgentRec {
    pub(super) user_id: String,
    pub(super) username: String,
    pub(super) nicename: String,
    pub(super) true_name: String,
    pub(super) mobile_phone: String,
    pub(super) agent_number: String,
    pub(super) role_id: u64,
    pub(super) max_sessions: u32,
    pub(super) enabled: bool,
    pub(super) password: String,
    pub(super) presence: &'static str,
    pub(super) created: i64,
    pub(super) updated: i64,
}

impl AgentRec {
    fn roles(&self) -> &'static str {
        role(self.role_id).map_or("agent", |r| r.agent_roles)
    }

    fn status(&self) -> &'static str {
        if self.enabled { "Enable" } else { "Disable" }
    }

    /// The agents search shape (document example, plus `nicename` and
    /// `agentNumber`, which the search matches on and a caller needs back).
    pub(super) fn search_json(&self) -> Value {
        let role_list: Vec<Value> = role(self.role_id)
            .map(|r| vec![json!({"role_id": r.id, "role_name": r.name})])
            .unwrap_or_default();
        json!({
            "tenantId": tenant_number(),
            "userId": self.user_id,
            "userType": "Agent",
            "userScope": "Tenant",
            "password": "",
            "username": self.username,
            "nicename": self.nicename,
            "roles": self.roles(),
            "createDateTime": naive(self.created),
            "lastUpdateDateTime": naive(self.updated),
            "status": self.status(),
            "state": self.presence,
            "maxServiceSessionCount": self.max_sessions,
            "trueName": self.true_name,
            "mobilePhone": self.mobile_phone,
            "agentNumber": self.agent_number,
            "agentType": "Message",
            "roleList": role_list,
            "scope": "Tenant",
            "bizId": TENANT_ID,
            "onLineState": self.presence,
            "currentOnLineState": self.presence,
        })
    }

    /// The add answer's `entity` shape (document example).
    pub(super) fn added_json(&self) -> Value {
        json!({
            "tenantId": tenant_number(),
            "userId": self.user_id,
            "userType": "Agent",
            "userScope": "Tenant",
            "nicename": self.nicename,
            "password": "",
            "username": self.username,
            "roles": self.roles(),
            "createDateTime": naive(self.created),
            "lastUpdateDateTime": naive(self.updated),
            "status": self.status(),
            "state": self.presence,
            "maxServiceSessionCount": self.max_sessions,
            "trueName": self.true_name,
            "mobilePhone": self.mobile_phone,
            "agentType": "Message",
            "language": "zh_CN",
            "timeZone": "UTC+8",
            "scope": "Tenant",
            "bizId": TENANT_ID,
            "currentOnLineState": self.presence,
            "onLineState": self.presence,
        })
    }

    /// Whether the document's fuzzy search matches: username, trueName,
    /// mobilePhone, agentNumber.
    pub(super) fn matches(&self, key: &str) -> bool {
        let key = key.to_lowercase();
        [
            &self.username,
            &self.true_name,
            &self.mobile_phone,
            &self.agent_number,
        ]
        .iter()
        .any(|f| f.to_lowercase().contains(&key))
    }
}

pub(super) fn tenant_number() -> u64 {
    TENANT_ID.parse().unwrap_or_default()
}

const SURNAMES: [&str; 10] = ["张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "洋", "静", "磊", "敏", "强", "杰", "霞"];
const PRESENCE: [&str; 4] = ["Online", "Offline", "Busy", "Leave"];

/// What a hash stream is for (keeps attributes independent).
pub(super) mod stream {
    pub(in super::super) const AGENT: u64 = 1;
    pub(in super::super) const AGENT_ID: u64 = 2;
    pub(in super::super) const SESSION: u64 = 3;
    pub(in super::super) const SESSION_TIME: u64 = 4;
    pub(in super::super) const SESSION_ID: u64 = 5;
    pub(in super::super) const VISITOR: u64 = 6;
    pub(in super::super) const CUSTOMER: u64 = 7;
    pub(in super::super) const NEW_AGENT: u64 = 8;
}

/// The seeded agents: agent 0 is the tenant's admin, the rest agents (some
/// with a custom role), about one in ten disabled.
pub(super) fn seed_agents(config: &SeedConfig) -> Vec<AgentRec> {
    let start = config.start.timestamp();
    let span = i64::from(config.days.max(1)) * 86_400;
    (0..config.agents as u64)
        .map(|i| {
            let h = mix(config.seed, stream::AGENT, i);
            let created = start + (h % span as u64) as i64;
            let role_id = match (i, h % 10) {
                (0, _) => 1,
                (_, 0) => 3,
                _ => 2,
            };
            let enabled = i == 0 || !(h >> 52).is_multiple_of(10);
            let username = if i == 0 {
                "admin@example.com".to_owned()
            } else {
                format!("agent{i:03}@example.com")
            };
            AgentRec {
                user_id: uuid(config.seed, stream::AGENT_ID, i),
                username,
                nicename: format!("客服{i:03}"),
                true_name: format!(
                    "{}{}",
                    SURNAMES[(h >> 8) as usize % 10],
                    GIVEN[(h >> 12) as usize % 10]
                ),
                mobile_phone: format!("13{:09}", (h >> 16) % 1_000_000_000),
                agent_number: format!("{}", 1000 + i),
                role_id,
                max_sessions: 5 + ((h >> 48) % 11) as u32,
                enabled,
                password: format!("sandbox-{i:03}"),
                // A disabled agent cannot log in, so is never online.
                presence: if enabled {
                    PRESENCE[(h >> 56) as usize % PRESENCE.len()]
                } else {
                    "Offline"
                },
                created,
                updated: created,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_agents_other_seed_other_agents() {
        let c = SeedConfig::default();
        assert_eq!(seed_agents(&c), seed_agents(&c));
        let other = SeedConfig {
            seed: 7,
            ..c.clone()
        };
        assert_ne!(seed_agents(&c)[1].user_id, seed_agents(&other)[1].user_id);
        assert_eq!(seed_agents(&c).len(), c.agents);
    }

    #[test]
    fn ids_are_unique_and_times_naive_utc8() {
        assert_ne!(uuid(1, 1, 1), uuid(1, 1, 2));
        assert!(uuid(1, 1, 0x1234).ends_with("-000000001234"));
        // 2024-04-30T16:00:00Z is 2024-05-01 00:00:00 in UTC+8.
        assert_eq!(naive(1_714_492_800), "2024-05-01 00:00:00");
    }
}
