//! Staff (客服) of one merchant: addServiceInfoConfim.json,
//! updateServiceInfoConfim.json, deleteServiceInfoConfim, and the four fixed
//! roles.

use async_trait::async_trait;
use kefu_core::model::{Agent, AgentUpdate, NewAgent, Role};
use kefu_core::{AgentAdmin, Error, Operation, Result, validate};
use kefu_http::{WireRequest, no_lookup};
use serde_json::Value;

use crate::SobotClient;
use crate::auth::email_token;
use crate::decode;
use crate::wire::{AddStaffBody, DeleteStaffBody, UpdateStaffBody};

const ADD_STAFF: &str = "/tenantpro/open/addServiceInfoConfim.json";
const UPDATE_STAFF: &str = "/tenantpro/open/updateServiceInfoConfim.json";
const DELETE_STAFF: &str = "/tenantpro/open/deleteServiceInfoConfim";

/// The four roles of the document, "5555:工单客服、2222:在线管理员、1111:在线客服、
/// 8888:工单管理员", with the CLI's well-known names.
pub const ROLES: [(&str, &str, &str); 4] = [
    ("1111", "在线客服", "online-agent"),
    ("2222", "在线管理员", "online-admin"),
    ("5555", "工单客服", "ticket-agent"),
    ("8888", "工单管理员", "ticket-admin"),
];

/// A role id from an id, a well-known name or the vendor's name; anything
/// else is refused naming `roleId`.
pub fn role_id(role: &str) -> Result<&'static str> {
    let wanted = role.trim();
    ROLES
        .iter()
        .find(|(id, name, alias)| {
            *id == wanted || *name == wanted || alias.eq_ignore_ascii_case(wanted)
        })
        .map(|(id, _, _)| *id)
        .ok_or_else(|| {
            Error::invalid(
                "roleId",
                format!(
                    "{role:?} is not a Sobot role: use 1111 (online-agent), 2222 (online-admin), \
                     5555 (ticket-agent) or 8888 (ticket-admin)"
                ),
            )
        })
}

/// `phoneNo` is typed Integer: digits only, and no leading zero (it would be
/// lost in the number). u64, since an 11-digit mobile does not fit 32 bits.
fn phone_no(phone: &str) -> Result<u64> {
    let phone = phone.trim();
    validate::phone("phoneNo", phone)?;
    if phone.starts_with('0') {
        return Err(Error::invalid(
            "phoneNo",
            "must not start with 0: the vendor types phoneNo as an Integer, so the 0 would be lost",
        ));
    }
    phone
        .parse::<u64>()
        .map_err(|_| Error::invalid("phoneNo", "is too long for an integer"))
}

/// Sobot has no work number; refusing is better than dropping it silently.
fn no_agent_number(agent_number: Option<&String>) -> Result<()> {
    match agent_number {
        Some(n) if !n.trim().is_empty() => Err(Error::invalid(
            "agentNumber",
            "Sobot staff have no work number",
        )),
        _ => Ok(()),
    }
}

#[async_trait]
impl AgentAdmin for SobotClient {
    /// addServiceInfoConfim.json in the client's merchant. Not idempotent: a
    /// failure that may have been carried out is `OutcomeUnknown` (there is
    /// no endpoint to look staff up; `kefu_http::reconcile`).
    async fn add_agent(&self, agent: &NewAgent) -> Result<Option<Agent>> {
        let customer_code = self.require_tenant()?;
        validate::email("email", &agent.email)?;
        validate::non_empty("nick", &agent.nickname)?;
        validate::non_empty("name", &agent.real_name)?;
        let role_id = role_id(&agent.role)?;
        let phone_no = match &agent.phone {
            Some(p) => phone_no(p)?,
            None => {
                return Err(Error::invalid(
                    "phoneNo",
                    "is required by addServiceInfoConfim.json",
                ));
            }
        };
        if let Some(p) = &agent.password {
            validate::non_empty("password", p.expose())?;
        }
        no_agent_number(agent.agent_number.as_ref())?;
        let s = &self.shared;
        let ts = self.ts_millis();
        // The token signs with the new staff member's own email.
        let body = AddStaffBody {
            union_code: &s.union_code,
            ts,
            token: email_token(&s.union_code, &ts.to_string(), &agent.email, &s.union_key),
            customer_code,
            nick: &agent.nickname,
            name: &agent.real_name,
            email: &agent.email,
            role_id,
            password: agent.password.clone(),
            phone_no,
            max_accept_num: agent.max_sessions,
        };
        let request = WireRequest::post(Operation::AddAgent, ADD_STAFF)
            .idempotent(false)
            .json(&body);
        // Sobot has no staff lookup: an open outcome stays open.
        self.write(request, decode::ack, no_lookup())
            .await
            .map(|()| None)
    }

