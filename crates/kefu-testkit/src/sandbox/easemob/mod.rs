//! The Easemob Kefu (环信客服云) emulator: every endpoint of the vendor's
//! document, behaving as the document says.
//!
//! - Tokens: POST `/api/tenant/{tenantId}/accessToken` checks the tenant
//!   (API_003) and `clientId`/`secretId` (API_004) and issues a token valid
//!   for `expireTime` 7200 s; every `/api/tenants/{tenantId}/...` call checks
//!   the `Kefu-Token` header (API_002) and the tenant (API_003). Tests can
//!   make every issued token die early ([`EasemobEmulator::expire_tokens`]),
//!   as the document warns a real token may.
//! - Agents are kept in memory, so add → search → update → disable →
//!   enable → password → delete round-trips. Bodies need
//!   `Content-Type: application/json`; fields are checked with the
//!   document's codes (API_001, 102, 103, 104, 105, 106, 107, 108, 109).
//! - Sessions are derived from `(seed, index)` on demand (see `sessions.rs`),
//!   so a million cost no memory; sessions added while running are kept.
//!   Pages follow the document (page from 1, API_111; `per_page` at most
//!   50, API_112), agent pages too (page from 0).
//! - Refusals: HTTP 401 for API_002/003/004, HTTP 400 for the other codes,
//!   body `{"status":"FAIL","errorCode":"API_xxx","errorDescription":"..."}`
//!   (the document shows no envelope; this one is the sandbox's choice).
//!
//! ```no_run
//! # async fn t() -> std::io::Result<()> {
//! let sandbox = kefu_testkit::sandbox::easemob::start(Default::default()).await?;
//! println!("{}", sandbox.base_url());
//! # Ok(()) }
//! ```

mod data;
mod routes;
mod sessions;

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::http::HeaderMap;
use kefu_core::{Clock, SystemClock, Vendor};
use md5::{Digest, Md5};
use serde_json::{Value, json};

use self::data::{AgentRec, seed_agents, stream, uuid};
use self::routes::{FOREIGN_AGENT, Refusal, fail};
pub use self::sessions::Insert;
use self::sessions::{SessionFilter, SessionSpace, TimeField};
use super::{Emulator, Sandbox, SeedConfig};

/// The sandbox's tenant id (the document's examples use tenant 1).
pub const TENANT_ID: &str = "1";
/// The sandbox's clientID (the document's example value).
pub const CLIENT_ID: &str = "8340a6d8-211f-4b81-9202-63ce46f27c02";
/// The sandbox's secretID (the document's example value; not a real credential).
pub const SECRET_ID: &str = "ca906984-80f1-41b0-a272-6000df3f76c4";
/// The document's `expireTime`, in seconds.
pub const TOKEN_TTL_SECS: i64 = 7200;

/// A token the sandbox issued.
#[derive(Debug, Clone)]
struct Issued {
    tenant: String,
    expires_at_ms: i64,
    alive: bool,
}

#[derive(Debug)]
struct State {
    agents: Vec<AgentRec>,
    sessions: SessionSpace,
    tokens: HashMap<String, Issued>,
    token_requests: usize,
    token_ttl: i64,
    /// Issuing a token retires every older token of its tenant, as some
    /// vendors do; the test of one token shared by many processes.
    retire_old_tokens: bool,
    /// Session page requests served since the last reset.
    session_requests: u64,
    /// Inserts due after so many session page requests.
    scheduled: Vec<(u64, usize, Insert)>,
    /// Serve sessions newest first whatever `sortOrder` says, as a vendor
    /// that ignores it would.
    ignore_sort_order: bool,
}

impl State {
    fn seeded(config: &SeedConfig) -> Self {
        let agents = seed_agents(config);
        let sessions = SessionSpace::new(config, &agents);
        Self {
            agents,
            sessions,
            tokens: HashMap::new(),
            token_requests: 0,
            token_ttl: TOKEN_TTL_SECS,
            retire_old_tokens: false,
            session_requests: 0,
            scheduled: Vec::new(),
            ignore_sort_order: false,
        }
    }
}

