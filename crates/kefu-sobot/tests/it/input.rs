//! Bad input is refused naming the vendor's field, and unsupported
//! operations are refused, both before anything is sent.

use chrono::{NaiveDate, TimeZone, Utc};
use futures_util::TryStreamExt;
use kefu_core::model::{
    AgentQuery, AgentUpdate, NewAgent, NewTenant, SessionQuery, TenantQuery, TenantSearch,
    TenantUpdate,
};
use kefu_core::{
    AgentAdmin, ErrorKind, Operation, Provider, Reports, Secret, SessionHistory, TenantAdmin,
    Vendor,
};
use kefu_sobot::SobotClient;

use crate::common::{assert_invalid, builder, setup};
use crate::staff::{full_update, new_agent};

fn tenant() -> NewTenant {
    NewTenant {
        customer_code: "OK1".into(),
        name: "好商户".into(),
        email: "ok@ok1.example.com".into(),
        password: Some(Secret::new("Init-Pass-1")),
        max_agents: 3,
        ..NewTenant::default()
    }
}

fn tenant_update() -> TenantUpdate {
    TenantUpdate {
        customer_code: "M001".into(),
        name: "好商户".into(),
        email: "ok@m001.example.com".into(),
        max_agents: 3,
        ..TenantUpdate::default()
    }
}

#[tokio::test]
async fn bad_tenant_input_names_the_field_and_sends_nothing() {
    let (sb, client) = setup().await;
    let cases: Vec<(&str, NewTenant)> = vec![
        (
            "customerCode",
            NewTenant {
                customer_code: " ".into(),
                ..tenant()
            },
        ),
        (
            "companyName",
            NewTenant {
                name: String::new(),
                ..tenant()
            },
        ),
        (
            "email",
            NewTenant {
                email: "not-an-email".into(),
                ..tenant()
            },
        ),
        (
            "maxCount",
            NewTenant {
                max_agents: 0,
                ..tenant()
            },
        ),
        (
            "password",
            NewTenant {
                password: None,
                ..tenant()
            },
        ),
        (
            "password",
            NewTenant {
                password: Some(Secret::new("")),
                ..tenant()
            },
        ),
    ];
    for (field, t) in cases {
        assert_invalid(&client.add_tenant(&t).await.unwrap_err(), field);
    }
    let cases: Vec<(&str, TenantUpdate)> = vec![
        (
            "customerCode",
            TenantUpdate {
                customer_code: String::new(),
                ..tenant_update()
            },
        ),
        (
            "companyName",
            TenantUpdate {
                name: " ".into(),
                ..tenant_update()
            },
        ),
        (
            "email",
            TenantUpdate {
                email: "x@".into(),
                ..tenant_update()
            },
        ),
        (
            "maxCount",
            TenantUpdate {
                max_agents: 0,
                ..tenant_update()
            },
        ),
    ];
    for (field, u) in cases {
        assert_invalid(&client.update_tenant(&u).await.unwrap_err(), field);
    }
    let d = |day| NaiveDate::from_ymd_opt(2024, 5, day);
    let backwards = TenantQuery {
        from: d(9),
        to: d(2),
        ..TenantQuery::default()
    };
    assert_invalid(&client.list_tenants(&backwards).err().unwrap(), "startDate");
    let empty_search = TenantQuery {
        search: Some(TenantSearch::Name(" ".into())),
        ..TenantQuery::default()
    };
    assert_invalid(
        &client.list_tenants(&empty_search).err().unwrap(),
        "inputValue",
    );
    let zero_page = TenantQuery {
        page_size: Some(0),
        ..TenantQuery::default()
    };
    assert_invalid(&client.list_tenants(&zero_page).err().unwrap(), "pageSize");
    assert!(sb.log().is_empty(), "{:?}", sb.requests());
}

