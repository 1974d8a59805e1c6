//! Decoders of every Sobot answer, from the body bytes.
//!
//! The client uses them on what the transport reads; they are public so the
//! document's own examples (and any body a caller kept) can be decoded the
//! same way. Each record is read as a JSON object: mapped fields are taken
//! out with [`kefu_http::lenient`] (numbers as strings and strings as numbers
//! are both fine) and every other field is kept in the record's `extra`.
//! Nothing here panics on any input.

use chrono::{DateTime, NaiveDate, Utc};
use kefu_core::model::{
    AgentStats, AgentStatusLog, AppKey, ChatSummary, MessageKind, ReportExport, ReportKind, Tenant,
    TenantCreated,
};
use kefu_core::time::{Zone, from_millis, parse_any};
use kefu_core::{Error, Extra, Result, Vendor};
use kefu_http::lenient::{self, take};
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
    let items = records(body, take_any(&mut map, &["items", "item", "msg"]))?
        .into_iter()
        .map(|r| tenant(r, zone))
        .collect();
    Ok(TenantPage {
        items,
        page_no,
        page_count,
        total_count,
    })
}

fn tenant(mut r: Map<String, Value>, zone: Zone) -> Tenant {
    Tenant {
        company_id: lenient::id(take(&mut r, "companyId")).unwrap_or_default(),
        name: lenient::string(take(&mut r, "companyName")).unwrap_or_default(),
        email: lenient::string(take(&mut r, "email")),
        customer_code: lenient::id(take(&mut r, "customerCode")),
        contact_name: lenient::string(take(&mut r, "contactName")),
        contact_tel: lenient::string(take(&mut r, "contactTel")),
        agents_in_use: lenient::u32(take(&mut r, "serviceNum")),
        max_agents: lenient::u32(take(&mut r, "maxServiceCount")),
        created_on: date(take(&mut r, "createTime"), zone),
        ends_on: date(take(&mut r, "endTime"), zone),
        enabled: lenient::bool(take(&mut r, "tenantStatus")),
        app_key: lenient::string(take(&mut r, "appKey")),
        extra: r,
    }
}

/// addTenant.json: `{"retCode", "retMsg", "msg": {"appKey", "contactName", "sysNum"}}`.
pub fn tenant_created(body: &[u8]) -> Result<TenantCreated> {
    let mut map = checked(body)?;
    let mut msg = lenient::object(take_any(&mut map, &["msg", "item"])).unwrap_or_default();
    Ok(TenantCreated {
        app_key: lenient::string(take(&mut msg, "appKey")),
        contact_name: lenient::string(take(&mut msg, "contactName")),
        company_id: lenient::id(take(&mut msg, "sysNum")),
        extra: msg,
    })
}

/// Writes that answer only a code: updateTenant.json and the staff writes.
pub fn ack(body: &[u8]) -> Result<()> {
    checked(body).map(|_| ())
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
    let keys = records(body, take(&mut nested, "data"))?
        .into_iter()
        .map(|mut r| {
            if !time.is_null() {
                r.entry("time").or_insert_with(|| time.clone());
            }
            AppKey {
                app_id: lenient::id(take(&mut r, "appId")).unwrap_or_default(),
                app_key: lenient::string(take(&mut r, "appKey")).unwrap_or_default(),
                company_id: lenient::id(take(&mut r, "companyId")).unwrap_or_default(),
                company_name: lenient::string(take(&mut r, "companyName")),
                extra: r,
            }
        })
        .collect();
    Ok(keys)
}

