//! Declarative agent rosters: a CSV file says which agents a vendor account
//! should have; [`plan`] says what it would take to get there; [`apply`]
//! does it, row by row, and says how each row went.
//!
//! Everything here talks to the [`AgentAdmin`](kefu_core::AgentAdmin) trait
//! only (no HTTP), so an app can drive its own rosters the way `kefu agents
//! plan|apply` does:
//!
//! ```no_run
//! # async fn run(admin: std::sync::Arc<dyn kefu_core::AgentAdmin>) -> Result<(), kefu_roster::RosterError> {
//! let roster = kefu_roster::Roster::parse(std::fs::File::open("roster.csv").expect("file"))?;
//! let plan = kefu_roster::plan(&*admin, &roster, kefu_roster::PlanOptions::default()).await?;
//! let applied = kefu_roster::apply(&*admin, &plan, None).await;
//! # let _ = applied; Ok(()) }
//! ```
//!
//! - A vendor that lists its agents (Easemob) gets a full diff: create what
//!   is missing, update what differs, enable/disable, and with `prune`
//!   delete what the file does not name. Applying the same file twice does
//!   nothing the second time.
//! - A vendor that cannot list them (Sobot) gets every row as an
//!   add-or-update (create, or update when the vendor says it exists);
//!   `prune` is refused.
//! - A create whose answer is lost is never repeated: the vendor client
//!   reconciles it (looks the agent up) and, if that does not settle it, the
//!   row's outcome is `unknown`; the next plan sees what really happened.

mod apply;
mod file;
mod plan;

pub use apply::{Applied, Outcome, apply};
pub use file::{COLUMNS, Problem, Roster, RosterRow};
pub use plan::{Action, Change, Plan, PlanOptions, Planned, plan};

/// Why a roster could not be planned.
#[derive(Debug)]
pub enum RosterError {
    /// Rows (or the header) that are wrong, every one of them, by line.
    BadRows(Vec<Problem>),
    /// The vendor (listing agents) or the operation (e.g. `prune` where
    /// agents cannot be listed).
    Kefu(kefu_core::Error),
}

impl From<kefu_core::Error> for RosterError {
    fn from(e: kefu_core::Error) -> Self {
        Self::Kefu(e)
    }
}

impl std::fmt::Display for RosterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadRows(problems) => {
                write!(f, "the roster has {} bad line(s)", problems.len())?;
                for p in problems {
                    write!(f, "; {p}")?;
                }
                Ok(())
            }
            Self::Kefu(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RosterError {}
