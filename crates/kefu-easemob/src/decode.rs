//! Reading Easemob's answers into kefu's records.
//!
//! Public so that tests and tools can decode a saved answer (the document's
//! examples, a captured response) exactly as the client does.
//!
//! The vendor does not keep its types: numbers come as strings
//! (`"maxServiceSessionCount":"10"`), absent numbers as `""`, anything may be
//! `null`, `summarys` is an array of arrays, `originType` an array,
//! `enquirySummary` a string. Each answer is read in one pass into its wire
//! struct (below, one per endpoint, declared with [`kefu_http::wire_record!`]):
//! mapped fields are converted leniently as they are read
//! ([`kefu_http::lenient::de`]), a value that does not convert is kept as
//! sent, and every field the struct does not name (except `null`s, and the
//! always-empty `password`) is kept too. Mapping a wire struct to the
//! record puts the kept values into its `extra` under their wire names. A
//! field sent twice counts once, the last one.
//!
//! A success is a 2xx answer whose `status` is `OK`; anything else is
//! worded by `wire::envelope`, which also accepts an answer that has no
//! `status` and says nothing bad.

use std::time::Duration;

use kefu_core::model::{Agent, Party, Role, Session, SessionAgent, SummaryTag};
use kefu_core::paging::Page;
use kefu_core::time::{Moment, Zone};
use kefu_core::{Error, Extra, Result, Secret, Vendor};
use kefu_http::lenient::de::{self, Lenient, Records, Rest};
use kefu_http::{WireResponse, lenient, wire_record};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::wire::envelope;

/// The document's "accessToken在2小时之内有效", used when `expireTime` is missing.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// A token as the vendor issued it.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// `entity.accessToken`.
    pub token: Secret,
    /// `entity.expireTime`, in seconds.
    pub expires_in: Duration,
}

/// POST `/api/tenant/{tenantId}/accessToken`.
///
/// Read through `wire::envelope` rather than a wire struct: the token must not
/// sit in a struct that derives `Debug`.
pub fn access_token(response: &WireResponse) -> Result<TokenGrant> {
    let mut body = envelope(response)?;
    let mut entity = lenient::object(lenient::take(&mut body, "entity")).unwrap_or_default();
    let token = lenient::string(lenient::take(&mut entity, "accessToken"))
        .ok_or_else(|| Error::decode(Vendor::Easemob, "no accessToken in the answer", b""))?;
    let expires_in = lenient::u64(lenient::take(&mut entity, "expireTime"))
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TOKEN_LIFETIME);
    Ok(TokenGrant {
        token: Secret::new(token),
        expires_in,
    })
}

/// A success answer with nothing in it (`{"status":"OK"}`): update, delete,
/// disable, enable, password.
pub fn acknowledged(response: &WireResponse) -> Result<()> {
    envelope(response).map(drop)
}

wire_record! {
    /// GET `/api/tenants/{tenantId}/agents`: `{"status","entities","last"}`.
    struct AgentsAnswer {
        "status" => status: Lenient<String> = de::string,
        "entities" => entities: Records<AgentWire> = de::records,
        "last" => last: Lenient<bool> = de::bool,
    }
    rest: Rest::Skip;
}

wire_record! {
    /// POST `/api/tenants/{tenantId}/agent`: `{"status","entity"}`.
    struct AddedAgentAnswer {
        "status" => status: Lenient<String> = de::string,
        "entity" => entity: Option<AgentWire> = de::object,
    }
    rest: Rest::Skip;
}

wire_record! {
    /// GET `/api/tenants/{tenantId}/roles`: `{"status","entities"}`.
    struct RolesAnswer {
        "status" => status: Lenient<String> = de::string,
        "entities" => entities: Records<RoleWire> = de::records,
    }
    rest: Rest::Skip;
}

wire_record! {
    /// GET `/api/tenants/{tenantId}/serviceSessionHistorys`:
    /// `{"status","entity":{"total_entries","items"}}`.
    struct SessionsAnswer {
        "status" => status: Lenient<String> = de::string,
        "entity" => entity: Option<SessionsEntity> = de::object,
    }
    rest: Rest::Skip;
}

wire_record! {
    /// The `entity` of a session page.
    struct SessionsEntity {
        "total_entries" => total_entries: Lenient<u64> = de::int,
        "items" => items: Records<SessionWire> = de::records,
    }
    rest: Rest::Skip;
}

