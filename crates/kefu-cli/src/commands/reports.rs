//! `kefu reports agent-stats|export|agent-status` (Sobot; Easemob derives
//! agent-stats from its session history).

use kefu::model::ReportKind;

use super::Context;
use crate::cli::{ReportKindArg, ReportsCommand};
use crate::exit::Failure;
use crate::window;

/// Runs one `reports` command.
pub async fn run(ctx: &Context, command: ReportsCommand) -> Result<(), Failure> {
    match command {
        ReportsCommand::AgentStats(args) => {
            let from = window::date("--from", &args.from)?;
            let to = window::date("--to", &args.to)?;
            window::ordered(&from, &to, (&args.from, &args.to))?;
            // A vendor that derives the figures streams one row per agent
            // and day (Easemob); one with a report API answers as a list.
            match ctx.client.reports().agent_day_stats(from, to) {
                Ok(stream) => ctx.print_stream(stream).await.map(drop),
                Err(kefu::Error::Unsupported { .. }) => {
                    let stats = ctx.client.reports().agent_stats(from, to).await?;
                    ctx.print_list(&stats)
                }
                Err(e) => Err(e.into()),
            }
        }
        ReportsCommand::Export(args) => {
            let date = window::date("--date", &args.date)?;
            let kind = match args.kind {
                ReportKindArg::Sessions => ReportKind::Sessions,
                ReportKindArg::ResponseTimes => ReportKind::ResponseTimes,
            };
            let report = ctx.client.reports().export_report(kind, date).await?;
            ctx.print_one(&report)
        }
        ReportsCommand::AgentStatus(args) => {
            // The trait's range is [from, to): a bare --to date counts whole.
            let from = window::start("--from", &args.from, ctx.zone)?;
            let to = window::end_exclusive("--to", &args.to, ctx.zone)?;
            window::ordered(&from, &to, (&args.from, &args.to))?;
            let stream = ctx.client.reports().agent_status_log(from, to)?;
            ctx.print_stream(stream).await.map(drop)
        }
    }
}
