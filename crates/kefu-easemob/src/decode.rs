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
//!
//! List answers in the document's shape are read in one pass (see
//! `ListPage`): each record straight into its list of fields, so fields are
//! not first sorted into a map only to be taken out again. That cut the
//! cost of decoding a page by about a quarter (docs/benchmarks.md); any
//! other answer goes through the general path and is read as before.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kefu_core::model::{Agent, Party, Role, Session, SessionAgent, SummaryTag};
use kefu_core::paging::Page;
use kefu_core::time::{Zone, parse_any};
use kefu_core::{Error, Extra, Result, Secret, Vendor};
use kefu_http::{WireResponse, lenient};
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
    if let Some(ListPage { records, last, .. }) = ListPage::agents(response) {
        return Ok(Page {
            items: records
                .into_iter()
                .map(|r| agent_fields(Fields::from_entries(r), zone))
                .collect(),
            total: None,
            pages: None,
            last: lenient::bool(last),
            count: None,
        });
    }
    agents_page_general(response, zone)
}

/// [`agents_page`] of any answer: through [`envelope`], field by field.
fn agents_page_general(response: &WireResponse, zone: Zone) -> Result<Page<Agent>> {
    let mut body = envelope(response)?;
    let items = records(lenient::take(&mut body, "entities"), response)?
        .into_iter()
        .map(|r| agent(r, zone))
        .collect();
    Ok(Page {
        items,
        total: None,
        pages: None,
        last: lenient::bool(lenient::take(&mut body, "last")),
        count: None,
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
    if let Some(ListPage { records, total, .. }) = ListPage::sessions(response) {
        return Ok(Page {
            items: records
                .into_iter()
                .map(|r| session_fields(Fields::from_entries(r), zone))
                .collect(),
            total: lenient::u64(total),
            pages: None,
            last: None,
            count: None,
        });
    }
    sessions_page_general(response, zone)
}

/// [`sessions_page`] of any answer: through [`envelope`], field by field.
fn sessions_page_general(response: &WireResponse, zone: Zone) -> Result<Page<Session>> {
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
        pages: None,
        last: None,
        count: None,
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

/// A success answer of a list endpoint in the document's shape, read in one
/// pass: `{"status":"OK","entities":[{..}],"last":..}` (agents) or
/// `{"status":"OK","entity":{"total_entries":..,"items":[{..}]}}`
/// (sessions). `None` for anything else (another status, a list element
/// that is not an object, a field of an unexpected type, a non-2xx answer):
/// those go through [`envelope`] and the general path, which read them
/// exactly as before, errors included.
struct ListPage<'a> {
    records: Vec<Entries<'a>>,
    total: Value,
    last: Value,
}

/// The top level of a list answer; other fields are skipped.
#[derive(Deserialize)]
struct ListAnswer<'a> {
    status: Option<String>,
    #[serde(borrow)]
    entities: Option<Vec<Entries<'a>>>,
    last: Option<Value>,
    #[serde(borrow)]
    entity: Option<SessionEntity<'a>>,
}

/// The `entity` of a session page; other fields are skipped.
#[derive(Deserialize)]
struct SessionEntity<'a> {
    total_entries: Option<Value>,
    #[serde(borrow)]
    items: Option<Vec<Entries<'a>>>,
}

impl<'a> ListPage<'a> {
    /// The answer, if it is a 2xx whose `status` is OK (any case), as
    /// [`envelope`] would accept it.
    fn read(response: &'a WireResponse) -> Option<ListAnswer<'a>> {
        if !response.is_success() {
            return None;
        }
        let answer: ListAnswer<'a> = serde_json::from_slice(&response.body).ok()?;
        answer
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("ok"))
            .then_some(answer)
    }

    fn agents(response: &'a WireResponse) -> Option<Self> {
        let answer = Self::read(response)?;
        Some(Self {
            records: answer.entities.unwrap_or_default(),
            total: Value::Null,
            last: answer.last.unwrap_or(Value::Null),
        })
    }

    fn sessions(response: &'a WireResponse) -> Option<Self> {
        // No entity (or a null one) is an error the general path words.
        let entity = Self::read(response)?.entity?;
        Some(Self {
            records: entity.items.unwrap_or_default(),
            total: entity.total_entries.unwrap_or(Value::Null),
            last: Value::Null,
        })
    }
}

