//! Running a parsed command line: one module per command group.
//!
//! Every vendor command goes the same way, and nothing is sent until the
//! last step: settings → vendor → client (a Config error is exit 2) →
//! capability of the command's operation (exit 3) → the command's own input
//! checks (exit 2) → the call.

mod agents;
mod chats;
mod reports;
mod roles;
mod roster;
mod sessions;
pub mod sync;
mod tenants;

use std::io::{self, Write};
use std::path::PathBuf;

use futures_util::StreamExt;
use kefu::time::Zone;
use kefu::{Client, Operation, RecordStream};

use crate::cli::{
    AgentsCommand, ChatsCommand, Cli, Command, Format, ReportsCommand, RolesCommand,
    SandboxCommand, SessionsCommand, ShellArg, TenantsCommand,
};
use crate::client::{self, Connection};
use crate::config::{EnvLookup, Settings};
use crate::exit::Failure;
use crate::output::{Record, RecordWriter, write_one};

/// What a vendor command runs with.
#[derive(Debug)]
pub struct Context {
    /// The client.
    pub client: Client,
    /// The settings it was built from.
    pub settings: Settings,
    /// `-o`, if given.
    pub format: Option<Format>,
    /// The zone a bare `DATE` is read in.
    pub zone: Zone,
    /// `--dry-run`: writes are held back and printed, not sent.
    pub dry_run: bool,
}

impl Context {
    /// The output format, `table` unless `-o` said otherwise.
    pub fn format(&self) -> Format {
        self.format.unwrap_or(Format::Table)
    }

    /// Writes every record of `stream` to stdout as it arrives.
    pub async fn print_stream<R: Record>(&self, stream: RecordStream<R>) -> Result<u64, Failure> {
        let writer =
            RecordWriter::new::<R>(self.format(), io::stdout().lock()).map_err(Failure::output)?;
        drain(stream, writer).await
    }

    /// Writes a list to stdout.
    pub fn print_list<R: Record>(&self, records: &[R]) -> Result<(), Failure> {
        let mut writer =
            RecordWriter::new::<R>(self.format(), io::stdout().lock()).map_err(Failure::output)?;
        for r in records {
            writer.write(r).map_err(Failure::output)?;
        }
        writer.finish().map(drop).map_err(Failure::output)
    }

    /// Writes one record to stdout.
    pub fn print_one<R: Record>(&self, record: &R) -> Result<(), Failure> {
        write_one(self.format(), record, io::stdout().lock()).map_err(Failure::output)
    }
}

/// Writes each record of `stream` as it arrives; on a failed record, stops
/// and returns that error (what was written stays written).
pub async fn drain<R: Record, W: Write>(
    mut stream: RecordStream<R>,
    mut writer: RecordWriter<W>,
) -> Result<u64, Failure> {
    while let Some(item) = stream.next().await {
        let record = item?;
        writer.write(&record).map_err(Failure::output)?;
    }
    let n = writer.written();
    writer.finish().map_err(Failure::output)?;
    Ok(n)
}

/// The operation a vendor command performs (`None`: not a vendor command).
pub fn operation(command: &Command) -> Option<Operation> {
    Some(match command {
        Command::Tenants(c) => match c {
            TenantsCommand::List(_) => Operation::ListTenants,
            TenantsCommand::Add(_) => Operation::AddTenant,
            TenantsCommand::Update(_) => Operation::UpdateTenant,
            TenantsCommand::AppKeys => Operation::ListAppKeys,
        },
        Command::Agents(c) => match c {
            AgentsCommand::List(_) => Operation::ListAgents,
            AgentsCommand::Add(_) => Operation::AddAgent,
            AgentsCommand::Update(_) => Operation::UpdateAgent,
            AgentsCommand::Delete(_) => Operation::DeleteAgent,
            AgentsCommand::Enable(_) => Operation::EnableAgent,
            AgentsCommand::Disable(_) => Operation::DisableAgent,
            AgentsCommand::SetPassword(_) => Operation::SetAgentPassword,
            // Both need agent writes; the roster finds out what else.
            AgentsCommand::Plan(_) | AgentsCommand::Apply(_) => Operation::AddAgent,
        },
        Command::Roles(RolesCommand::List) => Operation::ListRoles,
        Command::Sessions(SessionsCommand::Export(_)) => Operation::ListSessions,
        Command::Chats(ChatsCommand::List(_)) => Operation::ListChats,
        Command::Reports(c) => match c {
            ReportsCommand::AgentStats(_) => Operation::AgentStats,
            ReportsCommand::Export(_) => Operation::ExportReport,
            ReportsCommand::AgentStatus(_) => Operation::AgentStatusLog,
        },
        Command::Sandbox(_) | Command::Completions(_) | Command::Sync(_) => return None,
    })
}

