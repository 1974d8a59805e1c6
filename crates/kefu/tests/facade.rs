//! The facade picks vendors at run time, and every vendor refuses what it
//! does not offer before touching the network.

#![allow(clippy::unwrap_used)] // test helpers, not only #[test] fns

use std::collections::HashMap;
use std::net::TcpListener;

use chrono::{NaiveDate, TimeZone, Utc};
use kefu::model::*;
use kefu::{Client, ClientBuilder, Error, ErrorKind, Operation, Secret, Vendor};

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn missing_or_unknown_vendor_is_a_config_error_naming_kefu_vendor() {
    let e = ClientBuilder::new()
        .lookup(lookup(&[]))
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config { key, .. } if key == "KEFU_VENDOR"),
        "{e}"
    );
    let e = ClientBuilder::new()
        .lookup(lookup(&[("KEFU_VENDOR", "zendesk")]))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("KEFU_VENDOR"), "{e}");
}

/// A loopback port that is bound but never accepts: any connection attempt
/// would sit in its backlog, where `accept` finds it.
struct Tripwire(TcpListener);

impl Tripwire {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Self(l)
    }
    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }
    fn touched(&self) -> bool {
        self.0.accept().is_ok()
    }
}

fn client_for(vendor: Vendor, url: &str) -> Client {
    let pairs: Vec<(&str, &str)> = match vendor {
        Vendor::Sobot => vec![
            ("KEFU_VENDOR", "sobot"),
            ("KEFU_SOBOT_BASE_URL", url),
            ("KEFU_SOBOT_UNION_CODE", "10004"),
            ("KEFU_SOBOT_UNION_KEY", "test-union-key"),
            ("KEFU_SOBOT_EMAIL", "admin@platform.example.com"),
            ("KEFU_SOBOT_CUSTOMER_CODE", "merchant-1"),
        ],
        _ => vec![
            ("KEFU_VENDOR", "easemob"),
            ("KEFU_EASEMOB_BASE_URL", url),
            ("KEFU_EASEMOB_TENANT_ID", "1"),
            ("KEFU_EASEMOB_CLIENT_ID", "client"),
            ("KEFU_EASEMOB_SECRET_ID", "test-secret-id"),
        ],
    };
    ClientBuilder::new().lookup(lookup(&pairs)).build().unwrap()
}

/// Calls `op` through the trait objects with valid arguments.
async fn call(client: &Client, op: Operation) -> kefu::Result<()> {
    let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    let from = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 0).unwrap();
    let email = "agent@example.com";
    match op {
        Operation::ListTenants => client
            .tenants()
            .list_tenants(&TenantQuery::default())
            .map(drop),
        Operation::AddTenant => {
            let t = NewTenant {
                customer_code: "m-1".into(),
                name: "Shop".into(),
                email: email.into(),
                password: Some(Secret::new("password1")),
                max_agents: 1,
                ..Default::default()
            };
            client.tenants().add_tenant(&t).await.map(drop)
        }
        Operation::UpdateTenant => {
            let u = TenantUpdate {
                customer_code: "m-1".into(),
                name: "Shop".into(),
                email: email.into(),
                max_agents: 1,
                ..Default::default()
            };
            client.tenants().update_tenant(&u).await
        }
        Operation::ListAppKeys => client.tenants().app_keys().await.map(drop),
        Operation::ListAgents => client
            .agents()
            .list_agents(&AgentQuery::default())
            .map(drop),
        Operation::AddAgent => {
            let a = NewAgent {
                email: email.into(),
                nickname: "n".into(),
                real_name: "r".into(),
                password: Some(Secret::new("password1")),
                role: "agent".into(),
                max_sessions: 5,
                phone: Some("13100000000".into()),
                agent_number: None,
            };
            client.agents().add_agent(&a).await.map(drop)
        }
        Operation::UpdateAgent => {
            let u = AgentUpdate {
                email: email.into(),
                nickname: Some("n".into()),
                real_name: Some("r".into()),
                phone: Some("13100000000".into()),
                max_sessions: Some(5),
                ..Default::default()
            };
            client.agents().update_agent(&u).await
        }
        Operation::DeleteAgent => client.agents().delete_agent(email).await,
        Operation::EnableAgent => client.agents().enable_agent(email).await,
        Operation::DisableAgent => client.agents().disable_agent(email).await,
        Operation::SetAgentPassword => {
            client
                .agents()
                .set_agent_password(email, &Secret::new("password1"))
                .await
        }
        Operation::ListRoles => client.agents().list_roles().await.map(drop),
        Operation::ListSessions => client
            .sessions()
            .sessions(&SessionQuery::stopped_between(from, to))
            .map(drop),
        Operation::ListChats => client.sessions().chats("partner-1").await.map(drop),
        Operation::AgentStats => client.reports().agent_stats(day, day).await.map(drop),
        Operation::ExportReport => client
            .reports()
            .export_report(ReportKind::Sessions, day)
            .await
            .map(drop),
        Operation::AgentStatusLog => client.reports().agent_status_log(from, to).map(drop),
        other => panic!("operation {other} has no call in this test: add it"),
    }
}

