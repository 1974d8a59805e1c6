//! Every signature Sobot asks for, in one place.
//!
//! All of them are the lowercase hex MD5 of a plain concatenation (no
//! separators). The document gives three formulas; the report endpoints'
//! `sign` has none, so the platform-level one is the default and a caller
//! may replace it ([`SobotBuilder::report_sign`](crate::SobotBuilder::report_sign)).

use std::fmt;
use std::sync::Arc;

use kefu_core::{Operation, Secret};
use md5::{Digest, Md5};

/// Lowercase hex MD5 of the concatenation of `parts`.
pub fn md5_hex(parts: &[&str]) -> String {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(32);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `token = MD5(unionCode+ts+email+unionKey)`: getTenantList (the platform
/// super-admin's email) and every tenant and staff write (that request's own
/// `email` field).
pub(crate) fn email_token(union_code: &str, ts: &str, email: &str, union_key: &Secret) -> Secret {
    Secret::new(md5_hex(&[union_code, ts, email, union_key.expose()]))
}

/// `token = MD5(unionCode+ts+unionKey)`: getStaffLogInfos.
pub(crate) fn platform_token(union_code: &str, ts: &str, union_key: &Secret) -> Secret {
    Secret::new(md5_hex(&[union_code, ts, union_key.expose()]))
}

/// `token = MD5(unionCode+partnerId+ts+unionKey)`: chatIndexPage.
pub(crate) fn chat_token(
    union_code: &str,
    partner_id: &str,
    ts: &str,
    union_key: &Secret,
) -> Secret {
    Secret::new(md5_hex(&[union_code, partner_id, ts, union_key.expose()]))
}

/// What a report `sign` may be computed from (tenantExportData,
/// getBatchAppKey, tenantStaffJobList).
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// The operation being signed.
    pub operation: Operation,
    /// The endpoint path (`/tenantpro/getBatchAppKey`, ...).
    pub path: &'a str,
    /// The platform's unionCode (whatever the parameter is called on the wire).
    pub union_code: &'a str,
    /// `ts` exactly as sent (seconds or milliseconds, per the client's setting).
    pub ts: &'a str,
    /// The platform's private key.
    pub union_key: &'a Secret,
    /// The request's other parameters as sent, in order (`type`, `date`,
    /// `start_date`, `end_date`), for formulas that cover them.
    pub params: &'a [(&'a str, &'a str)],
}

/// A report `sign` formula: returns the lowercase hex digest to send.
pub type ReportSigner = Arc<dyn Fn(&SignInput<'_>) -> String + Send + Sync>;

/// The default report `sign`: `MD5(unionCode+ts+unionKey)`.
///
/// The document names a `sign` on the three report endpoints but never gives
/// its formula; this is the platform-level formula of getStaffLogInfos, the
/// natural reading for platform-wide calls.
pub fn default_report_sign(input: &SignInput<'_>) -> String {
    md5_hex(&[input.union_code, input.ts, input.union_key.expose()])
}

/// The report signer actually used, printable without its closure.
#[derive(Clone)]
pub(crate) struct ReportSign(pub(crate) Option<ReportSigner>);

impl ReportSign {
    pub(crate) fn sign(&self, input: &SignInput<'_>) -> Secret {
        Secret::new(match &self.0 {
            Some(custom) => custom(input),
            None => default_report_sign(input),
        })
    }
}

impl fmt::Debug for ReportSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "custom"
        } else {
            "MD5(unionCode+ts+unionKey)"
        })
    }
}

#[cfg(test)]
mod tests {
    //! Expected digests were computed by hand with
    //! `printf '%s' '<concatenation>' | md5sum`.
    use super::*;

    fn key() -> Secret {
        Secret::new("k3y-s3cr3t")
    }

    #[test]
    fn md5_of_nothing_is_the_well_known_digest() {
        assert_eq!(md5_hex(&[]), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn email_token_concatenates_union_code_ts_email_key() {
        // printf '%s' '100041715000000000admin@platform.example.comk3y-s3cr3t' | md5sum
        let t = email_token(
            "10004",
            "1715000000000",
            "admin@platform.example.com",
            &key(),
        );
        assert_eq!(t.expose(), "95d05e0a3f8c101bc17663ffd5a42b38");
        // printf '%s' '100041715000000000agent01@m01.example.comk3y-s3cr3t' | md5sum
        let t = email_token("10004", "1715000000000", "agent01@m01.example.com", &key());
        assert_eq!(t.expose(), "e90b6dcf92250da2479a31c29fdfa6b3");
    }

    #[test]
    fn platform_token_concatenates_union_code_ts_key() {
        // printf '%s' '100041715000000000k3y-s3cr3t' | md5sum
        let t = platform_token("10004", "1715000000000", &key());
        assert_eq!(t.expose(), "99add14aaf7abd2206e4735656656f02");
    }

    #[test]
    fn chat_token_puts_partner_id_before_ts() {
        // printf '%s' '10004partner-0011715000000000k3y-s3cr3t' | md5sum
        let t = chat_token("10004", "partner-001", "1715000000000", &key());
        assert_eq!(t.expose(), "1ec8724993d707ceeb6fe26fe03c0dec");
    }

    #[test]
    fn default_report_sign_uses_ts_as_sent() {
        // printf '%s' '100041715000000k3y-s3cr3t' | md5sum  (ts in seconds)
        let k = key();
        let input = SignInput {
            operation: Operation::ListAppKeys,
            path: "/tenantpro/getBatchAppKey",
            union_code: "10004",
            ts: "1715000000",
            union_key: &k,
            params: &[],
        };
        assert_eq!(
            default_report_sign(&input),
            "2f33c4fb7b0d3af020e622322a9485a5"
        );
        assert_eq!(
            ReportSign(None).sign(&input).expose(),
            "2f33c4fb7b0d3af020e622322a9485a5"
        );
        let custom = ReportSign(Some(Arc::new(|i: &SignInput<'_>| {
            md5_hex(&[i.union_key.expose(), i.ts])
        })));
        assert_eq!(
            custom.sign(&input).expose(),
            md5_hex(&["k3y-s3cr3t", "1715000000"])
        );
        assert_eq!(format!("{custom:?}"), "custom");
    }
}
