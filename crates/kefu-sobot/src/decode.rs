//! Decoders of every Sobot answer, from the body bytes.
//!
//! The client uses them on what the transport reads; they are public so the
//! document's own examples (and any body a caller kept) can be decoded the
//! same way. The envelope (`retCode`/`ret_code`, the list's key) is read by
//! `wire.rs`; each record through its wire struct (below, one per
//! endpoint, declared with [`kefu_http::wire_record!`]): mapped fields are
//! converted leniently ([`kefu_http::lenient::de`]; numbers as strings and
//! strings as numbers are both fine), a mapped value that does not convert
//! is dropped, and every other field is kept in the record's `extra`,
//! `null`s included. Nothing here panics on any input.

use chrono::{DateTime, NaiveDate, Utc};
use kefu_core::model::{
    AgentStats, AgentStatusLog, AppKey, ChatSummary, MessageKind, ReportExport, ReportKind, Tenant,
    TenantCreated,
};
use kefu_core::time::{Zone, from_millis, parse_any};
use kefu_core::{Error, Result, Vendor};
use kefu_http::lenient::de::{self, Lenient, Records, Rest};
use kefu_http::lenient::{self, take};
use kefu_http::wire_record;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error_map;
use crate::wire::{checked, object, take_any};

/// One page of getTenantList.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantPage {
    /// The tenants of this page.
    pub items: Vec<Tenant>,
    /// `pageNo`, the page this is.
    pub page_no: Option<u32>,
    /// `pageCount`, how many pages there are.
    pub page_count: Option<u32>,
    /// `totalCount`, how many tenants match.
    pub total_count: Option<u64>,
}

/// getTenantList: `{"pageNo", "pageCount", "totalCount", "items": [...], "retCode"}`.
/// `zone` reads `createTime`/`endTime` should they come as times, not dates.
pub fn tenant_page(body: &[u8], zone: Zone) -> Result<TenantPage> {
    let mut map = checked(body)?;
    let page_no = lenient::u32(take(&mut map, "pageNo"));
    let page_count = lenient::u32(take(&mut map, "pageCount"));
    let total_count = lenient::u64(take(&mut map, "totalCount"));
    let items = records::<TenantWire>(body, take_any(&mut map, &["items", "item", "msg"]))?
        .into_iter()
        .map(|w| tenant(w, zone))
        .collect();
    Ok(TenantPage {
        items,
        page_no,
        page_count,
        total_count,
    })
}

wire_record! {
    /// A tenant of getTenantList.
    struct TenantWire {
        "companyId" => company_id: Lenient<String> = de::string,
        "companyName" => name: Lenient<String> = de::string,
        "email" => email: Lenient<String> = de::string,
        "customerCode" => customer_code: Lenient<String> = de::string,
        "contactName" => contact_name: Lenient<String> = de::string,
        "contactTel" => contact_tel: Lenient<String> = de::string,
        "serviceNum" => agents_in_use: Lenient<u32> = de::int,
        "maxServiceCount" => max_agents: Lenient<u32> = de::int,
        "createTime" => created_on: Option<Value> = de::raw,
        "endTime" => ends_on: Option<Value> = de::raw,
        "tenantStatus" => enabled: Lenient<bool> = de::bool,
        "appKey" => app_key: Lenient<String> = de::string,
    }
    rest: Rest::KeepAll;
}

fn tenant(w: TenantWire, zone: Zone) -> Tenant {
    Tenant {
        company_id: w.company_id.ok().unwrap_or_default(),
        name: w.name.ok().unwrap_or_default(),
        email: w.email.ok(),
        customer_code: w.customer_code.ok(),
        contact_name: w.contact_name.ok(),
        contact_tel: w.contact_tel.ok(),
        agents_in_use: w.agents_in_use.ok(),
        max_agents: w.max_agents.ok(),
        created_on: date(w.created_on, zone),
        ends_on: date(w.ends_on, zone),
        enabled: w.enabled.ok(),
        app_key: w.app_key.ok(),
        extra: w.extra,
    }
}

wire_record! {
    /// The `msg` of addTenant.json.
    struct TenantCreatedWire {
        "appKey" => app_key: Lenient<String> = de::string,
        "contactName" => contact_name: Lenient<String> = de::string,
        "sysNum" => company_id: Lenient<String> = de::string,
    }
    rest: Rest::KeepAll;
}

