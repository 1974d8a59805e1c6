//! From settings (or an embedded sandbox) to a `kefu::Client`.

use std::sync::Arc;

use kefu::{Capabilities, Client, ClientBuilder, Error, Operation, Vendor};
use kefu_testkit::sandbox::Sandbox;

use crate::config::Settings;
use crate::exit::Failure;

/// A client and what it was built from; holds the embedded sandbox, if any,
/// for as long as the command runs.
#[derive(Debug)]
pub struct Connection {
    /// The client.
    pub client: Client,
    /// The settings it was built from (the sandbox's, with `--sandbox`).
    pub settings: Settings,
    /// The embedded sandbox serving this command, if any.
    pub sandbox: Option<Sandbox>,
}

/// The vendor from `--vendor` / `KEFU_VENDOR`, else the config file.
pub fn resolve_vendor(flag: Option<Vendor>, settings: &Settings) -> Result<Vendor, Error> {
    if let Some(v) = flag {
        return Ok(v);
    }
    match settings.get("KEFU_VENDOR") {
        Some(v) => kefu::registry::parse("KEFU_VENDOR", &v),
        None => Err(Error::config("KEFU_VENDOR", "is not set: which vendor?")),
    }
}

/// Builds the client for `op`: against a fresh embedded sandbox when
/// `sandbox` is set (its settings replace the environment and the file, so
/// no credential is read and nothing leaves the machine), else from
/// `settings`.
///
/// Nothing is sent. If the settings are incomplete but `vendor` does not
/// offer `op` at all, the answer is Unsupported (exit 3), not the missing
/// setting.
pub async fn connect(
    vendor: Vendor,
    sandbox: bool,
    settings: Settings,
    op: Operation,
    transport: kefu::transport::TransportConfig,
) -> Result<Connection, Failure> {
    // Resolved before a sandbox replaces the settings: the store named by
    // the caller's flag, environment or config file.
    let store = crate::shared_store::spec(crate::shared_store::flag(), &settings, sandbox)?;
    let (settings, sandbox) = if sandbox {
        let server = crate::sandbox::start_embedded(vendor).await?;
        let env = Arc::new(crate::sandbox::env_of(&server));
        let lookup = Arc::new(move |key: &str| env.get(key).cloned());
        (Settings::env_only(lookup), Some(server))
    } else {
        (settings, None)
    };
    let built = ClientBuilder::new()
        .lookup(settings.lookup())
        .vendor(vendor)
        .transport(transport)
        .shared_store(crate::shared_store::open(&store))
        .build();
    match built {
        Ok(client) => Ok(Connection {
            client,
            settings,
            sandbox,
        }),
        Err(e @ Error::Config { .. }) => match probe_capabilities(vendor) {
            Some(caps) if !caps.supports(op) => Err(Error::unsupported(vendor, op).into()),
            _ => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// What `vendor` offers, from its descriptor (no client, nothing sent).
/// `None` if this build does not have it.
pub fn probe_capabilities(vendor: Vendor) -> Option<Capabilities> {
    kefu::registry::get(vendor).map(|d| d.capabilities())
}

/// The vendors of this build that offer `op`.
pub fn offering(op: Operation) -> Vec<Vendor> {
    kefu::registry::offering(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_and_a_missing_vendor_names_kefu_vendor() {
        let none = Settings::env_only(Arc::new(|_| None));
        let e = resolve_vendor(None, &none).expect_err("no vendor");
        assert!(
            matches!(&e, Error::Config { key, .. } if key == "KEFU_VENDOR"),
            "{e}"
        );
        let file = Settings::env_only(Arc::new(|k| {
            (k == "KEFU_VENDOR").then(|| "sobot".to_owned())
        }));
        assert_eq!(resolve_vendor(None, &file).expect("file"), Vendor::Sobot);
        assert_eq!(
            resolve_vendor(Some(Vendor::Easemob), &file).expect("flag"),
            Vendor::Easemob
        );
    }

    #[test]
    fn every_built_vendor_can_be_probed_without_settings() {
        for v in kefu::built_vendors() {
            assert!(probe_capabilities(*v).is_some(), "{v}");
        }
        assert_eq!(offering(Operation::ListTenants), [Vendor::Sobot]);
        assert_eq!(offering(Operation::ListSessions), [Vendor::Easemob]);
    }
}
