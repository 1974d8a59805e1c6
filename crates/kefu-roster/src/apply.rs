//! Carrying a plan out, one agent at a time, saying how each went.

use kefu_core::model::{AgentUpdate, NewAgent};
use kefu_core::{AgentAdmin, Error, Secret};
use serde::Serialize;

use crate::file::RosterRow;
use crate::plan::{Action, Plan, Planned};

/// How one line of a plan went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Added.
    Created,
    /// Changed (without an agent list: it existed, so it was updated).
    Updated,
    /// Enabled.
    Enabled,
    /// Disabled.
    Disabled,
    /// Deleted.
    Deleted,
    /// Nothing to do.
    Unchanged,
    /// Refused or failed; nothing (more) was done for this agent.
    Failed,
    /// A write whose answer was lost and which reconciling did not settle:
    /// it was not repeated. Plan again to see what happened.
    Unknown,
    /// A dry run: the request(s) were printed, not sent.
    DryRun,
}

impl Outcome {
    /// The word `apply` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Deleted => "deleted",
            Self::Unchanged => "unchanged",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::DryRun => "dry-run",
        }
    }
}

/// One line of a plan, carried out.
#[derive(Debug)]
pub struct Applied {
    /// The plan's line.
    pub planned: Planned,
    /// How it went.
    pub outcome: Outcome,
    /// The error, when it failed (or its outcome is unknown).
    pub error: Option<Error>,
}

/// Carries out `plan` through `admin`: every line in order, each once. A
/// failure ends that agent's line, never the run. `password` is the new
/// agents' initial password.
///
/// Never repeats a create: a create whose answer is lost is reconciled by
/// the vendor client (the agent is looked up), and what that cannot settle
/// is [`Outcome::Unknown`].
pub async fn apply(admin: &dyn AgentAdmin, plan: &Plan, password: Option<&Secret>) -> Vec<Applied> {
    let mut done = Vec::with_capacity(plan.items.len());
    for planned in &plan.items {
        let result = apply_one(admin, plan.from_list, planned, password).await;
        let (outcome, error) = match result {
            Ok(outcome) => (outcome, None),
            Err(e @ Error::OutcomeUnknown { .. }) => (Outcome::Unknown, Some(e)),
            Err(e) => (Outcome::Failed, Some(e)),
        };
        done.push(Applied {
            planned: planned.clone(),
            outcome,
            error,
        });
    }
    done
}

async fn apply_one(
    admin: &dyn AgentAdmin,
    from_list: bool,
    planned: &Planned,
    password: Option<&Secret>,
) -> Result<Outcome, Error> {
    let email = planned.email.as_str();
    let row = planned.row.clone().unwrap_or_default();
    // In a dry run every step is held back; carry on, so every request of
    // the line is shown.
    let mut held = false;
    let outcome = match planned.action {
        Action::None => return Ok(Outcome::Unchanged),
        Action::Delete => {
            step(admin.delete_agent(email).await, &mut held)?;
            Outcome::Deleted
        }
        Action::Enable => {
            step(admin.enable_agent(email).await, &mut held)?;
            Outcome::Enabled
        }
        Action::Disable => {
            step(admin.disable_agent(email).await, &mut held)?;
            Outcome::Disabled
        }
        Action::Update => {
            let update = changed_fields(planned, &row);
            step(admin.update_agent(&update).await, &mut held)?;
            Outcome::Updated
        }
        Action::Create => {
            let agent = new_agent(&row, password);
            match admin.add_agent(&agent).await {
                Ok(_) => Outcome::Created,
                Err(Error::DryRun { .. }) => {
                    held = true;
                    Outcome::Created
                }
                // No list to tell us before: it exists, so bring it up to date.
                Err(Error::AlreadyExists(_)) if !from_list => {
                    step(admin.update_agent(&whole_update(&row)).await, &mut held)?;
                    Outcome::Updated
                }
                Err(e) => return Err(e),
            }
        }
    };
    // The state step after a create or update, when `enabled` changes too.
    if matches!(planned.action, Action::Create | Action::Update) {
        match planned.enabled_change() {
            Some(true) => step(admin.enable_agent(email).await, &mut held)?,
            Some(false) => step(admin.disable_agent(email).await, &mut held)?,
            None => {}
        }
    }
    Ok(if held { Outcome::DryRun } else { outcome })
}

/// A step's result, a dry run's held-back write counting as done.
fn step<T>(result: Result<T, Error>, held: &mut bool) -> Result<(), Error> {
    match result {
        Ok(_) => Ok(()),
        Err(Error::DryRun { .. }) => {
            *held = true;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn new_agent(row: &RosterRow, password: Option<&Secret>) -> NewAgent {
    NewAgent {
        email: row.email.clone(),
        nickname: row.nickname.clone().unwrap_or_default(),
        real_name: row.name.clone().unwrap_or_default(),
        password: password.cloned(),
        role: row.role.clone().unwrap_or_default(),
        max_sessions: row.max_sessions.unwrap_or_default(),
        phone: row.phone.clone(),
        agent_number: row.agent_number.clone(),
    }
}

/// Only what the plan found different, so fields the vendor holds and the
/// roster leaves empty are not touched.
fn changed_fields(planned: &Planned, row: &RosterRow) -> AgentUpdate {
    let changes = |field: &str| planned.changes.iter().any(|c| c.field == field);
    AgentUpdate {
        email: planned.email.clone(),
        nickname: row.nickname.clone().filter(|_| changes("nickname")),
        real_name: row.name.clone().filter(|_| changes("name")),
        phone: row.phone.clone().filter(|_| changes("phone")),
        role: row.role.clone().filter(|_| changes("role")),
        max_sessions: row.max_sessions.filter(|_| changes("max_sessions")),
        agent_number: row.agent_number.clone().filter(|_| changes("agent_number")),
    }
}

/// Every field of the row, for a vendor whose update replaces them all. The
/// role is left out: such a vendor (Sobot) cannot change it by an update.
fn whole_update(row: &RosterRow) -> AgentUpdate {
    AgentUpdate {
        email: row.email.clone(),
        nickname: row.nickname.clone(),
        real_name: row.name.clone(),
        phone: row.phone.clone(),
        role: None,
        max_sessions: row.max_sessions,
        agent_number: row.agent_number.clone(),
    }
}