#[tokio::test]
async fn bad_staff_input_names_the_field_and_sends_nothing() {
    let (sb, client) = setup().await;
    let a = || new_agent("ok@m001.example.com");
    let cases: Vec<(&str, NewAgent)> = vec![
        (
            "email",
            NewAgent {
                email: "nope".into(),
                ..a()
            },
        ),
        (
            "nick",
            NewAgent {
                nickname: " ".into(),
                ..a()
            },
        ),
        (
            "name",
            NewAgent {
                real_name: String::new(),
                ..a()
            },
        ),
        (
            "roleId",
            NewAgent {
                role: "admin".into(),
                ..a()
            },
        ),
        (
            "roleId",
            NewAgent {
                role: "9999".into(),
                ..a()
            },
        ),
        ("phoneNo", NewAgent { phone: None, ..a() }),
        (
            "phoneNo",
            NewAgent {
                phone: Some("138-1234-5678".into()),
                ..a()
            },
        ),
        (
            "phoneNo",
            NewAgent {
                phone: Some("01012345678".into()),
                ..a()
            },
        ),
        (
            "password",
            NewAgent {
                password: Some(Secret::new(" ")),
                ..a()
            },
        ),
        (
            "agentNumber",
            NewAgent {
                agent_number: Some("007".into()),
                ..a()
            },
        ),
    ];
    for (field, agent) in cases {
        assert_invalid(&client.add_agent(&agent).await.unwrap_err(), field);
    }
    let u = || full_update("agent01@m001.example.com");
    let cases: Vec<(&str, AgentUpdate)> = vec![
        (
            "email",
            AgentUpdate {
                email: "x".into(),
                ..u()
            },
        ),
        (
            "serviceNick",
            AgentUpdate {
                nickname: None,
                ..u()
            },
        ),
        (
            "serviceNick",
            AgentUpdate {
                nickname: Some(String::new()),
                ..u()
            },
        ),
        (
            "serviceName",
            AgentUpdate {
                real_name: None,
                ..u()
            },
        ),
        ("phoneNo", AgentUpdate { phone: None, ..u() }),
        (
            "phoneNo",
            AgentUpdate {
                phone: Some("13x".into()),
                ..u()
            },
        ),
        (
            "maxAcceptNum",
            AgentUpdate {
                max_sessions: None,
                ..u()
            },
        ),
        (
            "roleId",
            AgentUpdate {
                role: Some("bogus".into()),
                ..u()
            },
        ),
        (
            "roleId",
            AgentUpdate {
                role: Some("1111".into()),
                ..u()
            },
        ),
        (
            "agentNumber",
            AgentUpdate {
                agent_number: Some("9".into()),
                ..u()
            },
        ),
    ];
    for (field, update) in cases {
        assert_invalid(&client.update_agent(&update).await.unwrap_err(), field);
    }
    assert_invalid(
        &client.delete_agent("not an email").await.unwrap_err(),
        "email",
    );
    assert!(sb.log().is_empty(), "{:?}", sb.requests());
}

#[tokio::test]
async fn staff_operations_need_a_merchant() {
    let (sb, _) = setup().await;
    // Built without KEFU_SOBOT_CUSTOMER_CODE.
    let env = crate::common::lookup(&sb);
    let client = kefu_sobot::SobotBuilder::from_lookup(move |k| {
        (k != "KEFU_SOBOT_CUSTOMER_CODE").then(|| env(k)).flatten()
    })
    .build()
    .unwrap();
    assert_invalid(
        &client
            .add_agent(&new_agent("a@b.example.com"))
            .await
            .unwrap_err(),
        "customerCode",
    );
    assert_invalid(
        &client
            .update_agent(&full_update("a@b.example.com"))
            .await
            .unwrap_err(),
        "customerCode",
    );
    assert_invalid(
        &client.delete_agent("a@b.example.com").await.unwrap_err(),
        "customerCode",
    );
    let blank = client.for_tenant("  ");
    assert_invalid(
        &blank.delete_agent("a@b.example.com").await.unwrap_err(),
        "customerCode",
    );
    assert!(sb.log().is_empty());
}

#[tokio::test]
async fn bad_report_and_chat_input_sends_nothing() {
    let (sb, client) = setup().await;
    let d = |day| NaiveDate::from_ymd_opt(2024, 5, day).unwrap();
    assert_invalid(
        &client.agent_stats(d(5), d(4)).await.unwrap_err(),
        "start_date",
    );
    let t = |day| {
        Utc.with_ymd_and_hms(2024, 5, day, 0, 0, 0)
            .single()
            .unwrap()
    };
    assert_invalid(
        &client.agent_status_log(t(5), t(4)).err().unwrap(),
        "startTime",
    );
    assert_invalid(&client.chats(" ").await.unwrap_err(), "partnerId");
    assert!(sb.log().is_empty());
}