    /// updateServiceInfoConfim.json. The vendor requires `serviceNick`,
    /// `serviceName`, `phoneNo` and `maxAcceptNum` on every edit and has no
    /// `roleId`. Idempotent: it sets absolute values.
    async fn update_agent(&self, update: &AgentUpdate) -> Result<()> {
        let customer_code = self.require_tenant()?;
        validate::email("email", &update.email)?;
        let nick = update.nickname.as_deref().ok_or_else(|| {
            Error::invalid("serviceNick", "is required by updateServiceInfoConfim.json")
        })?;
        validate::non_empty("serviceNick", nick)?;
        let name = update.real_name.as_deref().ok_or_else(|| {
            Error::invalid("serviceName", "is required by updateServiceInfoConfim.json")
        })?;
        validate::non_empty("serviceName", name)?;
        let phone_no = match &update.phone {
            Some(p) => phone_no(p)?,
            None => {
                return Err(Error::invalid(
                    "phoneNo",
                    "is required by updateServiceInfoConfim.json",
                ));
            }
        };
        let max_accept_num = update.max_sessions.ok_or_else(|| {
            Error::invalid(
                "maxAcceptNum",
                "is required by updateServiceInfoConfim.json",
            )
        })?;
        if let Some(role) = &update.role {
            // Still name a bad role as such; a good one cannot be sent.
            role_id(role)?;
            return Err(Error::invalid(
                "roleId",
                "updateServiceInfoConfim.json cannot change a role",
            ));
        }
        no_agent_number(update.agent_number.as_ref())?;
        let s = &self.shared;
        let ts = self.ts_millis();
        let body = UpdateStaffBody {
            union_code: &s.union_code,
            ts,
            token: email_token(&s.union_code, &ts.to_string(), &update.email, &s.union_key),
            customer_code,
            service_nick: nick,
            service_name: name,
            phone_no,
            max_accept_num,
            email: &update.email,
        };
        let request = WireRequest::post(Operation::UpdateAgent, UPDATE_STAFF)
            .idempotent(true)
            .json(&body);
        self.call(request, decode::ack).await
    }

    /// deleteServiceInfoConfim. Not idempotent for the transport: a repeat
    /// of a delete that did happen would be refused, turning success into a
    /// failure; an unknown outcome is `OutcomeUnknown` instead.
    async fn delete_agent(&self, email: &str) -> Result<()> {
        let customer_code = self.require_tenant()?;
        validate::email("email", email)?;
        let s = &self.shared;
        let ts = self.ts_millis();
        let body = DeleteStaffBody {
            union_code: &s.union_code,
            ts,
            token: email_token(&s.union_code, &ts.to_string(), email, &s.union_key),
            customer_code,
            email,
        };
        let request = WireRequest::post(Operation::DeleteAgent, DELETE_STAFF)
            .idempotent(false)
            .json(&body);
        self.write(request, decode::ack, no_lookup()).await
    }

    /// The four fixed roles; no I/O.
    async fn list_roles(&self) -> Result<Vec<Role>> {
        Ok(ROLES
            .iter()
            .map(|(id, name, alias)| {
                let mut extra = kefu_core::Extra::new();
                extra.insert("alias".to_owned(), Value::String((*alias).to_owned()));
                Role {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                    extra,
                    ..Role::default()
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_id_alias_or_name() {
        assert_eq!(role_id("1111").unwrap(), "1111");
        assert_eq!(role_id("online-admin").unwrap(), "2222");
        assert_eq!(role_id("Ticket-Agent").unwrap(), "5555");
        assert_eq!(role_id("工单管理员").unwrap(), "8888");
        for bad in ["", "admin", "1234", "agent"] {
            assert_eq!(role_id(bad).unwrap_err().field(), Some("roleId"), "{bad}");
        }
    }

    #[test]
    fn phones_are_digits_that_survive_as_integers() {
        assert_eq!(phone_no("13100000000").unwrap(), 13_100_000_000);
        for bad in [
            "",
            "131-0000",
            "+8613100000000",
            "01012345678",
            "99999999999999999999999",
        ] {
            assert_eq!(phone_no(bad).unwrap_err().field(), Some("phoneNo"), "{bad}");
        }
    }
}