/// addTenant.json: `{"retCode", "retMsg", "msg": {"appKey", "contactName", "sysNum"}}`.
pub fn tenant_created(body: &[u8]) -> Result<TenantCreated> {
    let mut map = checked(body)?;
    let msg = lenient::object(take_any(&mut map, &["msg", "item"])).unwrap_or_default();
    let w: TenantCreatedWire = from_object(msg);
    Ok(TenantCreated {
        app_key: w.app_key.ok(),
        contact_name: w.contact_name.ok(),
        company_id: w.company_id.ok(),
        extra: w.extra,
    })
}

/// Writes that answer only a code: updateTenant.json and the staff writes.
pub fn ack(body: &[u8]) -> Result<()> {
    checked(body).map(|_| ())
}

wire_record! {
    /// An app key of getBatchAppKey.
    struct AppKeyWire {
        "appId" => app_id: Lenient<String> = de::string,
        "appKey" => app_key: Lenient<String> = de::string,
        "companyId" => company_id: Lenient<String> = de::string,
        "companyName" => company_name: Lenient<String> = de::string,
    }
    rest: Rest::KeepAll;
}

/// getBatchAppKey: the data sits under a key equal to the caller's
/// unionCode, `{"10004": {"data": [...], "time": "..."}, "retCode": ...}`.
/// The envelope's `time` is copied into each record's `extra`.
pub fn app_keys(body: &[u8], union_code: &str) -> Result<Vec<AppKey>> {
    let mut map = checked(body)?;
    let nested = match map.remove(union_code) {
        Some(v) => v,
        // Not under our code: take the one object that carries a `data`
        // list rather than lose it (the key is the only odd part).
        None => {
            let mut candidates: Vec<Value> = map
                .values()
                .filter(|v| v.get("data").is_some_and(Value::is_array))
                .cloned()
                .collect();
            match candidates.len() {
                0 => Value::Null,
                1 => candidates.swap_remove(0),
                _ => {
                    return Err(Error::decode(
                        Vendor::Sobot,
                        "several objects carry app-key data",
                        body,
                    ));
                }
            }
        }
    };
    let mut nested = lenient::object(nested).unwrap_or_default();
    let time = take(&mut nested, "time");
    let keys = records::<AppKeyWire>(body, take(&mut nested, "data"))?
        .into_iter()
        .map(|w| {
            let mut extra = w.extra;
            if !time.is_null() {
                extra.entry("time").or_insert_with(|| time.clone());
            }
            AppKey {
                app_id: w.app_id.ok().unwrap_or_default(),
                app_key: w.app_key.ok().unwrap_or_default(),
                company_id: w.company_id.ok().unwrap_or_default(),
                company_name: w.company_name.ok(),
                extra,
            }
        })
        .collect();
    Ok(keys)
}

wire_record! {
    /// A company of getStaffLogInfos.
    struct StaffLogCompanyWire {
        "companyId" => company_id: Lenient<String> = de::string,
        "companyStaffInfos" => staff: Records<StaffLogStaffWire> = de::records,
    }
    rest: Rest::KeepAll;
}

wire_record! {
    /// A staff member of a company of getStaffLogInfos.
    struct StaffLogStaffWire {
        "staffId" => agent_id: Lenient<String> = de::string,
        "staffLogInfos" => entries: Records<StaffLogEntryWire> = de::records,
    }
    rest: Rest::KeepAll;
}

wire_record! {
    /// One status change of a staff member.
    struct StaffLogEntryWire {
        "datetime" => at: Option<Value> = de::raw,
        "operationAction" => status: Lenient<String> = de::string,
        "source" => source: Lenient<i64> = de::int,
    }
    rest: Rest::KeepAll;
}

