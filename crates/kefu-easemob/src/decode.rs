//! Reading Easemob's answers into kefu's records.
//!
//! Public so that tests and tools can decode a saved answer (the document's
//! examples, a captured response) exactly as the client does.
//!
//! The vendor does not keep its types: numbers come as strings
//! (`"maxServiceSessionCount":"10"`), absent numbers as `""`, anything may be
//! `null`, `summarys` is an array of arrays, `originType` an array,
//! `enquirySummary` a string. Each record is read as a JSON object: mapped
//! fields are taken out and converted leniently, a value that does not
//! convert is put back, and everything left (except `null`s, and the
//! always-empty `password`) becomes the record's `extra`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kefu_core::model::{Agent, Party, Role, Session, SessionAgent, SummaryTag};
use kefu_core::paging::Page;
use kefu_core::time::{Zone, parse_any};
use kefu_core::{Error, Extra, Result, Secret, Vendor};
use kefu_http::{WireResponse, lenient};
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

/// One page of GET `/api/tenants/{tenantId}/agents`.
///
/// `total` is left unset: the document's example says `totalPages: 11` with
/// one element, so only `last` (and a short or empty page) ends the list.
pub fn agents_page(response: &WireResponse, zone: Zone) -> Result<Page<Agent>> {
    let mut body = envelope(response)?;
    let items = records(lenient::take(&mut body, "entities"), response)?
        .into_iter()
        .map(|r| agent(r, zone))
        .collect();
    Ok(Page {
        items,
        total: None,
        last: lenient::bool(lenient::take(&mut body, "last")),
    })
}

/// POST `/api/tenants/{tenantId}/agent`: the created agent, when echoed.
pub fn added_agent(response: &WireResponse, zone: Zone) -> Result<Option<Agent>> {
    let mut body = envelope(response)?;
    Ok(lenient::object(lenient::take(&mut body, "entity")).map(|r| agent(r, zone)))
}

/// GET `/api/tenants/{tenantId}/roles`.
pub fn roles(response: &WireResponse, zone: Zone) -> Result<Vec<Role>> {
    let mut body = envelope(response)?;
    Ok(records(lenient::take(&mut body, "entities"), response)?
        .into_iter()
        .map(|r| role(r, zone))
        .collect())
}

/// One page of GET `/api/tenants/{tenantId}/serviceSessionHistorys`, with
/// `total_entries` as the total.
pub fn sessions_page(response: &WireResponse, zone: Zone) -> Result<Page<Session>> {
    let mut body = envelope(response)?;
    let mut entity = lenient::object(lenient::take(&mut body, "entity")).ok_or_else(|| {
        Error::decode(
            Vendor::Easemob,
            "no entity in the session answer",
            &response.body,
        )
    })?;
    let total = lenient::u64(lenient::take(&mut entity, "total_entries"));
    let items = records(lenient::take(&mut entity, "items"), response)?
        .into_iter()
        .map(|r| session(r, zone))
        .collect();
    Ok(Page {
        items,
        total,
        last: None,
    })
}

/// Every element of a list must be an object: a record we cannot read is an
/// error, never silently skipped.
fn records(list: Value, response: &WireResponse) -> Result<Vec<Map<String, Value>>> {
    lenient::array(list)
        .into_iter()
        .map(|v| {
            lenient::object(v).ok_or_else(|| {
                Error::decode(
                    Vendor::Easemob,
                    "a list element is not an object",
                    &response.body,
                )
            })
        })
        .collect()
}

