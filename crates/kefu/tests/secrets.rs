//! No credential ever leaks: every failure path of both vendors is walked
//! with all tracing output captured at TRACE, and every error's `Display`
//! and `Debug` collected; none may contain a unionKey, secretId, access
//! token, signature or password. Also proves the request spans are there
//! (vendor, operation, attempt, status, latency).
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use kefu::model::*;
use kefu::transport::{RetryPolicy, TransportConfig};
use kefu::{Client, ClientBuilder, Secret};
use kefu_testkit::sandbox::{Fault, LoggedRequest, SeedConfig, easemob, sobot};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn fast() -> TransportConfig {
    TransportConfig {
        retry: RetryPolicy {
            initial_backoff: std::time::Duration::from_millis(1),
            max_backoff: std::time::Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        ..TransportConfig::default()
    }
}

fn client(env: &[(String, String)], overrides: &[(&str, &str)]) -> (Client, String) {
    let mut map: HashMap<String, String> = env.iter().cloned().collect();
    for (k, v) in overrides {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    let builder = ClientBuilder::new()
        .lookup(move |k| map.get(k).cloned())
        .transport(fast());
    let debug = format!("{builder:?}");
    (builder.build().unwrap(), debug)
}

/// Every credential-like value the sandbox received: tokens in headers,
/// `token`/`sign` in bodies and queries, passwords, secretIds.
fn received_secrets(log: &[LoggedRequest]) -> Vec<String> {
    let mut out = Vec::new();
    for r in log {
        if let Some(t) = r.headers.get("kefu-token") {
            out.push(t.clone());
        }
        for (k, v) in &r.query {
            if matches!(k.as_str(), "token" | "sign") {
                out.push(v.clone());
            }
        }
        if let Some(serde_json::Value::Object(body)) = r.json() {
            for key in ["token", "sign", "password", "secretId"] {
                if let Some(v) = body.get(key).and_then(|v| v.as_str()) {
                    out.push(v.to_owned());
                }
            }
        }
    }
    out.retain(|s| s.len() >= 6);
    out
}

fn new_agent(email: &str, password: &str, role: &str) -> NewAgent {
    NewAgent {
        email: email.into(),
        nickname: "leak".into(),
        real_name: "Leak Test".into(),
        password: Some(Secret::new(password)),
        role: role.into(),
        max_sessions: 3,
        phone: Some("13100000000".into()),
        ..NewAgent::default()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_in_any_log_error_or_debug_output() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let texts: std::cell::RefCell<Vec<String>> = Default::default();
    let mut secrets: Vec<String> = vec![
        easemob::SECRET_ID.into(),
        sobot::UNION_KEY.into(),
        "wrong-secret-id-000000".into(),
        "wrong-union-key-000000".into(),
        "Str0ngPassw0rd!".into(),
        "sh0rtpw".into(),
    ];
    let record = |r: Result<(), kefu::Error>| {
        if let Err(e) = r {
            texts.borrow_mut().push(format!("{e}"));
            texts.borrow_mut().push(format!("{e:?}"));
        }
    };

    // Easemob: bad credentials, early token death, refusals, faults.
    let es = easemob::start(SeedConfig {
        sessions: 120,
        ..SeedConfig::default()
    })
    .await
    .unwrap();
    let env = es.env();
    let (bad, dbg) = client(
        &env,
        &[("KEFU_EASEMOB_SECRET_ID", "wrong-secret-id-000000")],
    );
    texts.borrow_mut().push(dbg);
    texts.borrow_mut().push(format!("{bad:?}"));
    record(bad.agents().list_roles().await.map(drop));
    let (c, dbg) = client(&env, &[]);
    texts.borrow_mut().push(dbg);
    let admin = c.agents();
    record(admin.list_roles().await.map(drop));
    es.expire_tokens();
    record(admin.list_roles().await.map(drop));
    let a = new_agent("leak1@example.com", "Str0ngPassw0rd!", "agent");
    texts.borrow_mut().push(format!("{a:?}"));
    record(admin.add_agent(&a).await.map(drop));
    record(admin.add_agent(&a).await.map(drop)); // already exists
    record(
        admin
            .add_agent(&new_agent("leak2@example.com", "sh0rtpw", "agent"))
            .await
            .map(drop),
    );
    record(
        admin
            .set_agent_password("nobody@example.com", &Secret::new("Str0ngPassw0rd!"))
            .await,
    );
    es.chaos().inject(Fault::Status { status: 503 }, 5);
    record(admin.list_roles().await.map(drop));
    es.chaos().inject(Fault::Html, 3);
    record(admin.list_roles().await.map(drop));
    es.chaos().inject(Fault::DropAfter, 1);
    record(
        admin
            .add_agent(&new_agent("leak3@example.com", "Str0ngPassw0rd!", "agent"))
            .await
            .map(drop),
    );
    es.chaos().inject(Fault::Truncate, 1);
    record(
        admin
            .add_agent(&new_agent("leak4@example.com", "Str0ngPassw0rd!", "agent"))
            .await
            .map(drop),
    );
    secrets.extend(received_secrets(&es.requests()));

    // Sobot: bad key, refusals, faults, signed GETs.
    let ss = sobot::start(SeedConfig::default()).await.unwrap();
    let env = ss.env();
    let (bad, dbg) = client(&env, &[("KEFU_SOBOT_UNION_KEY", "wrong-union-key-000000")]);
    texts.borrow_mut().push(dbg);
    texts.borrow_mut().push(format!("{bad:?}"));
    record(bad.tenants().app_keys().await.map(drop));
    let (c, dbg) = client(&env, &[]);
    texts.borrow_mut().push(dbg);
    let t = NewTenant {
        customer_code: "LEAK".into(),
        name: "Leak".into(),
        email: "owner@leak.example.com".into(),
        password: Some(Secret::new("Str0ngPassw0rd!")),
        max_agents: 2,
        ..NewTenant::default()
    };
    texts.borrow_mut().push(format!("{t:?}"));
    record(c.tenants().add_tenant(&t).await.map(drop));
    record(c.tenants().add_tenant(&t).await.map(drop)); // exists
    let merchant = ss.sobot().first_customer_code().unwrap();
    let staff = c.for_tenant(merchant).agents();
    record(
        staff
            .add_agent(&new_agent(
                "leak5@example.com",
                "Str0ngPassw0rd!",
                "online-agent",
            ))
            .await
            .map(drop),
    );
    record(staff.delete_agent("ghost@example.com").await);
    ss.chaos().inject(Fault::Status { status: 502 }, 5);
    record(c.tenants().app_keys().await.map(drop));
    let to = SeedConfig::default().start + chrono::Duration::days(9);
    ss.chaos().inject(Fault::Truncate, 4);
    record(
        futures_util::TryStreamExt::try_collect::<Vec<_>>(
            c.reports()
                .agent_status_log(SeedConfig::default().start, to)
                .unwrap(),
        )
        .await
        .map(drop),
    );
    secrets.extend(received_secrets(&ss.requests()));

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("kefu.request"),
        "no request spans were captured:\n{logs}"
    );
    for field in [
        "vendor=easemob",
        "vendor=sobot",
        "operation=",
        "attempt=",
        "status=",
        "latency_ms=",
    ] {
        assert!(logs.contains(field), "spans lack `{field}`");
    }
    assert!(
        texts.borrow().len() > 20,
        "too few failure paths walked: {}",
        texts.borrow().len()
    );
    secrets.sort();
    secrets.dedup();
    assert!(secrets.len() > 10, "too few secrets collected: {secrets:?}");
    let everything = format!("{logs}\n{}", texts.borrow().join("\n"));
    for s in &secrets {
        assert!(
            !everything.contains(s.as_str()),
            "secret {s:?} leaked:\n{}",
            context(&everything, s)
        );
    }
}

fn context(haystack: &str, needle: &str) -> String {
    let i = haystack.find(needle).unwrap_or(0);
    let start = haystack[..i]
        .char_indices()
        .rev()
        .nth(200)
        .map_or(0, |(j, _)| j);
    haystack[start..].chars().take(400).collect()
}

/// A vendor that echoes everything it was sent (query, headers, body) in
/// its refusal, as JSON in its own shape and as plain text, on the token
/// request and on every operation of both vendors: no secret survives in
/// any error or log line, and the rest of the vendor's words do.
#[tokio::test(flavor = "current_thread")]
async fn an_echoing_vendor_never_gets_a_secret_printed() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let texts: std::cell::RefCell<Vec<String>> = Default::default();
    let echoed = std::cell::Cell::new(0usize);
    let record = |r: Result<(), kefu::Error>| {
        let e = r.expect_err("the echoing vendor refused");
        let text = format!("{e}");
        if text.contains("bad request") {
            echoed.set(echoed.get() + 1);
        }
        texts.borrow_mut().push(text);
        texts.borrow_mut().push(format!("{e:?}"));
    };
    let echoes = [
        Fault::Echo {
            status: 400,
            json: true,
        },
        Fault::Echo {
            status: 200,
            json: true,
        },
        Fault::Echo {
            status: 401,
            json: true,
        },
        Fault::Echo {
            status: 400,
            json: false,
        },
        Fault::Echo {
            status: 200,
            json: false,
        },
        Fault::Echo {
            status: 500,
            json: true,
        },
    ];
    let password = "Echo-Passw0rd-7731";

    // Easemob: the token request itself, then each operation with a token.
    let es = easemob::start(SeedConfig {
        sessions: 60,
        ..SeedConfig::default()
    })
    .await
    .unwrap();
    for fault in &echoes {
        // A fresh client: the echo hits the token request (secretId).
        let (c, _) = client(&es.env(), &[]);
        es.chaos().clear();
        es.chaos().inject(fault.clone(), 10);
        record(c.agents().list_roles().await.map(drop));
        // A client holding a token: the echo hits the call (Kefu-Token, password).
        let (c, _) = client(&es.env(), &[]);
        es.chaos().clear();
        c.agents().list_roles().await.unwrap();
        let admin = c.agents();
        for op in 0..4 {
            es.chaos().clear();
            es.chaos().inject(fault.clone(), 10);
            let r = match op {
                0 => admin
                    .add_agent(&new_agent("echo1@example.com", password, "agent"))
                    .await
                    .map(drop),
                1 => {
                    admin
                        .set_agent_password("echo2@example.com", &Secret::new(password))
                        .await
                }
                2 => futures_util::TryStreamExt::try_collect::<Vec<_>>(
                    c.sessions().sessions(&SessionQuery::default()).unwrap(),
                )
                .await
                .map(drop),
                _ => futures_util::TryStreamExt::try_collect::<Vec<_>>(
                    admin.list_agents(&AgentQuery::default()).unwrap(),
                )
                .await
                .map(drop),
            };
            record(r);
        }
    }
    let mut secrets = received_secrets(&es.requests());
    es.chaos().clear();

    // Sobot: signed bodies, tokens in queries, passwords.
    let ss = sobot::start(SeedConfig::default()).await.unwrap();
    let (c, _) = client(&ss.env(), &[]);
    let merchant = ss.sobot().first_customer_code().unwrap();
    let staff = c.for_tenant(merchant).agents();
    let t = NewTenant {
        customer_code: "ECHO".into(),
        name: "Echo".into(),
        email: "owner@echo.example.com".into(),
        password: Some(Secret::new(password)),
        max_agents: 2,
        ..NewTenant::default()
    };
    let start = SeedConfig::default().start;
    for fault in &echoes {
        for op in 0..6 {
            ss.chaos().clear();
            ss.chaos().inject(fault.clone(), 10);
            let r = match op {
                0 => c.tenants().app_keys().await.map(drop),
                1 => c.tenants().add_tenant(&t).await.map(drop),
                2 => staff
                    .add_agent(&new_agent("echo3@example.com", password, "online-agent"))
                    .await
                    .map(drop),
                3 => futures_util::TryStreamExt::try_collect::<Vec<_>>(
                    c.reports()
                        .agent_status_log(start, start + chrono::Duration::days(2))
                        .unwrap(),
                )
                .await
                .map(drop),
                4 => futures_util::TryStreamExt::try_collect::<Vec<_>>(
                    c.tenants().list_tenants(&TenantQuery::default()).unwrap(),
                )
                .await
                .map(drop),
                _ => c
                    .reports()
                    .agent_stats(start.date_naive(), start.date_naive())
                    .await
                    .map(drop),
            };
            record(r);
        }
    }
    ss.chaos().clear();
    secrets.extend(received_secrets(&ss.requests()));
    secrets.extend([
        easemob::SECRET_ID.to_owned(),
        sobot::UNION_KEY.to_owned(),
        password.to_owned(),
    ]);
    secrets.sort();
    secrets.dedup();

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    let everything = format!("{logs}\n{}", texts.borrow().join("\n"));
    assert!(
        echoed.get() >= 30,
        "too few echoes reached an error: {}",
        echoed.get()
    );
    assert!(everything.contains("***"), "nothing was scrubbed");
    assert!(secrets.len() > 10, "too few secrets collected: {secrets:?}");
    for s in &secrets {
        assert!(
            !everything.contains(s.as_str()),
            "secret {s:?} leaked:\n{}",
            context(&everything, s)
        );
    }
}
