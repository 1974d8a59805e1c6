//! What each record looks like on output: every field for JSON and CSV, and
//! the columns a terminal table shows.

use kefu::model::{
    Agent, AgentDayStats, AgentStats, AgentStatusLog, AppKey, ChatSummary, ReportExport, Role,
    Session, Tenant, TenantCreated,
};
use serde::Serialize;

use crate::output::Record;

/// The result of a write that returns no record (update, delete, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The operation (`agents.delete`).
    pub operation: String,
    /// What it was applied to (an email, a customerCode).
    pub target: String,
    /// `ok`.
    pub result: String,
}

impl Outcome {
    /// A write that succeeded.
    pub fn ok(operation: kefu::Operation, target: &str) -> Self {
        Self {
            operation: operation.name().to_owned(),
            target: target.to_owned(),
            result: "ok".to_owned(),
        }
    }
}

impl Record for Outcome {
    const FIELDS: &'static [&'static str] = &["operation", "target", "result"];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("OPERATION", "/operation"),
        ("TARGET", "/target"),
        ("RESULT", "/result"),
    ];
}

impl Record for Tenant {
    const FIELDS: &'static [&'static str] = &[
        "company_id",
        "name",
        "email",
        "customer_code",
        "contact_name",
        "contact_tel",
        "agents_in_use",
        "max_agents",
        "created_on",
        "ends_on",
        "enabled",
        "app_key",
        "extra",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("COMPANY_ID", "/company_id"),
        ("NAME", "/name"),
        ("CUSTOMER_CODE", "/customer_code"),
        ("EMAIL", "/email"),
        ("AGENTS", "/agents_in_use"),
        ("MAX_AGENTS", "/max_agents"),
        ("OPEN", "/enabled"),
        ("CREATED", "/created_on"),
        ("ENDS", "/ends_on"),
    ];
}

impl Record for TenantCreated {
    const FIELDS: &'static [&'static str] = &["app_key", "contact_name", "company_id", "extra"];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("COMPANY_ID", "/company_id"),
        ("APP_KEY", "/app_key"),
        ("CONTACT", "/contact_name"),
    ];
}

impl Record for AppKey {
    const FIELDS: &'static [&'static str] =
        &["app_id", "app_key", "company_id", "company_name", "extra"];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("COMPANY_ID", "/company_id"),
        ("COMPANY", "/company_name"),
        ("APP_ID", "/app_id"),
        ("APP_KEY", "/app_key"),
    ];
}

impl Record for Agent {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "email",
        "nickname",
        "real_name",
        "phone",
        "agent_number",
        "roles",
        "enabled",
        "presence",
        "max_sessions",
        "tenant_id",
        "created_at",
        "updated_at",
        "extra",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("EMAIL", "/email"),
        ("NICKNAME", "/nickname"),
        ("NAME", "/real_name"),
        ("ROLES", "/roles"),
        ("ENABLED", "/enabled"),
        ("PRESENCE", "/presence"),
        ("MAX_SESSIONS", "/max_sessions"),
        ("ID", "/id"),
    ];
}

impl Record for Role {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "name",
        "description",
        "kind",
        "enabled",
        "created_at",
        "updated_at",
        "extra",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("ID", "/id"),
        ("NAME", "/name"),
        ("KIND", "/kind"),
        ("DESCRIPTION", "/description"),
    ];
}

impl Record for Session {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "tenant_id",
        "state",
        "channels",
        "queue_id",
        "agent_id",
        "agent_nickname",
        "agents",
        "visitor",
        "customer",
        "created_at",
        "started_at",
        "stopped_at",
        "satisfaction",
        "satisfaction_detail",
        "summaries",
        "comment",
        "transferred",
        "from_agent_callback",
        "extra",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("ID", "/id"),
        ("STATE", "/state"),
        ("CHANNELS", "/channels"),
        ("AGENT", "/agent_nickname"),
        ("VISITOR", "/visitor/nickname"),
        ("CREATED", "/created_at"),
        ("STOPPED", "/stopped_at"),
        ("SATISFACTION", "/satisfaction"),
    ];
}

