//! Statistics: tenantStaffJobList, tenantExportData (type 7 / 8) and
//! getStaffLogInfos.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::stream::{self, StreamExt};
use kefu_core::model::{AgentStats, AgentStatusLog, ReportExport, ReportKind};
use kefu_core::paging::stop_after_error;
use kefu_core::{Operation, RecordStream, Reports, Result, validate};
use kefu_http::WireRequest;

use crate::SobotClient;
use crate::auth::{SignInput, platform_token};
use crate::decode;
use crate::walk::{stitch, window_count, windows};
use crate::wire::{ExportBody, StaffJobBody};

const STAFF_JOB_LIST: &str = "/tenantpro/tenantReport/tenantStaffJobList";
const EXPORT_DATA: &str = "/tenantpro/tenantReport/tenantExportData";
const STAFF_LOG_INFOS: &str = "/tenantpro/coutomer/getStaffLogInfos";

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl SobotClient {
    /// One getStaffLogInfos call for the window `[start, end)`. Both ends are
    /// always sent, so none of the vendor's defaulting rules applies.
    async fn staff_log_window(
        &self,
        window: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<AgentStatusLog>> {
        let s = &self.shared;
        let ts = self.ts_millis().to_string();
        let request = WireRequest::get(Operation::AgentStatusLog, STAFF_LOG_INFOS)
            .query("unionCode", s.union_code.as_str())
            .query("ts", ts.as_str())
            .secret_query("token", platform_token(&s.union_code, &ts, &s.union_key))
            .query("startTime", window.0.timestamp_millis().to_string())
            .query("endTime", window.1.timestamp_millis().to_string());
        let entries = self.call(request, decode::staff_logs).await?;
        Ok(stitch(window, entries))
    }
}

#[async_trait]
impl Reports for SobotClient {
    /// tenantStaffJobList over `[from, to]` (dates inclusive, as the
    /// document's one-day example `start_date = end_date` shows). Sobot
    /// answers one figure per agent for the whole range.
    async fn agent_stats(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<AgentStats>> {
        validate::ordered("start_date", &from, &to)?;
        let s = &self.shared;
        let ts = self.report_ts();
        let (start_date, end_date) = (day(from), day(to));
        let sign = s.report_sign.sign(&SignInput {
            operation: Operation::AgentStats,
            path: STAFF_JOB_LIST,
            union_code: &s.union_code,
            ts: &ts,
            union_key: &s.union_key,
            params: &[("start_date", &start_date), ("end_date", &end_date)],
        });
        let body = StaffJobBody {
            union_code: &s.union_code,
            ts: &ts,
            sign,
            start_date: &start_date,
            end_date: &end_date,
        };
        let request = WireRequest::post(Operation::AgentStats, STAFF_JOB_LIST)
            .idempotent(true)
            .json(&body);
        self.call(request, decode::agent_stats).await
    }

    /// tenantExportData: type 7 (sessions) or 8 (response times) of `date`.
    async fn export_report(&self, kind: ReportKind, date: NaiveDate) -> Result<ReportExport> {
        let s = &self.shared;
        let ts = self.report_ts();
        let date = day(date);
        let sign = s.report_sign.sign(&SignInput {
            operation: Operation::ExportReport,
            path: EXPORT_DATA,
            union_code: &s.union_code,
            ts: &ts,
            union_key: &s.union_key,
            params: &[("type", kind.code()), ("date", &date)],
        });
        let body = ExportBody {
            union_code: &s.union_code,
            ts: &ts,
            sign,
            kind: kind.code(),
            date: &date,
        };
        let request = WireRequest::post(Operation::ExportReport, EXPORT_DATA)
            .idempotent(true)
            .json(&body);
        let zone = s.zone;
        self.call(request, |b| decode::report_export(b, kind, zone))
            .await
    }

    /// getStaffLogInfos over `[from, to)`, however long: one call per week
    /// window, fetched in order as the stream is read.
    fn agent_status_log(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<RecordStream<AgentStatusLog>> {
        validate::ordered("startTime", &from, &to)?;
        // One request a week: refused before the first when there are too many.
        validate::request_count(
            "startTime",
            window_count(from, to),
            "one per week of the range",
            self.shared.max_requests,
        )?;
        let client = self.clone();
        let entries = stream::iter(windows(from, to))
            .then(move |window| {
                let client = client.clone();
                // Decoded on a task of its own, like every page (`kefu_http::on_task`).
                kefu_http::on_task(kefu_core::Vendor::Sobot, async move {
                    client.staff_log_window(window).await
                })
            })
            .flat_map(|result| match result {
                Ok(entries) => stream::iter(entries.into_iter().map(Ok).collect::<Vec<_>>()),
                Err(e) => stream::iter(vec![Err(e)]),
            });
        Ok(stop_after_error(entries))
    }
}
