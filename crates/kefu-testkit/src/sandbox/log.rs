use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// One request as the sandbox received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, as sent.
    pub path: String,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Headers, names lowercased (host, user-agent, accept and
    /// content-length are left out: they say nothing about the call).
    pub headers: BTreeMap<String, String>,
    /// The body as text, when there was one.
    pub body: Option<String>,
    /// The fault injected into this request, if any.
    pub fault: Option<String>,
    /// The HTTP status answered (before any injected fault).
    pub status: u16,
}

impl LoggedRequest {
    /// The body parsed as JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        self.body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
    }

    /// A query parameter's first value.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD path`, the key tests match on.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Every request a sandbox has served (control endpoints excluded).
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<LoggedRequest>>>);

impl RequestLog {
    pub(crate) fn push(&self, r: LoggedRequest) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(r);
    }

    /// A copy of the log.
    pub fn all(&self) -> Vec<LoggedRequest> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Requests to `METHOD path`.
    pub fn to_route(&self, method: &str, path: &str) -> Vec<LoggedRequest> {
        self.all()
            .into_iter()
            .filter(|r| r.method == method && r.path == path)
            .collect()
    }

    /// Number of requests logged.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether nothing was logged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
