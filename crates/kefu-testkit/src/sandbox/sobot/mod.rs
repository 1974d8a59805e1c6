//! A faithful emulator of Sobot's 电商平台 API.
//!
//! It serves the twelve endpoints of `vendor-docs/000_e0cf58112cd14262.txt`
//! at the document's paths, and:
//!
//! - checks every signature (`token` by its three formulas, the report
//!   `sign` by `MD5(unionCode+ts+unionKey)` unless told another order) and
//!   refuses a `ts` more than [`TS_TOLERANCE_MS`] (five minutes) from its
//!   clock, with the document's `999998 请求失败!登录已失效,请重新登录!`
//!   (chatIndexPage: `status 5`);
//! - requires each endpoint's parameters by their exact names (a `unionCode`
//!   sent where `union_code` is expected is missing: `999999 union_code 不能为空`,
//!   chatIndexPage `status 2`);
//! - keeps state: tenants with `maxCount` (staff beyond it, or seats beyond
//!   the platform's pool, answer `200007 在线客服数量不足`), staff per tenant,
//!   app keys; field lengths beyond a limit answer `220001`;
//! - clamps getStaffLogInfos ranges by the document's four rules, so a
//!   three-week question gets the last week only;
//! - enforces chatIndexPage's 20 calls a minute with `status 4`, on tokio's
//!   clock (so tests may pause time);
//! - answers with the document's shapes: `retCode`/`retMsg` or
//!   `ret_code`/`ret_msg` per endpoint as its example shows, getBatchAppKey's
//!   data under the unionCode's value, `reateTime` on type-8 exports.
//!
//! Data is seeded deterministically from a [`SeedConfig`]: merchants
//! `M001`, `M002`, ... with staff `agentNN@mNNN.example.com` (the last one of
//! each never activated its email), status changes on every day of the
//! period, customers `partner-001`, ... chatting with up to four merchants,
//! and daily staff figures.

mod check;
mod routes;
mod state;

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use chrono::NaiveDate;
use kefu_core::time::Zone;
use kefu_core::{Clock, SystemClock, Vendor};
use serde_json::{Value, json};

pub use check::TS_TOLERANCE_MS;
pub use state::{ChatRecord, JobStat, StaffRecord, StatusLogEntry, TenantRecord};

use super::{Emulator, Sandbox, SeedConfig};

/// The sandbox platform's unionCode (the document's example value).
pub const UNION_CODE: &str = "10004";
/// The sandbox platform's unionKey.
pub const UNION_KEY: &str = "sandbox-union-key-7f3a9c";
/// The sandbox platform's super-admin email (getTenantList signs with it).
pub const EMAIL: &str = "admin@platform.example.com";

/// The Sobot emulator. Serve it with [`Sandbox::start`] or [`start`].
pub struct SobotEmulator {
    config: SeedConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<state::State>,
}

impl std::fmt::Debug for SobotEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SobotEmulator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SobotEmulator {
    /// An emulator seeded from `config`, checking `ts` against the system clock.
    pub fn new(config: SeedConfig) -> Arc<Self> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// An emulator whose `ts` freshness (and "now") is `clock`: give it the
    /// client's fixed clock in tests that fix time.
    pub fn with_clock(config: SeedConfig, clock: Arc<dyn Clock>) -> Arc<Self> {
        let state = Mutex::new(state::seed(&config));
        Arc::new(Self {
            config,
            clock,
            state,
        })
    }

    fn state(&self) -> MutexGuard<'_, state::State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The seed this emulator was built from.
    pub fn config(&self) -> &SeedConfig {
        &self.config
    }

    /// The first day (UTC+8) and the length in days of the seeded period.
    pub fn seeded_period(&self) -> (NaiveDate, u32) {
        (
            Zone::CHINA.date_of(self.config.start),
            self.config.days.max(1),
        )
    }

    /// The customerCode of the first seeded merchant (`M001`), if any.
    pub fn first_customer_code(&self) -> Option<String> {
        (self.config.tenants > 0).then(|| "M001".to_owned())
    }

    /// Makes getTenantList list newest first (opened last, listed first), so
    /// tenants opened during a listing shift its later pages.
    pub fn set_newest_first(&self, yes: bool) {
        self.state().newest_first = yes;
    }

    /// Every tenant, in listing order.
    pub fn tenants(&self) -> Vec<TenantRecord> {
        self.state().tenants.clone()
    }

    /// One tenant by customerCode.
    pub fn tenant(&self, customer_code: &str) -> Option<TenantRecord> {
        self.state().tenant(customer_code).cloned()
    }

    /// One staff member of a tenant, by email (case-insensitive).
    pub fn staff(&self, customer_code: &str, email: &str) -> Option<StaffRecord> {
        self.state().tenant(customer_code).and_then(|t| {
            t.staff
                .iter()
                .find(|s| s.email.eq_ignore_ascii_case(email))
                .cloned()
        })
    }

    /// Every status change, in time order.
    pub fn status_logs(&self) -> Vec<StatusLogEntry> {
        self.state().logs.clone()
    }