/// An agent record (search result or the add answer's `entity`).
///
/// Naive times are read in `zone`, the tenant's zone; the record's own
/// `timeZone` is the agent's display preference and is kept in `extra`.
pub fn agent(record: Map<String, Value>, zone: Zone) -> Agent {
    let mut r = Fields::new(record);
    // Always "" in the document; never keep a credential, whatever comes.
    r.drop("password");
    let mut roles = r.strings("roles");
    if roles.is_empty() {
        // roleList stays in extra (it carries the ids); its names stand in
        // for a missing `roles`.
        roles = lenient::array(r.peek("roleList"))
            .into_iter()
            .filter_map(lenient::object)
            .filter_map(|mut m| lenient::string(lenient::take(&mut m, "role_name")))
            .collect();
    }
    Agent {
        id: r.string("userId"),
        email: r.string("username").unwrap_or_default(),
        nickname: r.string("nicename"),
        real_name: r.string("trueName"),
        phone: r.string("mobilePhone"),
        agent_number: r.string("agentNumber"),
        roles,
        enabled: r.convert("status", |v| {
            match lenient::string(v)?.to_ascii_lowercase().as_str() {
                "enable" | "enabled" => Some(true),
                "disable" | "disabled" => Some(false),
                _ => None,
            }
        }),
        // Three presence fields; the current one wins, the others stay in extra.
        presence: r
            .string("currentOnLineState")
            .or_else(|| r.string("onLineState"))
            .or_else(|| r.string("state")),
        max_sessions: r.convert("maxServiceSessionCount", lenient::u32),
        tenant_id: r.string("tenantId"),
        created_at: r.time("createDateTime", zone),
        updated_at: r.time("lastUpdateDateTime", zone),
        extra: r.into_extra(),
    }
}

/// A role record (`role_id`, `role_name`, ...; times with `+0800`).
pub fn role(record: Map<String, Value>, zone: Zone) -> Role {
    let mut r = Fields::new(record);
    Role {
        id: r.string("role_id").unwrap_or_default(),
        name: r.string("role_name").unwrap_or_default(),
        description: r.string("role_description"),
        kind: r.string("role_type"),
        enabled: r.convert("status", |v| {
            match lenient::string(v)?.to_ascii_uppercase().as_str() {
                "ENABLE" | "ENABLED" => Some(true),
                "DISABLE" | "DISABLED" => Some(false),
                _ => None,
            }
        }),
        created_at: r.time("created_at", zone),
        updated_at: r.time("updated_at", zone),
        extra: r.into_extra(),
    }
}

/// A service-session record of `serviceSessionHistorys`.
pub fn session(record: Map<String, Value>, zone: Zone) -> Session {
    let mut r = Fields::new(record);
    let id = r.string("serviceSessionId").unwrap_or_default();
    let tenant_id = r.string("tenantId");
    let state = r.string("state");
    let channels = r.strings("originType");
    let queue_id = r.string("queueId");
    let agent_id = r.string("agentUserId");
    let agent_nickname = r.string("agentUserNiceName");
    let agents = r
        .lossless("agentUserSet", session_agents)
        .unwrap_or_default();
    let visitor = r.lossless("visitorUser", |v| {
        party(v, "userId", "nicename", "username")
    });
    let customer = r.lossless("customer", |v| {
        party(v, "customerId", "customerNiceName", "customerTrueName")
    });
    Session {
        id,
        tenant_id,
        state,
        channels,
        queue_id,
        agent_id,
        agent_nickname,
        agents,
        visitor,
        customer,
        created_at: r.time("createDatetime", zone),
        started_at: r.time("startDateTime", zone),
        stopped_at: r.time("stopDateTime", zone),
        satisfaction: r.convert("enquirySummary", |v| {
            lenient::u32(v).and_then(|n| u8::try_from(n).ok())
        }),
        satisfaction_detail: r.string("enquiryDetail"),
        summaries: r.convert("summarys", summaries).unwrap_or_default(),
        comment: r.string("comment"),
        transferred: r.convert("transfered", lenient::bool),
        from_agent_callback: r.convert("fromAgentCallback", lenient::bool),
        extra: r.into_extra(),
    }
}

/// `agentUserSet`, and whether every field of it was mapped (a member's
/// `tenantId`, as in the document, has no place in [`SessionAgent`]).
/// `None` when a member is not an object.
fn session_agents(value: Value) -> Option<(Vec<SessionAgent>, bool)> {
    let mut complete = true;
    let agents = lenient::array(value)
        .into_iter()
        .map(|v| {
            let mut m = lenient::object(v)?;
            let agent = SessionAgent {
                id: lenient::id(lenient::take(&mut m, "userId")).unwrap_or_default(),
                email: lenient::string(lenient::take(&mut m, "username")),
                nickname: lenient::string(lenient::take(&mut m, "nicename")),
                real_name: lenient::string(lenient::take(&mut m, "trueName")),
            };
            complete &= only_nulls(&m);
            Some(agent)
        })
        .collect::<Option<Vec<_>>>()?;
    Some((agents, complete))
}

