//! An "application" written only against the core traits, driven by the
//! mockall mocks: proves the mocks stand in for a vendor behind `Arc<dyn _>`.
#![cfg(feature = "mock")]

use std::sync::Arc;

use futures_util::TryStreamExt;
use kefu_core::model::{Agent, AgentQuery};
use kefu_core::{
    AgentAdmin, Error, ErrorKind, Operation, Reports, Result, SessionHistory, TenantAdmin, Vendor,
};
use kefu_testkit::{
    MockAgentAdmin, MockReports, MockSessionHistory, MockTenantAdmin, record_stream, result_stream,
};
use mockall::Sequence;
use mockall::predicate::eq;

// --- the "app": knows nothing of mocks or vendors -------------------------

/// Disables the agent where the vendor can, then deletes it.
async fn offboard(admin: Arc<dyn AgentAdmin>, email: &str) -> Result<()> {
    if admin.capabilities().supports(Operation::DisableAgent) {
        admin.disable_agent(email).await?;
    }
    admin.delete_agent(email).await
}

/// Emails of every agent matching `search`, all pages.
async fn agent_emails(admin: Arc<dyn AgentAdmin>, search: &str) -> Result<Vec<String>> {
    let query = AgentQuery {
        search: Some(search.to_owned()),
        page_size: Some(50),
    };
    let agents: Vec<Agent> = admin.list_agents(&query)?.try_collect().await?;
    Ok(agents.into_iter().map(|a| a.email).collect())
}

fn agent(email: &str) -> Agent {
    Agent {
        email: email.to_owned(),
        ..Agent::default()
    }
}

// --- tests ------------------------------------------------------------------

#[tokio::test]
async fn offboard_disables_then_deletes_exactly_once() {
    let mut seq = Sequence::new();
    let mut mock = MockAgentAdmin::new().with_provider(
        Vendor::Easemob,
        &[Operation::DisableAgent, Operation::DeleteAgent],
    );
    mock.expect_disable_agent()
        .with(eq("leaver@example.com"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    mock.expect_delete_agent()
        .with(eq("leaver@example.com"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));

    offboard(Arc::new(mock), "leaver@example.com")
        .await
        .expect("offboard");
    // Dropping the mock (inside offboard's Arc) checks the `times(1)`s.
}

#[tokio::test]
async fn offboard_skips_disable_where_the_vendor_cannot() {
    let mut mock = MockAgentAdmin::new().with_provider(Vendor::Sobot, &[Operation::DeleteAgent]);
    mock.expect_disable_agent().never();
    mock.expect_delete_agent()
        .with(eq("leaver@example.com"))
        .times(1)
        .returning(|_| Ok(()));

    offboard(Arc::new(mock), "leaver@example.com")
        .await
        .expect("offboard");
}

#[tokio::test]
async fn offboard_stops_when_disable_fails() {
    let mut mock = MockAgentAdmin::new().with_provider(
        Vendor::Easemob,
        &[Operation::DisableAgent, Operation::DeleteAgent],
    );
    mock.expect_disable_agent()
        .times(1)
        .returning(|_| Err(Error::invalid("email", "no such agent")));
    mock.expect_delete_agent().never();

    let err = offboard(Arc::new(mock), "ghost@example.com")
        .await
        .expect_err("disable failed");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn listing_collects_every_record_of_the_stream() {
    let mut mock = MockAgentAdmin::new().with_provider(Vendor::Easemob, &[Operation::ListAgents]);
    mock.expect_list_agents()
        .withf(|q| q.search.as_deref() == Some("@example.com") && q.page_size == Some(50))
        .times(1)
        .returning(|_| {
            Ok(record_stream(vec![
                agent("a@example.com"),
                agent("b@example.com"),
                agent("c@example.com"),
            ]))
        });

    let emails = agent_emails(Arc::new(mock), "@example.com")
        .await
        .expect("list");
    assert_eq!(emails, ["a@example.com", "b@example.com", "c@example.com"]);
}

#[tokio::test]
async fn listing_surfaces_an_error_mid_stream() {
    let mut mock = MockAgentAdmin::new().with_provider(Vendor::Easemob, &[Operation::ListAgents]);
    mock.expect_list_agents().times(1).returning(|_| {
        Ok(result_stream(vec![
            Ok(agent("a@example.com")),
            Err(Error::invalid("page", "boom")),
            Ok(agent("never@example.com")),
        ]))
    });

    let err = agent_emails(Arc::new(mock), "x")
        .await
        .expect_err("page 2 failed");
    assert_eq!(err.field(), Some("page"));
}

#[tokio::test]
async fn every_mock_stands_behind_its_trait_object() {
    let tenants: Arc<dyn TenantAdmin> =
        Arc::new(MockTenantAdmin::new().with_provider(Vendor::Sobot, &[Operation::ListAppKeys]));
    let agents: Arc<dyn AgentAdmin> =
        Arc::new(MockAgentAdmin::new().with_provider(Vendor::Easemob, &[Operation::ListRoles]));
    let sessions: Arc<dyn SessionHistory> =
        Arc::new(MockSessionHistory::new().with_provider(Vendor::Sobot, &[Operation::ListChats]));
    let reports: Arc<dyn Reports> =
        Arc::new(MockReports::new().with_provider(Vendor::Sobot, &[Operation::AgentStats]));

    assert_eq!(tenants.vendor(), Vendor::Sobot);
    assert!(tenants.capabilities().supports(Operation::ListAppKeys));
    assert_eq!(agents.vendor(), Vendor::Easemob);
    assert!(agents.capabilities().supports(Operation::ListRoles));
    assert!(sessions.capabilities().supports(Operation::ListChats));
    assert!(reports.capabilities().supports(Operation::AgentStats));
    // Provider's Debug bound holds for the mocks.
    assert!(!format!("{tenants:?}").is_empty());
}

#[tokio::test]
async fn mocked_async_methods_of_the_other_traits_answer() {
    let mut tenants = MockTenantAdmin::new();
    tenants
        .expect_app_keys()
        .times(1)
        .returning(|| Ok(Vec::new()));
    let tenants: Arc<dyn TenantAdmin> = Arc::new(tenants);
    assert!(tenants.app_keys().await.expect("app keys").is_empty());

    let mut sessions = MockSessionHistory::new();
    sessions
        .expect_chats()
        .with(eq("test001"))
        .times(1)
        .returning(|_| Ok(Vec::new()));
    let sessions: Arc<dyn SessionHistory> = Arc::new(sessions);
    assert!(sessions.chats("test001").await.expect("chats").is_empty());

    let day = chrono::NaiveDate::from_ymd_opt(2021, 3, 2).expect("date");
    let mut reports = MockReports::new();
    reports
        .expect_agent_stats()
        .with(eq(day), eq(day))
        .times(1)
        .returning(|_, _| Ok(Vec::new()));
    let reports: Arc<dyn Reports> = Arc::new(reports);
    assert!(
        reports
            .agent_stats(day, day)
            .await
            .expect("stats")
            .is_empty()
    );
}