/// The answer read as `T` when it is a success, else the error it means.
///
/// `status` of `OK` (any case) on a 2xx answer is a success at once; any
/// other answer is judged by [`envelope`], which words a refusal, and which
/// accepts an answer that has no `status` and no error code.
fn accepted<T: for<'de> Deserialize<'de>>(
    response: &WireResponse,
    status: impl Fn(&T) -> &Lenient<String>,
) -> Result<T> {
    match serde_json::from_slice::<T>(&response.body) {
        Ok(answer)
            if response.is_success()
                && matches!(status(&answer), Lenient::Got(s) if s.eq_ignore_ascii_case("ok")) =>
        {
            Ok(answer)
        }
        parsed => {
            envelope(response)?;
            // The envelope took it, so it is a JSON object, which the wire
            // struct reads whatever its fields hold.
            parsed.map_err(|_| {
                Error::decode(
                    Vendor::Easemob,
                    "answer is not a JSON object",
                    &response.body,
                )
            })
        }
    }
}

/// Every element of a list must be an object: a record we cannot read is an
/// error, never silently skipped.
fn listed<T>(records: Records<T>, response: &WireResponse) -> Result<Vec<T>> {
    match records.stray {
        None => Ok(records.items),
        Some(_) => Err(Error::decode(
            Vendor::Easemob,
            "a list element is not an object",
            &response.body,
        )),
    }
}

/// One page of GET `/api/tenants/{tenantId}/agents`.
///
/// `total` is left unset: the document's example says `totalPages: 11` with
/// one element, so only `last` (and a short or empty page) ends the list.
pub fn agents_page(response: &WireResponse, zone: Zone) -> Result<Page<Agent>> {
    let answer = accepted(response, |a: &AgentsAnswer| &a.status)?;
    let items = listed(answer.entities, response)?
        .into_iter()
        .map(|w| agent_of(w, zone))
        .collect();
    Ok(Page {
        items,
        last: answer.last.ok(),
        ..Page::new(Vec::new())
    })
}

/// POST `/api/tenants/{tenantId}/agent`: the created agent, when echoed.
pub fn added_agent(response: &WireResponse, zone: Zone) -> Result<Option<Agent>> {
    let answer = accepted(response, |a: &AddedAgentAnswer| &a.status)?;
    Ok(answer.entity.map(|w| agent_of(w, zone)))
}

/// GET `/api/tenants/{tenantId}/roles`.
pub fn roles(response: &WireResponse, zone: Zone) -> Result<Vec<Role>> {
    let answer = accepted(response, |a: &RolesAnswer| &a.status)?;
    Ok(listed(answer.entities, response)?
        .into_iter()
        .map(|w| role_of(w, zone))
        .collect())
}

/// One page of GET `/api/tenants/{tenantId}/serviceSessionHistorys`, with
/// `total_entries` as the total.
pub fn sessions_page(response: &WireResponse, zone: Zone) -> Result<Page<Session>> {
    let answer = accepted(response, |a: &SessionsAnswer| &a.status)?;
    let entity = answer.entity.ok_or_else(|| {
        Error::decode(
            Vendor::Easemob,
            "no entity in the session answer",
            &response.body,
        )
    })?;
    let items = listed(entity.items, response)?
        .into_iter()
        .map(|w| session_of(w, zone))
        .collect();
    Ok(Page {
        items,
        total: entity.total_entries.ok(),
        ..Page::new(Vec::new())
    })
}

/// A record given as a JSON object, read through its wire struct (the same
/// reading as in an answer).
fn from_object<T: for<'de> Deserialize<'de> + Default>(record: Map<String, Value>) -> T {
    // Cannot fail: the wire struct reads any object, whatever its fields hold.
    T::deserialize(Value::Object(record)).unwrap_or_default()
}

wire_record! {
    /// An agent record (search result or the add answer's `entity`).
    struct AgentWire {
        "userId" => id: Lenient<String> = de::string,
        "username" => email: Lenient<String> = de::string,
        "nicename" => nickname: Lenient<String> = de::string,
        "trueName" => real_name: Lenient<String> = de::string,
        "mobilePhone" => phone: Lenient<String> = de::string,
        "agentNumber" => agent_number: Lenient<String> = de::string,
        "roles" => roles: Lenient<Vec<String>> = de::strings,
        "status" => status: Option<Value> = de::raw,
        // Three presence fields; the current one wins, the others stay in extra.
        "currentOnLineState" => current_presence: Option<Value> = de::raw,
        "onLineState" => online_presence: Option<Value> = de::raw,
        "state" => state_presence: Option<Value> = de::raw,
        "maxServiceSessionCount" => max_sessions: Lenient<u32> = de::int,
        "tenantId" => tenant_id: Lenient<String> = de::string,
        "createDateTime" => created_at: Lenient<Moment> = de::time,
        "lastUpdateDateTime" => updated_at: Lenient<Moment> = de::time,
    }
    // Always "" in the document; never keep a credential, whatever comes.
    rest: Rest::KeepNonNull, never: ["password"];
}

