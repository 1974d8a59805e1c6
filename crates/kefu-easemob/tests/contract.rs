//! The contract every kefu client keeps: bad input and unsupported
//! operations are refused before anything is sent, and no secret ever shows.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, TimeZone, Utc};
use common::{builder_for, client_for, sandbox};
use kefu_core::model::*;
use kefu_core::{
    AgentAdmin, Error, ErrorKind, Operation, Provider, Reports, SessionHistory, TenantAdmin, Vendor,
};
use kefu_easemob::EasemobClient;
use kefu_testkit::sandbox::Fault;
use kefu_testkit::sandbox::easemob::SECRET_ID;

fn valid_agent() -> NewAgent {
    NewAgent {
        email: "new@example.com".into(),
        nickname: "Nick".into(),
        real_name: "Real".into(),
        password: Some(kefu_core::Secret::new("long-enough")),
        role: "agent".into(),
        max_sessions: 5,
        phone: Some("13100000000".into()),
        agent_number: Some("1001".into()),
    }
}

fn field_of(result: kefu_core::Result<impl Sized>) -> String {
    match result {
        Err(Error::InvalidInput { field, .. }) => field.into_owned(),
        Err(other) => format!("not InvalidInput: {other}"),
        Ok(_) => "accepted".to_owned(),
    }
}

#[tokio::test]
async fn bad_input_names_the_vendor_field_and_sends_nothing() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    let pw = |s: &str| Some(kefu_core::Secret::new(s));
    let with = |f: &dyn Fn(&mut NewAgent)| {
        let mut a = valid_agent();
        f(&mut a);
        a
    };
    let t = |h| {
        Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0)
            .single()
            .expect("t")
    };
    let backwards = |by| SessionQuery {
        by,
        from: Some(t(2)),
        to: Some(t(1)),
        ..SessionQuery::default()
    };

    let cases: Vec<(String, &str)> = vec![
        (
            field_of(c.add_agent(&with(&|a| a.password = pw("short7!"))).await),
            "password",
        ),
        (
            field_of(c.add_agent(&with(&|a| a.password = None)).await),
            "password",
        ),
        (
            field_of(c.add_agent(&with(&|a| a.nickname = " ".into())).await),
            "nicename",
        ),
        (
            field_of(
                c.add_agent(&with(&|a| a.email = "not-an-email".into()))
                    .await,
            ),
            "username",
        ),
        (
            field_of(c.add_agent(&with(&|a| a.role = "supervisor".into())).await),
            "roleId",
        ),
        (
            field_of(c.add_agent(&with(&|a| a.real_name = String::new())).await),
            "trueName",
        ),
        (
            field_of(
                c.add_agent(&with(&|a| a.phone = Some("131-0000".into())))
                    .await,
            ),
            "mobilePhone",
        ),
        (
            field_of(
                c.add_agent(&with(&|a| a.agent_number = Some("A7".into())))
                    .await,
            ),
            "agentNumber",
        ),
        (
            field_of(
                c.update_agent(&AgentUpdate {
                    email: "a@example.com".into(),
                    nickname: Some(String::new()),
                    ..AgentUpdate::default()
                })
                .await,
            ),
            "nicename",
        ),
        (
            field_of(
                c.update_agent(&AgentUpdate {
                    email: "a@example.com".into(),
                    role: Some("root".into()),
                    ..AgentUpdate::default()
                })
                .await,
            ),
            "roleId",
        ),
        (
            field_of(c.update_agent(&AgentUpdate::default()).await),
            "username",
        ),
        (field_of(c.delete_agent("nope").await), "username"),
        (field_of(c.enable_agent("a@b").await), "username"),
        (field_of(c.disable_agent("").await), "username"),
        (
            field_of(
                c.set_agent_password("a@example.com", &kefu_core::Secret::new("1234567"))
                    .await,
            ),
            "password",
        ),
        (
            field_of(
                c.set_agent_password("a example.com", &kefu_core::Secret::new("12345678"))
                    .await,
            ),
            "username",
        ),
        (
            field_of(c.list_agents(&AgentQuery {
                search: None,
                page_size: Some(51),
            })),
            "size",
        ),
        (
            field_of(c.sessions(&SessionQuery {
                page_size: Some(51),
                ..SessionQuery::default()
            })),
            "per_page",
        ),
        (
            field_of(c.sessions(&backwards(SessionTime::Stopped))),
            "stopDateFrom",
        ),
        (
            field_of(c.sessions(&backwards(SessionTime::Started))),
            "beginDate",
        ),
        (
            field_of(c.sessions(&backwards(SessionTime::Created))),
            "createDateFrom",
        ),
        (
            field_of(c.sessions(&SessionQuery {
                satisfaction: Some(6),
                ..SessionQuery::default()
            })),
            "enquirySummary",
        ),
    ];
    for (got, expected) in cases {
        assert_eq!(got, expected);
    }
    assert!(sb.requests().is_empty(), "sent: {:?}", sb.requests());
    assert_eq!(sb.token_requests(), 0);
}

