//! Which vendor a client talks to, and which operations it offers.
//!
//! Every operation of the four traits has an [`Operation`]; a client reports
//! the set it supports as [`Capabilities`], and an unsupported call fails with
//! [`crate::Error::Unsupported`] before any I/O.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A customer-service cloud kefu can talk to, by its lowercase name.
///
/// A name, not a closed list: each vendor crate names its own vendor
/// (`Vendor::new("udesk")`) in its descriptor, so adding a vendor does not
/// touch this crate. The two vendors kefu ships keep their constants.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vendor(&'static str);

#[allow(non_upper_case_globals)] // Spelled like the enum variants they replace.
impl Vendor {
    /// Sobot (智齿科技), e-commerce platform API.
    pub const Sobot: Vendor = Vendor("sobot");
    /// Easemob Kefu (环信客服云), API open platform.
    pub const Easemob: Vendor = Vendor("easemob");

    /// Every vendor kefu ships, built or not.
    pub const ALL: [Vendor; 2] = [Vendor::Sobot, Vendor::Easemob];

    /// A vendor named `name`: lowercase ASCII, as used in config, env and
    /// the CLI (`KEFU_VENDOR=name`).
    pub const fn new(name: &'static str) -> Self {
        Vendor(name)
    }

    /// The lowercase name used in config, env and the CLI.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Vendor {
    // As the enum printed it (`Sobot`), so Debug output stays the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        if let Some(first) = chars.next() {
            write!(f, "{}", first.to_ascii_uppercase())?;
        }
        f.write_str(chars.as_str())
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Vendor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Vendor {
    /// Only the vendors kefu ships can be read back: a name is `'static`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Vendor {
    type Err = Error;

    /// The vendors kefu ships (any case); a build's registry (the `kefu`
    /// facade) also knows the vendors of extra crates.
    fn from_str(s: &str) -> Result<Self> {
        let name = s.trim().to_ascii_lowercase();
        match Vendor::ALL.iter().find(|v| v.0 == name) {
            Some(v) => Ok(*v),
            None => Err(Error::invalid(
                "vendor",
                format!("must be `sobot` or `easemob`, not {name:?}"),
            )),
        }
    }
}

macro_rules! operations {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// One operation of the four traits.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            $($(#[$doc])* $variant,)*
        }

        impl Operation {
            /// Every operation, in trait order.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant,)*];

            /// A stable, human-readable name (`agents.disable`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => $name,)*
                }
            }
        }
    };
}

operations! {
    /// [`TenantAdmin::list_tenants`](crate::TenantAdmin::list_tenants)
    ListTenants => "tenants.list",
    /// [`TenantAdmin::add_tenant`](crate::TenantAdmin::add_tenant)
    AddTenant => "tenants.add",
    /// [`TenantAdmin::update_tenant`](crate::TenantAdmin::update_tenant)
    UpdateTenant => "tenants.update",
    /// [`TenantAdmin::app_keys`](crate::TenantAdmin::app_keys)
    ListAppKeys => "tenants.app-keys",
    /// [`AgentAdmin::list_agents`](crate::AgentAdmin::list_agents)
    ListAgents => "agents.list",
    /// [`AgentAdmin::add_agent`](crate::AgentAdmin::add_agent)
    AddAgent => "agents.add",
    /// [`AgentAdmin::update_agent`](crate::AgentAdmin::update_agent)
    UpdateAgent => "agents.update",
    /// [`AgentAdmin::delete_agent`](crate::AgentAdmin::delete_agent)
    DeleteAgent => "agents.delete",
    /// [`AgentAdmin::enable_agent`](crate::AgentAdmin::enable_agent)
    EnableAgent => "agents.enable",
    /// [`AgentAdmin::disable_agent`](crate::AgentAdmin::disable_agent)
    DisableAgent => "agents.disable",
    /// [`AgentAdmin::set_agent_password`](crate::AgentAdmin::set_agent_password)
    SetAgentPassword => "agents.set-password",
    /// [`AgentAdmin::list_roles`](crate::AgentAdmin::list_roles)
    ListRoles => "roles.list",
    /// [`SessionHistory::sessions`](crate::SessionHistory::sessions)
    ListSessions => "sessions.export",
    /// [`SessionHistory::chats`](crate::SessionHistory::chats)
    ListChats => "chats.list",
    /// [`Reports::agent_stats`](crate::Reports::agent_stats)
    AgentStats => "reports.agent-stats",
    /// [`Reports::export_report`](crate::Reports::export_report)
    ExportReport => "reports.export",
    /// [`Reports::agent_status_log`](crate::Reports::agent_status_log)
    AgentStatusLog => "reports.agent-status",
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The operations one client offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    vendor: Vendor,
    supported: Vec<Operation>,
}