/// An agent record (search result or the add answer's `entity`).
///
/// Naive times are read in `zone`, the tenant's zone; the record's own
/// `timeZone` is the agent's display preference and is kept in `extra`.
pub fn agent(record: Map<String, Value>, zone: Zone) -> Agent {
    agent_of(from_object(record), zone)
}

fn agent_of(w: AgentWire, zone: Zone) -> Agent {
    let mut extra = w.extra;
    let e = &mut extra;
    let mut roles = w.roles.or_keep("roles", e).unwrap_or_default();
    if roles.is_empty() {
        // roleList stays in extra (it carries the ids); its names stand in
        // for a missing `roles`.
        roles = lenient::array(e.get("roleList").cloned().unwrap_or_default())
            .into_iter()
            .filter_map(lenient::object)
            .filter_map(|mut m| lenient::string(lenient::take(&mut m, "role_name")))
            .collect();
    }
    let mut presence = None;
    for (key, raw) in [
        ("currentOnLineState", w.current_presence),
        ("onLineState", w.online_presence),
        ("state", w.state_presence),
    ] {
        match raw {
            Some(value) if presence.is_some() => {
                e.insert(key.to_owned(), value);
            }
            Some(value) => presence = text(key, value, e),
            None => {}
        }
    }
    let enabled = convert("status", w.status, e, |v| {
        match v.as_str()?.to_ascii_lowercase().as_str() {
            "enable" | "enabled" => Some(true),
            "disable" | "disabled" => Some(false),
            _ => None,
        }
    });
    Agent {
        id: w.id.or_keep("userId", e),
        email: w.email.or_keep("username", e).unwrap_or_default(),
        nickname: w.nickname.or_keep("nicename", e),
        real_name: w.real_name.or_keep("trueName", e),
        phone: w.phone.or_keep("mobilePhone", e),
        agent_number: w.agent_number.or_keep("agentNumber", e),
        roles,
        enabled,
        presence,
        max_sessions: w.max_sessions.or_keep("maxServiceSessionCount", e),
        tenant_id: w.tenant_id.or_keep("tenantId", e),
        created_at: w
            .created_at
            .or_keep("createDateTime", e)
            .map(|m| m.in_zone(zone)),
        updated_at: w
            .updated_at
            .or_keep("lastUpdateDateTime", e)
            .map(|m| m.in_zone(zone)),
        extra,
    }
}

wire_record! {
    /// A role record (`role_id`, `role_name`, ...; times with `+0800`).
    struct RoleWire {
        "role_id" => id: Lenient<String> = de::string,
        "role_name" => name: Lenient<String> = de::string,
        "role_description" => description: Lenient<String> = de::string,
        "role_type" => kind: Lenient<String> = de::string,
        "status" => status: Option<Value> = de::raw,
        "created_at" => created_at: Lenient<Moment> = de::time,
        "updated_at" => updated_at: Lenient<Moment> = de::time,
    }
    rest: Rest::KeepNonNull;
}

/// A role record (`role_id`, `role_name`, ...; times with `+0800`).
pub fn role(record: Map<String, Value>, zone: Zone) -> Role {
    role_of(from_object(record), zone)
}

fn role_of(w: RoleWire, zone: Zone) -> Role {
    let mut extra = w.extra;
    let e = &mut extra;
    let enabled = convert("status", w.status, e, |v| {
        match v.as_str()?.to_ascii_uppercase().as_str() {
            "ENABLE" | "ENABLED" => Some(true),
            "DISABLE" | "DISABLED" => Some(false),
            _ => None,
        }
    });
    Role {
        id: w.id.or_keep("role_id", e).unwrap_or_default(),
        name: w.name.or_keep("role_name", e).unwrap_or_default(),
        description: w.description.or_keep("role_description", e),
        kind: w.kind.or_keep("role_type", e),
        enabled,
        created_at: w
            .created_at
            .or_keep("created_at", e)
            .map(|m| m.in_zone(zone)),
        updated_at: w
            .updated_at
            .or_keep("updated_at", e)
            .map(|m| m.in_zone(zone)),
        extra,
    }
}