    /// Status changes with `from_ms <= datetime < to_ms`, in time order.
    pub fn status_logs_between(&self, from_ms: i64, to_ms: i64) -> Vec<StatusLogEntry> {
        self.state()
            .logs
            .iter()
            .filter(|e| from_ms <= e.datetime && e.datetime < to_ms)
            .cloned()
            .collect()
    }

    /// The seeded customers' partnerIds.
    pub fn partner_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .state()
            .chats
            .iter()
            .map(|c| c.partner_id.clone())
            .collect();
        ids.dedup();
        ids
    }

    /// One customer's chats.
    pub fn chats_of(&self, partner_id: &str) -> Vec<ChatRecord> {
        self.state()
            .chats
            .iter()
            .filter(|c| c.partner_id == partner_id)
            .cloned()
            .collect()
    }

    /// Every day's staff figures.
    pub fn job_stats(&self) -> Vec<JobStat> {
        self.state().job_stats.clone()
    }

    /// chatIndexPage calls refused with status 4 so far.
    pub fn chat_calls_refused(&self) -> usize {
        self.state().chat_refused
    }

    /// chatIndexPage calls admitted under the rate limit so far.
    pub fn chat_calls_admitted(&self) -> usize {
        self.state().chat_admitted
    }

    /// Admits `calls` chatIndexPage calls per `window` across all callers
    /// from now on (the document's 20 a minute by default).
    pub fn set_chat_limit(&self, calls: usize, window: std::time::Duration) {
        let mut st = self.state();
        st.chat_limit = calls.max(1);
        st.chat_window = window;
        st.chat_calls.clear();
    }

    fn control_add_status_logs(&self, arg: &Value) -> Result<Value, String> {
        let entries = arg
            .get("entries")
            .and_then(Value::as_array)
            .ok_or("expected {\"entries\": [...]}")?;
        let mut st = self.state();
        let mut added = Vec::new();
        for e in entries {
            let code = e
                .get("customerCode")
                .and_then(Value::as_str)
                .unwrap_or("M001");
            let t = st
                .tenant(code)
                .ok_or_else(|| format!("no tenant {code:?}"))?;
            let staff = match e.get("email").and_then(Value::as_str) {
                Some(email) => t.staff.iter().find(|s| s.email.eq_ignore_ascii_case(email)),
                None => t.staff.first(),
            }
            .ok_or_else(|| format!("no such staff in {code:?}"))?;
            let datetime = e
                .get("datetime")
                .and_then(Value::as_i64)
                .ok_or("each entry needs a datetime (epoch ms)")?;
            added.push(StatusLogEntry {
                datetime,
                company_id: t.company_id.clone(),
                staff_id: staff.staff_id.clone(),
                action: e
                    .get("action")
                    .and_then(Value::as_str)
                    .unwrap_or("在线")
                    .to_owned(),
                source: e.get("source").and_then(Value::as_i64).unwrap_or(0),
            });
        }
        let n = added.len();
        st.logs.extend(added);
        st.logs.sort();
        Ok(json!({ "added": n }))
    }
}

impl Emulator for SobotEmulator {
    fn vendor(&self) -> Vendor {
        Vendor::Sobot
    }

    fn refusal(&self, message: &str) -> serde_json::Value {
        serde_json::json!({"retCode": "999999", "retMsg": message, "msg": null})
    }

    fn routes(self: Arc<Self>) -> Router {
        self.router()
    }

    fn reset(&self) {
        *self.state() = state::seed(&self.config);
    }

    fn env(&self, base_url: &str) -> Vec<(String, String)> {
        let mut env = vec![
            ("KEFU_VENDOR".to_owned(), "sobot".to_owned()),
            ("KEFU_SOBOT_BASE_URL".to_owned(), base_url.to_owned()),
            ("KEFU_SOBOT_UNION_CODE".to_owned(), UNION_CODE.to_owned()),
            ("KEFU_SOBOT_UNION_KEY".to_owned(), UNION_KEY.to_owned()),
            ("KEFU_SOBOT_EMAIL".to_owned(), EMAIL.to_owned()),
        ];
        if let Some(code) = self.first_customer_code() {
            env.push(("KEFU_SOBOT_CUSTOMER_CODE".to_owned(), code));
        }
        env
    }

    fn dump(&self) -> Value {
        let st = self.state();
        json!({
            "union_code": UNION_CODE,
            "platform_seats": st.platform_seats,
            "seats_in_use": st.seats_in_use(),
            "report_sign_parts": st.report_sign_parts,
            "tenants": st.tenants,
            "status_logs": st.logs.len(),
            "chats": st.chats.len(),
            "job_stats": st.job_stats.len(),
            "chat_calls_admitted": st.chat_admitted,
            "chat_calls_refused": st.chat_refused,
            "chat_limit": st.chat_limit,
            "chat_window_ms": st.chat_window.as_millis() as u64,
        })
    }

