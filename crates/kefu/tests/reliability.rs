//! Reliability: every read and every create of every vendor, under every
//! fault the sandboxes inject, checked by the behavior suite of
//! `kefu-testkit` for panics, duplicates and lost records.
//!
//! Runs quickly in CI. `cargo xtask reliability` runs it in release mode with
//! `KEFU_RELIABILITY_REPORT=docs/reliability.md`, which writes the table.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt, TryStreamExt};
use kefu::model::*;
use kefu::transport::{RetryPolicy, TransportConfig};
use kefu::{Client, ClientBuilder, RecordStream, Result, Secret};
use kefu_testkit::behavior::{self, Check, Outcome};
use kefu_testkit::sandbox::easemob::{self, EasemobSandbox, Insert};
use kefu_testkit::sandbox::sobot::{self, SobotSandbox};
use kefu_testkit::sandbox::{Fault, Sandbox, SeedConfig};
use serde_json::Value;

/// A fault scenario: what is done to the sandbox before the operation.
#[derive(Clone, Debug)]
enum Scenario {
    None,
    /// The next `n` requests get this fault.
    Faults(Fault, usize),
    /// Every request is this much slower.
    Latency(Duration),
    /// Every token issued so far dies (Easemob).
    TokenDiesEarly,
    /// New sessions arrive while the export pages through (Easemob).
    InsertsDuringExport,
    /// Sessions that sort before the pages already read arrive mid-export,
    /// 45 after the 2nd page and 60 in one second after the 5th (Easemob).
    InsertsBefore(Insert),
    /// After the first record, every page is the previous page again: the
    /// list must end in a typed error, not success.
    RepeatedPages,
}

impl Scenario {
    fn name(&self) -> String {
        match self {
            Scenario::None => "none".into(),
            Scenario::Faults(f, n) => format!("{} ×{n}", f.name()),
            Scenario::Latency(d) => format!("latency {}ms", d.as_millis()),
            Scenario::TokenDiesEarly => "token dies early".into(),
            Scenario::InsertsDuringExport => "inserts during export".into(),
            Scenario::InsertsBefore(at) => {
                format!("inserts mid-export at the {at:?}").to_lowercase()
            }
            Scenario::RepeatedPages => "same page again and again".into(),
        }
    }
}

/// The paged lists: each record once whatever the pages repeat.
const PAGED: &[&str] = &["agents.list", "sessions.export", "tenants.list"];

/// Transient faults; reads must survive two in a row.
fn transient(n: usize) -> Vec<Scenario> {
    vec![
        Scenario::None,
        Scenario::Faults(Fault::Status { status: 503 }, n),
        Scenario::Faults(Fault::Status { status: 502 }, n),
        Scenario::Faults(Fault::Html, n),
        Scenario::Faults(Fault::Truncate, n),
        Scenario::Faults(Fault::DropBefore, n),
        Scenario::Faults(Fault::DropAfter, n),
        // Retry-After: 0 keeps CI quick; kefu-http's own tests prove a real wait is honored.
        Scenario::Faults(
            Fault::RateLimit {
                retry_after_secs: 0,
            },
            n,
        ),
        Scenario::Latency(Duration::from_millis(30)),
    ]
}

fn transport() -> TransportConfig {
    TransportConfig {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        request_timeout: Some(Duration::from_secs(10)),
        ..TransportConfig::default()
    }
}

fn client(env: Vec<(String, String)>) -> Client {
    let map: HashMap<String, String> = env.into_iter().collect();
    ClientBuilder::new()
        .lookup(move |k| map.get(k).cloned())
        .transport(transport())
        .build()
        .unwrap()
}

fn seed() -> SeedConfig {
    SeedConfig {
        agents: 30,
        sessions: 320,
        tenants: 12,
        ..SeedConfig::default()
    }
}

#[derive(Debug)]
struct Row {
    vendor: &'static str,
    operation: &'static str,
    scenario: String,
    check: Check,
    millis: u128,
}

type ReadStream = Box<dyn Fn(&Client) -> Result<RecordStream<Value>> + Send + Sync>;
type ReadOnce = Box<dyn Fn(&Client) -> BoxFuture<'static, Result<Vec<Value>>> + Send + Sync>;

enum Read {
    Stream(ReadStream),
    Once(ReadOnce),
}

fn json<T: serde::Serialize>(x: T) -> Value {
    serde_json::to_value(x).unwrap()
}

