//! The command line as clap reads it: global options, every command of the
//! contract (`/work/shared/CLI_CONTRACT.md`) and their flags.
//!
//! Only shapes and spellings live here; what a command does is in
//! `commands/`. Every command carries an `Example:` in its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kefu::Secret;

/// The `kefu` command line.
#[derive(Debug, Parser)]
#[command(
    name = "kefu",
    version,
    about = about(),
    long_about = long_about(),
    after_help = "Example: kefu --sandbox --vendor easemob sessions export --from 2024-05-01 --to 2024-05-31 --out sessions-2024-05.jsonl",
    propagate_version = true
)]
pub struct Cli {
    /// Which vendor the command talks to [env: KEFU_VENDOR].
    // The environment variables of these options are read by the CLI, not by
    // clap, so that a set-but-empty variable counts as unset.
    #[arg(long, global = true, value_parser = vendor_parser())]
    pub vendor: Option<kefu::Vendor>,

    /// Run against an embedded, seeded emulator of the vendor: no
    /// credentials, no network [env: KEFU_SANDBOX=1].
    #[arg(long, global = true)]
    pub sandbox: bool,

    /// Output format [default: table; jsonl for `sessions export`].
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,

    /// Config file with named profiles [env: KEFU_CONFIG] [default:
    /// kefu/config.toml in the user's config directory].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Profile of the config file to use [env: KEFU_PROFILE].
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// For a command that writes: check the input and print the write
    /// requests it would send (secrets as ***) on stdout; send no write, exit
    /// 0 [env: KEFU_DRY_RUN=1].
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Write every HTTP exchange of this run to DIR, one JSON file each,
    /// secrets as *** (kefu-testkit replays such a folder) [env: KEFU_RECORD].
    #[arg(long, global = true, value_name = "DIR")]
    pub record: Option<PathBuf>,

    /// One line on stderr per HTTP exchange: method, path, status,
    /// milliseconds (never a secret).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Where tokens and rate budgets live, shared by every process naming
    /// the same store: memory, file:DIR or redis://HOST:PORT[/DB]
    /// [env: KEFU_SHARED_STORE] [default: file: the user's cache directory;
    /// memory with --sandbox].
    #[arg(long, global = true, value_name = "STORE")]
    pub shared_store: Option<String>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `Sobot (智齿) and Easemob Kefu (环信客服云) from a terminal`: the listed
/// vendors' titles, in registry order.
fn about() -> String {
    let titles: Vec<&str> = kefu::registry::listed().map(|d| d.title).collect();
    format!("{} from a terminal", titles.join(" and "))
}

/// The about line, then where settings come from: each listed vendor's
/// `KEFU_<NAME>_*` prefix, by name.
fn long_about() -> String {
    let mut prefixes: Vec<String> = kefu::registry::listed()
        .map(|d| format!("KEFU_{}_*", d.vendor.as_str().to_ascii_uppercase()))
        .collect();
    prefixes.sort();
    format!(
        "{}.\n\nCredentials come from the environment ({}) or a config file profile; \
         --sandbox runs any command against an embedded, seeded emulator with no \
         credentials and no network.",
        about(),
        prefixes.join(", ")
    )
}

/// The `--vendor` values: the registry's names (a vendor that is not
/// listed, like the test vendor, is accepted but hidden from help).
fn vendor_parser() -> impl clap::builder::TypedValueParser<Value = kefu::Vendor> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

    let values = kefu::registry::all().iter().map(|d| {
        PossibleValue::new(d.vendor.as_str())
            .help(d.title)
            .hide(!d.listed)
    });
    PossibleValuesParser::new(values).try_map(|name: String| {
        kefu::registry::find(&name)
            .map(|d| d.vendor)
            .ok_or("not a vendor of this build")
    })
}

