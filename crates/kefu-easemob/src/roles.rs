//! Roles: listing them, and turning a caller's role argument into a `roleId`.

use kefu_core::model::Role;
use kefu_core::{Error, Operation, Result};
use kefu_http::WireRequest;

use crate::client::EasemobClient;
use crate::decode;

/// The document's roles example lists `admin` as role_id 1 and `agent` as
/// role_id 2, both `"role_type": "SYSTEM"`; custom roles of a tenant get
/// their own ids (3, 4 in the example).
pub(crate) const WELL_KNOWN: &[(&str, u64)] = &[("admin", 1), ("agent", 2)];

/// A role argument as the vendor's `roleId`: a positive number, or one of the
/// well-known names (any case). Anything else is refused before I/O, so a
/// typo never creates an agent with the wrong rights. Custom roles are given
/// by id (`kefu roles list` shows them).
pub(crate) fn role_id(role: &str) -> Result<u64> {
    let role = role.trim();
    if let Some((_, id)) = WELL_KNOWN
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(role))
    {
        return Ok(*id);
    }
    match role.parse::<u64>() {
        Ok(id) if id > 0 && role.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(Error::invalid(
            "roleId",
            format!("{role:?} is not a role id or one of admin, agent"),
        )),
    }
}

impl EasemobClient {
    /// GET `/api/tenants/{tenantId}/roles` (`AgentAdmin::list_roles`).
    pub(crate) async fn fetch_roles(&self) -> Result<Vec<Role>> {
        let zone = self.zone();
        let request = WireRequest::get(Operation::ListRoles, self.tenant_path("roles"));
        self.call(request, |r| decode::roles(r, zone)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids() {
        assert_eq!(role_id("admin").ok(), Some(1));
        assert_eq!(role_id(" Agent ").ok(), Some(2));
        assert_eq!(role_id("4").ok(), Some(4));
        for bad in ["", "0", "-1", "+3", "supervisor", "1.5"] {
            assert_eq!(role_id(bad).unwrap_err().field(), Some("roleId"), "{bad}");
        }
    }
}
