use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kefu_core::Vendor;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Chaos, Emulator, Fault, LoggedRequest, RequestLog};

/// Largest request body a sandbox reads.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A running sandbox: a real HTTP server on loopback. Stops when dropped.
pub struct Sandbox {
    vendor: Vendor,
    base_url: String,
    addr: SocketAddr,
    log: RequestLog,
    chaos: Chaos,
    emulator: Arc<dyn Emulator>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url)
            .finish()
    }
}

#[derive(Clone)]
struct Harness {
    log: RequestLog,
    chaos: Chaos,
    emulator: Arc<dyn Emulator>,
    /// The last successful body served per path, for [`Fault::Replay`].
    served: Arc<std::sync::Mutex<BTreeMap<String, Bytes>>>,
}

impl Sandbox {
    /// Serves `emulator` on 127.0.0.1 at a free port.
    pub async fn start(emulator: Arc<dyn Emulator>) -> std::io::Result<Self> {
        Self::start_on(emulator, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serves `emulator` at `addr` (port 0: a free one).
    pub async fn start_on(emulator: Arc<dyn Emulator>, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let harness = Harness {
            log: RequestLog::default(),
            chaos: Chaos::default(),
            emulator: emulator.clone(),
            served: Arc::default(),
        };
        let control = Router::new()
            .route("/__sandbox/reset", post(reset))
            .route("/__sandbox/requests", get(requests).delete(clear_requests))
            .route("/__sandbox/chaos", post(add_fault).delete(clear_faults))
            .route("/__sandbox/state", get(state))
            .route("/__sandbox/vendor/{action}", post(vendor_control))
            .with_state(harness.clone());
        let app = emulator
            .clone()
            .routes()
            .fallback(unknown_route)
            .layer(middleware::from_fn_with_state(
                harness.clone(),
                log_and_chaos,
            ))
            .merge(control);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "sandbox server stopped");
            }
        });
        Ok(Self {
            vendor: emulator.vendor(),
            base_url: format!("http://{addr}"),
            addr,
            log: harness.log,
            chaos: harness.chaos,
            emulator,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The vendor emulated.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The request log.
    pub fn log(&self) -> &RequestLog {
        &self.log
    }

    /// A copy of every request served so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.all()
    }

    /// Fault injection.
    pub fn chaos(&self) -> &Chaos {
        &self.chaos
    }

    /// The emulator behind the server.
    pub fn emulator(&self) -> &Arc<dyn Emulator> {
        &self.emulator
    }

    /// Back to the seeded state, with an empty log and no faults.
    pub fn reset(&self) {
        self.emulator.reset();
        self.log.clear();
        self.chaos.clear();
    }

    /// Environment variables that point `kefu` at this sandbox.
    pub fn env(&self) -> Vec<(String, String)> {
        self.emulator.env(&self.base_url)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Logs every vendor request and applies the next queued fault.
async fn log_and_chaos(State(h): State<Harness>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response(),
    };
    let query: Vec<(String, String)> = parts.uri.query().map(url_decode_pairs).unwrap_or_default();
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "host" | "user-agent" | "accept" | "content-length" | "accept-encoding"
            )
        })
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut entry = LoggedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query,
        headers,
        body: (!bytes.is_empty()).then(|| String::from_utf8_lossy(&bytes).into_owned()),
        fault: None,
        status: 0,
    };

    let latency = h.chaos.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = h.chaos.take();
    entry.fault = fault.as_ref().map(Fault::name);

    // Faults that answer without serving: the request never takes effect.
    let early = match &fault {
        Some(Fault::Status { status }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some((status, format!("sandbox: injected {status}")).into_response())
        }
        Some(Fault::DropBefore) => Some(broken_body(StatusCode::OK)),
        Some(Fault::Html) => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            )
                .into_response(),
        ),
        Some(Fault::RateLimit { retry_after_secs }) => {
            let mut r = (StatusCode::TOO_MANY_REQUESTS, "sandbox: slow down").into_response();
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Some(r)
        }
        Some(Fault::Echo { status, json }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
            let echo = format!(
                "bad request {} {}?{:?} headers {:?} body {}",
                entry.method,
                entry.path,
                entry.query,
                entry.headers,
                entry.body.as_deref().unwrap_or("")
            );
            Some(if *json {
                (
                    status,
                    [(header::CONTENT_TYPE, "application/json")],
                    h.emulator.refusal(&echo).to_string(),
                )
                    .into_response()
            } else {
                (status, echo).into_response()
            })
        }
        Some(Fault::Replay) => {
            let last = h
                .served
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&entry.path)
                .cloned();
            last.map(|body| {
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    body,
                )
                    .into_response()
            })
        }
        _ => None,
    };
    if let Some(response) = early {
        entry.status = response.status().as_u16();
        h.log.push(entry);
        return response;
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    entry.status = response.status().as_u16();
    let path = entry.path.clone();
    h.log.push(entry);
    // Keep what was served, for a replay later (the answer is rebuilt from
    // the bytes: they were going to be sent as they are anyway).
    let response = if response.status() == StatusCode::OK && !path.starts_with("/__sandbox") {
        let (parts, body) = response.into_parts();
        let full = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let full = if fault == Some(Fault::DuplicateItems) {
            duplicate_items(&full)
        } else {
            full
        };
        h.served
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path, full.clone());
        let mut parts = parts;
        parts.headers.remove(header::CONTENT_LENGTH);
        Response::from_parts(parts, Body::from(full))
    } else {
        response
    };
    match fault {
        Some(Fault::DropAfter) => broken_body(response.status()),
        Some(Fault::Truncate) => {
            let (parts, body) = response.into_parts();
            let full = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = full.slice(..full.len() / 2);
            let mut parts = parts;
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(half))
        }
        _ => response,
    }
}