/// How records are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON document (an array for lists).
    Json,
    /// One JSON object a line.
    Jsonl,
    /// Comma-separated, with a header; nested fields as JSON text.
    Csv,
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Merchant tenants of a platform account (Sobot).
    #[command(
        subcommand,
        after_help = "Example: kefu --vendor sobot tenants list --status open"
    )]
    Tenants(TenantsCommand),

    /// Agents (坐席): list, on- and off-board.
    #[command(
        subcommand,
        after_help = "Example: kefu --vendor easemob agents list --search alice"
    )]
    Agents(AgentsCommand),

    /// Roles agents can hold.
    #[command(subcommand, after_help = "Example: kefu --vendor easemob roles list")]
    Roles(RolesCommand),

    /// Service-session history (Easemob).
    #[command(
        subcommand,
        after_help = "Example: kefu --vendor easemob sessions export --from 2024-05-01 --to 2024-05-31 --out may.jsonl"
    )]
    Sessions(SessionsCommand),

    /// A customer's conversations with every merchant (Sobot).
    #[command(
        subcommand,
        after_help = "Example: kefu --vendor sobot chats list --partner-id 8810"
    )]
    Chats(ChatsCommand),

    /// Statistics and prepared reports (Sobot; Easemob: agent-stats derived
    /// from the session history).
    #[command(
        subcommand,
        after_help = "Example: kefu --vendor sobot reports agent-stats --from 2024-05-01 --to 2024-05-07"
    )]
    Reports(ReportsCommand),

    /// Keep a database current with the vendor account (SQLite or PostgreSQL).
    #[command(
        subcommand,
        after_help = "Example: kefu --vendor easemob sync run --db kefu.db && kefu sync status"
    )]
    Sync(SyncCommand),

    /// Embedded vendor emulators.
    #[command(
        subcommand,
        after_help = "Example: kefu sandbox serve --vendor easemob --port 8080"
    )]
    Sandbox(SandboxCommand),

    /// Print a shell completion script.
    #[command(after_help = "Example: kefu completions bash > /etc/bash_completion.d/kefu")]
    Completions(CompletionsArgs),
}

/// `kefu tenants ...`
#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// List every tenant (all pages).
    #[command(
        after_help = "Example: kefu --vendor sobot tenants list --status open --from 2024-01-01 --name 旗舰店"
    )]
    List(TenantsListArgs),

    /// Open a tenant.
    #[command(
        after_help = "Example: kefu --vendor sobot tenants add --customer-code shop-42 --name 'Shop 42' --email admin@shop42.example --password 's3cret-Pass' --max-agents 5"
    )]
    Add(TenantsAddArgs),

    /// Change a tenant (every required field again).
    #[command(
        after_help = "Example: kefu --vendor sobot tenants update --customer-code shop-42 --name 'Shop 42' --email admin@shop42.example --max-agents 10"
    )]
    Update(TenantsUpdateArgs),

    /// The app keys of every tenant.
    #[command(
        name = "app-keys",
        after_help = "Example: kefu --vendor sobot -o csv tenants app-keys"
    )]
    AppKeys,
}

/// Status filter of `tenants list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TenantStatusArg {
    /// Open and closed.
    #[default]
    All,
    /// Open only.
    Open,
    /// Closed only.
    Closed,
}

/// `kefu tenants list`
#[derive(Debug, Args)]
pub struct TenantsListArgs {
    /// Which tenants by status.
    #[arg(long, value_enum, default_value_t = TenantStatusArg::All)]
    pub status: TenantStatusArg,
    /// Created on or after (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Created on or before (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Company name contains (fuzzy).
    #[arg(long, value_name = "V", group = "search")]
    pub name: Option<String>,
    /// Contact account contains (fuzzy).
    #[arg(long, value_name = "V", group = "search")]
    pub account: Option<String>,
    /// Super-admin phone contains (fuzzy).
    #[arg(long, value_name = "V", group = "search")]
    pub phone: Option<String>,
    /// External id equals (exact).
    #[arg(long, value_name = "V", group = "search")]
    pub external_id: Option<String>,
}