/// getStaffLogInfos, flattened: `items[].companyStaffInfos[].staffLogInfos[]`
/// become one record each, carrying its company and staff ids. Unmapped
/// fields of the company and staff levels go into each record's `extra`.
pub fn staff_logs(body: &[u8]) -> Result<Vec<AgentStatusLog>> {
    let mut map = checked(body)?;
    let mut out = Vec::new();
    for mut company in records(body, take_any(&mut map, &["items", "item"]))? {
        let company_id = lenient::id(take(&mut company, "companyId")).unwrap_or_default();
        let staff_list = records(body, take(&mut company, "companyStaffInfos"))?;
        for mut staff in staff_list {
            let agent_id = lenient::id(take(&mut staff, "staffId")).unwrap_or_default();
            let entries = records(body, take(&mut staff, "staffLogInfos"))?;
            for mut e in entries {
                let at = instant(take(&mut e, "datetime"), Zone::CHINA);
                let status = lenient::string(take(&mut e, "operationAction"));
                let source = lenient::i64(take(&mut e, "source"));
                let mut extra = company.clone();
                extra.extend(staff.clone());
                extra.extend(e);
                out.push(AgentStatusLog {
                    company_id: company_id.clone(),
                    agent_id: agent_id.clone(),
                    at,
                    status,
                    source,
                    extra,
                });
            }
        }
    }
    Ok(out)
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
    Ok(records(body, take_any(&mut map, &["items", "item"]))?
        .into_iter()
        .map(|mut r| ChatSummary {
            company_id: lenient::id(take(&mut r, "sysNum")).unwrap_or_default(),
            company_name: lenient::string(take(&mut r, "companyName")),
            company_logo: lenient::string(take(&mut r, "companyLogo")),
            visitor_id: lenient::id(take(&mut r, "visitorId")),
            partner_id: lenient::id(take(&mut r, "partnerId")),
            last_session_id: lenient::id(take(&mut r, "lastCid")),
            last_message_kind: lenient::i64(take(&mut r, "lastMsgType"))
                .map(MessageKind::from_code),
            last_message: lenient::string(take(&mut r, "lastMsgContent")),
            last_message_at: instant(take(&mut r, "lastMsgTime"), zone),
            unread: lenient::u32(take(&mut r, "unReadNum")),
            extra: r,
        })
        .collect())
}

/// tenantStaffJobList: lowercase `staffid`/`companyid`, and the 60-second
/// rate as a percentage string (`"100%"`, `"00%"`).
pub fn agent_stats(body: &[u8]) -> Result<Vec<AgentStats>> {
    let mut map = checked(body)?;
    Ok(records(body, take_any(&mut map, &["items", "item"]))?
        .into_iter()
        .map(|mut r| AgentStats {
            agent_id: lenient::id(take(&mut r, "staffid")).unwrap_or_default(),
            company_id: lenient::id(take(&mut r, "companyid")).unwrap_or_default(),
            first_responses: lenient::u64(take(&mut r, "first_response_time_set")),
            transfer_first_responses: lenient::u64(take(&mut r, "transfer_first_response_count")),
            valid_consultations: lenient::u64(take(&mut r, "session_human_visitor_consult")),
            first_response_in_60s_percent: percent(take(&mut r, "first_response_in60s_rate")),
            extra: r,
        })
        .collect())
}

/// tenantExportData: `{"item": {"filePath" | "file_path", "createTime" |
/// "reateTime", "resultDate", "taskType", ...}, "ret_code"}`. `kind` is what
/// was asked; the answer's `taskType` wins when it names a known type.
pub fn report_export(body: &[u8], kind: ReportKind, zone: Zone) -> Result<ReportExport> {
    let mut map = checked(body)?;
    let mut item =
        lenient::object(take_any(&mut map, &["item", "items", "msg"])).unwrap_or_default();
    let kind = lenient::string(take(&mut item, "taskType"))
        .and_then(|t| t.parse::<ReportKind>().ok())
        .unwrap_or(kind);
    Ok(ReportExport {
        kind,
        date: date(take(&mut item, "resultDate"), zone),
        file_url: lenient::string(take_any(&mut item, &["filePath", "file_path"])),
        // "reateTime" is how the type-8 example spells it.
        created_at: instant(take_any(&mut item, &["createTime", "reateTime"]), zone),
        description: lenient::string(take(&mut item, "description")),
        extra: item,
    })
}

/// The objects of a JSON array (`null` is empty); anything else is undecodable
/// rather than silently dropped.
fn records(body: &[u8], value: Value) -> Result<Vec<Extra>> {
    lenient::array(value)
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            lenient::object(v).ok_or_else(|| {
                Error::decode(Vendor::Sobot, format!("record {i} is not an object"), body)
            })
        })
        .collect()
}

/// A calendar date: `2018-08-29`, or any time/epoch-ms read in `zone`.
fn date(value: Value, zone: Zone) -> Option<NaiveDate> {
    let text = lenient::string(value)?;
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| parse_any(&text, zone).map(|t| zone.date_of(t)))
}

/// An instant: epoch milliseconds (number or string), or a time in `zone`.
fn instant(value: Value, zone: Zone) -> Option<DateTime<Utc>> {
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
            date(json!("2018-08-29"), z),
            NaiveDate::from_ymd_opt(2018, 8, 29)
        );
        // 2018-08-28T16:30:00Z is already the 29th in UTC+8.
        assert_eq!(
            date(json!(1535473800000i64), z),
            NaiveDate::from_ymd_opt(2018, 8, 29)
        );
        assert_eq!(date(json!(""), z), None);
        assert_eq!(
            instant(json!("1573027669037"), z).map(|t| t.timestamp_millis()),
            Some(1573027669037)
        );
        assert_eq!(instant(json!({"x": 1}), z), None);
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
