//! The one error type of kefu.
//!
//! Vendors keep their wire errors private and convert them at the edge into
//! [`Error`]; a caller matches on the variant (or on [`Error::kind`]) and asks
//! [`Error::is_retryable`] whether trying again may help.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::capability::{Operation, Vendor};
use crate::secret::{scrub, scrubbed};

/// Result with kefu's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed underlying cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A refusal as the vendor worded it: its code and message, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorError {
    /// Which vendor answered.
    pub vendor: Vendor,
    /// The vendor's code as sent (`999999`, `API_104`, `status 4`, `HTTP 502`).
    pub code: String,
    /// The vendor's message as sent (may be empty).
    pub message: String,
    /// The HTTP status of the answer, when there was one.
    pub http_status: Option<u16>,
}

impl VendorError {
    /// A vendor refusal. Any secret the process holds is scrubbed from
    /// the code and message (a vendor may echo what it was sent).
    pub fn new(vendor: Vendor, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            vendor,
            code: scrubbed(code.into()),
            message: scrubbed(message.into()),
            http_status: None,
        }
    }

    /// Records the HTTP status it came with.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }
}

impl fmt::Display for VendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} refused with code {}", self.vendor, scrub(&self.code))?;
        if !self.message.is_empty() {
            write!(f, ": {}", scrub(&self.message))?;
        }
        Ok(())
    }
}

/// Everything that can go wrong, as a caller can act on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller's input was refused before anything was sent.
    #[error("invalid input: `{field}` {reason}")]
    InvalidInput {
        /// The field as the caller knows it (vendor parameter name where there is one).
        field: Cow<'static, str>,
        /// Why it was refused.
        reason: String,
    },

    /// This vendor has no such operation; nothing was sent.
    #[error("{vendor} does not support {operation}")]
    Unsupported {
        /// The vendor asked.
        vendor: Vendor,
        /// The operation asked for.
        operation: Operation,
    },

    /// Credentials, token or signature refused (after one fresh retry where that applies).
    #[error("authentication failed: {0}")]
    Authentication(VendorError),

    /// The thing operated on does not exist.
    #[error("not found: {0}")]
    NotFound(VendorError),

    /// The thing being created already exists.
    #[error("already exists: {0}")]
    AlreadyExists(VendorError),

    /// A quota of the account is used up (e.g. agent seats). Not retryable.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(VendorError),

    /// Too many calls; retry after the given time, if the vendor said.
    #[error("rate limited: {error}")]
    RateLimited {
        /// The vendor's refusal.
        error: VendorError,
        /// How long the vendor asked us to wait.
        retry_after: Option<Duration>,
    },

    /// Any other refusal, with the vendor's code and message verbatim.
    #[error("{0}")]
    Vendor(VendorError),

    /// The exchange failed below HTTP semantics (DNS, connect, reset, TLS).
    #[error("transport error talking to {vendor}: {message}")]
    Transport {
        /// The vendor being called.
        vendor: Vendor,
        /// What failed, without URL or credentials.
        message: String,
        /// The cause.
        #[source]
        source: Option<BoxError>,
        /// True when the request certainly did not reach the vendor (connect failed).
        not_sent: bool,
    },

    /// The exchange took longer than allowed.
    #[error("timed out talking to {vendor}: {message}")]
    Timeout {
        /// The vendor being called.
        vendor: Vendor,
        /// Which deadline passed.
        message: String,
    },

    /// The answer could not be understood.
    #[error("undecodable response from {vendor}: {reason}{}", body_start(.excerpt))]
    Decode {
        /// The vendor that answered.
        vendor: Vendor,
        /// What was wrong with it.
        reason: String,
        /// A short, secret-free start of the body.
        excerpt: String,
    },

    /// A write may or may not have happened, and reconciling did not settle it.
    #[error("outcome unknown for {operation} on {vendor}: {message}")]
    OutcomeUnknown {
        /// The vendor called.
        vendor: Vendor,
        /// The write.
        operation: Operation,
        /// What is known.
        message: String,
    },

    /// A dry run stopped this write before it was sent (`--dry-run`): the
    /// request was handed to the dry-run sink instead.
    #[error("dry run: {operation} on {vendor} was not sent")]
    DryRun {
        /// The vendor that would have been called.
        vendor: Vendor,
        /// The write that was held back.
        operation: Operation,
    },

    /// Configuration is missing or wrong (base URL, credentials, zone).
    #[error("configuration error: `{key}` {reason}")]
    Config {
        /// The setting (an environment variable or builder method name).
        key: Cow<'static, str>,
        /// Why it was refused.
        reason: String,
    },
}