/// `kefu tenants add`
#[derive(Debug, Args)]
pub struct TenantsAddArgs {
    /// The platform's own unique id of the merchant (customerCode).
    #[arg(long, value_name = "C")]
    pub customer_code: String,
    /// Company name.
    #[arg(long, value_name = "N")]
    pub name: String,
    /// Super-admin email.
    #[arg(long, value_name = "E")]
    pub email: String,
    /// Super-admin password (never printed; prefer --password-stdin).
    #[arg(
        long,
        value_name = "P",
        required_unless_present = "password_stdin",
        conflicts_with = "password_stdin"
    )]
    pub password: Option<Secret>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Agent seats.
    #[arg(long, value_name = "N")]
    pub max_agents: u32,
    /// Contact person.
    #[arg(long, value_name = "X")]
    pub contact_name: Option<String>,
    /// Contact phone.
    #[arg(long, value_name = "X")]
    pub contact_tel: Option<String>,
    /// Icon URL.
    #[arg(long, value_name = "URL")]
    pub icon: Option<String>,
}

/// `kefu tenants update`
#[derive(Debug, Args)]
pub struct TenantsUpdateArgs {
    /// Which tenant (customerCode).
    #[arg(long, value_name = "C")]
    pub customer_code: String,
    /// Company name.
    #[arg(long, value_name = "N")]
    pub name: String,
    /// Super-admin email.
    #[arg(long, value_name = "E")]
    pub email: String,
    /// Agent seats.
    #[arg(long, value_name = "N")]
    pub max_agents: u32,
    /// Contact person.
    #[arg(long, value_name = "X")]
    pub contact_name: Option<String>,
    /// Contact phone.
    #[arg(long, value_name = "X")]
    pub contact_tel: Option<String>,
}

/// `kefu agents ...`
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// List every agent (all pages).
    #[command(after_help = "Example: kefu --vendor easemob -o json agents list --search alice")]
    List(AgentsListArgs),

    /// Create an agent.
    #[command(
        after_help = "Example: kefu --vendor easemob agents add --email alice@shop.example --nickname Alice --name 'Alice Wang' --password 's3cret-Pass' --role agent --max-sessions 10"
    )]
    Add(AgentsAddArgs),

    /// Change an agent.
    #[command(
        after_help = "Example: kefu --vendor easemob agents update --email alice@shop.example --max-sessions 20"
    )]
    Update(AgentsUpdateArgs),

    /// Delete an agent.
    #[command(
        after_help = "Example: kefu --vendor sobot agents delete --email alice@shop.example --tenant shop-42"
    )]
    Delete(AgentsDeleteArgs),

    /// Let a disabled agent log in again.
    #[command(
        after_help = "Example: kefu --vendor easemob agents enable --email alice@shop.example"
    )]
    Enable(EmailArgs),

    /// Stop an agent from logging in.
    #[command(
        after_help = "Example: kefu --vendor easemob agents disable --email alice@shop.example"
    )]
    Disable(EmailArgs),

    /// Set an agent's password.
    #[command(
        name = "set-password",
        after_help = "Example: kefu --vendor easemob agents set-password --email alice@shop.example --password 'n3w-Pass'"
    )]
    SetPassword(SetPasswordArgs),

    /// Show what it would take to bring the vendor to a roster file (sends
    /// no write).
    #[command(
        after_help = "Example: kefu --vendor easemob agents plan --file roster.csv --prune\n\n\
            ROSTER.csv columns: email (required), nickname, name, role, max_sessions, phone, \
            agent_number, enabled (yes/no); an empty cell leaves the field as it is."
    )]
    Plan(RosterArgs),

    /// Bring the vendor to a roster file: the plan's actions, after a
    /// confirmation (--yes for scripts); prints each row's outcome.
    #[command(
        after_help = "Example: kefu --vendor easemob agents apply --file roster.csv --yes --password-stdin < initial-password.txt"
    )]
    Apply(ApplyArgs),
}

/// `kefu agents plan`
#[derive(Debug, Args)]
pub struct RosterArgs {
    /// The roster (CSV with a header row).
    #[arg(long, value_name = "ROSTER.csv")]
    pub file: PathBuf,
    /// The merchant's customerCode (Sobot: required).
    #[arg(long, value_name = "C")]
    pub tenant: Option<String>,
    /// Also delete the agents the roster does not name (Easemob only).
    #[arg(long)]
    pub prune: bool,
}

