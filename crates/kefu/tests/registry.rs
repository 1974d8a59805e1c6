//! The registry's descriptors tell the truth about their clients: what
//! they need (each credential named when missing), what they offer (the same
//! capabilities as a built client), how they scope, and which settings are
//! secret (never in Debug). Generic over every vendor of the build.

use std::sync::Arc;

use kefu::registry::{self, Connect, Scope, VendorDescriptor};
use kefu::{Error, Vendor};

const SECRET_MARK: &str = "s3cr3t-marker-7731";

/// Values any builder accepts: an email where the key says so, digits
/// elsewhere, a marker for secrets.
fn value_for(d: &VendorDescriptor, key: &str) -> Option<String> {
    let setting = d.settings.iter().find(|s| s.key == key)?;
    if !setting.credential {
        return None;
    }
    Some(if setting.secret {
        SECRET_MARK.to_owned()
    } else if key.ends_with("_EMAIL") {
        "probe@kefu.invalid".to_owned()
    } else {
        "1".to_owned()
    })
}

fn connect(
    d: &'static VendorDescriptor,
    without: Option<&'static str>,
) -> kefu::Result<registry::Connected> {
    let lookup = move |key: &str| {
        if Some(key) == without {
            None
        } else {
            value_for(d, key)
        }
    };
    (d.connect)(Connect {
        lookup: &lookup,
        transport: Default::default(),
        shared_store: None,
    })
}

#[test]
fn every_descriptor_builds_the_client_it_describes() {
    assert!(!registry::all().is_empty());
    for d in registry::all() {
        let built = connect(d, None).unwrap_or_else(|e| panic!("{}: {e}", d.vendor));
        assert_eq!(built.client.vendor(), d.vendor);
        assert_eq!(
            built.client.capabilities(),
            d.capabilities(),
            "{}",
            d.vendor
        );
        assert_eq!(
            built.scoper.is_some(),
            matches!(d.scope, Scope::Merchant { .. }),
            "{}",
            d.vendor
        );
        let debug = format!("{:?}", built.client);
        assert!(!debug.contains(SECRET_MARK), "{}: {debug}", d.vendor);
        assert!(
            d.settings.iter().any(|s| s.key == d.base_url_key),
            "{}",
            d.vendor
        );
        if let Some(zone) = d.zone_key {
            assert!(d.settings.iter().any(|s| s.key == zone), "{}", d.vendor);
        }
        if let Scope::Merchant { setting, .. } = d.scope {
            assert!(d.settings.iter().any(|s| s.key == setting), "{}", d.vendor);
        }
        assert!(d.secrets().all(|s| s.credential), "{}", d.vendor);
    }
}

#[test]
fn each_missing_credential_is_named_by_the_build_error() {
    for d in registry::all() {
        for cred in d.credentials() {
            let err = connect(d, Some(cred.key)).expect_err(cred.key);
            assert!(
                matches!(&err, Error::Config { key, .. } if key == cred.key),
                "{}: without {} got {err}",
                d.vendor,
                cred.key
            );
        }
    }
}

#[test]
fn names_parse_through_the_registry_and_unknown_ones_list_the_choices() {
    for d in registry::all() {
        let name = d.vendor.as_str();
        assert_eq!(
            registry::find(&name.to_uppercase()).map(|d| d.vendor),
            Some(d.vendor)
        );
        assert_eq!(
            registry::parse("KEFU_VENDOR", &format!(" {name} ")).ok(),
            Some(d.vendor)
        );
    }
    let err = registry::parse("KEFU_VENDOR", "udesk").expect_err("unknown");
    assert_eq!(
        err.to_string(),
        Error::config("KEFU_VENDOR", "must be `sobot` or `easemob`, not \"udesk\"").to_string()
    );
    // Names are unique.
    let mut names: Vec<&str> = registry::all().iter().map(|d| d.vendor.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), registry::all().len());
}

#[test]
fn a_built_client_scopes_only_where_the_descriptor_says() {
    for d in registry::all() {
        let client = kefu::Client::from(connect(d, None).expect("build"));
        let scoped = client.for_tenant("M42");
        assert_eq!(scoped.vendor(), d.vendor);
        if matches!(d.scope, Scope::Account) {
            assert!(Arc::ptr_eq(&scoped.all(), &client.all()), "{}", d.vendor);
        } else {
            assert!(!Arc::ptr_eq(&scoped.all(), &client.all()), "{}", d.vendor);
        }
    }
    assert!(registry::get(Vendor::new("udesk")).is_none());
}
