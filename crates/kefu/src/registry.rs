//! The vendors of this build, from the enabled cargo features: the one place
//! in the facade (and the CLI) that names vendor crates.
//!
//! Adding a vendor: one line here, one feature in `Cargo.toml` (see
//! `docs/architecture.md`, "How to add a vendor").

use std::sync::OnceLock;

use kefu_core::{Error, Operation, Result, Vendor};

pub use kefu_http::vendor::{Connect, Connected, Scope, Scoper, Setting, VendorDescriptor};

/// Every vendor compiled in, in the order help lists them.
static VENDORS: &[&VendorDescriptor] = &[
    #[cfg(feature = "sobot")]
    &kefu_sobot::DESCRIPTOR,
    #[cfg(feature = "easemob")]
    &kefu_easemob::DESCRIPTOR,
    #[cfg(feature = "testvendor")]
    &kefu_testvendor::DESCRIPTOR,
];

/// Every vendor compiled in, listed or not.
pub fn all() -> &'static [&'static VendorDescriptor] {
    VENDORS
}

/// The vendors compiled in that help and hints show (a test-only vendor is
/// accepted but never shown).
pub fn listed() -> impl Iterator<Item = &'static VendorDescriptor> {
    VENDORS.iter().copied().filter(|d| d.listed)
}

/// The descriptor of `vendor`, if compiled in.
pub fn get(vendor: Vendor) -> Option<&'static VendorDescriptor> {
    VENDORS.iter().copied().find(|d| d.vendor == vendor)
}

/// The descriptor named `name` (any case, trimmed), if compiled in.
pub fn find(name: &str) -> Option<&'static VendorDescriptor> {
    let name = name.trim();
    VENDORS
        .iter()
        .copied()
        .find(|d| d.vendor.as_str().eq_ignore_ascii_case(name))
}

/// The names a user may pick from: the listed vendors of this build and
/// the vendors kefu ships (a missing feature is then reported as such).
pub fn known_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = listed().map(|d| d.vendor.as_str()).collect();
        for v in Vendor::ALL {
            if !names.contains(&v.as_str()) {
                names.push(v.as_str());
            }
        }
        names
    })
}

/// `a`, `a or b`, `a, b or c`: the known names, each as `` `name` ``.
pub fn known_names_text() -> String {
    let quoted: Vec<String> = known_names().iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The vendor `name` picks for setting `key` (`KEFU_VENDOR`): one compiled
/// in, or one kefu ships (building it then names the missing feature).
pub fn parse(key: &'static str, name: &str) -> Result<Vendor> {
    if let Some(d) = find(name) {
        return Ok(d.vendor);
    }
    name.parse::<Vendor>()
        .map_err(|_| Error::config(key, format!("must be {}, not {name:?}", known_names_text())))
}

/// The listed vendors of this build whose clients offer `op`.
pub fn offering(op: Operation) -> Vec<Vendor> {
    listed()
        .filter(|d| d.operations.contains(&op))
        .map(|d| d.vendor)
        .collect()
}

/// The listed vendors of this build, as [`Vendor`]s.
pub fn listed_vendors() -> &'static [Vendor] {
    static LISTED: OnceLock<Vec<Vendor>> = OnceLock::new();
    LISTED.get_or_init(|| listed().map(|d| d.vendor).collect())
}

// A vendor client made by hand converts like one its descriptor built.

#[cfg(feature = "sobot")]
impl From<kefu_sobot::SobotClient> for crate::Client {
    fn from(client: kefu_sobot::SobotClient) -> Self {
        crate::Client::from(kefu_sobot::connected(client))
    }
}

#[cfg(feature = "easemob")]
impl From<kefu_easemob::EasemobClient> for crate::Client {
    fn from(client: kefu_easemob::EasemobClient) -> Self {
        crate::Client::from_provider(client)
    }
}