/// `visitorUser` / `customer`, and whether every field of it was mapped.
fn party(value: Value, id: &str, nickname: &str, name: &str) -> Option<(Party, bool)> {
    let mut m = lenient::object(value)?;
    let party = Party {
        id: lenient::id(lenient::take(&mut m, id)),
        nickname: lenient::string(lenient::take(&mut m, nickname)),
        name: lenient::string(lenient::take(&mut m, name)),
    };
    Some((party, only_nulls(&m)))
}

/// `summarys`: groups of tags. A flat list of tags is read as one group;
/// anything that is not a tag object leaves the whole value raw in extra.
fn summaries(value: Value) -> Option<Vec<Vec<SummaryTag>>> {
    let mut groups = Vec::new();
    let mut loose = Vec::new();
    for item in lenient::array(value) {
        match item {
            Value::Array(tags) => groups.push(
                tags.into_iter()
                    .map(summary_tag)
                    .collect::<Option<Vec<_>>>()?,
            ),
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

fn summary_tag(value: Value) -> Option<SummaryTag> {
    let mut m = lenient::object(value)?;
    Some(SummaryTag {
        id: lenient::id(lenient::take(&mut m, "id")).unwrap_or_default(),
        name: lenient::string(lenient::take(&mut m, "name")),
        parent_id: lenient::id(lenient::take(&mut m, "parentId")),
        extra: without_nulls(m),
    })
}

fn only_nulls(map: &Map<String, Value>) -> bool {
    map.values().all(Value::is_null)
}

fn without_nulls(map: Map<String, Value>) -> Extra {
    map.into_iter().filter(|(_, v)| !v.is_null()).collect()
}

/// A record being taken apart: what is not taken ends in `extra`.
struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    fn new(map: Map<String, Value>) -> Self {
        Self { map }
    }

    /// Takes `key` and converts it; a value that does not convert is put
    /// back (so it lands in extra); `null` and `""` are simply absent.
    fn convert<T>(&mut self, key: &str, f: impl FnOnce(Value) -> Option<T>) -> Option<T> {
        let raw = lenient::take(&mut self.map, key);
        match &raw {
            Value::Null => return None,
            Value::String(s) if s.trim().is_empty() => return None,
            _ => {}
        }
        match f(raw.clone()) {
            Some(v) => Some(v),
            None => {
                self.map.insert(key.to_owned(), raw);
                None
            }
        }
    }

    /// Like [`Fields::convert`] for a nested value the record type holds
    /// only in part: `f` also says whether it mapped everything; if not, the
    /// raw value is kept in extra as well.
    fn lossless<T>(&mut self, key: &str, f: impl FnOnce(Value) -> Option<(T, bool)>) -> Option<T> {
        let raw = self.map.get(key).cloned();
        let (value, complete) = self.convert(key, f)?;
        if let (false, Some(raw)) = (complete, raw) {
            self.map.insert(key.to_owned(), raw);
        }
        Some(value)
    }

    fn string(&mut self, key: &str) -> Option<String> {
        self.convert(key, lenient::string)
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        self.convert(key, |v| {
            let list = lenient::strings(v);
            (!list.is_empty()).then_some(list)
        })
        .unwrap_or_default()
    }

    fn time(&mut self, key: &str, zone: Zone) -> Option<DateTime<Utc>> {
        self.convert(key, |v| {
            lenient::string(v).and_then(|t| parse_any(&t, zone))
        })
    }

    /// A copy of `key`'s value, leaving it in place.
    fn peek(&self, key: &str) -> Value {
        self.map.get(key).cloned().unwrap_or(Value::Null)
    }

    fn drop(&mut self, key: &str) {
        self.map.remove(key);
    }

    fn into_extra(self) -> Extra {
        without_nulls(self.map)
    }
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
}