fn stream_of<T: serde::Serialize + Send + 'static>(s: RecordStream<T>) -> RecordStream<Value> {
    s.map(|r| r.map(json)).boxed()
}

/// The record's identity: its id where it has one, else its whole content.
fn key(v: &Value) -> String {
    for id in ["id", "company_id", "app_id"] {
        if let Some(s) = v.get(id).and_then(Value::as_str)
            && id != "company_id"
        {
            return s.to_owned();
        }
    }
    v.to_string()
}

async fn run_read(
    c: &Client,
    read: &Read,
    expected: &BTreeSet<String>,
    hook: Option<Arc<dyn Fn() + Send + Sync>>,
) -> Check {
    match read {
        Read::Stream(open) => {
            let fired = Arc::new(AtomicBool::new(false));
            behavior::read_exactly_once(
                || {
                    let s = open(c)?;
                    Ok(match hook {
                        None => s,
                        Some(h) => s
                            .inspect(move |_| {
                                if !fired.swap(true, Ordering::SeqCst) {
                                    h();
                                }
                            })
                            .boxed(),
                    })
                },
                key,
                expected,
            )
            .await
        }
        Read::Once(f) => behavior::read_once(f(c), key, expected).await,
    }
}

/// Ground truth: the same read with no fault.
async fn truth(c: &Client, read: &Read) -> BTreeSet<String> {
    match read {
        Read::Stream(open) => open(c)
            .unwrap()
            .map_ok(|v| key(&v))
            .try_collect()
            .await
            .unwrap(),
        Read::Once(f) => f(c).await.unwrap().iter().map(key).collect(),
    }
}

async fn apply(
    sandbox: &Sandbox,
    scenario: &Scenario,
    easemob: Option<&EasemobSandbox>,
    c: &Client,
) {
    match scenario {
        Scenario::None | Scenario::InsertsDuringExport | Scenario::RepeatedPages => {}
        Scenario::InsertsBefore(at) => {
            if let Some(e) = easemob {
                e.easemob().insert_sessions_after(2, 45, *at);
                e.easemob().insert_sessions_after(5, 60, *at);
            }
        }
        Scenario::Faults(f, n) => sandbox.chaos().inject(f.clone(), *n),
        Scenario::Latency(d) => sandbox.chaos().set_latency(*d),
        Scenario::TokenDiesEarly => {
            // Get a token cached first, then kill it behind the client's back.
            let _ = c.agents().list_roles().await;
            if let Some(e) = easemob {
                e.expire_tokens();
            }
        }
    }
}