    /// - `add_status_logs` `{"entries": [{"datetime": ms, "customerCode"?,
    ///   "email"?, "action"?, "source"?}]}`: more getStaffLogInfos data
    ///   (default merchant `M001`, its first staff member, 在线, pc);
    /// - `report_sign` `{"parts": ["unionKey", "ts", "unionCode", "type", ...]}`:
    ///   the report `sign` formula to expect, as the order of its parts;
    /// - `platform_seats` `{"seats": n}`: the platform's seat pool;
    /// - `clear_chat_limit`: forgets the chatIndexPage calls of the last minute;
    /// - `chat_limit` `{"calls": n, "window_ms": m}`: admits n chatIndexPage
    ///   calls per m ms across all callers (default 20 per 60 000), so a
    ///   multi-process test of the shared budget runs in seconds.
    fn control(&self, action: &str, arg: Value) -> Result<Value, String> {
        match action {
            "add_status_logs" => self.control_add_status_logs(&arg),
            "report_sign" => {
                let parts: Vec<String> = arg
                    .get("parts")
                    .and_then(Value::as_array)
                    .ok_or("expected {\"parts\": [...]}")?
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect();
                if parts.is_empty() {
                    return Err("parts must not be empty".into());
                }
                self.state().report_sign_parts = parts.clone();
                Ok(json!({ "parts": parts }))
            }
            "platform_seats" => {
                let seats = arg
                    .get("seats")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or("expected {\"seats\": n}")?;
                self.state().platform_seats = seats;
                Ok(json!({ "seats": seats }))
            }
            "clear_chat_limit" => {
                self.state().chat_calls.clear();
                Ok(json!({}))
            }
            "chat_limit" => {
                let calls = arg
                    .get("calls")
                    .and_then(Value::as_u64)
                    .filter(|n| *n > 0)
                    .ok_or("expected {\"calls\": n, \"window_ms\": m}")?;
                let window_ms = arg
                    .get("window_ms")
                    .and_then(Value::as_u64)
                    .filter(|n| *n > 0)
                    .ok_or("expected {\"calls\": n, \"window_ms\": m}")?;
                self.set_chat_limit(
                    usize::try_from(calls).unwrap_or(usize::MAX),
                    std::time::Duration::from_millis(window_ms),
                );
                Ok(json!({ "calls": calls, "window_ms": window_ms }))
            }
            other => Err(format!("unknown control action {other:?}")),
        }
    }
}

/// A running Sobot sandbox: a [`Sandbox`] (log, chaos, reset, control
/// endpoints) plus typed access to the emulator's state.
#[derive(Debug)]
pub struct SobotSandbox {
    sandbox: Sandbox,
    emulator: Arc<SobotEmulator>,
}

impl Deref for SobotSandbox {
    type Target = Sandbox;

    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl SobotSandbox {
    /// The emulator, for its state accessors.
    pub fn sobot(&self) -> &Arc<SobotEmulator> {
        &self.emulator
    }

    /// One tenant by customerCode.
    pub fn tenant(&self, customer_code: &str) -> Option<TenantRecord> {
        self.emulator.tenant(customer_code)
    }

    /// Every tenant.
    pub fn tenants(&self) -> Vec<TenantRecord> {
        self.emulator.tenants()
    }

    /// One staff member of a tenant.
    pub fn staff(&self, customer_code: &str, email: &str) -> Option<StaffRecord> {
        self.emulator.staff(customer_code, email)
    }

    /// chatIndexPage calls refused with status 4 so far.
    pub fn chat_calls_refused(&self) -> usize {
        self.emulator.chat_calls_refused()
    }

    /// chatIndexPage calls admitted so far.
    pub fn chat_calls_admitted(&self) -> usize {
        self.emulator.chat_calls_admitted()
    }

    /// See [`SobotEmulator::set_chat_limit`].
    pub fn set_chat_limit(&self, calls: usize, window: std::time::Duration) {
        self.emulator.set_chat_limit(calls, window)
    }

    /// A vendor control action (see [`SobotEmulator`]'s `Emulator::control`).
    pub fn control(&self, action: &str, arg: Value) -> Result<Value, String> {
        self.emulator.control(action, arg)
    }

    /// The underlying harness.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        self.sandbox.stop().await;
    }
}

/// Starts a seeded Sobot sandbox on 127.0.0.1 at a free port, checking `ts`
/// against the system clock.
pub async fn start(config: SeedConfig) -> std::io::Result<SobotSandbox> {
    start_emulator(SobotEmulator::new(config)).await
}

/// As [`start`], with the sandbox's "now" read from `clock`.
pub async fn start_with_clock(
    config: SeedConfig,
    clock: Arc<dyn Clock>,
) -> std::io::Result<SobotSandbox> {
    start_emulator(SobotEmulator::with_clock(config, clock)).await
}

async fn start_emulator(emulator: Arc<SobotEmulator>) -> std::io::Result<SobotSandbox> {
    let sandbox = Sandbox::start(emulator.clone()).await?;
    Ok(SobotSandbox { sandbox, emulator })
}
