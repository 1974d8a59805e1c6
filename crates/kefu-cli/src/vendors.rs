//! Everything the CLI needs to know about a vendor, read from the facade's
//! registry (`kefu::registry`; the `--vendor` values are in `cli`): the zone setting,
//! merchant scoping, the settings named in hints. No vendor is named here.

use std::sync::Arc;

use kefu::registry::{self, Scope, VendorDescriptor};
use kefu::time::Zone;
use kefu::{AgentAdmin, Client, Error, Vendor};

use crate::config::Settings;
use crate::exit::Failure;

/// The listed names as `a|b`, for hints.
pub fn choices() -> String {
    registry::listed()
        .map(|d| d.vendor.as_str())
        .collect::<Vec<_>>()
        .join("|")
}

/// The vendor's zone setting (the one its client reads times in), else UTC+8.
pub fn zone_of(vendor: Vendor, settings: &Settings) -> Result<Zone, Failure> {
    let Some(key) = registry::get(vendor).and_then(|d| d.zone_key) else {
        return Ok(Zone::CHINA);
    };
    match settings.get(key) {
        Some(text) => text.parse().map_err(|_| {
            Error::config(key, format!("{text:?} is not a UTC offset like UTC+8")).into()
        }),
        None => Ok(Zone::CHINA),
    }
}

/// The setting whose value names the vendor account (`kefu sync`'s
/// `account` column), if the vendor has one.
pub fn account_key(vendor: Vendor) -> Option<&'static str> {
    registry::get(vendor).and_then(|d| d.account_key)
}

/// The agent admin for `--tenant`. A vendor that manages staff per merchant
/// needs one: from `--tenant`, else its configured default merchant. A
/// vendor of one account ignores it.
pub fn scoped(
    client: &Client,
    settings: &Settings,
    tenant: Option<String>,
) -> Result<Arc<dyn AgentAdmin>, Failure> {
    let vendor = client.vendor();
    let scope = registry::get(vendor).map_or(Scope::Account, |d| d.scope);
    match (scope, tenant) {
        (Scope::Merchant { .. }, Some(code)) => Ok(client.for_tenant(code).agents()),
        (
            Scope::Merchant {
                setting,
                id_name,
                placeholder,
            },
            None,
        ) if settings.get(setting).is_none() => Err(Failure::Usage {
            message: format!(
                "{vendor} manages agents per merchant: `--tenant` (the merchant's {id_name}) is required"
            ),
            hint: Some(format!(
                "pass --tenant {placeholder} (see `kefu tenants list`)"
            )),
        }),
        _ => Ok(client.agents()),
    }
}

/// The credentials `vendor` signs or logs in with: `A, B and C`.
pub fn credential_keys(vendor: Vendor) -> Option<String> {
    let keys: Vec<&str> = registry::get(vendor)?
        .credentials()
        .map(|s| s.key)
        .collect();
    Some(match keys.split_last()? {
        (last, []) => (*last).to_owned(),
        (last, rest) => format!("{} and {last}", rest.join(", ")),
    })
}

/// The setting of `vendor`'s API host.
pub fn base_url_key(vendor: Vendor) -> Option<&'static str> {
    registry::get(vendor).map(|d: &VendorDescriptor| d.base_url_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_named_in_the_descriptors_order() {
        assert_eq!(
            credential_keys(Vendor::Sobot).as_deref(),
            Some("KEFU_SOBOT_UNION_CODE, KEFU_SOBOT_UNION_KEY and KEFU_SOBOT_EMAIL")
        );
        assert_eq!(
            credential_keys(Vendor::Easemob).as_deref(),
            Some("KEFU_EASEMOB_TENANT_ID, KEFU_EASEMOB_CLIENT_ID and KEFU_EASEMOB_SECRET_ID")
        );
        assert_eq!(credential_keys(Vendor::new("nobody")), None);
        assert_eq!(base_url_key(Vendor::Sobot), Some("KEFU_SOBOT_BASE_URL"));
    }

    #[test]
    fn the_hint_lists_only_the_listed_vendors() {
        assert_eq!(choices(), "sobot|easemob");
    }
}
