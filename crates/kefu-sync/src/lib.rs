//! Keeps a database current with a customer-service account: `kefu sync`.
//!
//! The engine reads through the `kefu-core` traits only, so any vendor that
//! implements them can be synced, and writes to SQLite (the default, a file)
//! or PostgreSQL through one code path ([`Db`]).
//!
//! The guarantees (see `docs/sync.md`):
//! - every window's rows and the stream's new cursor are committed in one
//!   transaction, so a killed run resumes from its last committed window;
//! - every write is an upsert on the natural key, and every run re-reads a
//!   look-back, so repeats never duplicate and late records are caught;
//! - snapshot streams mark rows the vendor stopped listing with
//!   `deleted_at`; daily figures replace whole days;
//! - a stop (rate limit, `max_requests`, a signal) commits or rolls back the
//!   window in progress whole and says so in the [`Report`].

mod checkpoint;
pub mod db;
pub mod engine;
pub mod error;
mod jsonb;
pub mod lock;
pub mod row;
pub mod schema;
pub mod source;
mod spool;
pub mod state;
pub mod status;
pub mod store;
pub mod stream;
pub mod verify;
mod writer;

pub use db::{Db, DbUrl, Dialect};
pub use engine::{Controls, Options, Progress, Report, StopReason, StreamSummary, run};
pub use error::{Result, SyncError};
pub use source::Source;
pub use state::StreamState;
pub use status::{StreamStatus, status};
pub use stream::{Stream, StreamKind};
pub use verify::{Difference, verify};
