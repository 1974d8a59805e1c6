//! Picking a vendor at run time and handing out its trait objects.

use std::fmt;
use std::sync::Arc;

use kefu_core::shared::SharedStore;
use kefu_core::{
    AgentAdmin, Capabilities, Error, Kefu, Reports, Result, SessionHistory, TenantAdmin, Vendor,
};
use kefu_http::TransportConfig;

use crate::registry::{self, Connect, Connected, Scoper};

/// A client of whichever vendor configuration picked.
///
/// Cheap to clone. Hand its parts to code written against the traits:
/// [`Client::agents`] is an `Arc<dyn AgentAdmin>`, and so on.
#[derive(Clone)]
pub struct Client {
    inner: Arc<dyn Kefu>,
    scoper: Option<Scoper>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("inner", &self.inner)
            .finish()
    }
}

impl Client {
    /// Reads `KEFU_VENDOR` and that vendor's `KEFU_*` variables.
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env().build()
    }

    /// A builder with no settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// Wraps any vendor client.
    pub fn from_provider(provider: impl Kefu + 'static) -> Self {
        Self {
            inner: Arc::new(provider),
            scoper: None,
        }
    }

    /// The vendor behind this client.
    pub fn vendor(&self) -> Vendor {
        self.inner.vendor()
    }

    /// What it can do.
    pub fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    /// Tenant administration.
    pub fn tenants(&self) -> Arc<dyn TenantAdmin> {
        self.inner.clone()
    }

    /// Agent administration.
    pub fn agents(&self) -> Arc<dyn AgentAdmin> {
        self.inner.clone()
    }

    /// Session history.
    pub fn sessions(&self) -> Arc<dyn SessionHistory> {
        self.inner.clone()
    }

    /// Reports.
    pub fn reports(&self) -> Arc<dyn Reports> {
        self.inner.clone()
    }

    /// All four traits in one object.
    pub fn all(&self) -> Arc<dyn Kefu> {
        self.inner.clone()
    }

    /// The same client with staff operations scoped to one merchant tenant
    /// (Sobot's `customerCode`): vendors whose descriptor scopes by
    /// [`registry::Scope::Merchant`]. Vendors without merchant tenants
    /// ignore it.
    pub fn for_tenant(&self, tenant: impl Into<String>) -> Self {
        match &self.scoper {
            Some(scope) => Self {
                inner: scope(tenant.into()),
                scoper: self.scoper.clone(),
            },
            None => self.clone(),
        }
    }
}

impl From<Connected> for Client {
    fn from(c: Connected) -> Self {
        Self {
            inner: c.client,
            scoper: c.scoper,
        }
    }
}

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds a [`Client`], picking the vendor from [`ClientBuilder::vendor`] or
/// `KEFU_VENDOR`, and reading settings through a lookup (the environment, a
/// config file, or both layered by the caller).
#[derive(Clone)]
pub struct ClientBuilder {
    vendor: Option<Vendor>,
    lookup: Lookup,
    transport: Option<TransportConfig>,
    shared_store: Option<Arc<dyn SharedStore>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("vendor", &self.vendor)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// No vendor and no settings.
    pub fn new() -> Self {
        Self {
            vendor: None,
            lookup: Arc::new(|_| None),
            transport: None,
            shared_store: None,
        }
    }

    /// Settings from the process environment.
    pub fn from_env() -> Self {
        Self::new().lookup(|key| std::env::var(key).ok())
    }

    /// Settings from `lookup` (variable name → value), e.g. a config-file
    /// profile layered under the environment.
    pub fn lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.lookup = Arc::new(lookup);
        self
    }

    /// Picks the vendor, overriding `KEFU_VENDOR`.
    pub fn vendor(mut self, vendor: Vendor) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Timeouts and retries for the vendor's transport (default:
    /// [`TransportConfig::default`]).
    pub fn transport(mut self, config: TransportConfig) -> Self {
        self.transport = Some(config);
        self
    }

    /// Where tokens and rate budgets are shared with other processes
    /// speaking for the same account (default: this client only). Any
    /// [`SharedStore`]: kefu-core's `MemoryStore`, or kefu-store's file and
    /// Redis stores. A store that fails is replaced by process-local state.
    pub fn shared_store(mut self, store: Arc<dyn SharedStore>) -> Self {
        self.shared_store = Some(store);
        self
    }

    /// The vendor that [`ClientBuilder::build`] will use.
    pub fn resolved_vendor(&self) -> Result<Vendor> {
        if let Some(v) = self.vendor {
            return Ok(v);
        }
        match (self.lookup)("KEFU_VENDOR") {
            Some(v) if !v.trim().is_empty() => registry::parse("KEFU_VENDOR", &v),
            _ => Err(Error::config(
                "KEFU_VENDOR",
                format!("is not set ({})", registry::known_names().join(" or ")),
            )),
        }
    }

    /// Builds the client of the chosen vendor through its descriptor, or
    /// says which feature is missing.
    pub fn build(self) -> Result<Client> {
        let vendor = self.resolved_vendor()?;
        let Some(descriptor) = registry::get(vendor) else {
            return Err(not_built(vendor));
        };
        let connected = (descriptor.connect)(Connect {
            lookup: &*self.lookup,
            transport: self.transport.unwrap_or_default(),
            shared_store: self.shared_store,
        })?;
        Ok(Client::from(connected))
    }
}

fn not_built(vendor: Vendor) -> Error {
    Error::config(
        "KEFU_VENDOR",
        format!("kefu was built without the `{vendor}` feature; enable it in Cargo.toml"),
    )
}
