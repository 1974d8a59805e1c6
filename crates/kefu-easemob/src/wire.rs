//! What goes on the wire: request bodies with the document's field names,
//! and the answer's envelope (`status`, and the error code wherever it is).

use kefu_core::{Error, Result, Vendor, VendorError};
use kefu_http::{WireResponse, status_error};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error_map::{error_for, find_code};

/// POST `/api/tenant/{tenantId}/accessToken`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenRequest<'a> {
    pub(crate) tenant_id: u64,
    pub(crate) client_id: &'a str,
    pub(crate) secret_id: &'a str,
}

/// POST `/api/tenants/{tenantId}/agent`, fields in the document's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewAgentBody<'a> {
    /// Spelled `nicename` by the vendor.
    pub(crate) nicename: &'a str,
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
    pub(crate) true_name: &'a str,
    pub(crate) mobile_phone: &'a str,
    pub(crate) agent_number: &'a str,
    pub(crate) role_id: u64,
    /// A string, as the document's example sends it (`"10"`).
    pub(crate) max_service_session_count: String,
}

/// PUT `/api/tenants/{tenantId}/agent`: only the fields being changed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgentUpdateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) nicename: Option<&'a str>,
    pub(crate) username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) true_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mobile_phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) agent_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) role_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_service_session_count: Option<String>,
}

/// DELETE `/agent`, PUT `/agent/disable`, PUT `/agent/enable`.
#[derive(Serialize)]
pub(crate) struct UsernameBody<'a> {
    pub(crate) username: &'a str,
}

/// PUT `/agent/password`.
#[derive(Serialize)]
pub(crate) struct PasswordBody<'a> {
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
}

/// The answer as a JSON object when it is a success, else the error it means.
///
/// Success is a 2xx answer whose `status` is `OK` (or that has no `status`
/// and no error code: the document never shows one without it, but an
/// answer that says nothing bad is not treated as a refusal). Otherwise the
/// first `API_xxx` code anywhere in the body decides; without one, the HTTP
/// status does (non-2xx) or the `status` value itself is the code (2xx).
pub(crate) fn envelope(response: &WireResponse) -> Result<Map<String, Value>> {
    let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
    let Some(value) = parsed else {
        return Err(if response.is_success() {
            Error::decode(Vendor::Easemob, "answer is not JSON", &response.body)
        } else {
            status_error(Vendor::Easemob, response)
        });
    };
    let status = value
        .get("status")
        .map(|s| s.as_str().unwrap_or_default().to_owned());
    let ok = status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("ok"));
    if response.is_success() && (ok || status.is_none()) && (ok || find_code(&value).is_none()) {
        if let Value::Object(map) = value {
            return Ok(map);
        }
        return Err(Error::decode(
            Vendor::Easemob,
            "answer is not a JSON object",
            &response.body,
        ));
    }
    if let Some((code, message)) = find_code(&value) {
        return Err(error_for(&code, &message, Some(response.status)));
    }
    if !response.is_success() {
        return Err(status_error(Vendor::Easemob, response));
    }
    // 2xx, a status that is not OK, and no code: the status is all we have.
    let code = status
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "status".to_owned());
    let message = ["errorDescription", "message", "msg", "error"]
        .iter()
        .find_map(|k| value.get(*k).and_then(Value::as_str))
        .unwrap_or_default();
    Err(Error::Vendor(
        VendorError::new(Vendor::Easemob, code, message).with_http_status(response.status),
    ))
}

#[cfg(test)]
mod tests {
    use kefu_core::ErrorKind;

    use super::*;

    fn answer(status: u16, body: &str) -> Result<Map<String, Value>> {
        envelope(&WireResponse::new(status, body.to_owned()))
    }

    #[test]
    fn ok_status_is_success() {
        assert!(answer(200, r#"{"status":"OK"}"#).is_ok());
        assert!(answer(200, r#"{"status":"ok","entity":{}}"#).is_ok());
        assert!(answer(200, r#"{"entities":[]}"#).is_ok());
    }

    #[test]
    fn a_code_decides_whatever_the_http_status() {
        let e = answer(
            200,
            r#"{"status":"FAIL","errorCode":"API_104","errorDescription":"x"}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = answer(401, r#"{"status":"FAIL","errorCode":"API_002"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Authentication);
        assert_eq!(
            e.vendor_error().map(|v| v.message.as_str()),
            Some("token is invalid")
        );
        let e = answer(200, r#"{"code":"API_103"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    }

    #[test]
    fn without_a_code_the_http_status_or_the_status_field_decides() {
        let e = answer(404, "<html>nginx</html>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = answer(502, r#"{"status":"FAIL"}"#).unwrap_err();
        assert_eq!(e.vendor_error().map(|v| v.code.as_str()), Some("HTTP 502"));
        assert!(e.is_retryable());
        let e = answer(200, r#"{"status":"FAIL","message":"busy"}"#).unwrap_err();
        let v = e.vendor_error().cloned().expect("vendor");
        assert_eq!((v.code.as_str(), v.message.as_str()), ("FAIL", "busy"));
        let e = answer(200, "<html>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        let e = answer(200, "[1]").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }
}