/// getStaffLogInfos, flattened: `items[].companyStaffInfos[].staffLogInfos[]`
/// become one record each, carrying its company and staff ids. Unmapped
/// fields of the company and staff levels go into each record's `extra`.
pub fn staff_logs(body: &[u8]) -> Result<Vec<AgentStatusLog>> {
    let mut map = checked(body)?;
    let mut out = Vec::new();
    for company in records::<StaffLogCompanyWire>(body, take_any(&mut map, &["items", "item"]))? {
        let company_id = company.company_id.ok().unwrap_or_default();
        for staff in listed(body, company.staff)? {
            let agent_id = staff.agent_id.ok().unwrap_or_default();
            for e in listed(body, staff.entries)? {
                let mut extra = company.extra.clone();
                extra.extend(staff.extra.clone());
                extra.extend(e.extra);
                out.push(AgentStatusLog {
                    company_id: company_id.clone(),
                    agent_id: agent_id.clone(),
                    at: instant(e.at, Zone::CHINA),
                    status: e.status.ok(),
                    source: e.source.ok(),
                    extra,
                });
            }
        }
    }
    Ok(out)
}

wire_record! {
    /// A conversation of chatIndexPage.
    struct ChatWire {
        "sysNum" => company_id: Lenient<String> = de::string,
        "companyName" => company_name: Lenient<String> = de::string,
        "companyLogo" => company_logo: Lenient<String> = de::string,
        "visitorId" => visitor_id: Lenient<String> = de::string,
        "partnerId" => partner_id: Lenient<String> = de::string,
        "lastCid" => last_session_id: Lenient<String> = de::string,
        "lastMsgType" => last_message_kind: Lenient<i64> = de::int,
        "lastMsgContent" => last_message: Lenient<String> = de::string,
        "lastMsgTime" => last_message_at: Option<Value> = de::raw,
        "unReadNum" => unread: Lenient<u32> = de::int,
    }
    rest: Rest::KeepAll;
}

/// chatIndexPage: `{"items": [...], "status": 1}`; any other status is the
/// documented refusal (2 parameters, 3 unionCode, 4 rate, 5 token, 0 unknown).
pub fn chats(body: &[u8], zone: Zone) -> Result<Vec<ChatSummary>> {
    let mut map = object(body)?;
    let status_value = take(&mut map, "status");
    let Some(status) = lenient::i64(status_value) else {
        // Not the chat shape; perhaps the platform's generic envelope.
        let (code, message) = crate::wire::take_code(&mut map);
        return Err(match code {
            Some(code) if !error_map::is_success(&code) => {
                error_map::refusal(&code, &message, None)
            }
            _ => Error::decode(Vendor::Sobot, "the answer has no status", body),
        });
    };
    if status != 1 {
        let message = lenient::string(take_any(&mut map, &["msg", "message", "retMsg", "ret_msg"]))
            .unwrap_or_else(|| error_map::chat_status_meaning(status).to_owned());
        return Err(error_map::refusal(
            &error_map::chat_status_code(status),
            &message,
            None,
        ));
    }
    Ok(
        records::<ChatWire>(body, take_any(&mut map, &["items", "item"]))?
            .into_iter()
            .map(|w| ChatSummary {
                company_id: w.company_id.ok().unwrap_or_default(),
                company_name: w.company_name.ok(),
                company_logo: w.company_logo.ok(),
                visitor_id: w.visitor_id.ok(),
                partner_id: w.partner_id.ok(),
                last_session_id: w.last_session_id.ok(),
                last_message_kind: w.last_message_kind.ok().map(MessageKind::from_code),
                last_message: w.last_message.ok(),
                last_message_at: instant(w.last_message_at, zone),
                unread: w.unread.ok(),
                extra: w.extra,
            })
            .collect(),
    )
}

wire_record! {
    /// An agent's figures of tenantStaffJobList (lowercase ids).
    struct AgentStatsWire {
        "staffid" => agent_id: Lenient<String> = de::string,
        "companyid" => company_id: Lenient<String> = de::string,
        "first_response_time_set" => first_responses: Lenient<u64> = de::int,
        "transfer_first_response_count" => transfer_first_responses: Lenient<u64> = de::int,
        "session_human_visitor_consult" => valid_consultations: Lenient<u64> = de::int,
        "first_response_in60s_rate" => first_response_in_60s: Option<Value> = de::raw,
    }
    rest: Rest::KeepAll;
}

