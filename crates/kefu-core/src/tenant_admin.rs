use async_trait::async_trait;

use crate::model::{AppKey, NewTenant, Tenant, TenantCreated, TenantQuery, TenantUpdate};
use crate::{Error, Operation, Provider, RecordStream, Result};

/// Merchant tenants of a platform account.
///
/// Defaults fail with [`Error::Unsupported`] without I/O.
#[async_trait]
pub trait TenantAdmin: Provider {
    /// Every tenant matching `query`, all pages, as a stream.
    fn list_tenants(&self, query: &TenantQuery) -> Result<RecordStream<Tenant>> {
        let _ = query;
        Err(Error::unsupported(self.vendor(), Operation::ListTenants))
    }

    /// Opens a tenant.
    async fn add_tenant(&self, tenant: &NewTenant) -> Result<TenantCreated> {
        let _ = tenant;
        Err(Error::unsupported(self.vendor(), Operation::AddTenant))
    }

    /// Changes a tenant.
    async fn update_tenant(&self, update: &TenantUpdate) -> Result<()> {
        let _ = update;
        Err(Error::unsupported(self.vendor(), Operation::UpdateTenant))
    }

    /// The app keys of every tenant.
    async fn app_keys(&self) -> Result<Vec<AppKey>> {
        Err(Error::unsupported(self.vendor(), Operation::ListAppKeys))
    }
}
