//! Sobot's codes, as core error kinds. One table, one function.
//!
//! | code | message | kind |
//! |---|---|---|
//! | `200000`, `000000` | — | success |
//! | `999999` | contains 不存在 (商户不存在!) | `NotFound` |
//! | `999999` | contains 已存在 (customerCode 已存在!) | `AlreadyExists` |
//! | `999999` | anything else (客户邮箱未激活..., 缺少参数) | `Vendor` |
//! | `200007` | 在线客服数量不足 | `QuotaExceeded` |
//! | `999998` | 登录已失效 (token, ts or unionCode refused) | `Authentication` |
//! | `220001` | [x] 的长度超过最大限制 | `InvalidInput` naming field `x` (the mapping; the reason keeps the code and message verbatim) |
//! | `status 3`, `status 5` | chatIndexPage: unionCode / token refused | `Authentication` |
//! | `status 4` | chatIndexPage: over 20 calls a minute | `RateLimited` (retry after 60 s) |
//! | `status 2`, `status 0`, other | chatIndexPage: bad parameters / unknown | `Vendor` |
//! | anything else | — | `Vendor` |

use std::time::Duration;

use kefu_core::{Error, Vendor, VendorError};

/// Success codes: `200000` on `/tenantpro/open/*` and getStaffLogInfos,
/// `000000` on the report endpoints (and in the document's error table).
pub(crate) fn is_success(code: &str) -> bool {
    matches!(code, "200000" | "000000")
}

/// chatIndexPage's `status` as a code string (`status 4`).
pub(crate) fn chat_status_code(status: i64) -> String {
    format!("status {status}")
}

/// What the document says each chatIndexPage status means, used as the
/// message when the answer carries none.
pub(crate) fn chat_status_meaning(status: i64) -> &'static str {
    match status {
        2 => "传参异常",
        3 => "unionCode 异常",
        4 => "接口调用频率超过限制,目前的上限是每分钟调用 20 次",
        5 => "token 校验异常",
        0 => "未知异常",
        _ => "未知状态",
    }
}

/// The error for a refusal with `code` and `message`, kept verbatim.
pub(crate) fn refusal(code: &str, message: &str, http_status: Option<u16>) -> Error {
    let mut error = VendorError::new(Vendor::Sobot, code, message);
    if let Some(status) = http_status {
        error = error.with_http_status(status);
    }
    match code {
        // The document shows 商户不存在! and customerCode 已存在! under the
        // same generic code; the message is all that tells them apart.
        "999999" if message.contains("不存在") => Error::NotFound(error),
        "999999" if message.contains("已存在") => Error::AlreadyExists(error),
        "200007" => Error::QuotaExceeded(error),
        "999998" | "status 3" | "status 5" => Error::Authentication(error),
        // "接口调用频率超过限制,目前的上限是每分钟调用 20 次": a minute is the
        // longest any call can have to wait.
        "status 4" => Error::RateLimited {
            error,
            retry_after: Some(Duration::from_secs(60)),
        },
        // 220001 "[x] 的长度超过最大限制,最多允许 x 个字符": the caller's input
        // is at fault, so it is invalid input naming the field the vendor
        // names; the refusal took no effect. Code and message stay verbatim
        // in the reason.
        "220001" => Error::invalid(
            field_in_brackets(message).unwrap_or_else(|| "request".to_owned()),
            format!("refused by sobot with code 220001: {message}"),
        ),
        _ => Error::Vendor(error),
    }
}

/// `x` from a message that starts `[x] ...`.
fn field_in_brackets(message: &str) -> Option<String> {
    let rest = message.trim_start().strip_prefix('[')?;
    let (field, _) = rest.split_once(']')?;
    let field = field.trim();
    (!field.is_empty()).then(|| field.to_owned())
}

#[cfg(test)]
mod tests {
    use kefu_core::ErrorKind;

    use super::*;

    #[test]
    fn the_documented_codes_map_to_their_kinds() {
        let cases = [
            ("999999", "商户不存在!", ErrorKind::NotFound),
            ("999999", "customerCode 已存在!", ErrorKind::AlreadyExists),
            (
                "999999",
                "客户邮箱未激活,请激活后再次尝试修改客户信息!",
                ErrorKind::Vendor,
            ),
            ("200007", "在线客服数量不足", ErrorKind::QuotaExceeded),
            (
                "999998",
                "请求失败!登录已失效,请重新登录!",
                ErrorKind::Authentication,
            ),
            ("status 2", "传参异常", ErrorKind::Vendor),
            ("status 3", "unionCode 异常", ErrorKind::Authentication),
            ("status 4", "...", ErrorKind::RateLimited),
            ("status 5", "token 校验异常", ErrorKind::Authentication),
            ("status 0", "未知异常", ErrorKind::Vendor),
            ("123456", "新的错误", ErrorKind::Vendor),
        ];
        for (code, message, kind) in cases {
            let e = refusal(code, message, None);
            assert_eq!(e.kind(), kind, "{code} {message}");
            let v = e
                .vendor_error()
                .expect("a refusal carries the vendor error");
            assert_eq!((v.code.as_str(), v.message.as_str()), (code, message));
        }
    }

    #[test]
    fn too_long_is_invalid_input_naming_the_vendor_field() {
        let e = refusal(
            "220001",
            "[companyName] 的长度超过最大限制,最多允许 50 个字符",
            None,
        );
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.field(), Some("companyName"));
        assert!(
            e.to_string().contains("220001") && e.to_string().contains("最多允许 50 个字符"),
            "{e}"
        );
        assert_eq!(refusal("220001", "too long", None).field(), Some("request"));
    }

    #[test]
    fn rate_limit_asks_to_wait_a_minute_and_http_status_is_kept() {
        match refusal("status 4", "x", None) {
            Error::RateLimited { retry_after, .. } => {
                assert_eq!(retry_after, Some(Duration::from_secs(60)))
            }
            other => panic!("{other:?}"),
        }
        let e = refusal("999999", "x", Some(502));
        assert_eq!(e.vendor_error().and_then(|v| v.http_status), Some(502));
        assert!(e.is_retryable());
    }

    #[test]
    fn success_codes() {
        assert!(is_success("200000") && is_success("000000"));
        assert!(!is_success("999999") && !is_success(""));
        assert_eq!(chat_status_code(4), "status 4");
        assert_eq!(chat_status_meaning(5), "token 校验异常");
    }
}
