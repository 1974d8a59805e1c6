//! Serving a recorded run back (`kefu --record DIR`), VCR-style, so an
//! app's tests run against what a real vendor really answered.
//!
//! [`Replay`] is an [`Emulator`](super::Emulator): served by the same harness as the vendor
//! sandboxes, it gets the request log, faults and control endpoints too.
//!
//! Matching. A request is answered by the first recording not yet used
//! with the same method and path whose query and top-level body fields
//! agree, except fields that cannot agree between two runs:
//! - a field recorded as `***` (a secret: token, signature, password);
//! - a volatile field (by default `ts`, `timestamp`, `nonce`; add more with
//!   [`Replay::ignore_field`]).
//!
//! When every matching recording has been used, the last one is served
//! again (a client repeating a read sees the same answer). A request that
//! matches nothing gets 404 with `{"replay": "no recording for ..."}` and
//! is counted in [`Replay::misses`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kefu_core::Vendor;
use serde::Deserialize;
use serde_json::{Value, json};

/// What a masked secret looks like in a recording.
const MASK: &str = "***";

/// Fields that differ between two runs of the same command.
const VOLATILE: &[&str] = &["ts", "timestamp", "nonce"];

/// One recorded exchange, as `FolderRecorder` of kefu-http writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Recording {
    /// The file it came from.
    #[serde(skip)]
    pub file: String,
    /// `sobot` or `easemob`.
    pub vendor: String,
    /// HTTP method.
    pub method: String,
    /// Path below the base URL.
    pub path: String,
    /// Query pairs, secrets as `***`.
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// Request body (JSON, or text).
    #[serde(default)]
    pub body: Option<Value>,
    /// The answer's status; none when there was no answer.
    #[serde(default)]
    pub status: Option<u16>,
    /// The answer's body (JSON, or text).
    #[serde(default)]
    pub answer: Option<Value>,
    /// False for a request a dry run held back.
    #[serde(default = "yes")]
    pub sent: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default)]
struct Served {
    used: Vec<bool>,
    misses: Vec<String>,
}

/// A folder of recordings, served back.
#[derive(Debug)]
pub struct Replay {
    vendor: Vendor,
    recordings: Vec<Recording>,
    ignored: Mutex<Vec<String>>,
    served: Mutex<Served>,
}

