//! The wire request of every operation, with a fixed clock, as snapshots.
//! Each was checked against the document's table (method, path, parameter
//! names and types) before it was accepted.

use chrono::{Duration, NaiveDate};
use futures_util::TryStreamExt;
use kefu_core::model::{
    NewTenant, ReportKind, TenantQuery, TenantSearch, TenantStatus, TenantUpdate,
};
use kefu_core::{AgentAdmin, Reports, Secret, SessionHistory, TenantAdmin};
use kefu_testkit::sandbox::LoggedRequest;
use kefu_testkit::snapshot::wire;
use serde_json::Value;

use crate::common::{fixed_now, setup_fixed};
use crate::staff::{full_update, new_agent};

/// Signatures and passwords are replaced; `ts` stays (the clock is fixed),
/// so its type and unit show.
fn snap(r: &LoggedRequest) -> Value {
    wire(r, &["token", "sign", "password"])
}

fn last(sb: &kefu_testkit::sandbox::sobot::SobotSandbox) -> LoggedRequest {
    sb.requests().pop().expect("a request was sent")
}

#[tokio::test]
async fn wire_requests() {
    let (sb, client, _clock) = setup_fixed().await;
    let d = |day| NaiveDate::from_ymd_opt(2024, 5, day).unwrap();

    let query = TenantQuery {
        status: TenantStatus::Open,
        from: Some(d(1)),
        to: Some(d(31)),
        search: Some(TenantSearch::Name("样例".into())),
        page_size: Some(20),
    };
    client
        .list_tenants(&query)
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    insta::assert_json_snapshot!("getTenantList", snap(&last(&sb)));

    let tenant = NewTenant {
        customer_code: "SHOP42".into(),
        name: "四十二号店".into(),
        email: "boss@shop42.example.com".into(),
        password: Some(Secret::new("Init-Pass-1")),
        max_agents: 5,
        contact_name: Some("王五".into()),
        contact_tel: Some("13900000000".into()),
        icon: Some("https://img.example.com/42.png".into()),
    };
    client.add_tenant(&tenant).await.unwrap();
    insta::assert_json_snapshot!("addTenant.json", snap(&last(&sb)));

    let update = TenantUpdate {
        customer_code: "SHOP42".into(),
        name: "四十二号旗舰店".into(),
        email: "boss@shop42.example.com".into(),
        max_agents: 8,
        contact_name: Some("王五".into()),
        contact_tel: None,
    };
    client.update_tenant(&update).await.unwrap();
    insta::assert_json_snapshot!("updateTenant.json", snap(&last(&sb)));

    client.app_keys().await.unwrap();
    insta::assert_json_snapshot!("getBatchAppKey", snap(&last(&sb)));

    client
        .add_agent(&new_agent("xiaozhi@m001.example.com"))
        .await
        .unwrap();
    insta::assert_json_snapshot!("addServiceInfoConfim.json", snap(&last(&sb)));

    client
        .update_agent(&full_update("xiaozhi@m001.example.com"))
        .await
        .unwrap();
    insta::assert_json_snapshot!("updateServiceInfoConfim.json", snap(&last(&sb)));

    client
        .delete_agent("xiaozhi@m001.example.com")
        .await
        .unwrap();
    insta::assert_json_snapshot!("deleteServiceInfoConfim", snap(&last(&sb)));

    client
        .export_report(ReportKind::Sessions, d(5))
        .await
        .unwrap();
    insta::assert_json_snapshot!("tenantExportData.type7", snap(&last(&sb)));

    client
        .export_report(ReportKind::ResponseTimes, d(5))
        .await
        .unwrap();
    insta::assert_json_snapshot!("tenantExportData.type8", snap(&last(&sb)));

    client.agent_stats(d(2), d(3)).await.unwrap();
    insta::assert_json_snapshot!("tenantStaffJobList", snap(&last(&sb)));

    client.chats("partner-001").await.unwrap();
    insta::assert_json_snapshot!("chatIndexPage", snap(&last(&sb)));

    let from = fixed_now() - Duration::days(3);
    client
        .agent_status_log(from, fixed_now())
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    insta::assert_json_snapshot!("getStaffLogInfos", snap(&last(&sb)));
}