wire_record! {
    /// A service-session record of `serviceSessionHistorys`.
    struct SessionWire {
        "serviceSessionId" => id: Lenient<String> = de::string,
        "tenantId" => tenant_id: Lenient<String> = de::string,
        "state" => state: Lenient<String> = de::string,
        "originType" => channels: Lenient<Vec<String>> = de::strings,
        "queueId" => queue_id: Lenient<String> = de::string,
        "agentUserId" => agent_id: Lenient<String> = de::string,
        "agentUserNiceName" => agent_nickname: Lenient<String> = de::string,
        "agentUserSet" => agents: Option<Value> = de::raw,
        "visitorUser" => visitor: Option<Value> = de::raw,
        "customer" => customer: Option<Value> = de::raw,
        "createDatetime" => created_at: Lenient<Moment> = de::time,
        "startDateTime" => started_at: Lenient<Moment> = de::time,
        "stopDateTime" => stopped_at: Lenient<Moment> = de::time,
        "enquirySummary" => satisfaction: Lenient<u8> = de::int,
        "enquiryDetail" => satisfaction_detail: Lenient<String> = de::string,
        "summarys" => summaries: Option<Value> = de::raw,
        "comment" => comment: Lenient<String> = de::string,
        "transfered" => transferred: Lenient<bool> = de::bool,
        "fromAgentCallback" => from_agent_callback: Lenient<bool> = de::bool,
    }
    rest: Rest::KeepNonNull;
}

/// A service-session record of `serviceSessionHistorys`.
pub fn session(record: Map<String, Value>, zone: Zone) -> Session {
    session_of(from_object(record), zone)
}

fn session_of(w: SessionWire, zone: Zone) -> Session {
    let mut extra = w.extra;
    let e = &mut extra;
    Session {
        id: w.id.or_keep("serviceSessionId", e).unwrap_or_default(),
        tenant_id: w.tenant_id.or_keep("tenantId", e),
        state: w.state.or_keep("state", e),
        channels: w.channels.or_keep("originType", e).unwrap_or_default(),
        queue_id: w.queue_id.or_keep("queueId", e),
        agent_id: w.agent_id.or_keep("agentUserId", e),
        agent_nickname: w.agent_nickname.or_keep("agentUserNiceName", e),
        agents: lossless("agentUserSet", w.agents, e, session_agents).unwrap_or_default(),
        visitor: party_field(
            "visitorUser",
            w.visitor,
            e,
            ["userId", "nicename", "username"],
        ),
        customer: party_field(
            "customer",
            w.customer,
            e,
            ["customerId", "customerNiceName", "customerTrueName"],
        ),
        created_at: w
            .created_at
            .or_keep("createDatetime", e)
            .map(|m| m.in_zone(zone)),
        started_at: w
            .started_at
            .or_keep("startDateTime", e)
            .map(|m| m.in_zone(zone)),
        stopped_at: w
            .stopped_at
            .or_keep("stopDateTime", e)
            .map(|m| m.in_zone(zone)),
        satisfaction: w.satisfaction.or_keep("enquirySummary", e),
        satisfaction_detail: w.satisfaction_detail.or_keep("enquiryDetail", e),
        summaries: convert("summarys", w.summaries, e, summaries).unwrap_or_default(),
        comment: w.comment.or_keep("comment", e),
        transferred: w.transferred.or_keep("transfered", e),
        from_agent_callback: w.from_agent_callback.or_keep("fromAgentCallback", e),
        extra,
    }
}

/// Whether a raw value counts as absent: `null` never reaches here; blank
/// text is absent, as for every mapped field.
fn blank(value: &Value) -> bool {
    matches!(value, Value::String(s) if s.trim().is_empty())
}

/// A raw value converted by `f`; one that does not convert goes into
/// `extra` under `key`.
fn convert<T>(
    key: &str,
    raw: Option<Value>,
    extra: &mut Extra,
    f: impl FnOnce(&Value) -> Option<T>,
) -> Option<T> {
    let raw = raw.filter(|v| !blank(v))?;
    let converted = f(&raw);
    if converted.is_none() {
        extra.insert(key.to_owned(), raw);
    }
    converted
}

/// Text as [`lenient::string`] reads it; a list or object goes into
/// `extra` under `key`.
fn text(key: &str, raw: Value, extra: &mut Extra) -> Option<String> {
    match raw {
        Value::Array(_) | Value::Object(_) => {
            extra.insert(key.to_owned(), raw);
            None
        }
        scalar => lenient::string(scalar),
    }
}

/// Like [`convert`] for a nested value the record type holds only in part:
/// `f` also says whether it mapped everything; if not, the raw value is
/// kept in extra as well.
fn lossless<T>(
    key: &str,
    raw: Option<Value>,
    extra: &mut Extra,
    f: impl FnOnce(&Value) -> Option<(T, bool)>,
) -> Option<T> {
    let raw = raw.filter(|v| !blank(v))?;
    let converted = f(&raw);
    if converted.as_ref().is_none_or(|(_, complete)| !complete) {
        extra.insert(key.to_owned(), raw);
    }
    converted.map(|(value, _)| value)
}

