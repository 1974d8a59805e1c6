//! The client: settings in, the core traits out.

use async_trait::async_trait;
use futures_util::StreamExt;
use kefu_core::model::{Agent, AgentQuery, Role};
use kefu_core::{
    AgentAdmin, Capabilities, Error, Provider, RecordStream, Reports, Result, Secret,
    SessionHistory, TenantAdmin, Vendor,
};
use kefu_http::{Transport, TransportConfig, WireRequest, parse_base_url};

use crate::descriptor::{DESCRIPTOR, ENV_BASE_URL, ENV_TOKEN, SUPPORTED, VENDOR};
use crate::wire::{AgentsPage, RolesPage};

/// A client of the test vendor.
#[derive(Debug, Clone)]
pub struct TestVendorClient {
    transport: Transport,
    token: Secret,
}

/// Builds a [`TestVendorClient`]; missing settings name their key.
#[derive(Debug, Default)]
pub struct TestVendorBuilder {
    base_url: Option<String>,
    token: Option<Secret>,
    transport: TransportConfig,
}

impl TestVendorBuilder {
    /// Settings from `lookup`: `KEFU_TESTVENDOR_BASE_URL`,
    /// `KEFU_TESTVENDOR_TOKEN`. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        Self {
            base_url: get(ENV_BASE_URL),
            token: get(ENV_TOKEN).map(Secret::new),
            transport: TransportConfig::default(),
        }
    }

    /// Timeouts and retries.
    pub fn transport(mut self, config: TransportConfig) -> Self {
        self.transport = config;
        self
    }

    /// The client; nothing is sent.
    pub fn build(self) -> Result<TestVendorClient> {
        let base = parse_base_url(
            ENV_BASE_URL,
            self.base_url
                .as_deref()
                .unwrap_or(DESCRIPTOR.default_base_url),
        )?;
        let token = kefu_http::settings::required_secret(ENV_TOKEN, self.token)?;
        Ok(TestVendorClient {
            transport: Transport::new(VENDOR, base, self.transport)?,
            token,
        })
    }
}

impl TestVendorClient {
    fn get(&self, operation: kefu_core::Operation, path: &str) -> WireRequest {
        let bearer = Secret::new(format!("Bearer {}", self.token.expose()));
        WireRequest::get(operation, path).secret_header("Authorization", bearer)
    }
}

impl Provider for TestVendorClient {
    fn vendor(&self) -> Vendor {
        VENDOR
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(VENDOR, SUPPORTED)
    }
}

#[async_trait]
impl AgentAdmin for TestVendorClient {
    fn list_agents(&self, _query: &AgentQuery) -> Result<RecordStream<Agent>> {
        let client = self.clone();
        let page = async move {
            let request = client.get(kefu_core::Operation::ListAgents, "/v1/agents");
            let page: AgentsPage = client
                .transport
                .call(&request, crate::error_map::decode)
                .await?;
            Ok::<_, Error>(page.agents.into_iter().map(Agent::from).map(Ok))
        };
        // One page: either its records, or its one error.
        Ok(futures_util::stream::once(page)
            .flat_map(|page| match page {
                Ok(records) => futures_util::stream::iter(records.collect::<Vec<_>>()),
                Err(e) => futures_util::stream::iter(vec![Err(e)]),
            })
            .boxed())
    }

    async fn list_roles(&self) -> Result<Vec<Role>> {
        let request = self.get(kefu_core::Operation::ListRoles, "/v1/roles");
        let page: RolesPage = self
            .transport
            .call(&request, crate::error_map::decode)
            .await?;
        Ok(page.roles.into_iter().map(Role::from).collect())
    }
}

impl TenantAdmin for TestVendorClient {}
impl SessionHistory for TestVendorClient {}
impl Reports for TestVendorClient {}