/// `kefu agents apply`
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The roster and what to plan.
    #[command(flatten)]
    pub roster: RosterArgs,
    /// Do not ask; needed when not on a terminal.
    #[arg(long)]
    pub yes: bool,
    /// Initial password of the agents created (prefer --password-stdin).
    #[arg(long, value_name = "P", conflicts_with = "password_stdin")]
    pub password: Option<Secret>,
    /// Read the new agents' initial password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `kefu agents list`
#[derive(Debug, Args)]
pub struct AgentsListArgs {
    /// Fuzzy match over email, real name, phone and work number.
    #[arg(long, value_name = "Q")]
    pub search: Option<String>,
}

/// `kefu agents add`
#[derive(Debug, Args)]
pub struct AgentsAddArgs {
    /// Login email.
    #[arg(long, value_name = "E")]
    pub email: String,
    /// Display name.
    #[arg(long, value_name = "N")]
    pub nickname: String,
    /// Real name.
    #[arg(long, value_name = "R")]
    pub name: String,
    /// Initial password (never printed; prefer --password-stdin).
    #[arg(
        long,
        value_name = "P",
        required_unless_present = "password_stdin",
        conflicts_with = "password_stdin"
    )]
    pub password: Option<Secret>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Role id or name (Easemob admin, agent; Sobot online-agent, online-admin,
    /// ticket-agent, ticket-admin).
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// Concurrent session limit.
    #[arg(long, value_name = "N")]
    pub max_sessions: u32,
    /// Mobile phone.
    #[arg(long, value_name = "PH")]
    pub phone: Option<String>,
    /// Work number.
    #[arg(long, value_name = "W")]
    pub agent_number: Option<String>,
    /// The merchant's customerCode (Sobot: required).
    #[arg(long, value_name = "C")]
    pub tenant: Option<String>,
}

/// `kefu agents update`
#[derive(Debug, Args)]
pub struct AgentsUpdateArgs {
    /// Which agent (login email).
    #[arg(long, value_name = "E")]
    pub email: String,
    /// New display name.
    #[arg(long, value_name = "N")]
    pub nickname: Option<String>,
    /// New real name.
    #[arg(long, value_name = "R")]
    pub name: Option<String>,
    /// New mobile phone.
    #[arg(long, value_name = "PH")]
    pub phone: Option<String>,
    /// New role (id or name).
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// New concurrent session limit.
    #[arg(long, value_name = "N")]
    pub max_sessions: Option<u32>,
    /// New work number.
    #[arg(long, value_name = "W")]
    pub agent_number: Option<String>,
    /// The merchant's customerCode (Sobot: required).
    #[arg(long, value_name = "C")]
    pub tenant: Option<String>,
}

/// `kefu agents delete`
#[derive(Debug, Args)]
pub struct AgentsDeleteArgs {
    /// Which agent (login email).
    #[arg(long, value_name = "E")]
    pub email: String,
    /// The merchant's customerCode (Sobot: required).
    #[arg(long, value_name = "C")]
    pub tenant: Option<String>,
}

/// An agent by email.
#[derive(Debug, Args)]
pub struct EmailArgs {
    /// Which agent (login email).
    #[arg(long, value_name = "E")]
    pub email: String,
}

/// `kefu agents set-password`
#[derive(Debug, Args)]
pub struct SetPasswordArgs {
    /// Which agent (login email).
    #[arg(long, value_name = "E")]
    pub email: String,
    /// The new password (never printed; prefer --password-stdin).
    #[arg(
        long,
        value_name = "P",
        required_unless_present = "password_stdin",
        conflicts_with = "password_stdin"
    )]
    pub password: Option<Secret>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `kefu roles ...`
#[derive(Debug, Subcommand)]
pub enum RolesCommand {
    /// The roles agents can hold.
    #[command(after_help = "Example: kefu --vendor sobot roles list")]
    List,
}

