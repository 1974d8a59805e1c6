//! Private wire types: request bodies spelled exactly as each endpoint's
//! table spells them, and the envelope every answer comes in.

use kefu_core::{Error, Result, Secret, Vendor};
use kefu_http::lenient;
use kefu_http::{WireResponse, status_error};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error_map;

/// Writes a credential into a body; the only place a body sees a secret.
fn expose<S: serde::Serializer>(
    secret: &Secret,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

fn expose_opt<S: serde::Serializer>(
    secret: &Option<Secret>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match secret {
        Some(s) => serializer.serialize_str(s.expose()),
        None => serializer.serialize_none(),
    }
}

/// getTenantList. `ts` is a JSON number (the table types it long).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TenantListBody<'a> {
    pub union_code: &'a str,
    pub ts: i64,
    #[serde(serialize_with = "expose")]
    pub token: Secret,
    pub email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_value: Option<&'a str>,
    /// A string: `-1` all, `1` open, `0` closed.
    pub open_status: &'static str,
    pub page_no: u32,
    pub page_size: u32,
}

/// addTenant.json.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddTenantBody<'a> {
    pub union_code: &'a str,
    pub ts: i64,
    #[serde(serialize_with = "expose")]
    pub token: Secret,
    pub company_name: &'a str,
    pub email: &'a str,
    pub max_count: u32,
    #[serde(serialize_with = "expose")]
    pub password: Secret,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_tel: Option<&'a str>,
    pub customer_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<&'a str>,
}

/// updateTenant.json.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateTenantBody<'a> {
    pub union_code: &'a str,
    pub ts: i64,
    #[serde(serialize_with = "expose")]
    pub token: Secret,
    pub company_name: &'a str,
    pub max_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_tel: Option<&'a str>,
    pub customer_code: &'a str,
    pub email: &'a str,
}

/// addServiceInfoConfim.json: `nick`/`name`, `roleId` a string, `phoneNo`
/// an integer (u64: an 11-digit mobile does not fit 32 bits).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddStaffBody<'a> {
    pub union_code: &'a str,
    pub ts: i64,
    #[serde(serialize_with = "expose")]
    pub token: Secret,
    pub customer_code: &'a str,
    pub nick: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub role_id: &'static str,
    #[serde(serialize_with = "expose_opt", skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    pub phone_no: u64,
    pub max_accept_num: u32,
}

/// updateServiceInfoConfim.json: `serviceNick`/`serviceName`, all required.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateStaffBody<'a> {
    pub union_code: &'a str,
    pub ts: i64,
    #[serde(serialize_with = "expose")]
    pub token: Secret,
    pub customer_code: &'a str,
    pub service_nick: &'a str,
    pub service_name: &'a str,
    pub phone_no: u64,
    pub max_accept_num: u32,
    pub email: &'a str,
}

/// deleteServiceInfoConfim.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeleteStaffBody<'a> {
    pub union_code: &'a str,
    pub ts: i64,
    #[serde(serialize_with = "expose")]
    pub token: Secret,
    pub customer_code: &'a str,
    pub email: &'a str,
}

/// tenantExportData: every field a string, as the table and example type them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExportBody<'a> {
    pub union_code: &'a str,
    pub ts: &'a str,
    #[serde(serialize_with = "expose")]
    pub sign: Secret,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub date: &'a str,
}

/// getBatchAppKey.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppKeyBody<'a> {
    pub union_code: &'a str,
    pub ts: &'a str,
    #[serde(serialize_with = "expose")]
    pub sign: Secret,
}

/// tenantStaffJobList: snake_case `union_code`, `start_date`, `end_date`.
#[derive(Debug, Serialize)]
pub(crate) struct StaffJobBody<'a> {
    pub union_code: &'a str,
    pub ts: &'a str,
    #[serde(serialize_with = "expose")]
    pub sign: Secret,
    pub start_date: &'a str,
    pub end_date: &'a str,
}

/// chatIndexPage: `union_code` but `partnerId`; `ts` a number (Long).
#[derive(Debug, Serialize)]
pub(crate) struct ChatBody<'a> {
    pub union_code: &'a str,
    #[serde(rename = "partnerId")]
    pub partner_id: &'a str,
    pub ts: i64,
    #[serde(serialize_with = "expose")]
    pub token: Secret,
}