/// The Easemob emulator; serve it with [`start`] or [`Sandbox::start`].
pub struct EasemobEmulator {
    config: SeedConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    /// Tokens issued since creation (never reset, so a token value is never
    /// issued twice).
    issued: AtomicU64,
}

impl std::fmt::Debug for EasemobEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EasemobEmulator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EasemobEmulator {
    /// An emulator seeded from `config`, reading the system clock.
    pub fn new(config: SeedConfig) -> Arc<Self> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// An emulator whose "now" (token expiry, new agents and sessions) comes
    /// from `clock`.
    pub fn with_clock(config: SeedConfig, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::seeded(&config)),
            config,
            clock,
            issued: AtomicU64::new(0),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Requests that reached the token endpoint since the last reset (one
    /// answered by an injected fault never reaches it and is not counted).
    pub fn token_requests(&self) -> usize {
        self.state().token_requests
    }

    /// Makes every token issued so far invalid (API_002 from now on);
    /// returns how many were still valid.
    pub fn expire_tokens(&self) -> usize {
        let mut s = self.state();
        let mut n = 0;
        for t in s.tokens.values_mut().filter(|t| t.alive) {
            t.alive = false;
            n += 1;
        }
        n
    }

    /// Sets the `expireTime` of tokens issued from now on.
    pub fn set_token_ttl(&self, secs: i64) {
        self.state().token_ttl = secs.max(1);
    }

    /// With `on`, every token issued from now on retires all older tokens
    /// of its tenant (API_002 for them): the mode in which processes that
    /// each fetch their own token knock each other's out.
    pub fn set_retire_old_tokens(&self, on: bool) {
        self.state().retire_old_tokens = on;
    }

    /// Adds `count` sessions that finished now (after every seeded one);
    /// returns the number of sessions in all.
    pub fn add_sessions(&self, count: usize) -> u64 {
        let now = self.now_ms() / 1000;
        self.state().sessions.add(count, now)
    }

    /// Inserts `count` sessions created in one same second at the
    /// `at` of the seeded period (before it, in its middle, or after every
    /// session); returns the number of sessions in all.
    pub fn insert_sessions(&self, count: usize, at: Insert) -> u64 {
        let now = self.now_ms() / 1000;
        self.state().sessions.insert(count, at, now)
    }

    /// Inserts `count` sessions at `at` right before serving the session
    /// page request number `after + 1` (so in the middle of a read).
    pub fn insert_sessions_after(&self, after: u64, count: usize, at: Insert) {
        self.state().scheduled.push((after, count, at));
    }

    /// Whether to serve sessions newest first whatever `sortOrder` asks.
    pub fn ignore_sort_order(&self, yes: bool) {
        self.state().ignore_sort_order = yes;
    }

    /// Sessions in all (seeded and added).
    pub fn session_count(&self) -> u64 {
        self.state().sessions.len()
    }

    /// Every `serviceSessionId`, oldest first (for tests: what an export
    /// must return).
    pub fn session_ids(&self) -> Vec<String> {
        let s = self.state();
        s.sessions.indices().map(|i| s.sessions.id(i)).collect()
    }

    /// Session `index` (oldest first) as the vendor would answer it.
    pub fn session(&self, index: u64) -> Option<Value> {
        let s = self.state();
        (index < s.sessions.len()).then(|| s.sessions.record(index))
    }

    /// The agent whose login is `username`, in the agents-search shape, with
    /// its password under `"password"` (tests assert on it; the vendor
    /// answers `""`).
    pub fn agent(&self, username: &str) -> Option<Value> {
        let s = self.state();
        let a = s
            .agents
            .iter()
            .find(|a| a.username.eq_ignore_ascii_case(username))?;
        let mut v = a.search_json();
        v["password"] = Value::String(a.password.clone());
        Some(v)
    }

    /// Every agent's login, in search order.
    pub fn usernames(&self) -> Vec<String> {
        self.state()
            .agents
            .iter()
            .map(|a| a.username.clone())
            .collect()
    }

    // ------------------------------------------------ used by the routes --

    fn count_token_request(&self) {
        self.state().token_requests += 1;
    }

    /// A new token for `tenant` and its `expireTime`.
    fn issue_token(&self, tenant: &str) -> (String, i64) {
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        let digest = Md5::digest(format!("easemob-sandbox:{}:{n}", self.config.seed).as_bytes());
        let token: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let now = self.now_ms();
        let mut s = self.state();
        let ttl = s.token_ttl;
        if s.retire_old_tokens {
            for t in s.tokens.values_mut().filter(|t| t.tenant == tenant) {
                t.alive = false;
            }
        }
        s.tokens.insert(
            token.clone(),
            Issued {
                tenant: tenant.to_owned(),
                expires_at_ms: now + ttl * 1000,
                alive: true,
            },
        );
        (token, ttl)
    }

    /// The `Kefu-Token` check of every `/api/tenants/{tenantId}/...` call.
    fn authorize(&self, tenant: &str, headers: &HeaderMap) -> Result<(), Refusal> {
        let token = headers
            .get("kefu-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let now = self.now_ms();
        let s = self.state();
        match s.tokens.get(token) {
            Some(t) if t.alive && now < t.expires_at_ms => {
                if t.tenant == tenant {
                    Ok(())
                } else {
                    Err(fail("API_003"))
                }
            }
            _ => Err(fail("API_002")),
        }
    }

    fn with_agents<T>(&self, f: impl FnOnce(&[AgentRec]) -> T) -> T {
        f(&self.state().agents)
    }

    fn create_agent(&self, mut agent: AgentRec) -> Result<AgentRec, Refusal> {
        let now = self.now_ms() / 1000;
        let mut s = self.state();
        if s.agents
            .iter()
            .any(|a| a.username.eq_ignore_ascii_case(&agent.username))
        {
            return Err(fail("API_103"));
        }
        agent.user_id = uuid(
            self.config.seed,
            stream::NEW_AGENT,
            s.agents.len() as u64 + (now as u64) * 1_000_000,
        );
        agent.created = now;
        agent.updated = now;
        s.agents.push(agent.clone());
        Ok(agent)
    }

    fn change_agent(&self, username: &str, f: impl FnOnce(&mut AgentRec)) -> Result<(), Refusal> {
        if username.eq_ignore_ascii_case(FOREIGN_AGENT) {
            return Err(fail("API_105"));
        }
        let now = self.now_ms() / 1000;
        let mut s = self.state();
        let agent = s
            .agents
            .iter_mut()
            .find(|a| a.username.eq_ignore_ascii_case(username))
            .ok_or_else(|| fail("API_104"))?;
        f(agent);
        agent.updated = now;
        Ok(())
    }

    fn remove_agent(&self, username: &str) -> Result<(), Refusal> {
        if username.eq_ignore_ascii_case(FOREIGN_AGENT) {
            return Err(fail("API_105"));
        }
        let mut s = self.state();
        let pos = s
            .agents
            .iter()
            .position(|a| a.username.eq_ignore_ascii_case(username))
            .ok_or_else(|| fail("API_104"))?;
        let admins = s.agents.iter().filter(|a| a.role_id == 1).count();
        if s.agents[pos].role_id == 1 && admins == 1 {
            return Err(fail("API_109"));
        }
        s.agents.remove(pos);
        Ok(())
    }

    /// The body of a session page answer:
    /// `{"entity":{"items":[...],"total_entries":N},"status":"OK"}`.
    ///
    /// Serialized straight from the derived records (no JSON tree first),
    /// to the same text as before: the sandbox must never be what limits a
    /// client's measured throughput.
    fn session_page(
        &self,
        filter: &SessionFilter,
        page: u64,
        per_page: u64,
        descending: bool,
        sort: TimeField,
    ) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Answer<'a> {
            entity: Entity<'a>,
            status: &'static str,
        }
        #[derive(serde::Serialize)]
        struct Entity<'a> {
            items: Vec<sessions::SessionView<'a>>,
            total_entries: u64,
        }
        let mut s = self.state();
        s.session_requests += 1;
        let served = s.session_requests;
        let now = self.now_ms() / 1000;
        let due: Vec<(u64, usize, Insert)> = s
            .scheduled
            .iter()
            .copied()
            .filter(|(after, _, _)| *after < served)
            .collect();
        s.scheduled.retain(|(after, _, _)| *after >= served);
        for (_, count, at) in due {
            s.sessions.insert(count, at, now);
        }
        let descending = descending || s.ignore_sort_order;
        let (total, indices) = s.sessions.page(filter, page, per_page, descending, sort);
        let answer = Answer {
            entity: Entity {
                items: indices.into_iter().map(|i| s.sessions.view(i)).collect(),
                total_entries: total,
            },
            status: "OK",
        };
        serde_json::to_vec(&answer).unwrap_or_default()
    }
}

