//! Agents (坐席): search, add, update, delete, enable, disable, password.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use http::Method;
use kefu_core::model::{Agent, AgentQuery, AgentUpdate, NewAgent, Role};
use kefu_core::paging::{Page, Pager};
use kefu_core::{AgentAdmin, Error, Operation, RecordStream, Result, Secret, Vendor, validate};
use kefu_http::{WireRequest, is_ambiguous_write_failure};

use crate::client::{EasemobClient, Failed};
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
        let build = || {
            WireRequest::get(Operation::ListAgents, self.tenant_path("agents"))
                .query("page", page.to_string())
                .query("size", size.to_string())
                // Marked required (Y) by the table: sent, empty, when not searching.
                .query("keyValue", key_value)
        };
        self.call(Operation::ListAgents, build, |r| {
            decode::agents_page(r, zone)
        })
        .await
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

    /// After an add whose outcome is unknown: success only if the agent is
    /// there as asked. A differing agent may predate the call, so it proves
    /// nothing; an absent one may still be on its way.
    async fn reconcile_add(&self, asked: &NewAgent, failure: Error) -> Result<Option<Agent>> {
        let unknown = |message: String| Error::OutcomeUnknown {
            vendor: Vendor::Easemob,
            operation: Operation::AddAgent,
            message,
        };
        match self.find_agent(&asked.email).await {
            Ok(Some(found)) if matches_new(&found, asked) => {
                tracing::info!("easemob add_agent: answer lost, but the agent is there as asked");
                Ok(Some(found))
            }
            Ok(Some(_)) => Err(unknown(format!(
                "the add failed ({failure}); an agent {} exists but differs from the one asked",
                asked.email
            ))),
            Ok(None) => Err(unknown(format!(
                "the add failed ({failure}) and the agent {} is not there (yet)",
                asked.email
            ))),
            Err(e) => Err(unknown(format!(
                "the add failed ({failure}) and looking the agent up failed too ({e})"
            ))),
        }
    }

    /// A PUT whose body sets a state (not a toggle), so repeating it after a
    /// lost answer changes nothing: safe for the transport to retry.
    async fn put_state(
        &self,
        op: Operation,
        rest: &str,
        body: &(impl serde::Serialize + Sync),
    ) -> Result<()> {
        let build = || {
            WireRequest::new(op, Method::PUT, self.tenant_path(rest))
                .json(body)
                .idempotent(true)
        };
        self.call(op, build, decode::acknowledged).await
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
                async move { client.agents_page(page, size, &key_value).await }
            }),
        )
    }

    /// POST `/api/tenants/{tenantId}/agent`. Never retried blindly: when the
    /// answer is lost, the agent is looked up and the call succeeds only if
    /// it is there as asked, else [`Error::OutcomeUnknown`].
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
        let build =
            || WireRequest::post(Operation::AddAgent, self.tenant_path("agent")).json(&body);
        match self
            .call_write(Operation::AddAgent, build, |r| decode::added_agent(r, zone))
            .await
        {
            Ok(added) => Ok(added),
            Err(Failed::Sent(e)) if is_ambiguous_write_failure(&e) => {
                self.reconcile_add(agent, e).await
            }
            Err(failed) => Err(failed.into_error()),
        }
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
    /// API_104); when the answer is lost, an agent that is gone is success.
    async fn delete_agent(&self, email: &str) -> Result<()> {
        check_username(email)?;
        let body = UsernameBody { username: email };
        let build = || {
            WireRequest::new(
                Operation::DeleteAgent,
                Method::DELETE,
                self.tenant_path("agent"),
            )
            .json(&body)
        };
        match self
            .call_write(Operation::DeleteAgent, build, decode::acknowledged)
            .await
        {
            Ok(()) => Ok(()),
            Err(Failed::Sent(e)) if is_ambiguous_write_failure(&e) => {
                match self.find_agent(email).await {
                    Ok(None) => Ok(()),
                    Ok(Some(_)) => Err(e),
                    Err(lookup) => Err(Error::OutcomeUnknown {
                        vendor: Vendor::Easemob,
                        operation: Operation::DeleteAgent,
                        message: format!(
                            "the delete failed ({e}) and looking the agent up failed too ({lookup})"
                        ),
                    }),
                }
            }
            Err(failed) => Err(failed.into_error()),
        }
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
