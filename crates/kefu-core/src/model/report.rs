use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Extra;
use crate::error::{Error, Result};

/// One agent's daily service figures (Sobot `tenantStaffJobList` item).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentStats {
    /// `staffid`.
    pub agent_id: String,
    /// `companyid`.
    pub company_id: String,
    /// First-reception sessions with a first response (`first_response_time_set`).
    pub first_responses: Option<u64>,
    /// First responses after a transfer (`transfer_first_response_count`).
    pub transfer_first_responses: Option<u64>,
    /// Valid consulting sessions (`session_human_visitor_consult`).
    pub valid_consultations: Option<u64>,
    /// Share of first responses within 60 s, in percent (`"100%"` → 100.0).
    pub first_response_in_60s_percent: Option<f64>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// One agent's figures for one day, derived from the session history
/// (Easemob, which has no report API; see `docs/easemob.md`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentDayStats {
    /// The agent who served the sessions (`agentUserId`).
    pub agent_id: String,
    /// The day, in the tenant's zone, the sessions stopped on.
    pub day: NaiveDate,
    /// Sessions the agent served that stopped that day.
    pub sessions: u64,
    /// Of those, sessions marked transferred.
    pub transferred: u64,
    /// Mean of stop minus start over the sessions that were picked up.
    pub mean_handle_seconds: Option<f64>,
    /// Median of the same (the mean of the middle two for an even count).
    pub median_handle_seconds: Option<f64>,
    /// Satisfaction score (`"0"`..`"5"`) → number of sessions rated so.
    pub satisfaction: std::collections::BTreeMap<String, u64>,
}

/// One change of an agent's status (Sobot `getStaffLogInfos`, flattened).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentStatusLog {
    /// Merchant company id.
    pub company_id: String,
    /// Agent id (`staffId`).
    pub agent_id: String,
    /// When (`datetime`, epoch ms).
    #[serde(serialize_with = "super::instant::option")]
    pub at: Option<DateTime<Utc>>,
    /// Status entered (`operationAction`: 在线, 离线, 忙碌, ...).
    pub status: Option<String>,
    /// Where: 0 pc, 2 app (`source`).
    pub source: Option<i64>,
    /// Vendor fields not mapped above (`datetimeFormat`, ...).
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Which prepared report to fetch (Sobot `tenantExportData` `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportKind {
    /// Session statistics (type 7).
    Sessions,
    /// Response-time statistics (type 8).
    ResponseTimes,
}

impl ReportKind {
    /// The vendor's type code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Sessions => "7",
            Self::ResponseTimes => "8",
        }
    }
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sessions => "sessions",
            Self::ResponseTimes => "response-times",
        })
    }
}

impl FromStr for ReportKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sessions" | "7" => Ok(Self::Sessions),
            "response-times" | "8" => Ok(Self::ResponseTimes),
            _ => Err(Error::invalid(
                "kind",
                format!("must be sessions or response-times, not {s:?}"),
            )),
        }
    }
}

/// A prepared report file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportExport {
    /// Which report.
    pub kind: ReportKind,
    /// The day it covers (`resultDate`).
    pub date: Option<NaiveDate>,
    /// Where to download it (`filePath` / `file_path`).
    pub file_url: Option<String>,
    /// When it was prepared (`createTime`, epoch ms).
    #[serde(serialize_with = "super::instant::option")]
    pub created_at: Option<DateTime<Utc>>,
    /// Description.
    pub description: Option<String>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}
