//! The test vendor as the registry sees it.

use std::sync::Arc;

use kefu_core::{Operation, Result, Vendor};
use kefu_http::vendor::{Connect, Connected, Scope, Setting, VendorDescriptor};

use crate::TestVendorBuilder;

/// The vendor's name: `KEFU_VENDOR=testvendor`, `--vendor testvendor`.
pub const VENDOR: Vendor = Vendor::new("testvendor");
/// `KEFU_TESTVENDOR_BASE_URL`: the API host.
pub const ENV_BASE_URL: &str = "KEFU_TESTVENDOR_BASE_URL";
/// `KEFU_TESTVENDOR_TOKEN`: the bearer token (secret).
pub const ENV_TOKEN: &str = "KEFU_TESTVENDOR_TOKEN";

/// What the client offers; everything else is refused before any I/O.
pub(crate) const SUPPORTED: &[Operation] = &[Operation::ListAgents, Operation::ListRoles];

/// The test vendor's descriptor. Not listed: accepted by name, never shown
/// in help or hints, so the CLI's visible surface stays that of the
/// shipped vendors even in test builds.
pub static DESCRIPTOR: VendorDescriptor = VendorDescriptor {
    vendor: VENDOR,
    title: "kefu's test vendor",
    listed: false,
    settings: &[
        Setting::plain(ENV_BASE_URL, "the API host"),
        Setting::secret(ENV_TOKEN, "the bearer token"),
    ],
    base_url_key: ENV_BASE_URL,
    default_base_url: "https://testvendor.invalid",
    zone_key: None,
    account_key: None,
    operations: SUPPORTED,
    scope: Scope::Account,
    connect,
};

fn connect(c: Connect<'_>) -> Result<Connected> {
    let client = TestVendorBuilder::from_lookup(c.lookup)
        .transport(c.transport)
        .build()?;
    Ok(Connected {
        client: Arc::new(client),
        scoper: None,
    })
}
