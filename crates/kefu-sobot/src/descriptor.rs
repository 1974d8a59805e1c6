//! Sobot as the registry sees it: settings, defaults, capabilities, scope.

use std::sync::Arc;

use kefu_core::{Kefu, Result, Vendor};
use kefu_http::vendor::{Connect, Connected, Scope, Setting, VendorDescriptor};

use crate::{SobotBuilder, SobotClient};

/// Sobot's descriptor, listed by the `kefu` facade's registry.
pub static DESCRIPTOR: VendorDescriptor = VendorDescriptor {
    vendor: Vendor::Sobot,
    title: "Sobot (智齿)",
    listed: true,
    settings: &[
        Setting::plain("KEFU_SOBOT_BASE_URL", "the API host"),
        // Named in this order when authentication fails.
        Setting::credential("KEFU_SOBOT_UNION_CODE", "the platform's unionCode"),
        Setting::secret(
            "KEFU_SOBOT_UNION_KEY",
            "the platform's unionKey (signs requests)",
        ),
        Setting::credential("KEFU_SOBOT_EMAIL", "the platform super-admin's email"),
        Setting::plain(
            "KEFU_SOBOT_CUSTOMER_CODE",
            "the merchant staff operations act on",
        ),
        Setting::plain(
            "KEFU_SOBOT_TS_UNIT",
            "signature timestamps: ms (default) or s",
        ),
        Setting::plain(
            "KEFU_SOBOT_ZONE",
            "the UTC offset dates are read in (UTC+8)",
        ),
        Setting::plain(
            "KEFU_SOBOT_CHAT_PACE",
            "chat-list calls per window (20/61s)",
        ),
        Setting::plain("KEFU_SOBOT_PAGE_CONCURRENCY", "tenant pages in flight (4)"),
    ],
    base_url_key: "KEFU_SOBOT_BASE_URL",
    default_base_url: crate::DEFAULT_BASE_URL,
    zone_key: Some("KEFU_SOBOT_ZONE"),
    account_key: Some("KEFU_SOBOT_UNION_CODE"),
    operations: crate::client::SUPPORTED,
    scope: Scope::Merchant {
        setting: "KEFU_SOBOT_CUSTOMER_CODE",
        id_name: "customerCode",
        placeholder: "CUSTOMER_CODE",
    },
    connect,
};

fn connect(c: Connect<'_>) -> Result<Connected> {
    let mut b = SobotBuilder::from_lookup(c.lookup).transport(c.transport);
    if let Some(store) = c.shared_store {
        b = b.shared_store(store);
    }
    b.build().map(connected)
}

/// `client` as the registry hands clients out: with its merchant scoper
/// ([`SobotClient::for_tenant`]).
pub fn connected(client: SobotClient) -> Connected {
    let base = client.clone();
    Connected {
        client: Arc::new(client),
        scoper: Some(Arc::new(move |code| {
            Arc::new(base.for_tenant(code)) as Arc<dyn Kefu>
        })),
    }
}
