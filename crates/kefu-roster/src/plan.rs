//! From a roster and the vendor's agents to the actions that reconcile them.

use std::collections::{BTreeMap, HashMap};

use futures_util::TryStreamExt;
use kefu_core::model::{Agent, AgentQuery};
use kefu_core::{AgentAdmin, Error, Operation, Vendor};
use serde::Serialize;

use crate::RosterError;
use crate::file::{Problem, Roster, RosterRow};

/// What a plan does to one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Add it (without an agent list: add, or update if it exists).
    Create,
    /// Change fields (and then enable or disable it if `enabled` changes too).
    Update,
    /// Let it log in again.
    Enable,
    /// Stop it from logging in.
    Disable,
    /// Remove it (`prune`: the roster does not name it).
    Delete,
    /// Nothing: it is as the roster says.
    None,
}

impl Action {
    /// The contract's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Enable => "enable",
            Self::Disable => "disable",
            Self::Delete => "delete",
            Self::None => "none",
        }
    }
}

/// One field that changes: `[old, new]` (`None`: unset or unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The roster column.
    pub field: &'static str,
    /// As the vendor has it (`None` when it has none, or cannot tell).
    pub old: Option<String>,
    /// As the roster wants it (`None` for a delete).
    pub new: Option<String>,
}

/// One agent's line of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Which agent.
    pub email: String,
    /// What to do.
    pub action: Action,
    /// The fields that change.
    pub changes: Vec<Change>,
    /// The roster row it comes from (none for a delete).
    pub row: Option<RosterRow>,
}

impl Planned {
    /// `{"field": [old, new], ...}`, as `plan -o json` prints it.
    pub fn changes_json(&self) -> BTreeMap<&'static str, [Option<String>; 2]> {
        self.changes
            .iter()
            .map(|c| (c.field, [c.old.clone(), c.new.clone()]))
            .collect()
    }

    /// The `enabled` the roster wants, when it changes.
    pub(crate) fn enabled_change(&self) -> Option<bool> {
        self.changes
            .iter()
            .find(|c| c.field == "enabled")
            .and_then(|c| c.new.as_deref())
            .map(|v| v == "yes")
    }
}

/// What [`plan`] is asked to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete the agents the roster does not name (needs an agent list).
    pub prune: bool,
}

/// The actions that bring a vendor to a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The vendor it was made for.
    pub vendor: Vendor,
    /// Whether it was made from the vendor's agent list (a full diff) or,
    /// for a vendor without one, treats every row as an add-or-update.
    pub from_list: bool,
    /// One line per roster row, then the deletes, if pruning.
    pub items: Vec<Planned>,
}

impl Plan {
    /// The lines that do something.
    pub fn pending(&self) -> usize {
        self.items
            .iter()
            .filter(|p| p.action != Action::None)
            .count()
    }

    /// Whether any line creates an agent (and so needs a password).
    pub fn creates(&self) -> bool {
        self.items.iter().any(|p| p.action == Action::Create)
    }
}

/// Plans `roster` against what `admin`'s vendor has. Reads only: nothing
/// is written. Rows that cannot be carried out (a new agent without the
/// fields an add needs) are reported all at once.
pub async fn plan(
    admin: &dyn AgentAdmin,
    roster: &Roster,
    options: PlanOptions,
) -> Result<Plan, RosterError> {
    let caps = admin.capabilities();
    let vendor = admin.vendor();
    if !caps.supports(Operation::ListAgents) {
        if options.prune {
            // Pruning needs to know who is there; nothing is sent.
            return Err(Error::unsupported(vendor, Operation::ListAgents).into());
        }
        return upserts(admin, roster);
    }

    let mut listed: HashMap<String, Agent> = HashMap::new();
    let mut agents = admin.list_agents(&AgentQuery::default())?;
    while let Some(agent) = agents.try_next().await? {
        // A server repeating a page repeats agents: the last word wins.
        listed.insert(agent.email.to_ascii_lowercase(), agent);
    }

    let mut problems = Vec::new();
    let mut items = Vec::with_capacity(roster.rows.len());
    for row in &roster.rows {
        match listed.remove(&row.email.to_ascii_lowercase()) {
            None => {
                if let Some(p) = missing_for_create(row, false) {
                    problems.push(p);
                    continue;
                }
                items.push(Planned {
                    email: row.email.clone(),
                    action: Action::Create,
                    changes: creation_changes(row),
                    row: Some(row.clone()),
                });
            }
            Some(agent) => items.push(diff(row, &agent)),
        }
    }
    if !problems.is_empty() {
        return Err(RosterError::BadRows(problems));
    }
    if options.prune {
        let mut gone: Vec<Agent> = listed.into_values().collect();
        gone.sort_by(|a, b| a.email.cmp(&b.email));
        items.extend(gone.into_iter().map(|agent| Planned {
            email: agent.email,
            action: Action::Delete,
            changes: Vec::new(),
            row: None,
        }));
    }
    check_offered(admin, &items)?;
    Ok(Plan {
        vendor,
        from_list: true,
        items,
    })
}