/// Runs `cli`, reading settings through `env`.
pub async fn run(cli: Cli, env: EnvLookup) -> Result<(), Failure> {
    match &cli.command {
        Command::Completions(args) => return completions(args.shell),
        Command::Sync(c) => return sync::run(&cli, c, env).await,
        Command::Sandbox(SandboxCommand::Serve(args)) => {
            let settings = Settings::env_only(env);
            let vendor = match client::resolve_vendor(cli.vendor, &settings) {
                Ok(vendor) => vendor,
                // A KEFU_VENDOR that is set but wrong says so itself.
                Err(e) if settings.get("KEFU_VENDOR").is_some() => return Err(e.into()),
                Err(_) => {
                    return Err(Failure::Usage {
                        message: "`sandbox serve` needs --vendor".to_owned(),
                        hint: Some(format!(
                            "kefu sandbox serve --vendor {}",
                            crate::vendors::choices()
                        )),
                    });
                }
            };
            return crate::sandbox::serve(vendor, args, io::stdout()).await;
        }
        _ => {}
    }
    let Some(op) = operation(&cli.command) else {
        return Ok(());
    };

    let set = |key: &str| env(key).filter(|v| !v.trim().is_empty());
    let config = cli
        .config
        .clone()
        .or_else(|| set("KEFU_CONFIG").map(PathBuf::from));
    let profile = cli.profile.clone().or_else(|| set("KEFU_PROFILE"));
    let settings = Settings::load(config.as_deref(), profile.as_deref(), env)?;
    let vendor = client::resolve_vendor(cli.vendor, &settings)?;
    let sandbox = cli.sandbox || settings.flag("KEFU_SANDBOX");
    let switches = crate::ops::Switches {
        dry_run: cli.dry_run || settings.flag("KEFU_DRY_RUN"),
        record: cli
            .record
            .clone()
            .or_else(|| settings.get("KEFU_RECORD").map(PathBuf::from)),
        debug: cli.debug,
    };
    let hooked = crate::ops::hook(&switches)?;
    crate::shared_store::remember_flag(cli.shared_store.clone());
    let Connection {
        client,
        settings,
        sandbox: _running,
    } = client::connect(vendor, sandbox, settings, op, hooked.transport.clone()).await?;
    client.capabilities().check(op)?;
    tracing::debug!(vendor = %vendor, operation = %op, sandbox, profile = settings.profile(), "running");

    let zone = crate::vendors::zone_of(vendor, &settings)?;
    let ctx = Context {
        client,
        settings,
        format: cli.output,
        zone,
        dry_run: hooked.dry_run(),
    };
    let result = match cli.command {
        Command::Tenants(c) => tenants::run(&ctx, c).await,
        Command::Agents(c) => agents::run(&ctx, c).await,
        Command::Roles(RolesCommand::List) => roles::list(&ctx).await,
        Command::Sessions(SessionsCommand::Export(args)) => sessions::export(&ctx, args).await,
        Command::Chats(ChatsCommand::List(args)) => chats::list(&ctx, args).await,
        Command::Reports(c) => reports::run(&ctx, c).await,
        Command::Sandbox(_) | Command::Completions(_) | Command::Sync(_) => Ok(()),
    };
    crate::ops::finish(&hooked, ctx.format(), result)
}

/// `kefu completions SHELL`.
fn completions(shell: ShellArg) -> Result<(), Failure> {
    use clap::CommandFactory;
    use clap_complete::Shell;

    let shell = match shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
    };
    // Rendered in memory first: clap_complete panics on a failed write.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kefu", &mut script);
    let mut out = io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .map_err(Failure::output)
}
