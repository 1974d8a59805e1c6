//! The baseline: Easemob's endpoints called with nothing but reqwest and
//! serde_json, the way a script would, sending the same requests as kefu.
//!
//! No retries, no pacing, no records: a body is parsed into a
//! [`serde_json::Value`] and its list taken out. Whatever kefu does on top
//! (typed errors, lenient decoding into records, tracing spans, the pager) is
//! what the overhead bench measures against this.

use serde_json::{Value, json};

use crate::Result;

/// The environment variables `kefu sandbox serve` announces for Easemob.
pub const ENV_BASE_URL: &str = "KEFU_EASEMOB_BASE_URL";
/// See [`ENV_BASE_URL`].
pub const ENV_TENANT_ID: &str = "KEFU_EASEMOB_TENANT_ID";
/// See [`ENV_BASE_URL`].
pub const ENV_CLIENT_ID: &str = "KEFU_EASEMOB_CLIENT_ID";
/// See [`ENV_BASE_URL`].
pub const ENV_SECRET_ID: &str = "KEFU_EASEMOB_SECRET_ID";

/// Where an Easemob API is and how to log in to it.
#[derive(Clone)]
pub struct Login {
    /// `http://127.0.0.1:PORT` (no trailing slash needed).
    pub base_url: String,
    /// The tenant id.
    pub tenant_id: String,
    /// clientID.
    pub client_id: String,
    /// secretID (a sandbox credential, but never printed all the same).
    pub secret_id: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("base_url", &self.base_url)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

impl Login {
    /// From `lookup` (variable name → value), `KEFU_EASEMOB_*` names.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |key: &str| lookup(key).ok_or_else(|| format!("{key} is not set"));
        Ok(Self {
            base_url: get(ENV_BASE_URL)?.trim_end_matches('/').to_owned(),
            tenant_id: get(ENV_TENANT_ID)?,
            client_id: get(ENV_CLIENT_ID)?,
            secret_id: get(ENV_SECRET_ID)?,
        })
    }

    /// From the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }
}

/// A raw Easemob client with one token.
#[derive(Debug, Clone)]
pub struct RawEasemob {
    http: reqwest::Client,
    base_url: String,
    tenant_id: String,
    token: String,
}

impl RawEasemob {
    /// Gets a token: POST `/api/tenant/{tenantId}/accessToken`.
    pub async fn connect(login: &Login) -> Result<Self> {
        let http = reqwest::Client::new();
        let url = format!(
            "{}/api/tenant/{}/accessToken",
            login.base_url, login.tenant_id
        );
        let tenant: u64 = login.tenant_id.parse()?;
        let body = json!({
            "tenantId": tenant,
            "clientId": login.client_id,
            "secretId": login.secret_id,
        });
        let answer: Value = http
            .post(url)
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = answer
            .pointer("/entity/accessToken")
            .and_then(Value::as_str)
            .ok_or("no entity.accessToken in the token answer")?
            .to_owned();
        Ok(Self {
            http,
            base_url: login.base_url.clone(),
            tenant_id: login.tenant_id.clone(),
            token,
        })
    }

    /// The token this client got.
    pub fn token(&self) -> &str {
        &self.token
    }

    async fn get(&self, rest: &str, query: &[(&str, &str)]) -> Result<Value> {
        let url = format!("{}/api/tenants/{}/{rest}", self.base_url, self.tenant_id);
        let body = self
            .http
            .get(url)
            .query(query)
            .header("Kefu-Token", &self.token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        Ok(serde_json::from_slice(&body)?)
    }

    /// One page of GET `serviceSessionHistorys`: `total_entries` and the
    /// items. `params` are every parameter but `page`, as kefu sends them.
    pub async fn session_page(
        &self,
        page: u32,
        params: &[(&str, &str)],
    ) -> Result<(u64, Vec<Value>)> {
        let page = page.to_string();
        let mut query = Vec::with_capacity(params.len() + 1);
        query.push(("page", page.as_str()));
        query.extend_from_slice(params);
        let mut answer = self.get("serviceSessionHistorys", &query).await?;
        let entity = answer
            .get_mut("entity")
            .ok_or("no entity in the session answer")?;
        let total = entity
            .get("total_entries")
            .and_then(Value::as_u64)
            .ok_or("no total_entries")?;
        let items = match entity.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => return Err("no items in the session answer".into()),
        };
        Ok((total, items))
    }

    /// One page of GET `agents` (pages from 0): whether it is the last, and
    /// the agents.
    pub async fn agent_page(&self, page: u32, size: u32, key: &str) -> Result<(bool, Vec<Value>)> {
        let (page, size) = (page.to_string(), size.to_string());
        let mut answer = self
            .get(
                "agents",
                &[("page", &page), ("size", &size), ("keyValue", key)],
            )
            .await?;
        let last = answer.get("last").and_then(Value::as_bool).unwrap_or(true);
        let items = match answer.get_mut("entities").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => return Err("no entities in the agents answer".into()),
        };
        Ok((last, items))
    }

    /// Every agent, page after page from 0 until `last` or a short page:
    /// what kefu's `list_agents` does.
    pub async fn all_agents(&self, size: u32) -> Result<Vec<Value>> {
        let mut all = Vec::new();
        for page in 0.. {
            let (last, items) = self.agent_page(page, size, "").await?;
            let short = items.len() < size as usize;
            all.extend(items);
            if last || short {
                break;
            }
        }
        Ok(all)
    }
}

/// The parameters kefu sends for a session export by stop time, oldest
/// first, 50 a page, in its order: `per_page`, `stopDateFrom`,
/// `stopDateTo`, `sortField`, `sortOrder` (`from`/`to` as
/// `2024-05-01T00:00:00.000Z`).
pub fn export_params<'a>(from: &'a str, to: &'a str) -> [(&'static str, &'a str); 5] {
    [
        ("per_page", "50"),
        ("stopDateFrom", from),
        ("stopDateTo", to),
        ("sortField", "stopDateTime"),
        ("sortOrder", "asc"),
    ]
}
