//! A request as a vendor crate describes it, and the answer as read.
//!
//! `Debug` of a [`WireRequest`] never shows a secret header or query value,
//! nor the body (which may hold a password or signature): only its length.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, Method};
use kefu_core::{Error, Operation, Result, Secret};
use serde::Serialize;

/// A header or query value that may be a credential.
#[derive(Clone)]
pub enum Value {
    /// Printable.
    Plain(String),
    /// Printed as `[REDACTED]`.
    Secret(Secret),
}

impl Value {
    /// The value as sent. Only the transport and the redactor need it.
    pub(crate) fn expose(&self) -> &str {
        match self {
            Value::Plain(s) => s,
            Value::Secret(s) => s.expose(),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Plain(s) => fmt::Debug::fmt(s, f),
            Value::Secret(s) => fmt::Debug::fmt(s, f),
        }
    }
}

/// One request to a vendor, relative to the client's base URL.
#[derive(Clone)]
pub struct WireRequest {
    /// Which operation this serves (for tracing and errors).
    pub operation: Operation,
    /// HTTP method.
    pub method: Method,
    /// Path below the base URL, starting with `/`.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, Value)>,
    /// Extra headers.
    pub headers: Vec<(String, Value)>,
    /// JSON body bytes.
    pub body: Option<Bytes>,
    /// Whether repeating it cannot change the outcome (reads; idempotent writes).
    pub idempotent: bool,
    /// Whether it changes state at the vendor (a dry run holds such
    /// requests back). From the operation; a vendor clears it on a request
    /// that only obtains credentials for a write (a token).
    pub changes_state: bool,
    /// A rate limit every retry of this request waits on. The caller waits
    /// on it before the first attempt itself, so it can sign after the wait.
    pub retry_pacer: Option<crate::Pacer>,
    /// Why [`WireRequest::json`] could not serialize the body; the
    /// transport refuses to send such a request.
    body_error: Option<String>,
}

impl WireRequest {
    /// A request with no query, headers or body.
    pub fn new(operation: Operation, method: Method, path: impl Into<String>) -> Self {
        let idempotent = method == Method::GET;
        Self {
            operation,
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            idempotent,
            changes_state: crate::observe::is_write(operation),
            retry_pacer: None,
            body_error: None,
        }
    }

    /// A GET, idempotent.
    pub fn get(operation: Operation, path: impl Into<String>) -> Self {
        Self::new(operation, Method::GET, path)
    }

    /// A POST; not idempotent unless [`WireRequest::idempotent`] says so.
    pub fn post(operation: Operation, path: impl Into<String>) -> Self {
        Self::new(operation, Method::POST, path)
    }

    /// Marks the request safe (or unsafe) to repeat.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Marks the request as changing state at the vendor, or not (a token
    /// fetched for a write changes nothing, so a dry run may send it).
    pub fn changes_state(mut self, yes: bool) -> Self {
        self.changes_state = yes;
        self
    }

    /// Makes every retry wait on `pacer` (the first attempt is the caller's).
    pub fn pace_retries(mut self, pacer: crate::Pacer) -> Self {
        self.retry_pacer = Some(pacer);
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), Value::Plain(value.into())));
        self
    }

    /// Adds a query parameter only when it has a value.
    pub fn query_opt(self, name: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Adds a credential query parameter.
    pub fn secret_query(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.query.push((name.into(), Value::Secret(value)));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), Value::Plain(value.into())));
        self
    }

    /// Adds a credential header.
    pub fn secret_header(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.headers.push((name.into(), Value::Secret(value)));
        self
    }

    /// Sets a JSON body. Should `body` fail to serialize (a map with
    /// non-string keys, a failing `Serialize` impl), nothing is sent: the
    /// transport answers [`Error::InvalidInput`] naming `body` (as reqwest's
    /// `RequestBuilder::json` defers its error to `send`).
    pub fn json(mut self, body: &impl Serialize) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Some(Bytes::from(bytes));
                self.body_error = None;
            }
            Err(e) => {
                self.body = None;
                self.body_error = Some(e.to_string());
            }
        }
        self
    }

    /// Whether the request can be sent: an error when its body could not
    /// be serialized. The transport checks it before anything else.
    pub fn check(&self) -> Result<()> {
        match &self.body_error {
            None => Ok(()),
            Some(why) => Err(Error::invalid(
                "body",
                format!("of {} cannot be sent as JSON: {why}", self.operation),
            )),
        }
    }
}

impl fmt::Debug for WireRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireRequest")
            .field("operation", &self.operation.name())
            .field("method", &self.method.as_str())
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.as_ref().map(Bytes::len))
            .field("idempotent", &self.idempotent)
            .field("body_error", &self.body_error)
            .finish()
    }
}

/// An answer as read off the wire (status, headers, bounded body).
#[derive(Clone)]
pub struct WireResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, at most the configured size.
    pub body: Bytes,
}

impl WireResponse {
    /// A response (for tests and decoders).
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Debug for WireResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireResponse")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets_and_body() {
        let r = WireRequest::get(
            Operation::AgentStatusLog,
            "/tenantpro/coutomer/getStaffLogInfos",
        )
        .query("unionCode", "10004")
        .secret_query("token", Secret::new("d41d8cd98f00b204e9800998ecf8427e"))
        .secret_header(
            "Kefu-Token",
            Secret::new("4313913457bfd684eccbbb7405ba074f"),
        )
        .json(&serde_json::json!({"password": "qwe12345"}));
        let s = format!("{r:?}");
        assert!(!s.contains("d41d8cd9"), "{s}");
        assert!(!s.contains("43139134"), "{s}");
        assert!(!s.contains("qwe12345"), "{s}");
        assert!(s.contains("10004"), "{s}");
    }
}
