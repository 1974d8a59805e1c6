//! The document's endpoints, checked as the document says.
//!
//! Error envelope (the document shows none): HTTP 401 for the token and
//! credential codes (API_002/003/004), HTTP 400 for every other code, body
//! `{"status":"FAIL","errorCode":"API_xxx","errorDescription":"<the
//! document's 错误信息>"}`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::DateTime;
use serde_json::{Map, Value, json};

use super::EasemobEmulator;
use super::data::{AgentRec, ROLES, roles_json};
use super::sessions::{CHANNELS, SessionFilter, TimeField};
use crate::sandbox::server::percent_decode;

type Emu = State<Arc<EasemobEmulator>>;
type Reply = Result<Response, Refusal>;

/// The document's 错误码 table.
const CODES: &[(&str, &str)] = &[
    (
        "API_001",
        "param is invalid,please check your param is correct!",
    ),
    ("API_002", "token is invalid"),
    (
        "API_003",
        "tenantId is incorrect,please confirm that the tenant ID belongs to you",
    ),
    ("API_004", "clientId or secretId is incorrect"),
    (
        "API_020",
        "Request body contains more than 10 visitor usernames.",
    ),
    ("API_101", "create agent user is failed"),
    ("API_102", "agent nicename must not empty!"),
    ("API_103", "agent user already exist"),
    (
        "API_104",
        "agent user not exist,please check username is correct",
    ),
    (
        "API_105",
        "agent user not belong your tenant,please check username and tenantId is correct",
    ),
    ("API_106", "roleId must not empty"),
    (
        "API_107",
        "api add role is failed,please check roleId is valid",
    ),
    (
        "API_108",
        "password must be not empty and length greater 7.",
    ),
    ("API_109", "Can not remove only amdin"),
    (
        "API_110",
        "Can not remove agent,The agent has processing servicesession.",
    ),
    ("API_111", "page index must be more than 0."),
    ("API_112", "page size must be less than 50."),
    ("API_400", "api request failed"),
];

/// An agent of another tenant: every operation on it answers API_105.
pub(super) const FOREIGN_AGENT: &str = "foreign@example.com";

/// A refusal with one of the document's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refusal(&'static str);

/// The refusal for `code`.
pub(super) fn fail(code: &'static str) -> Refusal {
    Refusal(code)
}

impl IntoResponse for Refusal {
    /// The sandbox's envelope.
    fn into_response(self) -> Response {
        let code = self.0;
        let status = match code {
            "API_002" | "API_003" | "API_004" => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        };
        let message = CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("", |(_, m)| *m);
        (
            status,
            Json(json!({"status": "FAIL", "errorCode": code, "errorDescription": message})),
        )
            .into_response()
    }
}

fn ok() -> Response {
    Json(json!({"status": "OK"})).into_response()
}

pub(super) fn routes(emu: Arc<EasemobEmulator>) -> Router {
    Router::new()
        .route("/api/tenant/{tenantId}/accessToken", post(access_token))
        .route("/api/tenants/{tenantId}/agents", get(search_agents))
        .route(
            "/api/tenants/{tenantId}/agent",
            post(add_agent).put(update_agent).delete(delete_agent),
        )
        .route("/api/tenants/{tenantId}/agent/password", put(set_password))
        .route("/api/tenants/{tenantId}/agent/disable", put(disable_agent))
        .route("/api/tenants/{tenantId}/agent/enable", put(enable_agent))
        .route("/api/tenants/{tenantId}/roles", get(roles))
        .route(
            "/api/tenants/{tenantId}/serviceSessionHistorys",
            get(sessions),
        )
        .with_state(emu)
}

/// Runs a handler body whose refusals are early returns.
fn reply(body: impl FnOnce() -> Reply) -> Response {
    body().unwrap_or_else(IntoResponse::into_response)
}

// ---------------------------------------------------------------- checks --

/// The JSON object of a request that must carry one
/// (`Content-Type: application/json`, as every curl example sends).
fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json_type {
        return Err(fail("API_001"));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(fail("API_001")),
    }
}

/// A field as text: strings as they are, numbers rendered; null and absent
/// are `None`; anything else is a bad parameter.
fn text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, Refusal> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(fail("API_001")),
    }
}