async fn reads(
    vendor: &'static str,
    sandbox: &Sandbox,
    env: &[(String, String)],
    ops: &[(&'static str, Read)],
    easemob: Option<&EasemobSandbox>,
    rows: &mut Vec<Row>,
) {
    let mut scenarios = transient(2);
    if easemob.is_some() {
        scenarios.push(Scenario::TokenDiesEarly);
    }
    for (name, read) in ops {
        sandbox.reset();
        let expected = truth(&client(env.to_vec()), read).await;
        let mut all = scenarios.clone();
        if *name == "sessions.export" {
            all.push(Scenario::InsertsDuringExport);
            all.push(Scenario::InsertsBefore(Insert::Front));
            all.push(Scenario::InsertsBefore(Insert::Middle));
        }
        if PAGED.contains(name) {
            all.push(Scenario::Faults(Fault::DuplicateItems, 2));
            all.push(Scenario::RepeatedPages);
        }
        for scenario in all {
            sandbox.reset();
            let c = client(env.to_vec());
            apply(sandbox, &scenario, easemob, &c).await;
            let hook: Option<Arc<dyn Fn() + Send + Sync>> = match (&scenario, easemob) {
                (Scenario::InsertsDuringExport, Some(e)) => {
                    let emu = e.easemob().clone();
                    Some(Arc::new(move || {
                        emu.add_sessions(120);
                    }))
                }
                (Scenario::RepeatedPages, _) => {
                    let chaos = sandbox.chaos().clone();
                    Some(Arc::new(move || chaos.inject(Fault::Replay, 100_000)))
                }
                _ => None,
            };
            let started = Instant::now();
            let check = run_read(&c, read, &expected, hook).await;
            rows.push(Row {
                vendor,
                operation: name,
                scenario: scenario.name(),
                check,
                millis: started.elapsed().as_millis(),
            });
            sandbox.chaos().clear();
        }
    }
}

/// A create under one fault: it must be sent at most once, and a reported
/// success must be true.
/// Which write: vendor, operation, and the method and path its requests use.
struct Target {
    vendor: &'static str,
    operation: &'static str,
    method: &'static str,
    path: &'static str,
}

/// Writes of `target` the vendor actually served: a request answered by an
/// injected 5xx, HTML page, 429 or early drop never reached its logic.
fn served(sandbox: &Sandbox, target: &Target) -> usize {
    sandbox
        .log()
        .to_route(target.method, target.path)
        .iter()
        .filter(|r| matches!(r.fault.as_deref(), None | Some("drop-after" | "truncate")))
        .count()
}

/// A write other than a create: it must end in the state asked for
/// (`done`, read from the sandbox) or in a typed error; a write that is not
/// idempotent must be served at most once.
#[allow(clippy::too_many_arguments)]
async fn effect(
    target: Target,
    sandbox: &Sandbox,
    scenario: Scenario,
    write: BoxFuture<'_, Result<()>>,
    done: impl FnOnce() -> bool,
    idempotent: bool,
    rows: &mut Vec<Row>,
) {
    let started = Instant::now();
    let result = behavior::guarded(write).await;
    let served = served(sandbox, &target);
    let done = done();
    let outcome = match &result {
        Err(p) => Outcome::Panicked(p.clone()),
        Ok(Ok(())) => Outcome::Ok,
        Ok(Err(e)) => Outcome::TypedError(e.kind(), e.to_string()),
    };
    rows.push(Row {
        vendor: target.vendor,
        operation: target.operation,
        scenario: scenario.name(),
        check: Check {
            lost: usize::from(outcome == Outcome::Ok && !done),
            duplicates: if idempotent {
                0
            } else {
                served.saturating_sub(1)
            },
            records: usize::from(done),
            outcome,
        },
        millis: started.elapsed().as_millis(),
    });
    sandbox.chaos().clear();
}

async fn create(
    what: Target,
    sandbox: &Sandbox,
    scenario: Scenario,
    write: BoxFuture<'_, Result<()>>,
    exists: impl FnOnce() -> bool,
    rows: &mut Vec<Row>,
) {
    let vendor = what.vendor;
    let operation = what.operation;
    let started = Instant::now();
    let result = behavior::guarded(write).await;
    let sent = served(sandbox, &what);
    let exists = exists();
    let outcome = match &result {
        Err(p) => Outcome::Panicked(p.clone()),
        Ok(Ok(())) => Outcome::Ok,
        Ok(Err(e)) => Outcome::TypedError(e.kind(), e.to_string()),
    };
    let lost = usize::from(outcome == Outcome::Ok && !exists);
    rows.push(Row {
        vendor,
        operation,
        scenario: scenario.name(),
        check: Check {
            outcome,
            lost,
            duplicates: sent.saturating_sub(1),
            records: usize::from(exists),
        },
        millis: started.elapsed().as_millis(),
    });
    sandbox.chaos().clear();
}

async fn easemob_rows(rows: &mut Vec<Row>) {
    let sb = easemob::start(seed()).await.unwrap();
    let env = sb.env();
    let from = seed().start;
    let reads_list: Vec<(&'static str, Read)> = vec![
        (
            "agents.list",
            Read::Stream(Box::new(|c: &Client| {
                // Several pages, so pages can be repeated and shifted.
                c.agents()
                    .list_agents(&AgentQuery {
                        page_size: Some(10),
                        ..AgentQuery::default()
                    })
                    .map(stream_of)
            })),
        ),
        (
            "roles.list",
            Read::Once(Box::new(|c: &Client| {
                let a = c.agents();
                async move {
                    a.list_roles()
                        .await
                        .map(|v| v.into_iter().map(json).collect())
                }
                .boxed()
            })),
        ),
        (
            "sessions.export",
            Read::Stream(Box::new(move |c: &Client| {
                let q = SessionQuery {
                    from: Some(from),
                    to: None,
                    page_size: Some(50),
                    ..SessionQuery::default()
                };
                c.sessions().sessions(&q).map(stream_of)
            })),
        ),
    ];
    reads("easemob", &sb, &env, &reads_list, Some(&sb), rows).await;

    for (i, scenario) in transient(1).into_iter().enumerate() {
        sb.reset();
        let c = client(env.clone());
        let email = format!("reliability{i}@example.com");
        apply(&sb, &scenario, Some(&sb), &c).await;
        let agent = NewAgent {
            email: email.clone(),
            nickname: format!("rel{i}"),
            real_name: "Reliability".into(),
            password: Some(Secret::new("password123")),
            role: "agent".into(),
            max_sessions: 5,
            ..NewAgent::default()
        };
        let admin = c.agents();
        let write = async move { admin.add_agent(&agent).await.map(drop) }.boxed();
        create(
            Target {
                vendor: "easemob",
                operation: "agents.add",
                method: "POST",
                path: "/api/tenants/1/agent",
            },
            &sb,
            scenario,
            write,
            || sb.agent(&email).is_some(),
            rows,
        )
        .await;
    }

    // Idempotent writes are retried, so they face two faults in a row; the
    // delete (not idempotent) one.
    let target = sb.easemob().usernames()[1].clone();
    for (i, scenario) in transient(2).into_iter().enumerate() {
        let cases: [(&'static str, &'static str, &'static str); 4] = [
            ("agents.update", "PUT", "/api/tenants/1/agent"),
            ("agents.disable", "PUT", "/api/tenants/1/agent/disable"),
            ("agents.enable", "PUT", "/api/tenants/1/agent/enable"),
            (
                "agents.set-password",
                "PUT",
                "/api/tenants/1/agent/password",
            ),
        ];
        for (operation, method, path) in cases {
            sb.reset();
            let c = client(env.clone());
            let admin = c.agents();
            if operation == "agents.enable" {
                admin.disable_agent(&target).await.unwrap();
            }
            apply(&sb, &scenario, Some(&sb), &c).await;
            let email = target.clone();
            let nick = format!("改名{i}");
            let password = format!("Passw0rd-{i}");
            let (n, p) = (nick.clone(), password.clone());
            let write = async move {
                match operation {
                    "agents.update" => {
                        let u = AgentUpdate {
                            email: email.clone(),
                            nickname: Some(n),
                            ..AgentUpdate::default()
                        };
                        admin.update_agent(&u).await
                    }
                    "agents.disable" => admin.disable_agent(&email).await,
                    "agents.enable" => admin.enable_agent(&email).await,
                    _ => admin.set_agent_password(&email, &Secret::new(p)).await,
                }
            }
            .boxed();
            let agent = || sb.agent(&target).unwrap_or_default();
            let done = || match operation {
                "agents.update" => agent()["nicename"] == nick.as_str(),
                "agents.disable" => agent()["status"] == "Disable",
                "agents.enable" => agent()["status"] == "Enable",
                _ => agent()["password"] == password.as_str(),
            };
            let t = Target {
                vendor: "easemob",
                operation,
                method,
                path,
            };
            effect(t, &sb, scenario.clone(), write, done, true, rows).await;
        }
    }
    for scenario in transient(1) {
        sb.reset();
        let c = client(env.clone());
        apply(&sb, &scenario, Some(&sb), &c).await;
        let admin = c.agents();
        let email = target.clone();
        let write = async move { admin.delete_agent(&email).await }.boxed();
        let t = Target {
            vendor: "easemob",
            operation: "agents.delete",
            method: "DELETE",
            path: "/api/tenants/1/agent",
        };
        effect(
            t,
            &sb,
            scenario,
            write,
            || sb.agent(&target).is_none(),
            false,
            rows,
        )
        .await;
    }
}

async fn sobot_rows(rows: &mut Vec<Row>) {
    let sb: SobotSandbox = sobot::start(seed()).await.unwrap();
    let env = sb.env();
    let (first_day, days) = sb.sobot().seeded_period();
    let partner = sb.sobot().partner_ids().into_iter().next().unwrap();
    let zone = kefu::time::Zone::CHINA;
    let log_from = zone.start_of(first_day);
    let log_to = zone.start_of(first_day + Days::days(i64::from(days.min(21))));
    let last_day: NaiveDate = first_day + Days::days(2);
    let reads_list: Vec<(&'static str, Read)> = vec![
        (
            "tenants.list",
            Read::Stream(Box::new(|c: &Client| {
                c.tenants()
                    .list_tenants(&TenantQuery {
                        page_size: Some(5),
                        ..TenantQuery::default()
                    })
                    .map(stream_of)
            })),
        ),
        (
            "tenants.app-keys",
            Read::Once(Box::new(|c: &Client| {
                let t = c.tenants();
                async move {
                    t.app_keys()
                        .await
                        .map(|v| v.into_iter().map(json).collect())
                }
                .boxed()
            })),
        ),
        (
            "chats.list",
            Read::Once(Box::new(move |c: &Client| {
                let s = c.sessions();
                let p = partner.clone();
                async move { s.chats(&p).await.map(|v| v.into_iter().map(json).collect()) }.boxed()
            })),
        ),
        (
            "reports.agent-stats",
            Read::Once(Box::new(move |c: &Client| {
                let r = c.reports();
                async move {
                    r.agent_stats(first_day, last_day)
                        .await
                        .map(|v| v.into_iter().map(json).collect())
                }
                .boxed()
            })),
        ),
        (
            "reports.export",
            Read::Once(Box::new(move |c: &Client| {
                let r = c.reports();
                async move {
                    r.export_report(ReportKind::Sessions, first_day)
                        .await
                        .map(|v| vec![json(v)])
                }
                .boxed()
            })),
        ),
        (
            "reports.agent-status",
            Read::Stream(Box::new(move |c: &Client| {
                c.reports()
                    .agent_status_log(log_from, log_to)
                    .map(stream_of)
            })),
        ),
    ];
    reads("sobot", &sb, &env, &reads_list, None, rows).await;

    for (i, scenario) in transient(1).into_iter().enumerate() {
        sb.reset();
        let c = client(env.clone());
        apply(&sb, &scenario, None, &c).await;
        let code = format!("REL{i:03}");
        let tenant = NewTenant {
            customer_code: code.clone(),
            name: format!("Reliability {i}"),
            email: format!("owner{i}@example.com"),
            password: Some(Secret::new("password123")),
            max_agents: 3,
            ..NewTenant::default()
        };
        let admin = c.tenants();
        let write = async move { admin.add_tenant(&tenant).await.map(drop) }.boxed();
        create(
            Target {
                vendor: "sobot",
                operation: "tenants.add",
                method: "POST",
                path: "/tenantpro/open/addTenant.json",
            },
            &sb,
            scenario.clone(),
            write,
            || sb.tenant(&code).is_some(),
            rows,
        )
        .await;

        sb.reset();
        let c = client(env.clone());
        apply(&sb, &scenario, None, &c).await;
        let merchant = sb.sobot().first_customer_code().unwrap();
        let email = format!("staff{i}@example.com");
        let agent = NewAgent {
            email: email.clone(),
            nickname: format!("rel{i}"),
            real_name: "Reliability".into(),
            password: Some(Secret::new("password123")),
            role: "online-agent".into(),
            max_sessions: 5,
            phone: Some("13100000000".into()),
            ..NewAgent::default()
        };
        let admin = c.for_tenant(merchant.clone()).agents();
        let write = async move { admin.add_agent(&agent).await.map(drop) }.boxed();
        create(
            Target {
                vendor: "sobot",
                operation: "agents.add",
                method: "POST",
                path: "/tenantpro/open/addServiceInfoConfim.json",
            },
            &sb,
            scenario,
            write,
            || sb.staff(&merchant, &email).is_some(),
            rows,
        )
        .await;
    }

    let code = sb.sobot().first_customer_code().unwrap();
    let staff_email = sb.tenant(&code).unwrap().staff[0].email.clone();
    for (i, scenario) in transient(2).into_iter().enumerate() {
        sb.reset();
        let c = client(env.clone());
        apply(&sb, &scenario, None, &c).await;
        let tenant = sb.tenant(&code).unwrap();
        let name = format!("改名商户{i}");
        let u = TenantUpdate {
            customer_code: code.clone(),
            name: name.clone(),
            email: tenant.email.clone(),
            max_agents: tenant.max_count,
            ..TenantUpdate::default()
        };
        let admin = c.tenants();
        let write = async move { admin.update_tenant(&u).await }.boxed();
        let t = Target {
            vendor: "sobot",
            operation: "tenants.update",
            method: "POST",
            path: "/tenantpro/open/updateTenant.json",
        };
        effect(
            t,
            &sb,
            scenario.clone(),
            write,
            || sb.tenant(&code).is_some_and(|t| t.company_name == name),
            true,
            rows,
        )
        .await;

        sb.reset();
        let c = client(env.clone());
        apply(&sb, &scenario, None, &c).await;
        let nick = format!("改名{i}");
        let u = AgentUpdate {
            email: staff_email.clone(),
            nickname: Some(nick.clone()),
            real_name: Some("可靠性".into()),
            phone: Some("13100000000".into()),
            max_sessions: Some(7),
            ..AgentUpdate::default()
        };
        let admin = c.for_tenant(code.clone()).agents();
        let write = async move { admin.update_agent(&u).await }.boxed();
        let t = Target {
            vendor: "sobot",
            operation: "agents.update",
            method: "POST",
            path: "/tenantpro/open/updateServiceInfoConfim.json",
        };
        effect(
            t,
            &sb,
            scenario,
            write,
            || {
                sb.staff(&code, &staff_email)
                    .is_some_and(|s| s.nick == nick)
            },
            true,
            rows,
        )
        .await;
    }
    for scenario in transient(1) {
        sb.reset();
        let c = client(env.clone());
        apply(&sb, &scenario, None, &c).await;
        let admin = c.for_tenant(code.clone()).agents();
        let email = staff_email.clone();
        let write = async move { admin.delete_agent(&email).await }.boxed();
        let t = Target {
            vendor: "sobot",
            operation: "agents.delete",
            method: "POST",
            path: "/tenantpro/open/deleteServiceInfoConfim",
        };
        effect(
            t,
            &sb,
            scenario,
            write,
            || sb.staff(&code, &staff_email).is_none(),
            false,
            rows,
        )
        .await;
    }
}

fn report(rows: &[Row]) -> String {
    let panics = rows
        .iter()
        .filter(|r| matches!(r.check.outcome, Outcome::Panicked(_)))
        .count();
    let dups: usize = rows.iter().map(|r| r.check.duplicates).sum();
    let lost: usize = rows.iter().map(|r| r.check.lost).sum();
    let ok = rows.iter().filter(|r| r.check.succeeded()).count();
    let mut s = String::new();
    s.push_str("| vendor | operation | fault | outcome | panics | duplicates | records lost | records | ms |\n|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let panicked = usize::from(matches!(r.check.outcome, Outcome::Panicked(_)));
        let outcome = match &r.check.outcome {
            Outcome::TypedError(k, m) => format!("typed error {k:?}: {}", m.replace('|', "/")),
            o => o.to_string(),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.vendor,
            r.operation,
            r.scenario,
            outcome,
            panicked,
            r.check.duplicates,
            r.check.lost,
            r.check.records,
            r.millis
        ));
    }
    s.push_str(&format!(
        "\n**Totals:** {} cases, {} succeeded, {} typed errors, {} panics, {} duplicates, {} records lost.\n",
        rows.len(),
        ok,
        rows.len() - ok - panics,
        panics,
        dups,
        lost
    ));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_under_every_fault() {
    let mut rows = Vec::new();
    easemob_rows(&mut rows).await;
    sobot_rows(&mut rows).await;
    let table = report(&rows);
    println!("{table}");
    if let Ok(path) = std::env::var("KEFU_RELIABILITY_REPORT") {
        let doc = std::fs::read_to_string(&path).unwrap_or_default();
        let (head, tail) = match (
            doc.find("<!-- table:start -->"),
            doc.find("<!-- table:end -->"),
        ) {
            (Some(a), Some(b)) => (doc[..a].to_owned(), doc[b..].to_owned()),
            _ => (doc.clone(), "<!-- table:end -->\n".to_owned()),
        };
        std::fs::write(&path, format!("{head}<!-- table:start -->\n{table}{tail}")).unwrap();
    }

    for r in &rows {
        let what = format!(
            "{} {} under {}: {:?}",
            r.vendor, r.operation, r.scenario, r.check
        );
        assert!(r.check.is_sound(), "unsound: {what}");
        // Reads survive two transient faults in a row; creates may end in a
        // typed error (never a panic, never twice).
        // Reads and idempotent writes are retried: they must survive.
        let must_survive = !(r.operation.ends_with(".add") || r.operation.ends_with(".delete"));
        if r.scenario == Scenario::RepeatedPages.name() {
            assert!(
                matches!(&r.check.outcome, Outcome::TypedError(k, _) if *k == kefu::ErrorKind::Decode),
                "a page served again and again was not an error: {what}"
            );
        } else if must_survive {
            assert!(
                r.check.succeeded(),
                "a retried operation did not survive: {what}"
            );
        } else if let Outcome::TypedError(_, msg) = &r.check.outcome {
            assert!(!msg.is_empty(), "unreadable error: {what}");
        }
    }
}