/// How a [`Error::Decode`] shows the start of the body: not at all when
/// there was none to show (a page judged by the pager, an empty body).
fn body_start(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(" (body starts: {excerpt:?})")
    }
}

/// The kind of an [`Error`], for callers that only branch on the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::InvalidInput`].
    InvalidInput,
    /// See [`Error::Unsupported`].
    Unsupported,
    /// See [`Error::Authentication`].
    Authentication,
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::AlreadyExists`].
    AlreadyExists,
    /// See [`Error::QuotaExceeded`].
    QuotaExceeded,
    /// See [`Error::RateLimited`].
    RateLimited,
    /// See [`Error::Vendor`].
    Vendor,
    /// See [`Error::Transport`].
    Transport,
    /// See [`Error::Timeout`].
    Timeout,
    /// See [`Error::Decode`].
    Decode,
    /// See [`Error::OutcomeUnknown`].
    OutcomeUnknown,
    /// See [`Error::Config`].
    Config,
    /// See [`Error::DryRun`].
    DryRun,
}

impl Error {
    /// Input refused before I/O.
    pub fn invalid(field: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Operation not offered by this vendor.
    pub fn unsupported(vendor: Vendor, operation: Operation) -> Self {
        Self::Unsupported { vendor, operation }
    }

    /// Configuration refused.
    pub fn config(key: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Self::Config {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// Undecodable answer; `body` is cut to a short excerpt here, so no caller
    /// can forget to bound it.
    pub fn decode(vendor: Vendor, reason: impl Into<String>, body: &[u8]) -> Self {
        // Scrubbed before it is cut, so no part of a secret survives the cut.
        let head = String::from_utf8_lossy(&body[..body.len().min(120 * 4 + 1024)]);
        Self::Decode {
            vendor,
            reason: scrubbed(reason.into()),
            excerpt: excerpt(scrub(&head).as_bytes(), 120),
        }
    }

    /// The same error with every secret the process holds replaced by
    /// `***` in all of its text (see [`crate::secret::scrub`]). The
    /// transport applies it to every error it returns or logs.
    pub fn scrubbed(self) -> Self {
        let v = |mut e: VendorError| {
            e.code = scrubbed(e.code);
            e.message = scrubbed(e.message);
            e
        };
        match self {
            Self::InvalidInput { field, reason } => Self::InvalidInput {
                field,
                reason: scrubbed(reason),
            },
            Self::Authentication(e) => Self::Authentication(v(e)),
            Self::NotFound(e) => Self::NotFound(v(e)),
            Self::AlreadyExists(e) => Self::AlreadyExists(v(e)),
            Self::QuotaExceeded(e) => Self::QuotaExceeded(v(e)),
            Self::RateLimited { error, retry_after } => Self::RateLimited {
                error: v(error),
                retry_after,
            },
            Self::Vendor(e) => Self::Vendor(v(e)),
            Self::Transport {
                vendor,
                message,
                source,
                not_sent,
            } => Self::Transport {
                vendor,
                message: scrubbed(message),
                source,
                not_sent,
            },
            Self::Timeout { vendor, message } => Self::Timeout {
                vendor,
                message: scrubbed(message),
            },
            Self::Decode {
                vendor,
                reason,
                excerpt,
            } => Self::Decode {
                vendor,
                reason: scrubbed(reason),
                excerpt: scrubbed(excerpt),
            },
            Self::OutcomeUnknown {
                vendor,
                operation,
                message,
            } => Self::OutcomeUnknown {
                vendor,
                operation,
                message: scrubbed(message),
            },
            Self::Config { key, reason } => Self::Config {
                key,
                reason: scrubbed(reason),
            },
            other => other,
        }
    }

    /// The category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidInput { .. } => ErrorKind::InvalidInput,
            Self::Unsupported { .. } => ErrorKind::Unsupported,
            Self::Authentication(_) => ErrorKind::Authentication,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::AlreadyExists(_) => ErrorKind::AlreadyExists,
            Self::QuotaExceeded(_) => ErrorKind::QuotaExceeded,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Vendor(_) => ErrorKind::Vendor,
            Self::Transport { .. } => ErrorKind::Transport,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Decode { .. } => ErrorKind::Decode,
            Self::OutcomeUnknown { .. } => ErrorKind::OutcomeUnknown,
            Self::Config { .. } => ErrorKind::Config,
            Self::DryRun { .. } => ErrorKind::DryRun,
        }
    }

    /// Whether trying the same call again later may succeed.
    ///
    /// This says nothing about whether a retry is *safe*: a write whose outcome
    /// is unknown must not be blindly repeated (the transport decides that).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Vendor(e) => e.http_status.is_some_and(|s| s >= 500 || s == 429),
            // A body we cannot read is usually a proxy's error page.
            Self::Decode { .. } => true,
            _ => false,
        }
    }

    /// The vendor's refusal, when the vendor refused.
    pub fn vendor_error(&self) -> Option<&VendorError> {
        match self {
            Self::Authentication(e)
            | Self::NotFound(e)
            | Self::AlreadyExists(e)
            | Self::QuotaExceeded(e)
            | Self::Vendor(e)
            | Self::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// The vendor the error concerns, when it concerns one.
    pub fn vendor(&self) -> Option<Vendor> {
        match self {
            Self::Unsupported { vendor, .. }
            | Self::Transport { vendor, .. }
            | Self::Timeout { vendor, .. }
            | Self::Decode { vendor, .. }
            | Self::OutcomeUnknown { vendor, .. }
            | Self::DryRun { vendor, .. } => Some(*vendor),
            other => other.vendor_error().map(|e| e.vendor),
        }
    }

    /// The field named by an [`Error::InvalidInput`].
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// A short, printable, bounded start of a body, for error messages.
///
/// Invalid UTF-8 is replaced, control characters escaped, and anything that
/// looks like a credential parameter (`token=`, `secretId`, ...) is cut at
/// that point so an echoed request can never leak through an error.
pub fn excerpt(body: &[u8], max_chars: usize) -> String {
    let head = &body[..body.len().min(max_chars * 4)];
    let text = String::from_utf8_lossy(head);
    let mut out: String = text
        .chars()
        .take(max_chars)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let lower = out.to_ascii_lowercase();
    const MARKERS: [&str; 8] = [
        "token",
        "secret",
        "password",
        "unionkey",
        "union_key",
        "sign",
        "kefu-token",
        "accesstoken",
    ];
    if let Some(cut) = MARKERS.iter().filter_map(|m| lower.find(m)).min() {
        out.truncate(cut);
        out.push_str("[…redacted]");
    } else if text.chars().count() > max_chars || body.len() > head.len() {
        out.push('…');
    }
    mask_credential_like(&out)
}

/// Masks every run of 6+ ASCII letters and digits that mixes both (tokens,
/// hashes, passwords, uuids): a marker word garbled by bad bytes must not let
/// the value after it through. Words, numbers and Chinese text stay readable.
fn mask_credential_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let mixed = run.len() >= 6
            && run.bytes().any(|b| b.is_ascii_digit())
            && run.bytes().any(|b| b.is_ascii_alphabetic());
        out.push_str(if mixed { "•••" } else { run.as_str() });
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_retryability() {
        let v = VendorError::new(Vendor::Easemob, "API_104", "agent user not exist");
        assert_eq!(Error::NotFound(v.clone()).kind(), ErrorKind::NotFound);
        assert!(!Error::NotFound(v.clone()).is_retryable());
        assert!(Error::Vendor(v.clone().with_http_status(503)).is_retryable());
        assert!(!Error::Vendor(v).is_retryable());
        assert!(!Error::invalid("email", "x").is_retryable());
    }

    #[test]
    fn display_names_field_and_vendor_code() {
        let e = Error::invalid("password", "must be at least 8 characters");
        assert_eq!(
            e.to_string(),
            "invalid input: `password` must be at least 8 characters"
        );
        let e = Error::QuotaExceeded(VendorError::new(
            Vendor::Sobot,
            "200007",
            "在线客服数量不足",
        ));
        assert_eq!(
            e.to_string(),
            "quota exceeded: sobot refused with code 200007: 在线客服数量不足"
        );
    }

    #[test]
    fn excerpt_is_bounded_and_cuts_credentials() {
        let long = vec![b'a'; 10_000];
        assert!(excerpt(&long, 50).chars().count() <= 51);
        let e = excerpt(br#"{"ok":1,"token":"abcdef"}"#, 120);
        assert!(!e.contains("abcdef"), "{e}");
        assert_eq!(excerpt(&[0xff, 0xfe, b'x'], 10), "\u{fffd}\u{fffd}x");
    }

    #[test]
    fn a_garbled_marker_does_not_let_a_credential_through() {
        let body = "{\"passw\u{fffd}\u{fffd}ord\":\"qwe123456\", \"k\":\"4313913457bfd684eccbbb7405ba074f\"}";
        let e = excerpt(body.as_bytes(), 120);
        assert!(!e.contains("qwe123456") && !e.contains("4313913457"), "{e}");
        // Ordinary words, numbers and Chinese stay readable.
        assert_eq!(
            excerpt("502 Bad Gateway 商户不存在 20240501".as_bytes(), 120),
            "502 Bad Gateway 商户不存在 20240501"
        );
    }
}