/// An int the vendor also accepts as a numeric string; `""` is absent.
fn int(map: &Map<String, Value>, key: &str) -> Result<Option<u64>, Refusal> {
    match text(map, key)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s.trim().parse().map(Some).map_err(|_| fail("API_001")),
    }
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// `username`: present and an email (API_001 otherwise).
fn username(map: &Map<String, Value>) -> Result<String, Refusal> {
    match text(map, "username")? {
        Some(u) if is_email(&u) => Ok(u),
        _ => Err(fail("API_001")),
    }
}

/// Digits or empty (the table types mobilePhone and agentNumber int; the
/// examples send "").
fn digits_or_empty(map: &Map<String, Value>, key: &str) -> Result<Option<String>, Refusal> {
    match text(map, key)? {
        Some(s) if !s.bytes().all(|b| b.is_ascii_digit()) => Err(fail("API_001")),
        other => Ok(other),
    }
}

fn role_id(map: &Map<String, Value>) -> Result<Option<u64>, Refusal> {
    let id = int(map, "roleId")?;
    match id {
        Some(id) if !ROLES.iter().any(|r| r.id == id) => Err(fail("API_107")),
        other => Ok(other),
    }
}

fn password_ok(p: &str) -> bool {
    p.chars().count() > 7
}

/// Query parameters; a name given twice is a bad parameter.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<String>) -> Result<Self, Refusal> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err(fail("API_001"));
            }
            pairs.push((k, v));
        }
        Ok(Self(pairs))
    }

    fn present(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A value; empty counts as not given (the document's curl example sends
    /// many empty filters).
    fn get(&self, name: &str) -> Option<&str> {
        self.present(name).map(str::trim).filter(|v| !v.is_empty())
    }

    fn int(&self, name: &str) -> Result<Option<i64>, Refusal> {
        self.get(name)
            .map(|v| v.parse().map_err(|_| fail("API_001")))
            .transpose()
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, Refusal> {
        self.get(name)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(fail("API_001")),
            })
            .transpose()
    }

    fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }

    /// `2018-06-16T23:59:59.000Z` as epoch milliseconds.
    fn time(&self, name: &str) -> Result<Option<i64>, Refusal> {
        self.get(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.timestamp_millis())
                    .map_err(|_| fail("API_001"))
            })
            .transpose()
    }
}

// ----------------------------------------------------------------- token --

/// POST `/api/tenant/{tenantId}/accessToken`.
async fn access_token(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    emu.count_token_request();
    reply(|| {
        let map = json_body(&headers, &body)?;
        let client_id = text(&map, "clientId")?.ok_or_else(|| fail("API_001"))?;
        let secret_id = text(&map, "secretId")?.ok_or_else(|| fail("API_001"))?;
        // The document's Request body also carries tenantId; when it does,
        // it must name the tenant of the path.
        let body_tenant = text(&map, "tenantId")?;
        if tenant != super::TENANT_ID || body_tenant.is_some_and(|t| t != tenant) {
            return Err(fail("API_003"));
        }
        if client_id != super::CLIENT_ID || secret_id != super::SECRET_ID {
            return Err(fail("API_004"));
        }
        let (token, ttl) = emu.issue_token(&tenant);
        Ok(
            Json(json!({"status": "OK", "entity": {"accessToken": token, "expireTime": ttl}}))
                .into_response(),
        )
    })
}

// ---------------------------------------------------------------- agents --

/// GET `/api/tenants/{tenantId}/agents?page&size&keyValue`.
async fn search_agents(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    reply(|| {
        emu.authorize(&tenant, &headers)?;
        let params = Params::parse(q)?;
        // page: "第几页,从0开始"; size: "每页显示的数据"; keyValue: required.
        let page = params.int("page")?.ok_or_else(|| fail("API_001"))?;
        if page < 0 {
            return Err(fail("API_111"));
        }
        let size = params.int("size")?.ok_or_else(|| fail("API_001"))?;
        if size > 50 {
            return Err(fail("API_112"));
        }
        if size < 1 {
            return Err(fail("API_001"));
        }
        let key = params
            .present("keyValue")
            .ok_or_else(|| fail("API_001"))?
            .trim()
            .to_owned();
        let (page, size) = (page as usize, size as usize);
        let (total, items) = emu.with_agents(|agents| {
            let matching: Vec<&AgentRec> = agents
                .iter()
                .filter(|a| key.is_empty() || a.matches(&key))
                .collect();
            let items: Vec<Value> = matching
                .iter()
                .skip(page.saturating_mul(size))
                .take(size)
                .map(|a| a.search_json())
                .collect();
            (matching.len(), items)
        });
        let pages = total.div_ceil(size);
        Ok(Json(json!({
            "status": "OK",
            "entities": items,
            "first": page == 0,
            "last": page + 1 >= pages,
            "size": size,
            "number": page,
            "numberOfElements": items.len(),
            // As in the document's example (11 pages for 1 element), the
            // page count is not to be trusted: it is ten too many here.
            "totalPages": pages + 10,
            "totalElements": total,
        }))
        .into_response())
    })
}

