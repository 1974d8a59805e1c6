//! What a vendor crate tells the rest of kefu about itself, statically: its
//! name, settings, defaults, capabilities, how an operation is scoped, and
//! how to build a client from settings.
//!
//! Each vendor crate exports one `pub static DESCRIPTOR: VendorDescriptor`;
//! the facade's registry lists the descriptors of the enabled features, and
//! the CLI and facade read everything vendor-specific from there (opendal's
//! static `Capability`, object_store's typed config keys). It lives here,
//! not in `kefu-core`, because building a client takes a
//! [`TransportConfig`], which the core (no HTTP) must not know.

use std::fmt;
use std::sync::Arc;

use kefu_core::shared::SharedStore;
use kefu_core::{Capabilities, Kefu, Operation, Result, Vendor};

use crate::TransportConfig;

/// One setting a vendor reads, by its environment key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The environment / config-file key (`KEFU_SOBOT_UNION_KEY`).
    pub key: &'static str,
    /// What it is, for docs and help.
    pub doc: &'static str,
    /// A secret: never printed, logged or recorded.
    pub secret: bool,
    /// A credential the vendor signs or logs in with: named when
    /// authentication fails.
    pub credential: bool,
}

impl Setting {
    /// A plain, optional setting.
    pub const fn plain(key: &'static str, doc: &'static str) -> Self {
        Self {
            key,
            doc,
            secret: false,
            credential: false,
        }
    }

    /// A credential that is not secret (an id, an account).
    pub const fn credential(key: &'static str, doc: &'static str) -> Self {
        Self {
            key,
            doc,
            secret: false,
            credential: true,
        }
    }

    /// A secret credential (a key, a password).
    pub const fn secret(key: &'static str, doc: &'static str) -> Self {
        Self {
            key,
            doc,
            secret: true,
            credential: true,
        }
    }
}

/// How the vendor scopes staff operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One account: every operation acts on it (Easemob's tenant).
    Account,
    /// Per merchant tenant, named per call (`--tenant`) or by a setting
    /// (Sobot's `customerCode`).
    Merchant {
        /// The setting naming the default merchant.
        setting: &'static str,
        /// The vendor's name for the merchant id (`customerCode`).
        id_name: &'static str,
        /// The placeholder of the value in hints (`CUSTOMER_CODE`).
        placeholder: &'static str,
    },
}

/// What a constructor gets: settings by key, and the shared parts.
pub struct Connect<'a> {
    /// Settings by environment key (the environment, a config file, ...).
    pub lookup: &'a (dyn Fn(&str) -> Option<String> + Send + Sync),
    /// Timeouts and retries.
    pub transport: TransportConfig,
    /// Where tokens and rate budgets are shared, if anywhere.
    pub shared_store: Option<Arc<dyn SharedStore>>,
}

impl fmt::Debug for Connect<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connect").finish_non_exhaustive()
    }
}

/// Turns a client into the same client scoped to one merchant.
pub type Scoper = Arc<dyn Fn(String) -> Arc<dyn Kefu> + Send + Sync>;

/// A built client, and its merchant scoper for [`Scope::Merchant`] vendors.
pub struct Connected {
    /// The client.
    pub client: Arc<dyn Kefu>,
    /// The same client for another merchant (`None`: [`Scope::Account`]).
    pub scoper: Option<Scoper>,
}

impl fmt::Debug for Connected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connected")
            .field("client", &self.client)
            .field("scoped", &self.scoper.is_some())
            .finish()
    }
}

/// Everything kefu knows about a vendor without a client.
pub struct VendorDescriptor {
    /// The vendor, by name (`KEFU_VENDOR`, `--vendor`).
    pub vendor: Vendor,
    /// A human title (`Sobot (智齿)`), shown beside the name in help.
    pub title: &'static str,
    /// Shown in help, hints and "must be" lists. A vendor that only tests
    /// register is accepted but not listed.
    pub listed: bool,
    /// Every setting it reads.
    pub settings: &'static [Setting],
    /// The setting of the API host.
    pub base_url_key: &'static str,
    /// The API host when that setting is unset.
    pub default_base_url: &'static str,
    /// The setting of the zone times are read in (its default is UTC+8).
    pub zone_key: Option<&'static str>,
    /// The setting whose value names the account (Easemob's tenant id,
    /// Sobot's unionCode): what `kefu sync` files records under.
    pub account_key: Option<&'static str>,
    /// The operations its client offers; no client needed to ask.
    pub operations: &'static [Operation],
    /// How staff operations are scoped.
    pub scope: Scope,
    /// Builds a client from settings. Sends nothing.
    pub connect: fn(Connect<'_>) -> Result<Connected>,
}

impl VendorDescriptor {
    /// What its clients offer.
    pub fn capabilities(&self) -> Capabilities {
        Capabilities::new(self.vendor, self.operations)
    }

    /// The credential settings, in order.
    pub fn credentials(&self) -> impl Iterator<Item = &'static Setting> + '_ {
        self.settings.iter().filter(|s| s.credential)
    }

    /// The secret settings.
    pub fn secrets(&self) -> impl Iterator<Item = &'static Setting> + '_ {
        self.settings.iter().filter(|s| s.secret)
    }
}

impl fmt::Debug for VendorDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VendorDescriptor")
            .field("vendor", &self.vendor)
            .field("listed", &self.listed)
            .field("settings", &self.settings)
            .field("default_base_url", &self.default_base_url)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}