impl Emulator for EasemobEmulator {
    fn vendor(&self) -> Vendor {
        Vendor::Easemob
    }

    fn refusal(&self, message: &str) -> serde_json::Value {
        serde_json::json!({"status": "FAIL", "errorCode": "API_001", "errorDescription": message})
    }

    fn routes(self: Arc<Self>) -> Router {
        routes::routes(self)
    }

    fn reset(&self) {
        *self.state() = State::seeded(&self.config);
    }

    fn env(&self, base_url: &str) -> Vec<(String, String)> {
        [
            ("KEFU_VENDOR", "easemob"),
            ("KEFU_EASEMOB_BASE_URL", base_url),
            ("KEFU_EASEMOB_TENANT_ID", TENANT_ID),
            ("KEFU_EASEMOB_CLIENT_ID", CLIENT_ID),
            ("KEFU_EASEMOB_SECRET_ID", SECRET_ID),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn dump(&self) -> Value {
        let now = self.now_ms();
        let s = self.state();
        json!({
            "vendor": "easemob",
            "tenantId": TENANT_ID,
            "agents": s.agents.iter().map(AgentRec::search_json).collect::<Vec<_>>(),
            "sessions": {
                "seeded": self.config.sessions,
                "added": s.sessions.added(),
                "total": s.sessions.len(),
            },
            "tokens": {
                "requests": s.token_requests,
                "valid": s.tokens.values().filter(|t| t.alive && now < t.expires_at_ms).count(),
                "expireTime": s.token_ttl,
                "retire_old_tokens": s.retire_old_tokens,
            },
        })
    }

    /// `expire_tokens`, `add_sessions` (`{"count": n}`), `token_requests`,
    /// `token_ttl` (`{"seconds": n}`), `retire_old_tokens` (`{"on": bool}`).
    fn control(&self, action: &str, arg: Value) -> Result<Value, String> {
        match action {
            "expire_tokens" => Ok(json!({"expired": self.expire_tokens()})),
            "add_sessions" => {
                let count = arg
                    .get("count")
                    .and_then(Value::as_u64)
                    .ok_or("add_sessions needs {\"count\": n}")?;
                let total = self.add_sessions(count as usize);
                Ok(json!({"added": count, "total": total}))
            }
            "token_requests" => Ok(json!({"token_requests": self.token_requests()})),
            "insert_sessions" => {
                let count = arg
                    .get("count")
                    .and_then(Value::as_u64)
                    .ok_or("insert_sessions needs {\"count\": n, \"at\": \"front|middle|end\"}")?;
                let at: Insert = arg
                    .get("at")
                    .cloned()
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| format!("insert_sessions: {e}"))?
                    .unwrap_or(Insert::End);
                match arg.get("after_requests").and_then(Value::as_u64) {
                    Some(after) => {
                        self.insert_sessions_after(after, count as usize, at);
                        Ok(json!({"scheduled": count, "after_requests": after}))
                    }
                    None => Ok(
                        json!({"inserted": count, "total": self.insert_sessions(count as usize, at)}),
                    ),
                }
            }
            "ignore_sort_order" => {
                let yes = arg.get("on").and_then(Value::as_bool).unwrap_or(true);
                self.ignore_sort_order(yes);
                Ok(json!({"ignore_sort_order": yes}))
            }
            "token_ttl" => {
                let secs = arg
                    .get("seconds")
                    .and_then(Value::as_i64)
                    .ok_or("token_ttl needs {\"seconds\": n}")?;
                self.set_token_ttl(secs);
                Ok(json!({"expireTime": secs.max(1)}))
            }
            "retire_old_tokens" => {
                let on = arg
                    .get("on")
                    .and_then(Value::as_bool)
                    .ok_or("retire_old_tokens needs {\"on\": true|false}")?;
                self.set_retire_old_tokens(on);
                Ok(json!({"retire_old_tokens": on}))
            }
            other => Err(format!(
                "unknown control action {other:?} (expire_tokens, add_sessions, insert_sessions, ignore_sort_order, token_requests, token_ttl, retire_old_tokens)"
            )),
        }
    }
}

/// A running Easemob sandbox: the [`Sandbox`] (base URL, request log,
/// chaos, reset, env) plus the emulator's own controls.
#[derive(Debug)]
pub struct EasemobSandbox {
    sandbox: Sandbox,
    emulator: Arc<EasemobEmulator>,
}

impl Deref for EasemobSandbox {
    type Target = Sandbox;

    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl EasemobSandbox {
    /// Serves `emulator` on 127.0.0.1 at a free port.
    pub async fn serve(emulator: Arc<EasemobEmulator>) -> std::io::Result<Self> {
        let sandbox = Sandbox::start(emulator.clone()).await?;
        Ok(Self { sandbox, emulator })
    }

    /// The emulator, for its other controls.
    pub fn easemob(&self) -> &Arc<EasemobEmulator> {
        &self.emulator
    }

    /// The server, to stop it explicitly.
    pub fn into_sandbox(self) -> Sandbox {
        self.sandbox
    }

    /// Requests made to the token endpoint since the last reset.
    pub fn token_requests(&self) -> usize {
        self.emulator.token_requests()
    }

    /// Every token issued so far dies now (API_002), as the document warns
    /// a real one may before its `expireTime`.
    pub fn expire_tokens(&self) -> usize {
        self.emulator.expire_tokens()
    }

    /// `n` new sessions arrive now, after every existing one.
    pub fn add_sessions(&self, n: usize) -> u64 {
        self.emulator.add_sessions(n)
    }

    /// `n` new sessions inserted now at `at` (see
    /// [`EasemobEmulator::insert_sessions`]).
    pub fn insert_sessions(&self, n: usize, at: Insert) -> u64 {
        self.emulator.insert_sessions(n, at)
    }

    /// The agent whose login is `username` (see [`EasemobEmulator::agent`]).
    pub fn agent(&self, username: &str) -> Option<Value> {
        self.emulator.agent(username)
    }

    /// Every `serviceSessionId`, oldest first.
    pub fn session_ids(&self) -> Vec<String> {
        self.emulator.session_ids()
    }
}

/// Starts an Easemob sandbox seeded from `config`: one line from a test.
pub async fn start(config: SeedConfig) -> std::io::Result<EasemobSandbox> {
    EasemobSandbox::serve(EasemobEmulator::new(config)).await
}