/// POST `/api/tenants/{tenantId}/agent`.
async fn add_agent(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    reply(|| {
        emu.authorize(&tenant, &headers)?;
        let map = json_body(&headers, &body)?;
        let nicename = text(&map, "nicename")?
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| fail("API_102"))?;
        let username = username(&map)?;
        let password = text(&map, "password")?
            .filter(|p| password_ok(p))
            .ok_or_else(|| fail("API_108"))?;
        let role_id = role_id(&map)?.ok_or_else(|| fail("API_106"))?;
        let true_name = text(&map, "trueName")?.ok_or_else(|| fail("API_001"))?;
        let max_sessions = int(&map, "maxServiceSessionCount")?.ok_or_else(|| fail("API_001"))?;
        let max_sessions = u32::try_from(max_sessions).map_err(|_| fail("API_001"))?;
        let mobile_phone = digits_or_empty(&map, "mobilePhone")?.unwrap_or_default();
        let agent_number = digits_or_empty(&map, "agentNumber")?.unwrap_or_default();
        if username.eq_ignore_ascii_case(FOREIGN_AGENT) {
            return Err(fail("API_103"));
        }
        let agent = emu.create_agent(AgentRec {
            user_id: String::new(),
            username,
            nicename,
            true_name,
            mobile_phone,
            agent_number,
            role_id,
            max_sessions,
            enabled: true,
            password,
            presence: "Offline",
            created: 0,
            updated: 0,
        })?;
        Ok(Json(json!({"status": "OK", "entity": agent.added_json()})).into_response())
    })
}

/// PUT `/api/tenants/{tenantId}/agent`: absent or null fields stay as they are.
async fn update_agent(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    reply(|| {
        emu.authorize(&tenant, &headers)?;
        let map = json_body(&headers, &body)?;
        let username = username(&map)?;
        let nicename = text(&map, "nicename")?;
        if nicename.as_ref().is_some_and(|n| n.trim().is_empty()) {
            return Err(fail("API_102"));
        }
        let true_name = text(&map, "trueName")?;
        let mobile_phone = digits_or_empty(&map, "mobilePhone")?;
        let agent_number = digits_or_empty(&map, "agentNumber")?;
        let role_id = role_id(&map)?;
        let max_sessions = int(&map, "maxServiceSessionCount")?
            .map(|n| u32::try_from(n).map_err(|_| fail("API_001")))
            .transpose()?;
        emu.change_agent(&username, |a| {
            if let Some(v) = nicename {
                a.nicename = v;
            }
            if let Some(v) = true_name {
                a.true_name = v;
            }
            if let Some(v) = mobile_phone {
                a.mobile_phone = v;
            }
            if let Some(v) = agent_number {
                a.agent_number = v;
            }
            if let Some(v) = role_id {
                a.role_id = v;
            }
            if let Some(v) = max_sessions {
                a.max_sessions = v;
            }
        })?;
        Ok(ok())
    })
}

/// DELETE `/api/tenants/{tenantId}/agent` with `{"username": ...}`.
async fn delete_agent(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    reply(|| {
        emu.authorize(&tenant, &headers)?;
        let map = json_body(&headers, &body)?;
        let username = username(&map)?;
        emu.remove_agent(&username)?;
        Ok(ok())
    })
}

/// PUT `/api/tenants/{tenantId}/agent/password`.
async fn set_password(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    reply(|| {
        emu.authorize(&tenant, &headers)?;
        let map = json_body(&headers, &body)?;
        let username = username(&map)?;
        let password = text(&map, "password")?
            .filter(|p| password_ok(p))
            .ok_or_else(|| fail("API_108"))?;
        emu.change_agent(&username, |a| a.password = password)?;
        Ok(ok())
    })
}

async fn set_enabled(
    emu: &EasemobEmulator,
    tenant: &str,
    headers: &HeaderMap,
    body: &Bytes,
    enabled: bool,
) -> Response {
    reply(|| {
        emu.authorize(tenant, headers)?;
        let map = json_body(headers, body)?;
        let username = username(&map)?;
        emu.change_agent(&username, |a| a.enabled = enabled)?;
        Ok(ok())
    })
}