/// tenantStaffJobList: lowercase `staffid`/`companyid`, and the 60-second
/// rate as a percentage string (`"100%"`, `"00%"`).
pub fn agent_stats(body: &[u8]) -> Result<Vec<AgentStats>> {
    let mut map = checked(body)?;
    Ok(
        records::<AgentStatsWire>(body, take_any(&mut map, &["items", "item"]))?
            .into_iter()
            .map(|w| AgentStats {
                agent_id: w.agent_id.ok().unwrap_or_default(),
                company_id: w.company_id.ok().unwrap_or_default(),
                first_responses: w.first_responses.ok(),
                transfer_first_responses: w.transfer_first_responses.ok(),
                valid_consultations: w.valid_consultations.ok(),
                first_response_in_60s_percent: percent(w.first_response_in_60s.unwrap_or_default()),
                extra: w.extra,
            })
            .collect(),
    )
}

wire_record! {
    /// The `item` of tenantExportData.
    struct ReportExportWire {
        "taskType" => kind: Lenient<String> = de::string,
        "resultDate" => date: Option<Value> = de::raw,
        "filePath" => file_path: Option<Value> = de::raw,
        "file_path" => file_path_snake: Option<Value> = de::raw,
        "createTime" => created_at: Option<Value> = de::raw,
        // How the type-8 example spells it.
        "reateTime" => created_at_misspelt: Option<Value> = de::raw,
        "description" => description: Lenient<String> = de::string,
    }
    rest: Rest::KeepAll;
}

/// tenantExportData: `{"item": {"filePath" | "file_path", "createTime" |
/// "reateTime", "resultDate", "taskType", ...}, "ret_code"}`. `kind` is what
/// was asked; the answer's `taskType` wins when it names a known type.
pub fn report_export(body: &[u8], kind: ReportKind, zone: Zone) -> Result<ReportExport> {
    let mut map = checked(body)?;
    let item = lenient::object(take_any(&mut map, &["item", "items", "msg"])).unwrap_or_default();
    let w: ReportExportWire = from_object(item);
    Ok(ReportExport {
        kind: w
            .kind
            .ok()
            .and_then(|t| t.parse::<ReportKind>().ok())
            .unwrap_or(kind),
        date: date(w.date, zone),
        // Of two spellings, the first one sent (not null) counts.
        file_url: lenient::string(w.file_path.or(w.file_path_snake).unwrap_or_default()),
        created_at: instant(w.created_at.or(w.created_at_misspelt), zone),
        description: w.description.ok(),
        extra: w.extra,
    })
}

/// A record given as a JSON object, read through its wire struct.
fn from_object<T: for<'de> Deserialize<'de> + Default>(record: Map<String, Value>) -> T {
    // Cannot fail: the wire struct reads any object, whatever its fields hold.
    T::deserialize(Value::Object(record)).unwrap_or_default()
}

/// The records of a JSON array (`null` is empty, a lone object is one);
/// anything else is undecodable rather than silently dropped.
fn records<T: de::WireRecord>(body: &[u8], value: Value) -> Result<Vec<T>> {
    let list = de::records::<T, _>(value).unwrap_or_default();
    listed(body, list)
}

/// The records of a list, or the error of its first element that is not
/// an object.
fn listed<T>(body: &[u8], list: Records<T>) -> Result<Vec<T>> {
    match list.stray {
        None => Ok(list.items),
        Some(i) => Err(Error::decode(
            Vendor::Sobot,
            format!("record {i} is not an object"),
            body,
        )),
    }
}

/// A calendar date: `2018-08-29`, or any time/epoch-ms read in `zone`.
fn date(value: Option<Value>, zone: Zone) -> Option<NaiveDate> {
    let text = lenient::string(value?)?;
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| parse_any(&text, zone).map(|t| zone.date_of(t)))
}

/// An instant: epoch milliseconds (number or string), or a time in `zone`.
fn instant(value: Option<Value>, zone: Zone) -> Option<DateTime<Utc>> {
    let value = value?;
    match lenient::i64(value.clone()) {
        Some(ms) => from_millis(ms),
        None => lenient::string(value).and_then(|t| parse_any(&t, zone)),
    }
}