impl Record for ChatSummary {
    const FIELDS: &'static [&'static str] = &[
        "company_id",
        "company_name",
        "company_logo",
        "visitor_id",
        "partner_id",
        "last_session_id",
        "last_message_kind",
        "last_message",
        "last_message_at",
        "unread",
        "extra",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("COMPANY_ID", "/company_id"),
        ("COMPANY", "/company_name"),
        ("LAST_SESSION", "/last_session_id"),
        ("LAST_AT", "/last_message_at"),
        ("KIND", "/last_message_kind/kind"),
        ("LAST_MESSAGE", "/last_message"),
        ("UNREAD", "/unread"),
    ];
}

impl Record for AgentStats {
    const FIELDS: &'static [&'static str] = &[
        "agent_id",
        "company_id",
        "first_responses",
        "transfer_first_responses",
        "valid_consultations",
        "first_response_in_60s_percent",
        "extra",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("AGENT_ID", "/agent_id"),
        ("COMPANY_ID", "/company_id"),
        ("FIRST_RESPONSES", "/first_responses"),
        ("TRANSFER_FIRST", "/transfer_first_responses"),
        ("VALID_CONSULTS", "/valid_consultations"),
        ("IN_60S_%", "/first_response_in_60s_percent"),
    ];
}

impl Record for AgentDayStats {
    const FIELDS: &'static [&'static str] = &[
        "agent_id",
        "day",
        "sessions",
        "transferred",
        "mean_handle_seconds",
        "median_handle_seconds",
        "satisfaction",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("AGENT_ID", "/agent_id"),
        ("DAY", "/day"),
        ("SESSIONS", "/sessions"),
        ("TRANSFERRED", "/transferred"),
        ("MEAN_S", "/mean_handle_seconds"),
        ("MEDIAN_S", "/median_handle_seconds"),
        ("SATISFACTION", "/satisfaction"),
    ];
}

impl Record for AgentStatusLog {
    const FIELDS: &'static [&'static str] =
        &["company_id", "agent_id", "at", "status", "source", "extra"];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("AT", "/at"),
        ("COMPANY_ID", "/company_id"),
        ("AGENT_ID", "/agent_id"),
        ("STATUS", "/status"),
        ("SOURCE", "/source"),
    ];
}

impl Record for ReportExport {
    const FIELDS: &'static [&'static str] = &[
        "kind",
        "date",
        "file_url",
        "created_at",
        "description",
        "extra",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("KIND", "/kind"),
        ("DATE", "/date"),
        ("FILE_URL", "/file_url"),
        ("CREATED", "/created_at"),
    ];
}

#[cfg(test)]
mod tests {
    use kefu::model::ReportKind;
    use serde_json::{Value, json};

    use super::*;

    /// FIELDS must list exactly what serde writes, or CSV would drop a field.
    fn check<R: Record>(record: R) {
        let mut value = serde_json::to_value(&record).expect("serialize");
        let obj = value.as_object_mut().expect("an object");
        // `extra` is left out when empty; records without one have no such field.
        if R::FIELDS.contains(&"extra") {
            obj.entry("extra").or_insert(json!({}));
        }
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = R::FIELDS.to_vec();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted_keys, expected, "{}", std::any::type_name::<R>());
        for (_, ptr) in R::COLUMNS {
            let top = ptr.split('/').nth(1).unwrap_or_default();
            assert!(
                R::FIELDS.contains(&top),
                "column {ptr} of {}",
                std::any::type_name::<R>()
            );
        }
    }

    #[test]
    fn fields_match_what_serde_writes() {
        check(Tenant::default());
        check(TenantCreated::default());
        check(AppKey::default());
        check(Agent::default());
        check(Role::default());
        check(Session::default());
        check(ChatSummary::default());
        check(AgentStats::default());
        check(AgentDayStats::default());
        check(AgentStatusLog::default());
        check(ReportExport {
            kind: ReportKind::Sessions,
            date: None,
            file_url: None,
            created_at: None,
            description: None,
            extra: Default::default(),
        });
        check(Outcome::ok(kefu::Operation::DeleteAgent, "a@b.c"));
    }

    #[test]
    fn times_are_rfc3339_and_ids_strings() {
        let agent = Agent {
            id: Some("59f5d6e4".into()),
            created_at: kefu::time::parse_offset("2024-05-01T08:00:00+08:00"),
            ..Default::default()
        };
        let v = serde_json::to_value(&agent).expect("serialize");
        assert_eq!(v["created_at"], Value::from("2024-05-01T00:00:00Z"));
        assert!(v["id"].is_string());
    }
}
