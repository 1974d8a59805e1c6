use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{AgentDayStats, AgentStats, AgentStatusLog, ReportExport, ReportKind};
use crate::{Error, Operation, Provider, RecordStream, Result};

/// Statistics and prepared reports.
///
/// Defaults fail with [`Error::Unsupported`] without I/O.
#[async_trait]
pub trait Reports: Provider {
    /// Per-agent figures for each day in `[from, to]`.
    async fn agent_stats(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<AgentStats>> {
        let _ = (from, to);
        Err(Error::unsupported(self.vendor(), Operation::AgentStats))
    }

    /// One row per agent and day in `[from, to]` (days in the vendor's
    /// zone), streamed: for vendors that derive the figures themselves
    /// (Easemob, from its session history). Same operation as
    /// [`Reports::agent_stats`].
    fn agent_day_stats(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<RecordStream<AgentDayStats>> {
        let _ = (from, to);
        Err(Error::unsupported(self.vendor(), Operation::AgentStats))
    }

    /// The prepared report file of one day.
    async fn export_report(&self, kind: ReportKind, date: NaiveDate) -> Result<ReportExport> {
        let _ = (kind, date);
        Err(Error::unsupported(self.vendor(), Operation::ExportReport))
    }

    /// Every agent status change in `[from, to)`, however long the range.
    fn agent_status_log(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<RecordStream<AgentStatusLog>> {
        let _ = (from, to);
        Err(Error::unsupported(self.vendor(), Operation::AgentStatusLog))
    }
}