/// The body as a JSON object, or a decode error.
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::decode(
            Vendor::Sobot,
            "the answer is not a JSON object",
            body,
        )),
        Err(e) => Err(Error::decode(
            Vendor::Sobot,
            format!("the answer is not JSON: {e}"),
            body,
        )),
    }
}

/// Takes the first present, non-null field among `names`.
pub(crate) fn take_any(map: &mut Map<String, Value>, names: &[&str]) -> Value {
    let mut found = Value::Null;
    for name in names {
        let v = lenient::take(map, name);
        if found.is_null() && !v.is_null() {
            found = v;
        }
    }
    found
}

/// The code and message of an answer, whichever spelling it uses
/// (`retCode`/`ret_code`, `retMsg`/`ret_msg`), taken out of `map`.
pub(crate) fn take_code(map: &mut Map<String, Value>) -> (Option<String>, String) {
    let code = lenient::string(take_any(map, &["retCode", "ret_code"]));
    let message = lenient::string(take_any(map, &["retMsg", "ret_msg"])).unwrap_or_default();
    (code, message)
}

/// A successful answer's remaining fields (envelope removed), or the typed
/// refusal. An answer without any code is undecodable.
pub(crate) fn checked(body: &[u8]) -> Result<Map<String, Value>> {
    let mut map = object(body)?;
    match take_code(&mut map) {
        (Some(code), _) if error_map::is_success(&code) => Ok(map),
        (Some(code), message) => Err(error_map::refusal(&code, &message, None)),
        (None, _) => Err(Error::decode(
            Vendor::Sobot,
            "the answer has no retCode/ret_code",
            body,
        )),
    }
}

/// Runs `decode` on a 2xx answer. Any other status becomes the vendor's
/// refusal when the body names a code, else an error by HTTP status.
pub(crate) fn answer<T>(
    response: &WireResponse,
    decode: impl FnOnce(&[u8]) -> Result<T>,
) -> Result<T> {
    if response.is_success() {
        return decode(&response.body);
    }
    let coded = object(&response.body).ok().and_then(|mut map| {
        let (code, message) = take_code(&mut map);
        code.filter(|c| !error_map::is_success(c))
            .map(|c| error_map::refusal(&c, &message, Some(response.status)))
    });
    Err(coded.unwrap_or_else(|| status_error(Vendor::Sobot, response)))
}

#[cfg(test)]
mod tests {
    use kefu_core::ErrorKind;

    use super::*;

    #[test]
    fn both_envelope_spellings_are_read() {
        let m = checked(br#"{"retCode":"200000","retMsg":"ok","msg":null}"#).unwrap();
        assert_eq!(Value::Object(m), serde_json::json!({"msg": null}));
        let m = checked(br#"{"ret_code":"000000","ret_msg":"ok","item":{}}"#).unwrap();
        assert!(m.contains_key("item"));
        let e = checked(r#"{"ret_code":"999999","ret_msg":"商户不存在!"}"#.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        // A numeric code is read too.
        assert!(checked(br#"{"retCode":200000}"#).is_ok());
    }

    #[test]
    fn no_code_or_no_json_is_a_decode_error() {
        assert_eq!(checked(b"{}").unwrap_err().kind(), ErrorKind::Decode);
        assert_eq!(checked(b"<html>").unwrap_err().kind(), ErrorKind::Decode);
        assert_eq!(checked(b"[1]").unwrap_err().kind(), ErrorKind::Decode);
    }

    #[test]
    fn non_2xx_uses_the_body_code_or_the_status() {
        let r = WireResponse::new(500, r#"{"retCode":"999998","retMsg":"x"}"#);
        let e = answer(&r, |_| Ok(())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Authentication);
        assert_eq!(e.vendor_error().and_then(|v| v.http_status), Some(500));
        let r = WireResponse::new(502, "Bad Gateway");
        let e = answer(&r, |_| Ok(())).unwrap_err();
        assert_eq!(e.vendor_error().map(|v| v.code.as_str()), Some("HTTP 502"));
    }

    #[test]
    fn bodies_never_debug_their_secrets() {
        let b = DeleteStaffBody {
            union_code: "10004",
            ts: 1,
            token: Secret::new("deadbeefdeadbeef"),
            customer_code: "7",
            email: "a@b.cn",
        };
        assert!(!format!("{b:?}").contains("deadbeef"));
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(
            json,
            r#"{"unionCode":"10004","ts":1,"token":"deadbeefdeadbeef","customerCode":"7","email":"a@b.cn"}"#
        );
    }
}
