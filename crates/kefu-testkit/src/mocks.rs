//! mockall mocks of the four core traits, for testing code written against
//! `Arc<dyn AgentAdmin>` and friends without a vendor or a network.
//!
//! Every trait method, the [`Provider`] ones included, is declared with its
//! exact signature, so a call the test did not expect fails loudly instead
//! of falling back to the trait's "unsupported" default.
//!
//! ```
//! use std::sync::Arc;
//! use kefu_core::{AgentAdmin, Operation, Vendor};
//! use kefu_testkit::MockAgentAdmin;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut mock = MockAgentAdmin::new().with_provider(Vendor::Easemob, &[Operation::DeleteAgent]);
//! mock.expect_delete_agent()
//!     .withf(|email| email == "a@example.com")
//!     .times(1)
//!     .returning(|_| Ok(()));
//! let admin: Arc<dyn AgentAdmin> = Arc::new(mock);
//! assert!(admin.capabilities().supports(Operation::DeleteAgent));
//! admin.delete_agent("a@example.com").await.expect("mocked");
//! // Dropping the last `Arc` checks that every `times(..)` was met.
//! # }
//! ```

// mockall generates expectation types without `Debug`.
#![allow(missing_debug_implementations)]

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use kefu_core::model::{
    Agent, AgentQuery, AgentStats, AgentStatusLog, AgentUpdate, AppKey, ChatSummary, NewAgent,
    NewTenant, ReportExport, ReportKind, Role, Session, SessionQuery, Tenant, TenantCreated,
    TenantQuery, TenantUpdate,
};
use kefu_core::{
    AgentAdmin, Capabilities, Operation, Provider, RecordStream, Reports, Result, Secret,
    SessionHistory, TenantAdmin, Vendor,
};
use mockall::mock;

mock! {
    /// Mock of [`TenantAdmin`] (and [`Provider`]).
    pub TenantAdmin {}

    impl Provider for TenantAdmin {
        fn vendor(&self) -> Vendor;
        fn capabilities(&self) -> Capabilities;
    }

    #[async_trait]
    impl TenantAdmin for TenantAdmin {
        fn list_tenants(&self, query: &TenantQuery) -> Result<RecordStream<Tenant>>;
        async fn add_tenant(&self, tenant: &NewTenant) -> Result<TenantCreated>;
        async fn update_tenant(&self, update: &TenantUpdate) -> Result<()>;
        async fn app_keys(&self) -> Result<Vec<AppKey>>;
    }
}

mock! {
    /// Mock of [`AgentAdmin`] (and [`Provider`]).
    pub AgentAdmin {}

    impl Provider for AgentAdmin {
        fn vendor(&self) -> Vendor;
        fn capabilities(&self) -> Capabilities;
    }

    #[async_trait]
    impl AgentAdmin for AgentAdmin {
        fn list_agents(&self, query: &AgentQuery) -> Result<RecordStream<Agent>>;
        async fn add_agent(&self, agent: &NewAgent) -> Result<Option<Agent>>;
        async fn update_agent(&self, update: &AgentUpdate) -> Result<()>;
        async fn delete_agent(&self, email: &str) -> Result<()>;
        async fn enable_agent(&self, email: &str) -> Result<()>;
        async fn disable_agent(&self, email: &str) -> Result<()>;
        async fn set_agent_password(&self, email: &str, password: &Secret) -> Result<()>;
        async fn list_roles(&self) -> Result<Vec<Role>>;
    }
}

mock! {
    /// Mock of [`SessionHistory`] (and [`Provider`]).
    pub SessionHistory {}

    impl Provider for SessionHistory {
        fn vendor(&self) -> Vendor;
        fn capabilities(&self) -> Capabilities;
    }

    #[async_trait]
    impl SessionHistory for SessionHistory {
        fn sessions(&self, query: &SessionQuery) -> Result<RecordStream<Session>>;
        async fn chats(&self, partner_id: &str) -> Result<Vec<ChatSummary>>;
        async fn session_total(&self, query: &SessionQuery) -> Result<Option<u64>>;
    }
}

mock! {
    /// Mock of [`Reports`] (and [`Provider`]).
    pub Reports {}

    impl Provider for Reports {
        fn vendor(&self) -> Vendor;
        fn capabilities(&self) -> Capabilities;
    }

    #[async_trait]
    impl Reports for Reports {
        async fn agent_stats(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<AgentStats>>;
        async fn export_report(&self, kind: ReportKind, date: NaiveDate) -> Result<ReportExport>;
        fn agent_status_log(
            &self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<RecordStream<AgentStatusLog>>;
    }
}

// `Provider` requires `Debug`, which mockall does not derive; and most tests
// only need the mock to say who it is, so `with_provider` saves them the two
// `Provider` expectations.
macro_rules! provider_helpers {
    ($($mock:ident),*) => {$(
        impl std::fmt::Debug for $mock {
            // Must not call `vendor()`: that would panic without an expectation.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($mock))
            }
        }

        impl $mock {
            /// Answers `vendor()` with `vendor` and `capabilities()` with
            /// `supported`, any number of times.
            #[must_use]
            pub fn with_provider(mut self, vendor: Vendor, supported: &[Operation]) -> Self {
                let caps = Capabilities::new(vendor, supported);
                self.expect_vendor().return_const(vendor);
                self.expect_capabilities().returning(move || caps.clone());
                self
            }
        }
    )*};
}

provider_helpers!(
    MockTenantAdmin,
    MockAgentAdmin,
    MockSessionHistory,
    MockReports
);

/// A [`RecordStream`] yielding `items` in order, for mocked list methods.
pub fn record_stream<T: Send + 'static>(items: Vec<T>) -> RecordStream<T> {
    futures_util::stream::iter(items.into_iter().map(Ok)).boxed()
}

/// A [`RecordStream`] yielding `results` up to and including the first
/// `Err`, as real streams do, so a test can check how the caller handles a
/// failing page.
pub fn result_stream<T: Send + 'static>(results: Vec<Result<T>>) -> RecordStream<T> {
    kefu_core::paging::stop_after_error(futures_util::stream::iter(results))
}
