//! `kefu agents plan|apply --file ROSTER.csv`: a declarative roster, over
//! the `kefu-roster` library (which apps can use the same way).

use std::collections::BTreeMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use kefu::AgentAdmin;
use kefu_roster::{Applied, Outcome, Plan, PlanOptions, Planned, Roster, RosterError};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::Context;
use crate::cli::{ApplyArgs, Format, RosterArgs};
use crate::exit::Failure;
use crate::output::{Record, RecordWriter};

/// One line of `agents plan`.
#[derive(Debug, Serialize)]
struct PlanRow {
    email: String,
    action: &'static str,
    changes: BTreeMap<&'static str, [Option<String>; 2]>,
}

impl Record for PlanRow {
    const FIELDS: &'static [&'static str] = &["email", "action", "changes"];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("EMAIL", "/email"),
        ("ACTION", "/action"),
        ("CHANGES", "/changes"),
    ];
}

/// One line of `agents apply`.
#[derive(Debug, Serialize)]
struct ApplyRow {
    email: String,
    action: &'static str,
    changes: BTreeMap<&'static str, [Option<String>; 2]>,
    outcome: &'static str,
    message: Option<String>,
}

impl Record for ApplyRow {
    const FIELDS: &'static [&'static str] = &["email", "action", "changes", "outcome", "message"];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("EMAIL", "/email"),
        ("ACTION", "/action"),
        ("CHANGES", "/changes"),
        ("OUTCOME", "/outcome"),
        ("MESSAGE", "/message"),
    ];
}

fn plan_row(p: &Planned) -> PlanRow {
    PlanRow {
        email: p.email.clone(),
        action: p.action.as_str(),
        changes: p.changes_json(),
    }
}

fn apply_row(a: &Applied) -> ApplyRow {
    ApplyRow {
        email: a.planned.email.clone(),
        action: a.planned.action.as_str(),
        changes: a.planned.changes_json(),
        outcome: a.outcome.as_str(),
        message: a.error.as_ref().map(ToString::to_string),
    }
}

/// Reads and checks the file, then plans against the vendor (reads only).
async fn make_plan(admin: &dyn AgentAdmin, args: &RosterArgs) -> Result<Plan, Failure> {
    let roster = read(&args.file)?;
    let options = PlanOptions { prune: args.prune };
    kefu_roster::plan(admin, &roster, options)
        .await
        .map_err(|e| roster_failure(&args.file, e))
}

fn read(path: &Path) -> Result<Roster, Failure> {
    let file = std::fs::File::open(path).map_err(|e| Failure::Usage {
        message: format!("cannot read the roster {}: {e}", path.display()),
        hint: None,
    })?;
    Roster::parse(io::BufReader::new(file)).map_err(|e| roster_failure(path, e))
}

/// Every bad line on the one message line (one JSON error with `-o json`).
fn roster_failure(path: &Path, e: RosterError) -> Failure {
    match e {
        RosterError::Kefu(e) => Failure::Kefu(e),
        RosterError::BadRows(problems) => {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            Failure::Usage {
                message: format!(
                    "{}: {} bad line(s), nothing was sent: {}",
                    path.display(),
                    problems.len(),
                    lines.join("; ")
                ),
                hint: Some(format!(
                    "columns: {} (email required; an empty cell leaves the field as it is)",
                    kefu_roster::COLUMNS.join(", ")
                )),
            }
        }
    }
}

/// `kefu agents plan`.
pub async fn plan(
    ctx: &Context,
    admin: Arc<dyn AgentAdmin>,
    args: RosterArgs,
) -> Result<(), Failure> {
    let plan = make_plan(&*admin, &args).await?;
    let rows: Vec<PlanRow> = plan.items.iter().map(plan_row).collect();
    print(
        ctx.format(),
        &rows,
        |r| {
            vec![
                r.email.clone(),
                r.action.to_owned(),
                changes_text(&r.changes),
            ]
        },
        &["EMAIL", "ACTION", "CHANGES"],
    )
}

