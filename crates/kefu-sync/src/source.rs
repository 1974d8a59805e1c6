//! Where records come from: the four `kefu-core` traits, so any vendor that
//! implements them can be synced.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::stream::{BoxStream, StreamExt};
use kefu_core::model::{AgentQuery, AgentStatusLog, Session, SessionQuery, TenantQuery};
use kefu_core::{AgentAdmin, Error, Reports, SessionHistory, TenantAdmin, Vendor};

use crate::row::{self, Row};
use crate::stream::Stream;

/// The rows of a listing, as they arrive.
pub type Rows = BoxStream<'static, Result<Row, Error>>;

/// The records of an incremental stream, as they arrive.
pub type Records = BoxStream<'static, Result<Record, Error>>;

/// A record of an incremental stream, before it is a row.
///
/// Encoding a record's JSON and hashing it is most of what a sync does
/// beyond an export; kept apart from the fetching, it runs a batch at a
/// time on a task of its own instead of in line with every page
/// (docs/sync.md, Performance).
#[derive(Debug, Clone)]
// Records are moved into batches one by one: a box each would be one more
// allocation per record, on the path this type exists to make cheaper.
#[allow(clippy::large_enum_variant)]
pub enum Record {
    /// An Easemob session.
    Session(Session),
    /// A Sobot agent status log entry.
    StatusLog(AgentStatusLog),
}

impl Record {
    /// The record as a row.
    pub fn to_row(&self) -> Result<Row, Error> {
        match self {
            Self::Session(s) => row::session(s),
            Self::StatusLog(e) => row::status_log(e),
        }
    }
}

/// One vendor account, seen through the traits.
#[derive(Clone)]
pub struct Source {
    vendor: Vendor,
    account: String,
    tenants: Arc<dyn TenantAdmin>,
    agents: Arc<dyn AgentAdmin>,
    sessions: Arc<dyn SessionHistory>,
    reports: Arc<dyn Reports>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("vendor", &self.vendor)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Source {
    /// An account (`account`: Easemob tenant id or Sobot unionCode) and the
    /// vendor's implementations of the traits.
    pub fn new(
        vendor: Vendor,
        account: impl Into<String>,
        tenants: Arc<dyn TenantAdmin>,
        agents: Arc<dyn AgentAdmin>,
        sessions: Arc<dyn SessionHistory>,
        reports: Arc<dyn Reports>,
    ) -> Self {
        Self {
            vendor,
            account: account.into(),
            tenants,
            agents,
            sessions,
            reports,
        }
    }

    /// The vendor.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// The account column's value.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The records of an incremental stream in `[from, to]`, not yet rows:
    /// the engine turns them into rows a batch at a time, beside the
    /// fetching ([`Record::to_row`]).
    pub fn records(
        &self,
        stream: Stream,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Records, Error> {
        match stream {
            Stream::Sessions => {
                let q = SessionQuery::stopped_between(from, to);
                Ok(self
                    .sessions
                    .sessions(&q)?
                    .map(|r| r.map(Record::Session))
                    .boxed())
            }
            Stream::AgentStatus => Ok(self
                .reports
                .agent_status_log(from, to)?
                .map(|r| r.map(Record::StatusLog))
                .boxed()),
            _ => Err(Error::invalid(
                "streams",
                format!("{stream} is not incremental"),
            )),
        }
    }

    /// The rows of an incremental stream in `[from, to]`.
    pub fn window(
        &self,
        stream: Stream,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Rows, Error> {
        Ok(self
            .records(stream, from, to)?
            .map(|r| r.and_then(|r| r.to_row()))
            .boxed())
    }

    /// The vendor's own count of an incremental stream's records whose time
    /// lies in `[from, to)`, when it gives one (one small request); `None`
    /// when it does not, and `sync verify` compares ids instead.
    ///
    /// Session times are whole seconds (as `kefu-easemob`'s walk also
    /// relies on), and the document does not say whether `stopDateTo` is
    /// inclusive: the window asked ends half a second before the first
    /// whole second at or after each bound, so no session lies on an end
    /// and the count is that of `[from, to)` whichever way the vendor reads
    /// its ends.
    pub async fn window_total(
        &self,
        stream: Stream,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Option<u64>, Error> {
        match stream {
            Stream::Sessions => {
                let (Some(a), Some(b)) = (half_second_before(from), half_second_before(to)) else {
                    return Ok(None);
                };
                if b < a {
                    return Ok(Some(0));
                }
                self.sessions
                    .session_total(&SessionQuery::stopped_between(a, b))
                    .await
            }
            _ => Ok(None),
        }
    }

    /// Every row of a snapshot stream.
    pub async fn snapshot(&self, stream: Stream) -> Result<Rows, Error> {
        let iter = |rows: Vec<Result<Row, Error>>| futures_util::stream::iter(rows).boxed();
        match stream {
            Stream::Agents => Ok(self
                .agents
                .list_agents(&AgentQuery::default())?
                .map(|r| r.and_then(|a| row::agent(&a)))
                .boxed()),
            Stream::Roles => {
                let roles = self.agents.list_roles().await?;
                Ok(iter(roles.iter().map(row::role).collect()))
            }
            Stream::Tenants => Ok(self
                .tenants
                .list_tenants(&TenantQuery::default())?
                .map(|r| r.and_then(|t| row::tenant(&t)))
                .boxed()),
            Stream::AppKeys => {
                let keys = self.tenants.app_keys().await?;
                Ok(iter(keys.iter().map(row::app_key).collect()))
            }
            _ => Err(Error::invalid(
                "streams",
                format!("{stream} is not a snapshot"),
            )),
        }
    }

    /// The daily figures of `day`.
    pub async fn day(&self, day: NaiveDate) -> Result<Vec<Row>, Error> {
        self.reports
            .agent_stats(day, day)
            .await?
            .iter()
            .map(|s| row::agent_stats(s, day))
            .collect()
    }
}

/// Half a second before the first whole second at or after `t`: a bound no
/// whole-second time lies on, with the same whole seconds on each side.
fn half_second_before(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let ms = t.timestamp_millis();
    let ceil = ms.div_euclid(1000) * 1000 + if ms.rem_euclid(1000) == 0 { 0 } else { 1000 };
    DateTime::from_timestamp_millis(ceil - 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_second_bounds_keep_whole_seconds_on_their_side() {
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).expect("t");
        // A whole second: the bound is just before it, so it counts as in.
        assert_eq!(half_second_before(at(10_000)), Some(at(9_500)));
        // Inside a second: the next whole second is the first one in.
        assert_eq!(half_second_before(at(10_001)), Some(at(10_500)));
        assert_eq!(half_second_before(at(10_999)), Some(at(10_500)));
        assert_eq!(half_second_before(at(-1)), Some(at(-500)));
    }
}