/// A [`Party`] object under `key` (its id, nickname and name fields named
/// by `names`), as [`lossless`] with [`party`].
fn party_field(
    key: &str,
    raw: Option<Value>,
    extra: &mut Extra,
    names: [&str; 3],
) -> Option<Party> {
    lossless(key, raw, extra, |v| party(v, names))
}

/// `agentUserSet`, and whether every field of it was mapped (a member's
/// `tenantId`, as in the document, has no place in [`SessionAgent`]).
/// `None` when a member is not an object.
fn session_agents(value: &Value) -> Option<(Vec<SessionAgent>, bool)> {
    const MAPPED: [&str; 4] = ["userId", "username", "nicename", "trueName"];
    let mut complete = true;
    let agents = lenient::list(value)
        .iter()
        .map(|v| {
            let m = v.as_object()?;
            complete &= only_nulls_beside(m, &MAPPED);
            Some(SessionAgent {
                id: field(m, "userId").unwrap_or_default(),
                email: field(m, "username"),
                nickname: field(m, "nicename"),
                real_name: field(m, "trueName"),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((agents, complete))
}

/// `visitorUser` / `customer` (its id, nickname and name fields named by
/// `names`), and whether every field of it was mapped.
fn party(value: &Value, names: [&str; 3]) -> Option<(Party, bool)> {
    let m = value.as_object()?;
    let [id, nickname, name] = names;
    let party = Party {
        id: field(m, id),
        nickname: field(m, nickname),
        name: field(m, name),
    };
    Some((party, only_nulls_beside(m, &names)))
}

/// `summarys`: groups of tags. A flat list of tags is read as one group;
/// anything that is not a tag object leaves the whole value raw in extra.
fn summaries(value: &Value) -> Option<Vec<Vec<SummaryTag>>> {
    let mut groups = Vec::new();
    let mut loose = Vec::new();
    for item in lenient::list(value) {
        match item {
            Value::Array(tags) => {
                groups.push(tags.iter().map(summary_tag).collect::<Option<Vec<_>>>()?);
            }
            Value::Object(_) => loose.push(summary_tag(item)?),
            Value::Null => {}
            _ => return None,
        }
    }
    if !loose.is_empty() {
        groups.push(loose);
    }
    Some(groups)
}

fn summary_tag(value: &Value) -> Option<SummaryTag> {
    const MAPPED: [&str; 3] = ["id", "name", "parentId"];
    let m = value.as_object()?;
    Some(SummaryTag {
        id: field(m, "id").unwrap_or_default(),
        name: field(m, "name"),
        parent_id: field(m, "parentId"),
        extra: m
            .iter()
            .filter(|(k, v)| !MAPPED.contains(&k.as_str()) && !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// A nested object's field as text ([`lenient::text`]).
fn field(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(lenient::text)
}

/// Whether every field of `m` but `mapped` is `null`.
fn only_nulls_beside(m: &Map<String, Value>, mapped: &[&str]) -> bool {
    m.iter()
        .all(|(k, v)| mapped.contains(&k.as_str()) || v.is_null())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn numbers_as_strings_empty_strings_and_nulls() {
        let a = agent(
            obj(
                json!({"username":"a@b.com","maxServiceSessionCount":"10","mobilePhone":"","trueName":null,"tenantId":1}),
            ),
            Zone::CHINA,
        );
        assert_eq!(a.max_sessions, Some(10));
        assert_eq!(a.phone, None);
        assert_eq!(a.real_name, None);
        assert_eq!(a.tenant_id.as_deref(), Some("1"));
        assert!(a.extra.is_empty(), "{:?}", a.extra);
    }

    #[test]
    fn a_value_that_does_not_convert_is_kept_in_extra() {
        let a = agent(
            obj(
                json!({"username":"a@b.com","maxServiceSessionCount":"many","status":"Frozen","password":"x"}),
            ),
            Zone::CHINA,
        );
        assert_eq!(a.max_sessions, None);
        assert_eq!(a.extra.get("maxServiceSessionCount"), Some(&json!("many")));
        assert_eq!(a.extra.get("status"), Some(&json!("Frozen")));
        assert!(!a.extra.contains_key("password"));
    }

    #[test]
    fn roles_fall_back_to_role_list_names() {
        let a = agent(
            obj(json!({"roleList":[{"role_id":2,"role_name":"agent"}]})),
            Zone::CHINA,
        );
        assert_eq!(a.roles, vec!["agent"]);
        assert!(a.extra.contains_key("roleList"));
    }

    #[test]
    fn session_shapes_the_document_shows_and_variants() {
        let s = session(
            obj(json!({
                "serviceSessionId": "s1",
                "summarys": [{"id": 1, "name": "a"}, [{"id": "2", "parentId": 1, "color": 3}]],
                "originType": "webim",
                "enquirySummary": "5",
                "agentUserSet": [{"userId": "u", "tenantId": "1"}],
                "customer": {"customerId": "c", "customerNiceName": null, "customerTrueName": null},
                "visitorUser": null,
            })),
            Zone::CHINA,
        );
        assert_eq!(s.summaries.len(), 2);
        assert_eq!(s.summaries[0][0].id, "2");
        assert_eq!(s.summaries[0][0].extra.get("color"), Some(&json!(3)));
        assert_eq!(s.summaries[1][0].name.as_deref(), Some("a"));
        assert_eq!(s.channels, vec!["webim"]);
        assert_eq!(s.satisfaction, Some(5));
        // tenantId of an agent has no place in SessionAgent: the raw set is
        // kept beside the mapped one.
        assert_eq!(s.agents.len(), 1);
        assert!(s.extra.contains_key("agentUserSet"));
        assert_eq!(s.customer.and_then(|c| c.id).as_deref(), Some("c"));
        assert!(!s.extra.contains_key("customer"));
        assert!(s.visitor.is_none());
    }

    #[test]
    fn a_party_with_more_than_is_mapped_is_also_kept_raw() {
        let s = session(
            obj(json!({
                "visitorUser": {"userId": "v", "nicename": "n", "username": null},
                "customer": {"customerId": "c", "customerNiceName": "x", "vip": true},
            })),
            Zone::CHINA,
        );
        assert_eq!(s.visitor.as_ref().and_then(|v| v.id.as_deref()), Some("v"));
        assert!(!s.extra.contains_key("visitorUser"));
        assert_eq!(s.customer.as_ref().and_then(|c| c.id.as_deref()), Some("c"));
        assert_eq!(
            s.extra.get("customer").and_then(|c| c.get("vip")),
            Some(&json!(true))
        );
        let s = session(obj(json!({"customer": "c1"})), Zone::CHINA);
        assert!(s.customer.is_none());
        assert_eq!(s.extra.get("customer"), Some(&json!("c1")));
    }

    #[test]
    fn a_list_element_that_is_not_an_object_is_a_decode_error() {
        let r = WireResponse::new(200, r#"{"status":"OK","entities":[1]}"#);
        assert!(roles(&r, Zone::CHINA).is_err());
        let r = WireResponse::new(
            200,
            r#"{"status":"OK","entity":{"total_entries":"","items":null}}"#,
        );
        let page = sessions_page(&r, Zone::CHINA).expect("page");
        assert!(page.items.is_empty() && page.total.is_none());
    }

    #[test]
    fn token_without_expiry_lives_two_hours() {
        let r = WireResponse::new(
            200,
            r#"{"status":"OK","entity":{"accessToken":"t","expireTime":""}}"#,
        );
        assert_eq!(
            access_token(&r).map(|g| g.expires_in).ok(),
            Some(DEFAULT_TOKEN_LIFETIME)
        );
        let r = WireResponse::new(200, r#"{"status":"OK","entity":{}}"#);
        assert!(access_token(&r).is_err());
    }

    fn page(body: &str) -> Result<Page<Session>> {
        sessions_page(&WireResponse::new(200, body.to_owned()), Zone::CHINA)
    }

    fn agents(status: u16, body: &str) -> Result<Page<Agent>> {
        agents_page(&WireResponse::new(status, body.to_owned()), Zone::CHINA)
    }

    #[test]
    fn a_field_sent_twice_counts_once_the_last_one() {
        let p = page(
            r#"{"status":"OK","entity":{"total_entries":1,"total_entries":2,"items":[{"serviceSessionId":"a","serviceSessionId":"b","x":1,"x":null,"y":null,"y":2}]}}"#,
        )
        .expect("page");
        assert_eq!(p.total, Some(2));
        assert_eq!(p.items[0].id, "b");
        assert!(!p.items[0].extra.contains_key("x"), "null last: left out");
        assert_eq!(p.items[0].extra.get("y"), Some(&json!(2)));
        // At the top too: the last status refuses.
        assert!(agents(200, r#"{"status":"OK","status":"FAIL","entities":[]}"#).is_err());
        // The last entity is the one read.
        let p = page(r#"{"status":"OK","entity":{"items":[{"serviceSessionId":"a"}]},"entity":{"items":[]}}"#)
            .expect("page");
        assert!(p.items.is_empty());
        // A mapped field whose last value does not convert: kept, nothing mapped.
        let p = agents(
            200,
            r#"{"status":"ok","entities":[{"username":"a","username":{"o":1}}],"last":"false"}"#,
        )
        .expect("page");
        assert_eq!(p.items[0].email, "");
        assert_eq!(p.items[0].extra.get("username"), Some(&json!({"o": 1})));
        assert_eq!(p.last, Some(false));
        let a = &agents(
            200,
            r#"{"status":"OK","entities":[{"password":"x","password":null,"password":"y"}]}"#,
        )
        .expect("page")
        .items[0];
        assert!(a.extra.is_empty(), "{:?}", a.extra);
    }

    #[test]
    fn escaped_field_names_are_the_same_fields() {
        let p = page(r#"{"status":"OK","entity":{"items":[{"service\u0053essionId":"e","x\u0079":1,"xy":null}]}}"#)
            .expect("page");
        assert_eq!(p.items[0].id, "e");
        assert!(p.items[0].extra.is_empty(), "{:?}", p.items[0].extra);
    }

    #[test]
    fn odd_list_and_entity_shapes() {
        // A lone record where a list belongs is a list of one.
        let p = page(
            r#"{"status":"OK","entity":{"total_entries":"3","items":{"serviceSessionId":"lone"}}}"#,
        )
        .expect("page");
        assert_eq!((p.items.len(), p.total), (1, Some(3)));
        for body in [
            r#"{"status":"OK","entity":{"items":[1]}}"#,
            r#"{"status":"OK","entity":{"items":"x"}}"#,
            r#"{"status":"OK","entity":{"items":[{"a":1},[]]}}"#,
        ] {
            let e = page(body).expect_err(body);
            assert_eq!(e.kind(), kefu_core::ErrorKind::Decode, "{body}");
        }
        // No entity, or one that is not an object (a list too: serde's
        // derive would read a struct from a list by position), is an error.
        for body in [
            r#"{"status":"OK","entity":null}"#,
            r#"{"status":"OK","entity":"x"}"#,
            r#"{"status":"OK","entity":[[1],null]}"#,
            r#"{"status":"OK"}"#,
        ] {
            let e = page(body).expect_err(body);
            assert_eq!(e.kind(), kefu_core::ErrorKind::Decode, "{body}");
        }
        assert!(agents(200, r#"{"status":"OK","entities":[{"a":1},"b"]}"#).is_err());
        assert!(
            agents(200, r#"{"status":"OK","entities":null}"#).is_ok_and(|p| p.items.is_empty())
        );
    }

    #[test]
    fn what_is_a_success() {
        // No status and no error code: taken.
        let p = agents(200, r#"{"entities":[{"username":"a"}]}"#).expect("page");
        assert_eq!(p.items[0].email, "a");
        // A status that is not OK, a code, or a non-2xx status: refused.
        for (status, body) in [
            (200, r#"{"status":1,"entities":[]}"#),
            (200, r#"{"status":null,"entities":[]}"#),
            (200, r#"{"status":"FAIL","errorCode":"API_002"}"#),
            (401, r#"{"status":"OK","entities":[]}"#),
            (200, r#"[{"status":"OK"}]"#),
            (200, "<html>"),
            (200, ""),
        ] {
            assert!(agents(status, body).is_err(), "{status} {body}");
            assert!(
                sessions_page(&WireResponse::new(status, body.to_owned()), Zone::CHINA).is_err(),
                "{status} {body}"
            );
        }
        let e = agents(200, r#"{"status":"FAIL","errorCode":"API_002"}"#).unwrap_err();
        assert_eq!(e.kind(), kefu_core::ErrorKind::Authentication);
    }

    #[test]
    fn times_read_in_the_zone_and_unreadable_ones_kept() {
        let s = session(
            obj(json!({
                "createDatetime": "2018-04-19 15:00:59",
                "startDateTime": 1524121300000i64,
                "stopDateTime": "yesterday",
                "enquirySummary": 300,
            })),
            Zone::CHINA,
        );
        assert_eq!(
            s.created_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2018-04-19T07:00:59+00:00")
        );
        assert_eq!(
            s.started_at.map(|t| t.timestamp_millis()),
            Some(1524121300000)
        );
        assert_eq!(s.stopped_at, None);
        assert_eq!(s.extra.get("stopDateTime"), Some(&json!("yesterday")));
        // 300 is no satisfaction score (0-5 fits a u8; 300 does not).
        assert_eq!(s.extra.get("enquirySummary"), Some(&json!(300)));
    }

    #[test]
    fn the_current_presence_wins_and_the_others_stay_raw() {
        let a = agent(
            obj(json!({"currentOnLineState": "Online", "onLineState": 3, "state": ""})),
            Zone::CHINA,
        );
        assert_eq!(a.presence.as_deref(), Some("Online"));
        assert_eq!(a.extra.get("onLineState"), Some(&json!(3)));
        assert_eq!(a.extra.get("state"), Some(&json!("")));
        let a = agent(
            obj(json!({"currentOnLineState": [1], "onLineState": " ", "state": "Busy"})),
            Zone::CHINA,
        );
        assert_eq!(a.presence.as_deref(), Some("Busy"));
        assert_eq!(a.extra.get("currentOnLineState"), Some(&json!([1])));
        assert!(!a.extra.contains_key("onLineState"));
        // Roles that read as none are kept as sent.
        let a = agent(obj(json!({"roles": ","})), Zone::CHINA);
        assert!(a.roles.is_empty());
        assert_eq!(a.extra.get("roles"), Some(&json!(",")));
    }

    /// The answer's bytes and the public record functions (a record given as
    /// a map) read a record the same way: one wire struct under both.
    mod bytes_and_maps {
        use proptest::prelude::*;
        use serde_json::json;

        use super::*;

        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                prop::sample::select(vec![
                    "",
                    " ",
                    "OK",
                    "10",
                    "-1",
                    "x",
                    "webim,app",
                    "Enable",
                    "2018-04-19 15:00:59",
                    "2018-03-23T16:02:02.000+0800",
                    "1524121300000",
                    "2024-02-30 00:00:00",
                ])
                .prop_map(|s| Value::String(s.to_owned())),
            ];
            leaf.prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::vec((key(), inner), 0..4)
                        .prop_map(|kv| Value::Object(kv.into_iter().collect())),
                ]
            })
        }

        fn key() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "serviceSessionId",
                "tenantId",
                "state",
                "originType",
                "queueId",
                "agentUserId",
                "agentUserNiceName",
                "agentUserSet",
                "visitorUser",
                "customer",
                "createDatetime",
                "startDateTime",
                "stopDateTime",
                "enquirySummary",
                "enquiryDetail",
                "summarys",
                "comment",
                "transfered",
                "fromAgentCallback",
                "userId",
                "username",
                "nicename",
                "trueName",
                "mobilePhone",
                "agentNumber",
                "roles",
                "roleList",
                "role_name",
                "status",
                "currentOnLineState",
                "onLineState",
                "state",
                "maxServiceSessionCount",
                "createDateTime",
                "lastUpdateDateTime",
                "password",
                "id",
                "name",
                "parentId",
                "customerId",
                "x",
            ])
            .prop_map(str::to_owned)
        }

        /// A record as text, keys possibly repeated.
        fn record() -> impl Strategy<Value = String> {
            prop::collection::vec((key(), value()), 0..12).prop_map(|fields| {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
                    .collect();
                format!("{{{}}}", parts.join(","))
            })
        }

        proptest! {
            #[test]
            fn a_record_reads_alike_from_bytes_and_from_a_map(
                // A map holds a field sent twice once: records without.
                map in prop::collection::btree_map(key(), value(), 0..12),
            ) {
                let map: Map<String, Value> = map.into_iter().collect();
                let record = Value::Object(map.clone()).to_string();
                for zone in [Zone::CHINA, Zone::UTC] {
                    let page = sessions_page(&WireResponse::new(200, format!(r#"{{"status":"OK","entity":{{"items":[{record}]}}}}"#)), zone);
                    prop_assert_eq!(page.ok().map(|p| p.items), Some(vec![session(map.clone(), zone)]));
                    let page = agents_page(&WireResponse::new(200, format!(r#"{{"status":"OK","entities":[{record}]}}"#)), zone);
                    prop_assert_eq!(page.ok().map(|p| p.items), Some(vec![agent(map.clone(), zone)]));
                    let roles = roles(&WireResponse::new(200, format!(r#"{{"status":"OK","entities":[{record}]}}"#)), zone);
                    prop_assert_eq!(roles.ok(), Some(vec![role(map.clone(), zone)]));
                }
            }

            #[test]
            fn no_null_and_no_password_in_extra(records in prop::collection::vec(record(), 0..4)) {
                let items = records.join(",");
                let body = format!(r#"{{"status":"OK","entities":[{items}]}}"#);
                if let Ok(page) = agents_page(&WireResponse::new(200, body), Zone::CHINA) {
                    for a in page.items {
                        prop_assert!(!a.extra.contains_key("password"));
                        prop_assert!(a.extra.values().all(|v| !v.is_null()));
                    }
                }
            }
        }
    }
}