/// `kefu sessions ...`
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Stream every session of a window as JSONL, one session a line.
    #[command(
        after_help = "Example: kefu --vendor easemob sessions export --from 2024-05-01 --to 2024-05-31 --by stop --channel webim --out may.jsonl"
    )]
    Export(SessionsExportArgs),
}

/// Which session time `--from`/`--to` apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SessionTimeArg {
    /// When the session ended.
    #[default]
    Stop,
    /// When an agent picked it up.
    Start,
    /// When it was created.
    Create,
}

/// A session channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChannelArg {
    /// Web chat.
    Webim,
    /// Mobile app.
    App,
    /// WeChat.
    Weixin,
    /// Weibo.
    Weibo,
    /// Call centre.
    Phone,
}

/// `kefu sessions export`
#[derive(Debug, Args)]
pub struct SessionsExportArgs {
    /// Window start: RFC 3339 or YYYY-MM-DD (start of that day, UTC+8).
    #[arg(long, value_name = "T")]
    pub from: String,
    /// Window end, inclusive: RFC 3339 or YYYY-MM-DD (through the end of that day, UTC+8).
    #[arg(long, value_name = "T")]
    pub to: String,
    /// Which session time the window applies to.
    #[arg(long, value_enum, default_value_t = SessionTimeArg::Stop)]
    pub by: SessionTimeArg,
    /// Only sessions of this channel.
    #[arg(long, value_enum)]
    pub channel: Option<ChannelArg>,
    /// Write to FILE (atomically: a temporary file renamed at the end) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `kefu chats ...`
#[derive(Debug, Subcommand)]
pub enum ChatsCommand {
    /// One customer's conversations with every merchant.
    #[command(after_help = "Example: kefu --vendor sobot chats list --partner-id 8810")]
    List(ChatsListArgs),
}

/// `kefu chats list`
#[derive(Debug, Args)]
pub struct ChatsListArgs {
    /// The customer's id on the platform (partnerId).
    #[arg(long, value_name = "P")]
    pub partner_id: String,
}

/// `kefu reports ...`
#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Per-agent figures for each day of a range (Easemob: one row per agent
    /// and day, derived from the session history).
    #[command(
        name = "agent-stats",
        after_help = "Example: kefu --vendor easemob reports agent-stats --from 2024-05-01 --to 2024-05-07"
    )]
    AgentStats(DateRangeArgs),

    /// The prepared report file of one day.
    #[command(
        after_help = "Example: kefu --vendor sobot reports export --kind sessions --date 2024-05-01"
    )]
    Export(ReportsExportArgs),

    /// Every agent status change in a range, however long.
    #[command(
        name = "agent-status",
        after_help = "Example: kefu --vendor sobot reports agent-status --from 2024-05-01 --to 2024-05-31"
    )]
    AgentStatus(TimeRangeArgs),
}

/// A range of calendar days.
#[derive(Debug, Args)]
pub struct DateRangeArgs {
    /// First day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last day, inclusive (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: String,
}

/// A range of instants.
#[derive(Debug, Args)]
pub struct TimeRangeArgs {
    /// Start: RFC 3339 or YYYY-MM-DD (start of that day, UTC+8).
    #[arg(long, value_name = "T")]
    pub from: String,
    /// End: RFC 3339 (exclusive) or YYYY-MM-DD (through the end of that day, UTC+8).
    #[arg(long, value_name = "T")]
    pub to: String,
}

/// Which prepared report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportKindArg {
    /// Session statistics (type 7).
    Sessions,
    /// Response-time statistics (type 8).
    ResponseTimes,
}

/// `kefu reports export`
#[derive(Debug, Args)]
pub struct ReportsExportArgs {
    /// Which report.
    #[arg(long, value_enum)]
    pub kind: ReportKindArg,
    /// The day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub date: String,
}

