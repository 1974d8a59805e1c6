//! Watching the exchanges a transport makes, and holding writes back.
//!
//! One mechanism serves three operator features: `--record DIR` and
//! `--debug` are [`ExchangeObserver`]s told about every exchange, and
//! `--dry-run` is an observer told about every write *instead of* sending
//! it. Every observer sees the exchange already redacted
//! ([`crate::redact`]): none can leak a secret by mistake.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kefu_core::{Operation, Result, Vendor};
use serde::Serialize;
use serde_json::Value;

use crate::redact::Redactor;
use crate::request::{WireRequest, WireResponse};

/// Whether `op` changes state at the vendor. Sobot reads are POSTs too, so
/// the method cannot tell.
pub fn is_write(op: Operation) -> bool {
    matches!(
        op,
        Operation::AddTenant
            | Operation::UpdateTenant
            | Operation::AddAgent
            | Operation::UpdateAgent
            | Operation::DeleteAgent
            | Operation::EnableAgent
            | Operation::DisableAgent
            | Operation::SetAgentPassword
    )
}

/// One exchange with every secret replaced by `***`, as it is recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// The vendor called.
    pub vendor: Vendor,
    /// The operation served (`agents.add`, ...).
    pub operation: &'static str,
    /// 1 for the first attempt, 2 for its first retry, ...
    pub attempt: u32,
    /// HTTP method.
    pub method: String,
    /// Path below the base URL.
    pub path: String,
    /// Query parameters in order, secrets masked.
    pub query: Vec<(String, String)>,
    /// The request body (JSON, or text when not JSON), secrets masked.
    pub body: Option<Value>,
    /// The answer's HTTP status; `None` when there was no answer (or, in a
    /// dry run, nothing was sent).
    pub status: Option<u16>,
    /// The answer's body, secrets masked.
    pub answer: Option<Value>,
    /// Why there was no answer (transport failure), secret-free.
    pub error: Option<String>,
    /// Time from sending to the end of the answer, in milliseconds.
    pub elapsed_ms: u64,
    /// False in a dry run: the request was held back.
    pub sent: bool,
}

impl Exchange {
    /// A request that was held back (dry run).
    pub fn held(vendor: Vendor, request: &WireRequest) -> Self {
        Self::build(vendor, request, 0, None, Duration::ZERO, false)
    }

    /// A request that was sent, with what came of it.
    pub fn observed(
        vendor: Vendor,
        request: &WireRequest,
        attempt: u32,
        result: &Result<WireResponse>,
        elapsed: Duration,
    ) -> Self {
        Self::build(vendor, request, attempt, Some(result), elapsed, true)
    }

    /// [`Exchange::observed`] without the bodies (`body` and `answer` are
    /// `None`), for observers that do not read them.
    pub fn observed_without_bodies(
        vendor: Vendor,
        request: &WireRequest,
        attempt: u32,
        result: &Result<WireResponse>,
        elapsed: Duration,
    ) -> Self {
        let mut redactor = Redactor::default();
        redactor.learn_wire(&request.headers);
        redactor.learn_wire(&request.query);
        let (status, error) = match result {
            Ok(response) => (Some(response.status), None),
            Err(e) => (None, Some(redactor.scrub(&e.to_string()))),
        };
        Self {
            vendor,
            operation: request.operation.name(),
            attempt,
            method: request.method.as_str().to_owned(),
            path: redactor.scrub(&request.path),
            query: redactor.redact_pairs(&request.query),
            body: None,
            status,
            answer: None,
            error,
            elapsed_ms: elapsed.as_millis().try_into().unwrap_or(u64::MAX),
            sent: true,
        }
    }

    fn build(
        vendor: Vendor,
        request: &WireRequest,
        attempt: u32,
        result: Option<&Result<WireResponse>>,
        elapsed: Duration,
        sent: bool,
    ) -> Self {
        let mut redactor = Redactor::default();
        redactor.learn_wire(&request.headers);
        redactor.learn_wire(&request.query);
        let body = request
            .body
            .as_ref()
            .map(|b| serde_json::from_slice::<Value>(b).ok());
        if let Some(Some(json)) = &body {
            redactor.learn_json(json);
        }
        let answer_json = match result {
            Some(Ok(response)) => serde_json::from_slice::<Value>(&response.body).ok(),
            _ => None,
        };
        if let Some(json) = &answer_json {
            // A token the vendor hands out is a secret from then on.
            redactor.learn_json(json);
        }
        let body = match (&request.body, body) {
            (_, Some(Some(json))) => Some(redactor.redact_json(&json)),
            (Some(bytes), _) => Some(redactor.redact_body(bytes)),
            (None, _) => None,
        };
        let (status, answer, error) = match result {
            Some(Ok(response)) => (
                Some(response.status),
                Some(match &answer_json {
                    Some(json) => redactor.redact_json(json),
                    None => redactor.redact_body(&response.body),
                }),
                None,
            ),
            Some(Err(e)) => (None, None, Some(redactor.scrub(&e.to_string()))),
            None => (None, None, None),
        };
        Self {
            vendor,
            operation: request.operation.name(),
            attempt,
            method: request.method.as_str().to_owned(),
            path: redactor.scrub(&request.path),
            query: redactor.redact_pairs(&request.query),
            body,
            status,
            answer,
            error,
            elapsed_ms: elapsed.as_millis().try_into().unwrap_or(u64::MAX),
            sent,
        }
    }
}

/// Told about exchanges. Must be quick: it runs on the request's task.
pub trait ExchangeObserver: Send + Sync {
    /// One exchange, redacted.
    fn exchange(&self, exchange: &Exchange);

    /// Whether it reads the bodies (`body`, `answer`). Redacting them costs
    /// a parse and a copy of every answer; an observer of method, path,
    /// status and time (`--debug`) says `false` and is handed an exchange
    /// without them, unless another observer wants them anyway.
    fn wants_bodies(&self) -> bool {
        true
    }
}

/// The observers of a transport, and the dry-run sink if writes are held back.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Told about every exchange sent (record, debug).
    pub observers: Vec<Arc<dyn ExchangeObserver>>,
    /// When set, every write ([`WireRequest::changes_state`]) goes here
    /// instead of to the vendor, and the call fails with
    /// [`kefu_core::Error::DryRun`].
    pub dry_run: Option<Arc<dyn ExchangeObserver>>,
}

impl Hooks {
    /// Whether anything watches.
    pub fn is_empty(&self) -> bool {
        self.observers.is_empty() && self.dry_run.is_none()
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("observers", &self.observers.len())
            .field("dry_run", &self.dry_run.is_some())
            .finish()
    }
}

/// The same hooks: the very same observers, in order.
impl PartialEq for Hooks {
    fn eq(&self, other: &Self) -> bool {
        let same = |a: &Arc<dyn ExchangeObserver>, b: &Arc<dyn ExchangeObserver>| {
            std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
        };
        self.observers.len() == other.observers.len()
            && self
                .observers
                .iter()
                .zip(&other.observers)
                .all(|(a, b)| same(a, b))
            && match (&self.dry_run, &other.dry_run) {
                (Some(a), Some(b)) => same(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}