impl Replay {
    /// Loads every `*.json` recording of `dir`, in file-name order (the
    /// order they were recorded). Held-back (dry-run) requests and
    /// exchanges without an answer are left out.
    pub fn load(dir: impl AsRef<Path>) -> std::io::Result<Arc<Self>> {
        let dir = dir.as_ref();
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect();
        names.sort();
        let mut recordings = Vec::new();
        for name in names {
            let text = std::fs::read_to_string(dir.join(&name))?;
            let mut r: Recording = serde_json::from_str(&text).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{name}: {e}"))
            })?;
            if r.sent && r.status.is_some() {
                r.file = name;
                recordings.push(r);
            }
        }
        let vendor = recordings
            .first()
            .and_then(|r| r.vendor.parse().ok())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: no recording with an answer", dir.display()),
                )
            })?;
        let used = vec![false; recordings.len()];
        Ok(Arc::new(Self {
            vendor,
            recordings,
            ignored: Mutex::new(VOLATILE.iter().map(|s| (*s).to_owned()).collect()),
            served: Mutex::new(Served {
                used,
                misses: Vec::new(),
            }),
        }))
    }

    /// Also ignores `field` (query parameter or top-level body field) when matching.
    pub fn ignore_field(&self, field: &str) {
        self.ignored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(field.to_owned());
    }

    /// The recordings loaded.
    pub fn recordings(&self) -> &[Recording] {
        &self.recordings
    }

    /// Requests that matched no recording (`METHOD path`).
    pub fn misses(&self) -> Vec<String> {
        self.served
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .misses
            .clone()
    }

    /// How many recordings have been served at least once.
    pub fn used(&self) -> usize {
        self.served
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .used
            .iter()
            .filter(|u| **u)
            .count()
    }

    fn matches(
        &self,
        r: &Recording,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> bool {
        if r.method != method || r.path != path {
            return false;
        }
        let ignored = self.ignored.lock().unwrap_or_else(|p| p.into_inner());
        let matters = |name: &str, recorded: &Value| {
            recorded != &Value::String(MASK.to_owned()) && !ignored.iter().any(|i| i == name)
        };
        for (name, recorded) in &r.query {
            if !matters(name, &Value::String(recorded.clone())) {
                continue;
            }
            if !query.iter().any(|(n, v)| n == name && v == recorded) {
                return false;
            }
        }
        match (&r.body, body) {
            (Some(Value::Object(recorded)), Some(Value::Object(got))) => recorded
                .iter()
                .filter(|(k, v)| matters(k, v))
                .all(|(k, v)| got.get(k) == Some(v)),
            (Some(Value::Object(_)), _) => false,
            _ => true,
        }
    }

    fn answer(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Response {
        let candidates: Vec<usize> = (0..self.recordings.len())
            .filter(|i| self.matches(&self.recordings[*i], method, path, query, body))
            .collect();
        let mut served = self.served.lock().unwrap_or_else(|p| p.into_inner());
        let pick = candidates
            .iter()
            .copied()
            .find(|i| !served.used[*i])
            .or_else(|| candidates.last().copied());
        let Some(i) = pick else {
            served.misses.push(format!("{method} {path}"));
            return (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"replay": format!("no recording for {method} {path}")})),
            )
                .into_response();
        };
        served.used[i] = true;
        let r = &self.recordings[i];
        let status = r
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        match &r.answer {
            Some(Value::String(text)) => (status, text.clone()).into_response(),
            Some(json) => {
                let mut response = (status, json.to_string()).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            None => status.into_response(),
        }
    }

    /// A value recorded for `name` in any query or body, for [`Emulator::env`].
    fn recorded(&self, name: &str) -> Option<String> {
        self.recordings.iter().find_map(|r| {
            let from_query = r
                .query
                .iter()
                .find(|(n, v)| n == name && v != MASK)
                .map(|(_, v)| v.clone());
            from_query.or_else(|| match r.body.as_ref()?.get(name)? {
                Value::String(s) if s != MASK => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        })
    }

    /// Easemob's tenant id, from the recorded paths.
    fn tenant_id(&self) -> Option<String> {
        self.recordings.iter().find_map(|r| {
            let rest = r
                .path
                .strip_prefix("/api/tenants/")
                .or_else(|| r.path.strip_prefix("/api/tenant/"))?;
            let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (!id.is_empty()).then_some(id)
        })
    }
}

async fn serve(replay: Arc<Replay>, request: Request) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query: Vec<(String, String)> = request.uri().query().map(url_pairs).unwrap_or_default();
    let bytes: Bytes = match axum::body::to_bytes(request.into_body(), 4 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let body: Option<Value> = if bytes.is_empty() {
        None
    } else {
        serde_json::from_slice(&bytes).ok()
    };
    replay.answer(&method, &path, &query, body.as_ref())
}

/// `a=1&b=x%20y` → pairs, percent- and plus-decoded.
fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl super::Emulator for Replay {
    fn vendor(&self) -> Vendor {
        self.vendor
    }

    fn routes(self: Arc<Self>) -> Router {
        // A route, not a fallback: the harness sets its own fallback.
        let replay = self.clone();
        Router::new()
            .route(
                "/{*path}",
                axum::routing::any(move |request: Request| serve(replay.clone(), request)),
            )
            .route(
                "/",
                axum::routing::any(move |request: Request| serve(self.clone(), request)),
            )
    }

    /// Forgets which recordings were used, and the misses.
    fn reset(&self) {
        let mut served = self.served.lock().unwrap_or_else(|p| p.into_inner());
        served.used.iter_mut().for_each(|u| *u = false);
        served.misses.clear();
    }

    /// Points kefu at the replay, with the identity the recordings were
    /// made with (tenant id, union code, ...) and placeholder secrets (the
    /// recordings hold none, and the replay checks none).
    fn env(&self, base_url: &str) -> Vec<(String, String)> {
        let mut env: BTreeMap<&str, String> = BTreeMap::new();
        env.insert("KEFU_VENDOR", self.vendor.as_str().to_owned());
        match self.vendor {
            Vendor::Sobot => {
                env.insert("KEFU_SOBOT_BASE_URL", base_url.to_owned());
                env.insert("KEFU_SOBOT_UNION_KEY", "replay".to_owned());
                for (key, field) in [
                    ("KEFU_SOBOT_UNION_CODE", "unionCode"),
                    ("KEFU_SOBOT_CUSTOMER_CODE", "customerCode"),
                ] {
                    if let Some(v) = self.recorded(field) {
                        env.insert(key, v);
                    }
                }
                // The platform admin's email is the one getTenantList signs
                // with; a tenant or staff write carries someone else's.
                let platform_email = self
                    .recordings
                    .iter()
                    .filter(|r| r.path.ends_with("getTenantList"))
                    .find_map(|r| r.body.as_ref()?.get("email")?.as_str().map(str::to_owned));
                if let Some(v) = platform_email.or_else(|| self.recorded("email")) {
                    env.insert("KEFU_SOBOT_EMAIL", v);
                }
            }
            _ => {
                env.insert("KEFU_EASEMOB_BASE_URL", base_url.to_owned());
                env.insert(
                    "KEFU_EASEMOB_TENANT_ID",
                    self.tenant_id().unwrap_or_else(|| "1".to_owned()),
                );
                env.insert(
                    "KEFU_EASEMOB_CLIENT_ID",
                    self.recorded("clientId")
                        .unwrap_or_else(|| "replay".to_owned()),
                );
                env.insert("KEFU_EASEMOB_SECRET_ID", "replay".to_owned());
            }
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    fn dump(&self) -> Value {
        json!({
            "recordings": self.recordings.len(),
            "used": self.used(),
            "misses": self.misses(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode() {
        assert_eq!(
            url_pairs("a=1&b=x%20y+z&c=%E4%B8%AD&d"),
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "x y z".to_owned()),
                ("c".to_owned(), "中".to_owned()),
                ("d".to_owned(), String::new()),
            ]
        );
        assert_eq!(decode("100%"), "100%");
    }
}