#[tokio::test]
async fn exactly_the_documented_operations_are_offered_and_the_rest_refused_before_io() {
    let sb = sandbox().await;
    let c = client_for(&sb);
    assert_eq!(c.vendor(), Vendor::Easemob);
    let caps = c.capabilities();
    let offered: Vec<Operation> = caps.supported().collect();
    assert_eq!(
        offered,
        [
            Operation::ListAgents,
            Operation::AddAgent,
            Operation::UpdateAgent,
            Operation::DeleteAgent,
            Operation::EnableAgent,
            Operation::DisableAgent,
            Operation::SetAgentPassword,
            Operation::ListRoles,
            Operation::ListSessions,
            Operation::AgentStats,
        ]
    );

    // One client value behind every trait object.
    let tenants: Arc<dyn TenantAdmin> = Arc::new(c.clone());
    let reports: Arc<dyn Reports> = Arc::new(c.clone());
    let history: Arc<dyn SessionHistory> = Arc::new(c.clone());
    let day = NaiveDate::from_ymd_opt(2024, 5, 1).expect("day");
    let from = Utc
        .with_ymd_and_hms(2024, 5, 1, 0, 0, 0)
        .single()
        .expect("t");
    for op in caps.unsupported() {
        let result: kefu_core::Result<()> = match op {
            Operation::ListTenants => tenants.list_tenants(&TenantQuery::default()).map(drop),
            Operation::AddTenant => tenants.add_tenant(&NewTenant::default()).await.map(drop),
            Operation::UpdateTenant => tenants.update_tenant(&TenantUpdate::default()).await,
            Operation::ListAppKeys => tenants.app_keys().await.map(drop),
            Operation::ListChats => history.chats("partner-1").await.map(drop),
            Operation::AgentStats => reports.agent_stats(day, day).await.map(drop),
            Operation::ExportReport => reports
                .export_report(ReportKind::Sessions, day)
                .await
                .map(drop),
            Operation::AgentStatusLog => reports.agent_status_log(from, from).map(drop),
            other => panic!("{other} is neither offered nor tested here"),
        };
        match result {
            Err(Error::Unsupported { vendor, operation }) => {
                assert_eq!((vendor, operation), (Vendor::Easemob, op));
            }
            other => panic!("{op}: {:?}", other.err()),
        }
    }
    assert_eq!(caps.unsupported().count(), 7);
    assert!(sb.requests().is_empty());
}

/// Everything the client's tracing writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

#[tokio::test]
async fn no_secret_reaches_debug_output_errors_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("kefu_easemob=trace,kefu_http=trace")
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sb = sandbox().await;
    let c = client_for(&sb);
    let password = "Agent-Pa55word-xyz";
    let new_password = "Changed-Pa55word-xyz";
    let mut errors: Vec<Error> = Vec::new();

    let mut agent = valid_agent();
    agent.password = Some(kefu_core::Secret::new(password));
    c.add_agent(&agent).await.expect("add");
    c.set_agent_password(&agent.email, &kefu_core::Secret::new(new_password))
        .await
        .expect("password");
    // Refusals, a token dying, an unreadable token answer, refused credentials.
    errors.push(c.add_agent(&agent).await.unwrap_err());
    sb.expire_tokens();
    errors.push(c.delete_agent("nobody@example.com").await.unwrap_err());
    sb.expire_tokens();
    sb.chaos().inject(Fault::Truncate, 10);
    errors.push(c.list_roles().await.unwrap_err());
    sb.chaos().clear();
    let wrong = builder_for(&sb)
        .secret_id("wrong-but-still-secret")
        .build()
        .expect("client");
    errors.push(wrong.list_roles().await.unwrap_err());
    assert_eq!(errors[2].kind(), ErrorKind::Decode);
    assert_eq!(errors[3].kind(), ErrorKind::Authentication);

    let tokens: Vec<String> = sb
        .requests()
        .iter()
        .filter_map(|r| r.headers.get("kefu-token").cloned())
        .collect();
    assert!(!tokens.is_empty());
    let mut secrets = vec![
        SECRET_ID.to_owned(),
        "wrong-but-still-secret".into(),
        password.into(),
        new_password.into(),
    ];
    secrets.extend(tokens);

    let mut printed = vec![
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{wrong:?}"),
        format!("{:?}", builder_for(&sb)),
        logs.text(),
    ];
    for e in &errors {
        printed.push(format!("{e}"));
        printed.push(format!("{e:?}"));
    }
    assert!(logs.text().contains("kefu.request"), "tracing was captured");
    for text in &printed {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into: {text}"
            );
        }
    }
}

#[test]
fn from_env_reads_the_documented_variables() {
    // Only the missing-variable path: the environment of a test run is shared.
    if std::env::var("KEFU_EASEMOB_TENANT_ID").is_err() {
        let e = EasemobClient::from_env().unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }
}