fn all_supported() -> Vec<Operation> {
    vec![
        Operation::ListTenants,
        Operation::AddTenant,
        Operation::UpdateTenant,
        Operation::ListAppKeys,
        Operation::AddAgent,
        Operation::UpdateAgent,
        Operation::DeleteAgent,
        Operation::ListRoles,
        Operation::ListChats,
        Operation::AgentStats,
        Operation::ExportReport,
        Operation::AgentStatusLog,
    ]
}

#[tokio::test]
async fn capabilities_list_exactly_what_is_implemented() {
    let (sb, client) = setup().await;
    let caps = client.capabilities();
    assert_eq!(client.vendor(), Vendor::Sobot);
    assert_eq!(caps.supported().collect::<Vec<_>>(), all_supported());
    let unsupported: Vec<Operation> = caps.unsupported().collect();
    assert_eq!(
        unsupported,
        vec![
            Operation::ListAgents,
            Operation::EnableAgent,
            Operation::DisableAgent,
            Operation::SetAgentPassword,
            Operation::ListSessions
        ]
    );
    // Every one of them is refused without I/O.
    let unsupported_of = |e: kefu_core::Error| match e {
        kefu_core::Error::Unsupported {
            vendor: Vendor::Sobot,
            operation,
        } => operation,
        other => panic!("{other}"),
    };
    let mut refused = vec![
        unsupported_of(client.list_agents(&AgentQuery::default()).err().unwrap()),
        unsupported_of(
            client
                .enable_agent("agent01@m001.example.com")
                .await
                .unwrap_err(),
        ),
        unsupported_of(
            client
                .disable_agent("agent01@m001.example.com")
                .await
                .unwrap_err(),
        ),
        unsupported_of(
            client
                .set_agent_password("agent01@m001.example.com", &Secret::new("x"))
                .await
                .unwrap_err(),
        ),
        unsupported_of(client.sessions(&SessionQuery::default()).err().unwrap()),
    ];
    refused.sort();
    assert_eq!(refused, unsupported);
    assert!(sb.log().is_empty());
}

#[tokio::test]
async fn every_supported_operation_reaches_the_sandbox() {
    // The other half of the capability check: what is listed does work.
    let (sb, client) = setup().await;
    let d = NaiveDate::from_ymd_opt(2024, 5, 3).unwrap();
    let t = |day| {
        Utc.with_ymd_and_hms(2024, 5, day, 0, 0, 0)
            .single()
            .unwrap()
    };
    client
        .list_tenants(&TenantQuery::default())
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    client.add_tenant(&tenant()).await.unwrap();
    client
        .update_tenant(&TenantUpdate {
            max_agents: 30,
            ..tenant_update()
        })
        .await
        .unwrap();
    client.app_keys().await.unwrap();
    client
        .add_agent(&new_agent("z@m001.example.com"))
        .await
        .unwrap();
    client
        .update_agent(&full_update("z@m001.example.com"))
        .await
        .unwrap();
    client.delete_agent("z@m001.example.com").await.unwrap();
    client.list_roles().await.unwrap();
    client.chats("partner-001").await.unwrap();
    client.agent_stats(d, d).await.unwrap();
    client
        .export_report(kefu_core::model::ReportKind::Sessions, d)
        .await
        .unwrap();
    client
        .agent_status_log(t(3), t(4))
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    // Eleven endpoints (roles need none).
    let mut routes: Vec<String> = sb.requests().iter().map(|r| r.path.clone()).collect();
    routes.sort();
    routes.dedup();
    assert_eq!(routes.len(), 11, "{routes:?}");
}

#[test]
fn a_client_is_clone_send_sync_and_debug() {
    fn is<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
    is::<SobotClient>();
}

#[tokio::test]
async fn plain_http_is_refused_except_on_loopback() {
    let (sb, _) = setup().await;
    let e = builder(&sb)
        .base_url("http://www.sobot.com")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("KEFU_SOBOT_BASE_URL"), "{e}");
    builder(&sb)
        .base_url("https://www.sobot.com")
        .build()
        .unwrap();
}