/// `kefu sandbox ...`
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve a seeded emulator until Ctrl-C; the first stdout line is JSON
    /// with the environment that points kefu at it.
    #[command(
        after_help = "Example: kefu sandbox serve --vendor sobot --port 8080 --seed 7 --tenants 3\n\n\
            Control endpoints: POST /__sandbox/reset, GET|DELETE /__sandbox/requests, \
            POST|DELETE /__sandbox/chaos, GET /__sandbox/state, POST /__sandbox/vendor/{action}."
    )]
    Serve(ServeArgs),
}

/// `kefu sandbox serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 [default: a free one].
    #[arg(long, value_name = "P")]
    pub port: Option<u16>,
    /// Random seed of the data [default: 42].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Seeded service sessions (Easemob).
    #[arg(long, value_name = "N")]
    pub sessions: Option<usize>,
    /// Seeded agents (Easemob) or staff per tenant (Sobot).
    #[arg(long, value_name = "N")]
    pub agents: Option<usize>,
    /// Seeded merchant tenants (Sobot).
    #[arg(long, value_name = "N")]
    pub tenants: Option<usize>,
    /// Requests kept in the request log; the oldest are dropped first.
    #[arg(long, value_name = "N", default_value_t = kefu_testkit::sandbox::DEFAULT_LOG_LIMIT)]
    pub log_limit: usize,
}

/// `kefu completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Which shell.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// `kefu sync ...`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Fetch what is new since the last run (plus a look-back) and store it.
    #[command(
        after_help = "Example: kefu --vendor easemob sync run --db postgres://kefu@db/kefu --lookback 2h"
    )]
    Run(RunArgs),
    /// Per account and stream: cursor, last run, rows.
    #[command(after_help = "Example: kefu sync status --db kefu.db")]
    Status(DbArgs),
    /// Compare the database with the vendor over the synced range.
    #[command(after_help = "Example: kefu --vendor easemob sync verify --since 2024-05-01")]
    Verify(VerifyArgs),
}

/// `--db`.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// `sqlite:PATH`, a file path, or `postgres://...` [env: KEFU_DB]
    /// [default: kefu.db].
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
}

/// `sync run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Streams to sync, comma-separated [default: every stream of the vendor].
    #[arg(long, value_name = "S,...")]
    pub streams: Option<String>,
    /// Start of an incremental stream's first run [default: 30 days ago].
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// End of the range [default: now].
    #[arg(long, value_name = "T")]
    pub until: Option<String>,
    /// Re-read before the cursor on every run, like `90m`, `2h`, `1d`
    /// [default: 1h; agent_stats: 2 days].
    #[arg(long, value_name = "DURATION")]
    pub lookback: Option<String>,
    /// Stop (progress saved, exit 7) once this many vendor requests are made.
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
}

/// `sync verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Streams to compare [default: every stream of the vendor].
    #[arg(long, value_name = "S,...")]
    pub streams: Option<String>,
    /// Start of the range [default: where the first sync began].
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// End of the range [default: the synced cursor].
    #[arg(long, value_name = "T")]
    pub until: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let here = format!("{path} {}", cmd.get_name());
            let has = cmd
                .get_after_help()
                .is_some_and(|h| h.to_string().contains("Example: kefu"));
            if !has && cmd.get_name() != "help" {
                missing.push(here.clone());
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &here, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(
            missing.is_empty(),
            "commands without an example: {missing:?}"
        );
    }

    #[test]
    fn passwords_never_show_in_debug() {
        let cli = Cli::try_parse_from([
            "kefu",
            "agents",
            "set-password",
            "--email",
            "a@b.example.com",
            "--password",
            "Hunter2-Hunter2",
        ])
        .expect("parse");
        let dbg = format!("{cli:?}");
        assert!(
            !dbg.contains("Hunter2") && dbg.contains("REDACTED"),
            "{dbg}"
        );
    }

    #[test]
    fn tenant_searches_exclude_each_other() {
        let e = Cli::try_parse_from(["kefu", "tenants", "list", "--name", "a", "--phone", "1"])
            .expect_err("two searches");
        assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict);
    }
}
