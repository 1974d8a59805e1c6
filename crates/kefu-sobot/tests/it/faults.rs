//! Writes are never blindly repeated; reads and idempotent writes are.

use kefu_core::model::{NewTenant, TenantUpdate};
use kefu_core::{AgentAdmin, ErrorKind, Operation, Secret, TenantAdmin};
use kefu_testkit::sandbox::Fault;

use crate::common::setup;
use crate::staff::new_agent;

fn shop(code: &str) -> NewTenant {
    NewTenant {
        customer_code: code.to_owned(),
        name: "断线商户".to_owned(),
        email: format!("admin@{}.example.com", code.to_lowercase()),
        password: Some(Secret::new("Init-Pass-1")),
        max_agents: 2,
        ..NewTenant::default()
    }
}

#[tokio::test]
async fn an_add_tenant_cut_after_serving_is_reconciled_by_customer_code() {
    let (sb, client) = setup().await;
    sb.chaos().inject(Fault::DropAfter, 1);
    let created = client.add_tenant(&shop("CUT1")).await.unwrap();
    let stored = sb.tenant("CUT1").unwrap();
    assert_eq!(created.app_key.as_deref(), Some(stored.app_key.as_str()));
    assert_eq!(
        created.company_id.as_deref(),
        Some(stored.company_id.as_str())
    );
    assert_eq!(created.extra["reconciled"], true);
    // One add, then one lookup by external id; never a second add.
    let routes: Vec<String> = sb.requests().iter().map(|r| r.route()).collect();
    assert_eq!(
        routes,
        vec![
            "POST /tenantpro/open/addTenant.json",
            "POST /tenantpro/open/getTenantList"
        ]
    );
    assert_eq!(sb.requests()[1].json().unwrap()["inputStatus"], "4");
}

#[tokio::test]
async fn an_add_tenant_that_never_took_effect_returns_the_original_error() {
    let (sb, client) = setup().await;
    sb.chaos().inject(Fault::Status { status: 502 }, 1);
    let e = client.add_tenant(&shop("GONE")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Vendor);
    assert_eq!(e.vendor_error().unwrap().http_status, Some(502));
    assert!(sb.tenant("GONE").is_none());
    assert_eq!(
        sb.log()
            .to_route("POST", "/tenantpro/open/addTenant.json")
            .len(),
        1
    );
}

#[tokio::test]
async fn an_add_tenant_that_cannot_be_reconciled_is_outcome_unknown() {
    let (sb, client) = setup().await;
    sb.chaos().inject(Fault::DropAfter, 1);
    // The lookup fails on every attempt.
    sb.chaos().inject(Fault::Status { status: 503 }, 3);
    let e = client.add_tenant(&shop("LIMBO")).await.unwrap_err();
    assert!(
        matches!(
            &e,
            kefu_core::Error::OutcomeUnknown {
                operation: Operation::AddTenant,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        sb.log()
            .to_route("POST", "/tenantpro/open/addTenant.json")
            .len(),
        1
    );
}

#[tokio::test]
async fn an_add_agent_cut_after_serving_is_outcome_unknown_and_done_once() {
    let (sb, client) = setup().await;
    sb.chaos().inject(Fault::DropAfter, 1);
    let e = client
        .add_agent(&new_agent("cut@m001.example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            kefu_core::Error::OutcomeUnknown {
                operation: Operation::AddAgent,
                ..
            }
        ),
        "{e}"
    );
    assert!(sb.staff("M001", "cut@m001.example.com").is_some());
    assert_eq!(sb.log().len(), 1);
}

#[tokio::test]
async fn a_delete_cut_after_serving_is_outcome_unknown() {
    let (sb, client) = setup().await;
    sb.chaos().inject(Fault::DropAfter, 1);
    let e = client
        .delete_agent("agent04@m001.example.com")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
    assert!(sb.staff("M001", "agent04@m001.example.com").is_none());
    assert_eq!(sb.log().len(), 1);
}

#[tokio::test]
async fn an_update_is_idempotent_and_retried() {
    let (sb, client) = setup().await;
    sb.chaos().inject(Fault::Status { status: 502 }, 1);
    let update = TenantUpdate {
        customer_code: "M001".into(),
        name: "重试商户".into(),
        email: "admin@m001.example.com".into(),
        max_agents: 30,
        ..TenantUpdate::default()
    };
    client.update_tenant(&update).await.unwrap();
    assert_eq!(sb.tenant("M001").unwrap().company_name, "重试商户");
    assert_eq!(sb.log().len(), 2);
}

#[tokio::test]
async fn an_html_error_page_is_retried_on_reads_and_never_panics() {
    let (sb, client) = setup().await;
    sb.chaos().inject(Fault::Html, 1);
    let keys = client.app_keys().await.unwrap();
    assert_eq!(keys.len(), 12);
    sb.chaos().inject(Fault::Html, 3);
    let e = client.app_keys().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    sb.chaos().inject(Fault::Truncate, 3);
    let e = client.app_keys().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
}