#[tokio::test]
async fn every_unsupported_operation_fails_before_any_io() {
    for vendor in kefu::built_vendors() {
        let wire = Tripwire::new();
        let client = client_for(*vendor, &wire.url());
        let caps = client.capabilities();
        assert_eq!(caps.vendor(), *vendor);
        let unsupported: Vec<Operation> = caps.unsupported().collect();
        assert!(!unsupported.is_empty(), "{vendor} claims every operation");
        for op in unsupported {
            let err = call(&client, op).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{vendor} {op}: {err}");
            assert!(
                matches!(err, Error::Unsupported { vendor: v, operation } if v == *vendor && operation == op)
            );
        }
        assert!(
            !wire.touched(),
            "{vendor} opened a connection for an unsupported operation"
        );
    }
}

#[test]
fn vendors_are_picked_at_run_time_and_scoping_keeps_the_vendor() {
    for vendor in kefu::built_vendors() {
        let client = client_for(*vendor, "http://127.0.0.1:9");
        assert_eq!(client.vendor(), *vendor);
        assert_eq!(client.for_tenant("m-2").vendor(), *vendor);
        // No secret in the client's Debug.
        let dbg = format!("{client:?}");
        assert!(
            !dbg.contains("test-union-key") && !dbg.contains("test-secret-id"),
            "{dbg}"
        );
    }
}

#[cfg(not(all(feature = "sobot", feature = "easemob")))]
#[test]
fn a_vendor_whose_feature_is_off_says_so() {
    let missing = if cfg!(feature = "sobot") {
        "easemob"
    } else {
        "sobot"
    };
    let e = ClientBuilder::new()
        .lookup(lookup(&[("KEFU_VENDOR", missing)]))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("feature"), "{e}");
}

/// Both vendors take the store through the facade's builder: two Easemob
/// clients share one token, two Sobot clients one chat budget.
#[tokio::test]
async fn the_builder_hands_the_shared_store_to_either_vendor() {
    use std::sync::Arc;

    use kefu::shared::{MemoryStore, SharedStore};
    use kefu_testkit::sandbox::{SeedConfig, easemob, sobot};

    let store: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
    let sb = easemob::start(SeedConfig::default()).await.unwrap();
    let env: HashMap<String, String> = sb.env().into_iter().collect();
    for _ in 0..2 {
        let env = env.clone();
        let c = ClientBuilder::new()
            .lookup(move |k| env.get(k).cloned())
            .vendor(Vendor::Easemob)
            .shared_store(store.clone())
            .build()
            .unwrap();
        c.agents().list_roles().await.unwrap();
    }
    assert_eq!(sb.token_requests(), 1);

    let sb = sobot::start(SeedConfig::default()).await.unwrap();
    sb.set_chat_limit(1, std::time::Duration::from_secs(60));
    let mut env: HashMap<String, String> = sb.env().into_iter().collect();
    // One call a minute, bursts of one: the second client must wait a minute
    // for its turn in the shared budget, which a 300 ms timeout cuts short.
    env.insert("KEFU_SOBOT_CHAT_PACE".into(), "1/60s".into());
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let env = env.clone();
            ClientBuilder::new()
                .lookup(move |k| env.get(k).cloned())
                .vendor(Vendor::Sobot)
                .shared_store(store.clone())
                .build()
                .unwrap()
        })
        .collect();
    clients[0].sessions().chats("partner-001").await.unwrap();
    let second = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        clients[1].sessions().chats("partner-001"),
    )
    .await;
    assert!(
        second.is_err(),
        "the second client waits for the shared budget"
    );
    assert_eq!(sb.chat_calls_refused(), 0);
}