/// PUT `/api/tenants/{tenantId}/agent/disable`.
async fn disable_agent(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    set_enabled(&emu, &tenant, &headers, &body, false).await
}

/// PUT `/api/tenants/{tenantId}/agent/enable`.
async fn enable_agent(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    set_enabled(&emu, &tenant, &headers, &body, true).await
}

/// GET `/api/tenants/{tenantId}/roles`.
async fn roles(State(emu): Emu, Path(tenant): Path<String>, headers: HeaderMap) -> Response {
    reply(|| {
        emu.authorize(&tenant, &headers)?;
        Ok(Json(json!({"status": "OK", "entities": roles_json()})).into_response())
    })
}

// -------------------------------------------------------------- sessions --

/// GET `/api/tenants/{tenantId}/serviceSessionHistorys`.
async fn sessions(
    State(emu): Emu,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    reply(|| {
        emu.authorize(&tenant, &headers)?;
        let params = Params::parse(q)?;
        // page: "默认为1" (API_111 below 1); per_page: "默认并且最大为50".
        let page = params.int("page")?.unwrap_or(1);
        if page < 1 {
            return Err(fail("API_111"));
        }
        let per_page = params.int("per_page")?.unwrap_or(50);
        if per_page > 50 {
            return Err(fail("API_112"));
        }
        if per_page < 1 {
            return Err(fail("API_001"));
        }
        // Sorted by stop time, newest first, unless asked otherwise. Every
        // sort field orders sessions the same way here (see sessions.rs).
        let sort = match params.get("sortField") {
            None | Some("stopDateTime") => TimeField::Stop,
            Some("startDateTime") => TimeField::Start,
            Some("createDatetime") => TimeField::Create,
            Some(_) => return Err(fail("API_001")),
        };
        let descending = match params
            .get("sortOrder")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(_) => return Err(fail("API_001")),
        };
        let filter = session_filter(&params)?;
        let body = emu.session_page(&filter, page as u64, per_page as u64, descending, sort);
        Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
    })
}

/// Every filter of the document's table, and those its curl example adds
/// (`state`, `agentUserId`, `queueId`, `techChannelId`, `techChannelType`);
/// other parameters of the example (`isAgent`, `enquiryTagIds`,
/// `orderType`, `summaryIds`) are accepted and ignored.
fn session_filter(p: &Params) -> Result<SessionFilter, Refusal> {
    let channels = p
        .list("originType")
        .map(|list| {
            list.iter()
                .map(|c| {
                    CHANNELS
                        .iter()
                        .position(|k| k == c)
                        .ok_or_else(|| fail("API_001"))
                })
                .collect::<Result<Vec<usize>, Refusal>>()
        })
        .transpose()?;
    let satisfaction = match p.int("enquirySummary")? {
        None => None,
        Some(s @ 0..=5) => Some(s as u8),
        Some(_) => return Err(fail("API_001")),
    };
    let mut queue_ids = p
        .list("queueIds")
        .map(|list| {
            list.iter()
                .map(|q| q.parse::<u32>().map_err(|_| fail("API_001")))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    match p.int("queueId")? {
        // The example sends queueId=0: no queue filter.
        None | Some(0) => {}
        Some(q) => queue_ids
            .get_or_insert_with(Vec::new)
            .push(u32::try_from(q).map_err(|_| fail("API_001"))?),
    }
    let mut agent_ids = p.list("agentIds");
    if let Some(id) = p.get("agentUserId") {
        agent_ids.get_or_insert_with(Vec::new).push(id.to_owned());
    }
    p.bool("isAgent")?;
    Ok(SessionFilter {
        create: (p.time("createDateFrom")?, p.time("createDateTo")?),
        start: (p.time("beginDate")?, p.time("endDate")?),
        stop: (p.time("stopDateFrom")?, p.time("stopDateTo")?),
        channels,
        customer_name: p.get("customerName").map(str::to_owned),
        transfered: p.bool("transfered")?,
        callback: p.bool("fromAgentCallback")?,
        satisfaction,
        queue_ids,
        agent_ids,
        states: p.list("state"),
        tech_channel_id: p
            .int("techChannelId")?
            .map(|t| u32::try_from(t).map_err(|_| fail("API_001")))
            .transpose()?,
        tech_channel_type: p.get("techChannelType").map(str::to_owned),
    })
}
