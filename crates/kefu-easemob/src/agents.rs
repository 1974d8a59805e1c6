//! Agents (坐席): search, add, update, delete, enable, disable, password.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use http::Method;
use kefu_core::model::{Agent, AgentQuery, AgentUpdate, NewAgent, Role};
use kefu_core::paging::{Page, Pager};
use kefu_core::{AgentAdmin, Error, Operation, RecordStream, Result, Secret, validate};
use kefu_http::{Effect, WireRequest};

use crate::client::EasemobClient;
use crate::decode;
use crate::roles::role_id;
use crate::wire::{AgentUpdateBody, NewAgentBody, PasswordBody, UsernameBody};

/// Agents asked per search page when the caller does not say. The search
/// table gives no default or maximum for `size`; 50 is the largest page the
/// document allows anywhere (`per_page` "默认并且最大为50", and API_112).
pub const DEFAULT_AGENT_PAGE_SIZE: u32 = 50;

/// The largest agent page asked for (see [`DEFAULT_AGENT_PAGE_SIZE`]).
pub const MAX_AGENT_PAGE_SIZE: u32 = 50;

/// The document's API_108: "password must be not empty and length greater 7".
const MIN_PASSWORD_CHARS: usize = 8;

fn check_username(email: &str) -> Result<()> {
    validate::email("username", email)
}

fn check_password(password: &Secret) -> Result<()> {
    validate::min_chars("password", password.char_count(), MIN_PASSWORD_CHARS)
}

/// `mobilePhone` and `agentNumber` are typed int by the document (its
/// examples send `""` when there is none): digits only when given.
fn check_digits(field: &'static str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) if !v.is_empty() && field == "mobilePhone" => validate::phone(field, v),
        Some(v) if !v.is_empty() => validate::digits(field, v),
        _ => Ok(()),
    }
}

impl EasemobClient {
    async fn agents_page(&self, page: u32, size: u32, key_value: &str) -> Result<Page<Agent>> {
        let zone = self.zone();
        let request = WireRequest::get(Operation::ListAgents, self.tenant_path("agents"))
            .query("page", page.to_string())
            .query("size", size.to_string())
            // Marked required (Y) by the table: sent, empty, when not searching.
            .query("keyValue", key_value);
        self.call(request, |r| decode::agents_page(r, zone)).await
    }

    /// The agent whose login is `email`, by searching for it.
    async fn find_agent(&self, email: &str) -> Result<Option<Agent>> {
        let query = AgentQuery {
            search: Some(email.to_owned()),
            page_size: None,
        };
        let mut agents = self.list_agents(&query)?;
        while let Some(agent) = agents.try_next().await? {
            if agent.email.eq_ignore_ascii_case(email) {
                return Ok(Some(agent));
            }
        }
        Ok(None)
    }

    /// What became of an add whose answer was lost: the agent there as
    /// asked is the add's effect; one that differs may predate the call.
    async fn added_effect(&self, asked: &NewAgent) -> Result<Effect<Option<Agent>>> {
        Ok(match self.find_agent(&asked.email).await? {
            Some(found) if matches_new(&found, asked) => Effect::Seen(Some(found)),
            Some(_) => Effect::Conflicting(format!(
                "an agent {} exists but differs from the one asked",
                asked.email
            )),
            None => Effect::NotSeen,
        })
    }

    /// What became of a delete whose answer was lost: the agent gone is its
    /// effect.
    async fn deleted_effect(&self, email: &str) -> Result<Effect<()>> {
        Ok(match self.find_agent(email).await? {
            None => Effect::Seen(()),
            Some(_) => Effect::NotSeen,
        })
    }

    /// A PUT whose body sets a state (not a toggle), so repeating it after a
    /// lost answer changes nothing: safe for the transport to retry.
    async fn put_state(
        &self,
        op: Operation,
        rest: &str,
        body: &(impl serde::Serialize + Sync),
    ) -> Result<()> {
        let request = WireRequest::new(op, Method::PUT, self.tenant_path(rest))
            .json(body)
            .idempotent(true);
        self.call(request, decode::acknowledged).await
    }
}

/// The fields the vendor echoed agree with what was asked (a field the
/// search result leaves out cannot disagree).
fn matches_new(found: &Agent, asked: &NewAgent) -> bool {
    let same = |got: &Option<String>, want: &str| got.as_deref().is_none_or(|g| g == want);
    same(&found.nickname, &asked.nickname)
        && same(&found.real_name, &asked.real_name)
        && found.max_sessions.is_none_or(|n| n == asked.max_sessions)
}