impl Capabilities {
    /// A client of `vendor` offering exactly `supported`.
    pub fn new(vendor: Vendor, supported: &[Operation]) -> Self {
        let mut supported = supported.to_vec();
        supported.sort();
        supported.dedup();
        Self { vendor, supported }
    }

    /// The vendor these capabilities describe.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// Whether `op` is offered.
    pub fn supports(&self, op: Operation) -> bool {
        self.supported.binary_search(&op).is_ok()
    }

    /// The offered operations, in trait order.
    pub fn supported(&self) -> impl Iterator<Item = Operation> + '_ {
        self.supported.iter().copied()
    }

    /// The operations not offered, in trait order.
    pub fn unsupported(&self) -> impl Iterator<Item = Operation> + '_ {
        Operation::ALL
            .iter()
            .copied()
            .filter(|op| !self.supports(*op))
    }

    /// `Ok` if offered, else [`Error::Unsupported`]; call before any I/O.
    pub fn check(&self, op: Operation) -> Result<()> {
        if self.supports(op) {
            Ok(())
        } else {
            Err(Error::unsupported(self.vendor, op))
        }
    }
}

/// What every kefu client is: a vendor with capabilities.
///
/// All four traits extend it, so an `Arc<dyn AgentAdmin>` can still be asked
/// what it can do.
pub trait Provider: Send + Sync + fmt::Debug {
    /// The vendor behind this client.
    fn vendor(&self) -> Vendor;

    /// The operations this client offers.
    fn capabilities(&self) -> Capabilities;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_refuses_what_is_not_offered() {
        let caps = Capabilities::new(Vendor::Easemob, &[Operation::ListAgents]);
        assert!(caps.check(Operation::ListAgents).is_ok());
        let err = caps.check(Operation::ListTenants).unwrap_err();
        assert_eq!(err.to_string(), "easemob does not support tenants.list");
        assert_eq!(caps.unsupported().count(), Operation::ALL.len() - 1);
    }

    #[test]
    fn a_vendor_is_its_name_in_every_form() {
        let v = Vendor::new("udesk");
        assert_eq!(v.to_string(), "udesk");
        assert_eq!(format!("{v:?}"), "Udesk");
        assert_eq!(format!("{:?}", Vendor::Easemob), "Easemob");
        assert_eq!(serde_json::to_string(&Vendor::Sobot).unwrap(), "\"sobot\"");
        assert_eq!(
            serde_json::from_str::<Vendor>("\"easemob\"").unwrap(),
            Vendor::Easemob
        );
        assert!(serde_json::from_str::<Vendor>("\"udesk\"").is_err());
        assert!(matches!(Vendor::Sobot, Vendor::Sobot));
    }

    #[test]
    fn vendor_parses_case_insensitively() {
        assert_eq!("Sobot".parse::<Vendor>().unwrap(), Vendor::Sobot);
        assert_eq!(
            "bogus".parse::<Vendor>().unwrap_err().field(),
            Some("vendor")
        );
    }
}
