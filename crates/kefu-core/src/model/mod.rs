//! The domain model, normalized across vendors.
//!
//! Vendor ids stay strings. Times are `DateTime<Utc>` instants (Easemob's
//! naive local times are read in the tenant's zone; Sobot's epoch
//! milliseconds are exact); calendar days stay `NaiveDate`. Every record keeps
//! the vendor fields it did not map in `extra`, so an export loses nothing.
//!
//! Records are plain data with public fields and `Default`, so vendors and
//! tests build them directly. Write types (`New*`, `*Update`) carry secrets as
//! [`Secret`](crate::Secret) and are never serialized.

mod agent;
mod chat;
mod instant;
mod report;
mod session;
mod tenant;

pub use agent::{Agent, AgentQuery, AgentUpdate, NewAgent, Role};
pub use chat::{ChatSummary, MessageKind};
pub use report::{AgentDayStats, AgentStats, AgentStatusLog, ReportExport, ReportKind};
pub use session::{
    Channel, Party, Session, SessionAgent, SessionQuery, SessionTime, SortOrder, SummaryTag,
};
pub use tenant::{
    AppKey, NewTenant, Tenant, TenantCreated, TenantQuery, TenantSearch, TenantStatus, TenantUpdate,
};