/// A JSON object as its fields in the order sent, each in a slot that
/// [`Fields::take`] empties. Names are borrowed from the answer's bytes when
/// they hold no escape (nearly always), so a field that is mapped costs no
/// copy of its name; only those left for `extra` are copied. Anything but an
/// object fails to deserialize (and the answer goes the general way).
struct Entries<'a>(Vec<Option<(Cow<'a, str>, Value)>>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Entries<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Entries<'a>, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(40));
                while let Some((Name(name), value)) = map.next_entry::<Name<'a>, Value>()? {
                    fields.push(Some((name, value)));
                }
                Ok(Entries(fields))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// A field name, borrowed when the text allows (serde's own `Cow` always
/// copies).
struct Name<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Name<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Name<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Name<'a>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> std::result::Result<Name<'a>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E>(self, v: String) -> std::result::Result<Name<'a>, E> {
                Ok(Name(Cow::Owned(v)))
            }
        }
        d.deserialize_str(Visit(std::marker::PhantomData))
    }
}

/// An agent record (search result or the add answer's `entity`).
///
/// Naive times are read in `zone`, the tenant's zone; the record's own
/// `timeZone` is the agent's display preference and is kept in `extra`.
pub fn agent(record: Map<String, Value>, zone: Zone) -> Agent {
    agent_fields(Fields::new(record), zone)
}

fn agent_fields(mut r: Fields<'_>, zone: Zone) -> Agent {
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
    session_fields(Fields::new(record), zone)
}