/// Without an agent list every row is an add-or-update, so every row must
/// carry the whole agent (an add needs it, and the update it may fall back
/// to replaces every field).
fn upserts(admin: &dyn AgentAdmin, roster: &Roster) -> Result<Plan, RosterError> {
    let problems: Vec<Problem> = roster
        .rows
        .iter()
        .filter_map(|row| missing_for_create(row, true))
        .collect();
    if !problems.is_empty() {
        return Err(RosterError::BadRows(problems));
    }
    let items: Vec<Planned> = roster
        .rows
        .iter()
        .map(|row| Planned {
            email: row.email.clone(),
            action: Action::Create,
            changes: creation_changes(row),
            row: Some(row.clone()),
        })
        .collect();
    check_offered(admin, &items)?;
    Ok(Plan {
        vendor: admin.vendor(),
        from_list: false,
        items,
    })
}

/// Every operation the plan needs is offered by the vendor (else exit 3,
/// before anything is sent).
fn check_offered(admin: &dyn AgentAdmin, items: &[Planned]) -> Result<(), Error> {
    let caps = admin.capabilities();
    for item in items {
        let mut needed = match item.action {
            Action::Create => vec![Operation::AddAgent],
            Action::Update => vec![Operation::UpdateAgent],
            Action::Enable => vec![Operation::EnableAgent],
            Action::Disable => vec![Operation::DisableAgent],
            Action::Delete => vec![Operation::DeleteAgent],
            Action::None => Vec::new(),
        };
        match item.enabled_change() {
            Some(true) if item.action != Action::Enable => needed.push(Operation::EnableAgent),
            Some(false) if item.action != Action::Disable => needed.push(Operation::DisableAgent),
            _ => {}
        }
        if let Some(op) = needed.into_iter().find(|op| !caps.supports(*op)) {
            return Err(Error::unsupported(admin.vendor(), op));
        }
    }
    Ok(())
}

fn missing_for_create(row: &RosterRow, whole: bool) -> Option<Problem> {
    let mut missing = Vec::new();
    if row.nickname.is_none() {
        missing.push("nickname");
    }
    if row.name.is_none() {
        missing.push("name");
    }
    if row.role.is_none() {
        missing.push("role");
    }
    if row.max_sessions.is_none() {
        missing.push("max_sessions");
    }
    if whole && row.phone.is_none() {
        missing.push("phone");
    }
    (!missing.is_empty()).then(|| Problem {
        line: row.line,
        column: None,
        message: if whole {
            format!(
                "{}: this vendor cannot list agents, so every row is an add-or-update and needs {}",
                row.email,
                missing.join(", ")
            )
        } else {
            format!(
                "{} is new: creating it needs {}",
                row.email,
                missing.join(", ")
            )
        },
    })
}

/// The names and ids of the role an agent holds. A vendor's `roles` may list
/// what a role implies too (an Easemob admin shows `admin,agent`), so the
/// role proper comes from a `roleList` the vendor sent, else the first listed.
fn held_role(agent: &Agent) -> Vec<String> {
    let from_list: Vec<String> = agent
        .extra
        .get("roleList")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .flat_map(|r| {
            ["role_name", "role_id"]
                .into_iter()
                .filter_map(move |k| match r.get(k) {
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                })
        })
        .collect();
    if from_list.is_empty() {
        agent.roles.first().cloned().into_iter().collect()
    } else {
        from_list
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// The roster's fields as they map onto an agent, in column order.
fn wanted(row: &RosterRow) -> [(&'static str, Option<String>); 6] {
    [
        ("nickname", row.nickname.clone()),
        ("name", row.name.clone()),
        ("role", row.role.clone()),
        ("max_sessions", row.max_sessions.map(|n| n.to_string())),
        ("phone", row.phone.clone()),
        ("agent_number", row.agent_number.clone()),
    ]
}

fn creation_changes(row: &RosterRow) -> Vec<Change> {
    let mut changes: Vec<Change> = wanted(row)
        .into_iter()
        .filter_map(|(field, new)| {
            new.map(|new| Change {
                field,
                old: None,
                new: Some(new),
            })
        })
        .collect();
    // A new agent is enabled; only `no` needs a step of its own.
    if row.enabled == Some(false) {
        changes.push(Change {
            field: "enabled",
            old: None,
            new: Some(yes_no(false)),
        });
    }
    changes
}

fn diff(row: &RosterRow, agent: &Agent) -> Planned {
    let mut changes = Vec::new();
    for (field, new) in wanted(row) {
        let Some(new) = new else { continue };
        let old = match field {
            "nickname" => agent.nickname.clone(),
            "name" => agent.real_name.clone(),
            "max_sessions" => agent.max_sessions.map(|n| n.to_string()),
            "phone" => agent.phone.clone(),
            "agent_number" => agent.agent_number.clone(),
            _ => {
                let held = held_role(agent);
                if held.iter().any(|r| r.eq_ignore_ascii_case(&new)) {
                    continue;
                }
                held.into_iter().next()
            }
        };
        if old.as_deref() != Some(new.as_str()) {
            changes.push(Change {
                field,
                old,
                new: Some(new),
            });
        }
    }
    let enabled = row.enabled.filter(|want| agent.enabled != Some(*want));
    if let Some(want) = enabled {
        changes.push(Change {
            field: "enabled",
            old: agent.enabled.map(yes_no),
            new: Some(yes_no(want)),
        });
    }
    let fields_change = changes.iter().any(|c| c.field != "enabled");
    let action = match (fields_change, enabled) {
        (true, _) => Action::Update,
        (false, Some(true)) => Action::Enable,
        (false, Some(false)) => Action::Disable,
        (false, None) => Action::None,
    };
    Planned {
        email: agent.email.clone(),
        action,
        changes,
        row: Some(row.clone()),
    }
}