/// `"100%"` → 100.0, `"00%"` → 0.0, `"33.3%"` → 33.3; a bare number as is.
fn percent(value: Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s
            .trim()
            .trim_end_matches('%')
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use kefu_core::ErrorKind;
    use serde_json::json;

    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(percent(json!("100%")), Some(100.0));
        assert_eq!(percent(json!("00%")), Some(0.0));
        assert_eq!(percent(json!(" 33.5 % ")), Some(33.5));
        assert_eq!(percent(json!(12)), Some(12.0));
        assert_eq!(percent(json!("")), None);
        assert_eq!(percent(json!("NaN%")), None);
        assert_eq!(percent(json!(null)), None);
    }

    #[test]
    fn dates_and_instants() {
        let z = Zone::CHINA;
        assert_eq!(
            date(Some(json!("2018-08-29")), z),
            NaiveDate::from_ymd_opt(2018, 8, 29)
        );
        // 2018-08-28T16:30:00Z is already the 29th in UTC+8.
        assert_eq!(
            date(Some(json!(1535473800000i64)), z),
            NaiveDate::from_ymd_opt(2018, 8, 29)
        );
        assert_eq!(date(Some(json!("")), z), None);
        assert_eq!(
            instant(Some(json!("1573027669037")), z).map(|t| t.timestamp_millis()),
            Some(1573027669037)
        );
        assert_eq!(instant(Some(json!({"x": 1})), z), None);
    }

    #[test]
    fn odd_shapes_never_panic() {
        for body in [
            &b""[..],
            b"null",
            b"{\"retCode\":\"200000\",\"items\":7}",
            b"{\"retCode\":\"200000\",\"items\":[1,2]}",
            b"{\"retCode\":\"200000\",\"items\":[{\"companyStaffInfos\":\"x\"}]}",
            b"{\"status\":\"x\"}",
            b"\xff\xfe",
        ] {
            let _ = tenant_page(body, Zone::CHINA);
            let _ = tenant_created(body);
            let _ = app_keys(body, "10004");
            let _ = staff_logs(body);
            let _ = chats(body, Zone::CHINA);
            let _ = agent_stats(body);
            let _ = report_export(body, ReportKind::Sessions, Zone::CHINA);
        }
        let e = tenant_page(br#"{"retCode":"200000","items":[1]}"#, Zone::CHINA).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }

    #[test]
    fn chats_status_refusals_and_generic_envelope() {
        let e = chats(br#"{"items":null,"status":4}"#, Zone::CHINA).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.vendor_error().map(|v| v.code.as_str()), Some("status 4"));
        let e = chats(br#"{"retCode":"999998","retMsg":"x"}"#, Zone::CHINA).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Authentication);
        let e = chats(br#"{"items":[]}"#, Zone::CHINA).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(
            chats(br#"{"items":[],"status":"1"}"#, Zone::CHINA)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unconvertible_mapped_values_are_dropped_and_nulls_kept() {
        let page = tenant_page(
            br#"{"retCode":"000000","items":[{"companyId":7,"serviceNum":"many","tenantStatus":"1","email":["x"],"note":null,"companyName":"a","companyName":"b"}]}"#,
            Zone::CHINA,
        )
        .unwrap();
        let t = &page.items[0];
        assert_eq!(t.company_id, "7");
        assert_eq!(t.name, "b", "a field sent twice: the last one");
        assert_eq!((t.agents_in_use, t.email.as_deref()), (None, None));
        assert_eq!(t.enabled, Some(true));
        assert_eq!(Value::Object(t.extra.clone()), json!({"note": null}));
        let e = staff_logs(
            br#"{"retCode":"000000","items":[{"companyStaffInfos":[{"staffLogInfos":[{},3]}]}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(
            format!("{e:?}").contains("record 1 is not an object"),
            "{e:?}"
        );
        // Of two spellings of a report's file, the first sent (not null) counts.
        let r = report_export(
            br#"{"ret_code":"000000","item":{"filePath":null,"file_path":"f","createTime":"1573027669037"}}"#,
            ReportKind::Sessions,
            Zone::CHINA,
        )
        .unwrap();
        assert_eq!(r.file_url.as_deref(), Some("f"));
        assert_eq!(
            r.created_at.map(|t| t.timestamp_millis()),
            Some(1573027669037)
        );
    }

    #[test]
    fn app_keys_found_under_another_key_or_absent() {
        let body = br#"{"99": {"data": [{"appId": "a", "appKey": "k", "companyId": "c"}]}, "retCode": "000000"}"#;
        let keys = app_keys(body, "10004").unwrap();
        assert_eq!(keys.len(), 1);
        assert!(
            app_keys(br#"{"retCode":"000000"}"#, "10004")
                .unwrap()
                .is_empty()
        );
    }
}
