use std::collections::{BTreeMap, VecDeque};
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

/// Requests a sandbox keeps by default: plenty for any test, bounded for a
/// long benchmark against `kefu sandbox serve`.
pub const DEFAULT_LOG_LIMIT: usize = 100_000;

/// The most recent requests a sandbox has served (control endpoints
/// excluded), at most [`RequestLog::limit`] of them: when full, the oldest
/// is dropped first.
#[derive(Debug, Clone)]
pub struct RequestLog(Arc<Mutex<Bounded>>);

#[derive(Debug)]
struct Bounded {
    entries: VecDeque<LoggedRequest>,
    limit: usize,
    dropped: u64,
}

impl Default for RequestLog {
    fn default() -> Self {
        Self::with_limit(DEFAULT_LOG_LIMIT)
    }
}

impl RequestLog {
    /// A log keeping at most `limit` requests (at least 1).
    pub fn with_limit(limit: usize) -> Self {
        Self(Arc::new(Mutex::new(Bounded {
            entries: VecDeque::new(),
            limit: limit.max(1),
            dropped: 0,
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bounded> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn push(&self, r: LoggedRequest) {
        let mut log = self.lock();
        while log.entries.len() >= log.limit {
            log.entries.pop_front();
            log.dropped += 1;
        }
        log.entries.push_back(r);
    }

    /// How many requests it keeps.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Keeps at most `limit` requests (at least 1) from now on, dropping the
    /// oldest if there are more.
    pub fn set_limit(&self, limit: usize) {
        let mut log = self.lock();
        log.limit = limit.max(1);
        while log.entries.len() > log.limit {
            log.entries.pop_front();
            log.dropped += 1;
        }
    }

    /// Requests dropped to stay within the limit since the last clear.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// A copy of the log, oldest first.
    pub fn all(&self) -> Vec<LoggedRequest> {
        self.lock().entries.iter().cloned().collect()
    }

    /// Requests to `METHOD path`.
    pub fn to_route(&self, method: &str, path: &str) -> Vec<LoggedRequest> {
        self.lock()
            .entries
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .cloned()
            .collect()
    }

    /// Number of requests logged.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing was logged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut log = self.lock();
        log.entries.clear();
        log.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: usize) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            path: format!("/{n}"),
            query: Vec::new(),
            headers: BTreeMap::new(),
            body: None,
            fault: None,
            status: 200,
        }
    }

    #[test]
    fn the_oldest_requests_are_dropped_first() {
        let log = RequestLog::with_limit(3);
        for n in 0..5 {
            log.push(request(n));
        }
        let paths: Vec<String> = log.all().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/2", "/3", "/4"]);
        assert_eq!(log.dropped(), 2);
        log.set_limit(1);
        assert_eq!(log.all()[0].path, "/4");
        assert_eq!(log.dropped(), 4);
        log.clear();
        assert!(log.is_empty());
        assert_eq!(log.dropped(), 0);
    }
}