/// The answer with every `items` array listing each item twice.
fn duplicate_items(body: &Bytes) -> Bytes {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    if k == "items"
                        && let serde_json::Value::Array(items) = child
                    {
                        let copy = items.clone();
                        items.extend(copy);
                    }
                    walk(child);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut v) => {
            walk(&mut v);
            Bytes::from(v.to_string())
        }
        Err(_) => body.clone(),
    }
}

/// A response whose body fails mid-way, so the connection is cut.
fn broken_body(status: StatusCode) -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox: dropped",
        ))
    });
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = status;
    r
}

fn url_decode_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'%'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn unknown_route(request: Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!(
            "sandbox: no such endpoint {} {}",
            request.method(),
            request.uri().path()
        ),
    )
        .into_response()
}

async fn reset(State(h): State<Harness>) -> StatusCode {
    h.emulator.reset();
    h.log.clear();
    h.chaos.clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(h): State<Harness>) -> axum::Json<Vec<LoggedRequest>> {
    axum::Json(h.log.all())
}

async fn clear_requests(State(h): State<Harness>) -> StatusCode {
    h.log.clear();
    StatusCode::NO_CONTENT
}

#[derive(serde::Deserialize)]
struct FaultRequest {
    #[serde(flatten)]
    fault: Option<Fault>,
    #[serde(default = "one")]
    count: usize,
    latency_ms: Option<u64>,
}

fn one() -> usize {
    1
}

async fn add_fault(State(h): State<Harness>, body: Bytes) -> Response {
    let req: FaultRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("bad fault: {e}")).into_response(),
    };
    if let Some(ms) = req.latency_ms {
        h.chaos.set_latency(std::time::Duration::from_millis(ms));
    }
    if let Some(fault) = req.fault {
        h.chaos.inject(fault, req.count);
    }
    axum::Json(serde_json::json!({ "pending": h.chaos.pending() })).into_response()
}

async fn clear_faults(State(h): State<Harness>) -> StatusCode {
    h.chaos.clear();
    StatusCode::NO_CONTENT
}

async fn state(State(h): State<Harness>) -> axum::Json<serde_json::Value> {
    axum::Json(h.emulator.dump())
}

async fn vendor_control(
    State(h): State<Harness>,
    Path(action): Path<String>,
    body: Bytes,
) -> Response {
    let arg = if body.is_empty() {
        serde_json::Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return (StatusCode::BAD_REQUEST, format!("bad argument: {e}")).into_response();
            }
        }
    };
    match h.emulator.control(&action, arg) {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_form_encoding() {
        assert_eq!(percent_decode("Terminal%2CAbort"), "Terminal,Abort");
        assert_eq!(percent_decode("a+b"), "a b");
        assert_eq!(
            percent_decode("2018-04-16T00%3A00%3A00.000Z"),
            "2018-04-16T00:00:00.000Z"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%E4%B8%AD"), "中");
    }
}
