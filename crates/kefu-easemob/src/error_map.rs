//! Easemob's error codes (`API_xxx`) as kefu error kinds: the one table.
//!
//! The document lists the codes but not the envelope that carries them, so
//! [`find_code`] looks for an `API_\d{3}` string anywhere in an answer and
//! [`error_for`] maps it. docs/easemob.md repeats this table.

use kefu_core::{Error, Vendor, VendorError};
use serde_json::Value;

/// Every code of the document's 错误码 table with its 错误信息, verbatim.
pub(crate) const DOCUMENTED: &[(&str, &str)] = &[
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

/// The code that says a token died (the document warns it may die early).
pub(crate) const TOKEN_INVALID: &str = "API_002";

/// Maps a vendor code to kefu's error. The message is the vendor's, verbatim;
/// only when the answer carried none is the document's text used.
pub(crate) fn error_for(code: &str, message: &str, http_status: Option<u16>) -> Error {
    let message = if message.trim().is_empty() {
        documented_message(code).unwrap_or_default()
    } else {
        message
    };
    let mut error = VendorError::new(Vendor::Easemob, code, message);
    if let Some(status) = http_status {
        error = error.with_http_status(status);
    }
    match code {
        // Token refused, tenant not ours, credentials refused.
        "API_002" | "API_003" | "API_004" => Error::Authentication(error),
        "API_103" => Error::AlreadyExists(error),
        // "not exist" and "not belong your tenant" are the same to a caller:
        // there is no such agent here.
        "API_104" | "API_105" => Error::NotFound(error),
        _ => Error::Vendor(error),
    }
}

/// The document's message for `code`.
pub(crate) fn documented_message(code: &str) -> Option<&'static str> {
    DOCUMENTED.iter().find(|(c, _)| *c == code).map(|(_, m)| *m)
}

/// Keys an answer may carry its human-readable message under.
const MESSAGE_KEYS: &[&str] = &[
    "errorDescription",
    "error_description",
    "errorMessage",
    "errorMsg",
    "error_msg",
    "message",
    "msg",
    "errMsg",
    "description",
    "reason",
    "detail",
    "error",
];

/// Finds the first `API_\d{3}` code anywhere in `value` (depth first, in
/// document order) and the message that goes with it: a message field beside
/// it, else the text around the code when the code sits inside a sentence.
pub(crate) fn find_code(value: &Value) -> Option<(String, String)> {
    match value {
        Value::Object(map) => {
            for v in map.values() {
                if let Value::String(text) = v
                    && let Some(code) = code_in(text)
                {
                    let beside = MESSAGE_KEYS
                        .iter()
                        .filter_map(|k| map.get(*k))
                        .filter_map(Value::as_str)
                        .find(|m| code_in(m).is_none() && !m.trim().is_empty());
                    let message = match beside {
                        Some(m) => m.to_owned(),
                        None if text.trim() != code => text.clone(),
                        None => String::new(),
                    };
                    return Some((code.to_owned(), message));
                }
            }
            map.values().find_map(find_code)
        }
        Value::Array(items) => items.iter().find_map(find_code),
        Value::String(text) => code_in(text).map(|code| {
            let message = if text.trim() == code {
                String::new()
            } else {
                text.clone()
            };
            (code.to_owned(), message)
        }),
        _ => None,
    }
}

/// `API_` followed by exactly three digits, not inside a longer word.
fn code_in(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find("API_") {
        let start = from + pos;
        let end = start + 7;
        let digits = bytes.get(start + 4..end);
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let after_ok = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
        if before_ok && after_ok && digits.is_some_and(|d| d.iter().all(u8::is_ascii_digit)) {
            return text.get(start..end);
        }
        from = start + 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use kefu_core::ErrorKind;
    use serde_json::json;

    use super::*;

    #[test]
    fn every_documented_code_has_its_kind() {
        for (code, message) in DOCUMENTED {
            let e = error_for(code, message, Some(400));
            let expected = match *code {
                "API_002" | "API_003" | "API_004" => ErrorKind::Authentication,
                "API_103" => ErrorKind::AlreadyExists,
                "API_104" | "API_105" => ErrorKind::NotFound,
                _ => ErrorKind::Vendor,
            };
            assert_eq!(e.kind(), expected, "{code}");
            let v = e.vendor_error().expect("vendor error");
            assert_eq!(v.code, *code);
            assert_eq!(v.message, *message);
            assert_eq!(v.http_status, Some(400));
        }
        assert_eq!(DOCUMENTED.len(), 18);
    }

    #[test]
    fn vendor_message_wins_and_the_document_fills_a_gap() {
        let e = error_for("API_104", "坐席不存在", None);
        assert_eq!(
            e.vendor_error().map(|v| v.message.as_str()),
            Some("坐席不存在")
        );
        let e = error_for("API_104", "", None);
        assert_eq!(
            e.vendor_error().map(|v| v.message.as_str()),
            Some("agent user not exist,please check username is correct")
        );
        assert_eq!(error_for("API_999", "new", None).kind(), ErrorKind::Vendor);
    }

    #[test]
    fn codes_are_found_wherever_they_are() {
        let cases = [
            (
                json!({"status":"FAIL","errorCode":"API_104","errorDescription":"gone"}),
                ("API_104", "gone"),
            ),
            (
                json!({"code":"API_002","msg":"token is invalid"}),
                ("API_002", "token is invalid"),
            ),
            (
                json!({"status":"FAIL","entity":{"error":{"code":"API_112"}}}),
                ("API_112", ""),
            ),
            (
                json!({"status":"FAIL","message":"API_108: password too short"}),
                ("API_108", "API_108: password too short"),
            ),
            (json!(["x", {"e": "API_400"}]), ("API_400", "")),
        ];
        for (value, (code, message)) in cases {
            let (c, m) = find_code(&value).expect("code");
            assert_eq!((c.as_str(), m.as_str()), (code, message), "{value}");
        }
        for none in [
            json!({"status":"FAIL"}),
            json!({"x":"XAPI_104"}),
            json!({"x":"API_10"}),
            json!({"x":"API_1044"}),
            json!({"x":"API_"}),
        ] {
            assert!(find_code(&none).is_none(), "{none}");
        }
    }
}