#[async_trait]
impl AgentAdmin for EasemobClient {
    /// GET `/api/tenants/{tenantId}/agents`, pages from 0 until the vendor
    /// says `last` or a page comes back short or empty (`totalPages` is not
    /// trusted). `page_size` is the vendor's `size`, 1 to 50 (default 50).
    fn list_agents(&self, query: &AgentQuery) -> Result<RecordStream<Agent>> {
        let size = query.page_size.unwrap_or(DEFAULT_AGENT_PAGE_SIZE);
        validate::in_range("size", i64::from(size), 1, i64::from(MAX_AGENT_PAGE_SIZE))?;
        let key_value = query.search.clone().unwrap_or_default();
        let client = self.clone();
        Ok(
            Pager::new(kefu_core::Vendor::Easemob, 0, size).stream(move |page| {
                let client = client.clone();
                let key_value = key_value.clone();
                kefu_http::on_task(kefu_core::Vendor::Easemob, async move {
                    client.agents_page(page, size, &key_value).await
                })
            }),
        )
    }

    /// POST `/api/tenants/{tenantId}/agent`. Never retried blindly: when the
    /// answer is lost, the agent is looked up (`kefu_http::reconcile`): there
    /// as asked is success, absent is the original failure (safe to repeat),
    /// another agent under that login is [`Error::OutcomeUnknown`].
    async fn add_agent(&self, agent: &NewAgent) -> Result<Option<Agent>> {
        check_username(&agent.email)?;
        validate::non_empty("nicename", &agent.nickname)?;
        let password = agent
            .password
            .as_ref()
            .ok_or_else(|| Error::invalid("password", "is required to add an agent"))?;
        check_password(password)?;
        validate::non_empty("trueName", &agent.real_name)?;
        check_digits("mobilePhone", agent.phone.as_deref())?;
        check_digits("agentNumber", agent.agent_number.as_deref())?;
        let role_id = role_id(&agent.role)?;

        let body = NewAgentBody {
            nicename: &agent.nickname,
            username: &agent.email,
            password: password.expose(),
            true_name: &agent.real_name,
            mobile_phone: agent.phone.as_deref().unwrap_or_default(),
            agent_number: agent.agent_number.as_deref().unwrap_or_default(),
            role_id,
            max_service_session_count: agent.max_sessions.to_string(),
        };
        let zone = self.zone();
        let request = WireRequest::post(Operation::AddAgent, self.tenant_path("agent")).json(&body);
        self.write(
            request,
            |r| decode::added_agent(r, zone),
            Some(|| self.added_effect(agent)),
        )
        .await
    }

    /// PUT `/api/tenants/{tenantId}/agent` with `username` and only the
    /// fields being changed (the document marks them all optional).
    async fn update_agent(&self, update: &AgentUpdate) -> Result<()> {
        check_username(&update.email)?;
        if let Some(nickname) = &update.nickname {
            validate::non_empty("nicename", nickname)?;
        }
        check_digits("mobilePhone", update.phone.as_deref())?;
        check_digits("agentNumber", update.agent_number.as_deref())?;
        let role_id = update.role.as_deref().map(role_id).transpose()?;
        let body = AgentUpdateBody {
            nicename: update.nickname.as_deref(),
            username: &update.email,
            true_name: update.real_name.as_deref(),
            mobile_phone: update.phone.as_deref(),
            agent_number: update.agent_number.as_deref(),
            role_id,
            max_service_session_count: update.max_sessions.map(|n| n.to_string()),
        };
        self.put_state(Operation::UpdateAgent, "agent", &body).await
    }

    /// DELETE `/api/tenants/{tenantId}/agent` with the JSON body
    /// `{"username": ...}`. Not retried blindly (a repeat would answer
    /// API_104); when the answer is lost, an agent that is gone is success,
    /// one still there the original failure (`kefu_http::reconcile`).
    async fn delete_agent(&self, email: &str) -> Result<()> {
        check_username(email)?;
        let body = UsernameBody { username: email };
        let request = WireRequest::new(
            Operation::DeleteAgent,
            Method::DELETE,
            self.tenant_path("agent"),
        )
        .json(&body);
        self.write(
            request,
            decode::acknowledged,
            Some(|| self.deleted_effect(email)),
        )
        .await
    }

    /// PUT `/api/tenants/{tenantId}/agent/enable`.
    async fn enable_agent(&self, email: &str) -> Result<()> {
        check_username(email)?;
        self.put_state(
            Operation::EnableAgent,
            "agent/enable",
            &UsernameBody { username: email },
        )
        .await
    }

    /// PUT `/api/tenants/{tenantId}/agent/disable`.
    async fn disable_agent(&self, email: &str) -> Result<()> {
        check_username(email)?;
        self.put_state(
            Operation::DisableAgent,
            "agent/disable",
            &UsernameBody { username: email },
        )
        .await
    }

    /// PUT `/api/tenants/{tenantId}/agent/password`; at least 8 characters.
    async fn set_agent_password(&self, email: &str, password: &Secret) -> Result<()> {
        check_username(email)?;
        check_password(password)?;
        let body = PasswordBody {
            username: email,
            password: password.expose(),
        };
        self.put_state(Operation::SetAgentPassword, "agent/password", &body)
            .await
    }

    /// GET `/api/tenants/{tenantId}/roles` (built in `roles.rs`).
    async fn list_roles(&self) -> Result<Vec<Role>> {
        self.fetch_roles().await
    }
}