fn session_fields(mut r: Fields<'_>, zone: Zone) -> Session {
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
    let visitor = r.party("visitorUser", ["userId", "nicename", "username"]);
    let customer = r.party(
        "customer",
        ["customerId", "customerNiceName", "customerTrueName"],
    );
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
///
/// Its fields as a list, in the order sent: taking out most of them at once
/// costs less than from a map (a taken field leaves an empty slot, so
/// nothing moves), and nothing is sorted until `extra` is built. A field
/// sent twice counts once, the last one, as in a map.
struct Fields<'a> {
    entries: Vec<Option<(Cow<'a, str>, Value)>>,
}

impl<'a> Fields<'a> {
    fn new(map: Map<String, Value>) -> Self {
        Self {
            entries: map
                .into_iter()
                .map(|(k, v)| Some((Cow::Owned(k), v)))
                .collect(),
        }
    }

    fn from_entries(entries: Entries<'a>) -> Self {
        Self { entries: entries.0 }
    }

    /// Removes `key` (every copy of it), returning the last value sent, or
    /// `Value::Null` when absent.
    fn take(&mut self, key: &str) -> Value {
        let mut found = Value::Null;
        for slot in &mut self.entries {
            if slot.as_ref().is_some_and(|(k, _)| k == key)
                && let Some((_, value)) = slot.take()
            {
                found = value;
            }
        }
        found
    }

    /// Puts a value that did not convert back, so it lands in extra.
    fn put_back(&mut self, key: &str, value: Value) {
        self.entries.push(Some((Cow::Owned(key.to_owned()), value)));
    }

    /// Takes `key` and converts it; a value that does not convert is put
    /// back (so it lands in extra); `null` and `""` are simply absent.
    fn convert<T>(&mut self, key: &str, f: impl FnOnce(Value) -> Option<T>) -> Option<T> {
        let raw = self.take(key);
        match &raw {
            Value::Null => return None,
            Value::String(s) if s.trim().is_empty() => return None,
            _ => {}
        }
        match f(raw.clone()) {
            Some(v) => Some(v),
            None => {
                self.put_back(key, raw);
                None
            }
        }
    }

    /// Like [`Fields::convert`] for a nested value the record type holds
    /// only in part: `f` also says whether it mapped everything; if not, the
    /// raw value is kept in extra as well.
    fn lossless<T>(&mut self, key: &str, f: impl FnOnce(Value) -> Option<(T, bool)>) -> Option<T> {
        let raw = self.take(key);
        match &raw {
            Value::Null => return None,
            Value::String(s) if s.trim().is_empty() => return None,
            _ => {}
        }
        // One copy: what goes back to extra whether `f` fails or maps only part.
        let kept = raw.clone();
        match f(raw) {
            Some((value, complete)) => {
                if !complete {
                    self.put_back(key, kept);
                }
                Some(value)
            }
            None => {
                self.put_back(key, kept);
                None
            }
        }
    }

    /// A [`Party`] object under `key` (its id, nickname and name fields
    /// named by `names`), as [`Fields::lossless`] with [`party`]; an object
    /// with nothing else but nulls, as the document shows, is taken without
    /// first copying it.
    fn party(&mut self, key: &str, names: [&str; 3]) -> Option<Party> {
        let [id, nickname, name] = names;
        let only_mapped = |v: &Value| {
            v.as_object().is_some_and(|m| {
                m.iter()
                    .all(|(k, v)| names.contains(&k.as_str()) || v.is_null())
            })
        };
        if self.peek_is(key, only_mapped) {
            let raw = self.take(key);
            return party(raw, id, nickname, name).map(|(p, _)| p);
        }
        self.lossless(key, |v| party(v, id, nickname, name))
    }

    /// Whether the value `key` would take satisfies `test` (absent: no).
    fn peek_is(&self, key: &str, test: impl Fn(&Value) -> bool) -> bool {
        self.entries
            .iter()
            .rev()
            .flatten()
            .find(|(k, _)| k == key)
            .is_some_and(|(_, v)| test(v))
    }

    /// [`Fields::convert`] with [`lenient::string`], without copying the
    /// value first: `lenient::string` refuses only arrays and objects (and
    /// `null` or blank text, absent anyway), so exactly those go back.
    fn string(&mut self, key: &str) -> Option<String> {
        match self.take(key) {
            raw @ (Value::Array(_) | Value::Object(_)) => {
                self.put_back(key, raw);
                None
            }
            scalar => lenient::string(scalar),
        }
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        self.convert(key, |v| {
            let list = lenient::strings(v);
            (!list.is_empty()).then_some(list)
        })
        .unwrap_or_default()
    }

    /// [`Fields::convert`] of a time read by [`lenient::string`] then
    /// [`parse_any`], reading the value in place instead of copying it.
    fn time(&mut self, key: &str, zone: Zone) -> Option<DateTime<Utc>> {
        let raw = self.take(key);
        let parsed = match &raw {
            Value::Null => return None,
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) => parse_any(s, zone),
            Value::Number(n) => parse_any(&n.to_string(), zone),
            Value::Bool(b) => parse_any(&b.to_string(), zone),
            Value::Array(_) | Value::Object(_) => None,
        };
        if parsed.is_none() {
            self.put_back(key, raw);
        }
        parsed
    }

    /// A copy of `key`'s value, leaving it in place.
    fn peek(&self, key: &str) -> Value {
        self.entries
            .iter()
            .rev()
            .flatten()
            .find(|(k, _)| k == key)
            .map_or(Value::Null, |(_, v)| v.clone())
    }

    fn drop(&mut self, key: &str) {
        self.take(key);
    }

    fn into_extra(self) -> Extra {
        let mut extra = Extra::new();
        // In the order sent, so of a field sent twice the last one counts,
        // as in a map; a `null` leaves the field out.
        for (key, value) in self.entries.into_iter().flatten() {
            if value.is_null() {
                extra.remove(key.as_ref());
            } else {
                extra.insert(key.into_owned(), value);
            }
        }
        extra
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
    /// The one-pass reading of list answers must give exactly what the
    /// general path gives, errors included, whatever the answer holds.
    mod one_pass {
        use proptest::prelude::*;
        use serde_json::json;

        use super::*;

        fn same(status: u16, body: &str) {
            let r = WireResponse::new(status, body.to_owned());
            for zone in [Zone::CHINA, Zone::UTC] {
                assert_eq!(
                    format!("{:?}", sessions_page(&r, zone)),
                    format!("{:?}", sessions_page_general(&r, zone)),
                    "sessions: {body}"
                );
                assert_eq!(
                    format!("{:?}", agents_page(&r, zone)),
                    format!("{:?}", agents_page_general(&r, zone)),
                    "agents: {body}"
                );
            }
        }

        #[test]
        fn shapes_the_document_shows_and_odd_ones() {
            let session = r#"{"serviceSessionId":"s1","tenantId":1,"state":"Terminal","originType":["webim"],"createDatetime":"2018-04-19 15:00:59","startDateTime":"2018-04-19 15:01:10","stopDateTime":1524121300000,"enquirySummary":"5","summarys":[[{"id":123,"name":"投诉","color":1,"parentId":0}]],"agentUserSet":[{"userId":"u","username":"a@b.c","tenantId":1}],"visitorUser":{"userId":"v","nicename":"n","username":"x"},"customer":{"customerId":"c","customerNiceName":null},"messageDetail":null,"comment":"","transfered":false,"extraField":{"a":[1,2]}}"#;
            let agent = r#"{"userId":"u","username":"a@b.c","nicename":"n","trueName":"","roles":"admin,agent","status":"Enable","maxServiceSessionCount":"10","createDateTime":"2018-04-19 15:00:59","password":"x","timeZone":"UTC+8"}"#;
            // These take the one-pass way (the comparison would be idle otherwise).
            let page = format!(
                r#"{{"status":"OK","entity":{{"total_entries":2,"items":[{session},{session}]}}}}"#
            );
            assert!(ListPage::sessions(&WireResponse::new(200, page.clone())).is_some());
            let agents = format!(r#"{{"status":"ok","entities":[{agent}],"last":true}}"#);
            assert!(ListPage::agents(&WireResponse::new(200, agents)).is_some());
            let twice = r#"{"status":"OK","entity":{"items":[{"x":1,"x":2}]}}"#;
            assert!(ListPage::sessions(&WireResponse::new(200, twice)).is_some());
            for body in [
                page,
                format!(r#"{{"status":"ok","entities":[{agent},{agent}],"last":true,"totalPages":11}}"#),
                // A field twice: the last one counts, in the record and at the top.
                r#"{"status":"OK","entity":{"total_entries":1,"items":[{"serviceSessionId":"a","serviceSessionId":"b","x":1,"x":null,"y":null,"y":2}]}}"#.to_owned(),
                r#"{"status":"OK","status":"FAIL","entities":[]}"#.to_owned(),
                // Escaped names are copied, not borrowed: the same fields.
                r#"{"status":"OK","entity":{"items":[{"service\u0053essionId":"e","x\u0079":1,"xy":null}]}}"#.to_owned(),
                r#"{"status":"OK","entities":[{"username":"a","username":{"o":1}}],"last":"false"}"#.to_owned(),
                // Odd shapes, refusals and non-JSON: the general path's answer.
                r#"{"status":"OK","entity":{"total_entries":"3","items":{"serviceSessionId":"lone"}}}"#.to_owned(),
                r#"{"status":"OK","entity":{"items":[1]}}"#.to_owned(),
                r#"{"status":"OK","entity":null}"#.to_owned(),
                r#"{"status":"OK","entity":"x"}"#.to_owned(),
                r#"{"status":"OK","entities":[{"a":1},"b"]}"#.to_owned(),
                r#"{"entities":[{"username":"a"}]}"#.to_owned(),
                r#"{"status":1,"entities":[]}"#.to_owned(),
                r#"{"status":"FAIL","errorCode":"API_002"}"#.to_owned(),
                r#"[{"status":"OK"}]"#.to_owned(),
                "<html>".to_owned(),
                String::new(),
            ] {
                same(200, &body);
                same(401, &body);
            }
        }

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
            fn any_records_decode_alike(
                records in prop::collection::vec(record(), 0..4),
                total in value(),
                last in value(),
                status in prop::sample::select(vec!["\"OK\"", "\"ok\"", "\"FAIL\"", "null"]),
            ) {
                let items = records.join(",");
                same(200, &format!(r#"{{"status":{status},"entity":{{"total_entries":{total},"items":[{items}]}}}}"#));
                same(200, &format!(r#"{{"status":{status},"entities":[{items}],"last":{last}}}"#));
            }
        }
    }
}
