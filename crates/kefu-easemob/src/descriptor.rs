//! Easemob Kefu as the registry sees it: settings, defaults, capabilities.

use std::sync::Arc;

use kefu_core::{Result, Vendor};
use kefu_http::vendor::{Connect, Connected, Scope, Setting, VendorDescriptor};

use crate::EasemobBuilder;
use crate::client::{
    ENV_BASE_URL, ENV_CLIENT_ID, ENV_PAGE_CONCURRENCY, ENV_SECRET_ID, ENV_TENANT_ID, ENV_ZONE,
};

/// Easemob's descriptor, listed by the `kefu` facade's registry.
pub static DESCRIPTOR: VendorDescriptor = VendorDescriptor {
    vendor: Vendor::Easemob,
    title: "Easemob Kefu (环信客服云)",
    listed: true,
    settings: &[
        Setting::plain(ENV_BASE_URL, "the API host"),
        // Named in this order when authentication fails.
        Setting::credential(ENV_TENANT_ID, "the tenant id (digits)"),
        Setting::credential(ENV_CLIENT_ID, "the open platform's clientID"),
        Setting::secret(ENV_SECRET_ID, "the open platform's secretID"),
        Setting::plain(ENV_ZONE, "the tenant's UTC offset (UTC+8)"),
        Setting::plain(ENV_PAGE_CONCURRENCY, "session pages in flight (4)"),
    ],
    base_url_key: ENV_BASE_URL,
    default_base_url: crate::DEFAULT_BASE_URL,
    zone_key: Some(ENV_ZONE),
    account_key: Some("KEFU_EASEMOB_TENANT_ID"),
    operations: crate::client::SUPPORTED,
    scope: Scope::Account,
    connect,
};

fn connect(c: Connect<'_>) -> Result<Connected> {
    let mut b = EasemobBuilder::from_lookup(c.lookup).transport(c.transport);
    if let Some(store) = c.shared_store {
        b = b.shared_store(store);
    }
    Ok(Connected {
        client: Arc::new(b.build()?),
        scoper: None,
    })
}
