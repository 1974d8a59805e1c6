//! The test vendor's tiny sandbox: a real HTTP server on loopback serving
//! its two endpoints, checking the bearer token, counting requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};

use crate::wire::{AgentsPage, RolesPage, WireAgent, WireRole};

/// The token the sandbox accepts.
pub const TOKEN: &str = "testvendor-token-s3cr3t";

struct Shared {
    requests: AtomicUsize,
    /// When set, every authorized request gets this body (status 200)
    /// instead: how tests play a vendor that answers garbage.
    answer: std::sync::Mutex<Option<String>>,
}

/// A running sandbox; stops when dropped.
#[derive(Debug)]
pub struct TestVendorSandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl TestVendorSandbox {
    /// Serves on a free port of 127.0.0.1.
    pub async fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            requests: AtomicUsize::new(0),
            answer: std::sync::Mutex::new(None),
        });
        let app = Router::new()
            .route("/v1/agents", get(agents))
            .route("/v1/roles", get(roles))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The variables that point kefu at this sandbox.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("KEFU_VENDOR".to_owned(), crate::VENDOR.to_string()),
            (crate::ENV_BASE_URL.to_owned(), self.base_url()),
            (crate::ENV_TOKEN.to_owned(), TOKEN.to_owned()),
        ]
    }

    /// From now on, answer every authorized request with `body` (200).
    pub fn answer_with(&self, body: &str) {
        if let Ok(mut answer) = self.shared.answer.lock() {
            *answer = Some(body.to_owned());
        }
    }

    /// How many requests reached it.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TestVendorSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A refusal or a forced answer, in place of the endpoint's own.
type Early = (StatusCode, String);

fn authorized(shared: &Shared, headers: &HeaderMap) -> Result<(), Early> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let expected = format!("Bearer {TOKEN}");
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(got) if got == expected => {}
        _ => {
            let body: Value = json!({"error": "bad token"});
            return Err((StatusCode::UNAUTHORIZED, body.to_string()));
        }
    }
    match shared.answer.lock().ok().and_then(|a| a.clone()) {
        Some(forced) => Err((StatusCode::OK, forced)),
        None => Ok(()),
    }
}

async fn agents(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<AgentsPage>, Early> {
    authorized(&shared, &headers)?;
    let agents = [("ann@example.com", "Ann"), ("bo@example.com", "Bo")]
        .into_iter()
        .map(|(email, name)| WireAgent {
            email: email.to_owned(),
            name: Some(name.to_owned()),
        })
        .collect();
    Ok(Json(AgentsPage { agents }))
}

async fn roles(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<RolesPage>, Early> {
    authorized(&shared, &headers)?;
    let roles = vec![WireRole {
        id: "r1".to_owned(),
        name: "admin".to_owned(),
    }];
    Ok(Json(RolesPage { roles }))
}