/// `kefu agents apply`.
pub async fn apply(
    ctx: &Context,
    admin: Arc<dyn AgentAdmin>,
    args: ApplyArgs,
) -> Result<(), Failure> {
    let plan = make_plan(&*admin, &args.roster).await?;
    let password = crate::ops::password(args.password, args.password_stdin)?;
    let creates = plan
        .items
        .iter()
        .filter(|p| p.action == kefu_roster::Action::Create)
        .count();
    if creates > 0 && password.is_none() {
        return Err(Failure::Usage {
            message: format!(
                "{creates} agent(s) would be created and need an initial password; nothing was sent"
            ),
            hint: Some(
                "pass it on the first line of standard input with --password-stdin".to_owned(),
            ),
        });
    }
    if plan.pending() > 0 && !args.yes && !ctx.dry_run {
        confirm(&plan, args.password_stdin)?;
    }
    let applied = kefu_roster::apply(&*admin, &plan, password.as_ref()).await;
    if ctx.dry_run {
        // The held requests are the output of a dry run.
        return Ok(());
    }
    let rows: Vec<ApplyRow> = applied.iter().map(apply_row).collect();
    print(
        ctx.format(),
        &rows,
        |r| {
            // The long cells last, so the short ones stay in line.
            vec![
                r.email.clone(),
                r.action.to_owned(),
                r.outcome.to_owned(),
                r.message.clone().unwrap_or_default(),
                changes_text(&r.changes),
            ]
        },
        &["EMAIL", "ACTION", "OUTCOME", "MESSAGE", "CHANGES"],
    )?;
    // Every row was tried and printed; the exit code is the first failure's.
    match applied
        .into_iter()
        .find(|a| matches!(a.outcome, Outcome::Failed | Outcome::Unknown))
        .and_then(|a| a.error)
    {
        Some(e) => Err(Failure::Kefu(e)),
        None => Ok(()),
    }
}

/// Asks on the terminal; without one, `--yes` is required.
fn confirm(plan: &Plan, stdin_used: bool) -> Result<(), Failure> {
    let stdin = io::stdin();
    if stdin_used || !stdin.is_terminal() {
        return Err(Failure::Usage {
            message: "`agents apply` asks before changing anything, and standard input is not a terminal: pass --yes".to_owned(),
            hint: Some("review the changes with `kefu agents plan --file ...`, then run `agents apply --yes`".to_owned()),
        });
    }
    let mut err = io::stderr().lock();
    for p in plan
        .items
        .iter()
        .filter(|p| p.action != kefu_roster::Action::None)
    {
        let _ = writeln!(
            err,
            "  {:<8} {} {}",
            p.action.as_str(),
            p.email,
            changes_text(&p.changes_json())
        );
    }
    let _ = write!(
        err,
        "Apply {} change(s) to {}? [y/N] ",
        plan.pending(),
        plan.vendor
    );
    let _ = err.flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Local(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Failure::Local("not applied: nothing was sent".to_owned()))
    }
}

/// `nickname: "Al" → "Alice", max_sessions: 5 → 10` (`-` for none).
fn changes_text(changes: &BTreeMap<&'static str, [Option<String>; 2]>) -> String {
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    changes
        .iter()
        .map(|(field, [old, new])| format!("{field}: {} → {}", shown(old), shown(new)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A table shows every change whole (a cell would be cut); the other formats
/// are the usual record writer's.
fn print<R: Record>(
    format: Format,
    rows: &[R],
    cells: impl Fn(&R) -> Vec<String>,
    headers: &[&str],
) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    if format != Format::Table {
        let mut writer = RecordWriter::new::<R>(format, out).map_err(Failure::output)?;
        for r in rows {
            writer.write(r).map_err(Failure::output)?;
        }
        return writer.finish().map(drop).map_err(Failure::output);
    }
    let table: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut line = |cells: Vec<String>| -> io::Result<()> {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i < last {
                text.push_str(&" ".repeat(widths[i] - cell.width() + 2));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(headers.iter().map(|h| (*h).to_owned()).collect()).map_err(Failure::output)?;
    for row in table {
        line(row).map_err(Failure::output)?;
    }
    Ok(())
}
