//! `kefu sync run | status | verify`: a database kept current with the
//! vendor account (see `docs/sync.md`). The work is `kefu-sync`'s; this
//! module reads the command line, connects, prints, and picks the exit code.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{Duration, Utc};
use kefu::time::Zone;
use kefu::{Client, Error, Operation, Vendor};
use kefu_sync::{
    Controls, Db, DbUrl, Difference, Options, Progress, Source, Stream, StreamStatus,
    StreamSummary, SyncError,
};
use serde::Serialize;

use crate::cli::{Cli, DbArgs, Format, RunArgs, SyncCommand, VerifyArgs};
use crate::client::{self, Connection};
use crate::config::{EnvLookup, Settings};
use crate::exit::Failure;
use crate::output::{Record, RecordWriter};
use crate::window;

/// Runs `kefu sync ...`.
pub async fn run(cli: &Cli, command: &SyncCommand, env: EnvLookup) -> Result<(), Failure> {
    let settings = load_settings(cli, env)?;
    let format = cli.output.unwrap_or(Format::Table);
    match command {
        SyncCommand::Status(args) => {
            let url = db_url(args, &settings)?;
            // Reading status never creates a database.
            if let Some(path) = url.sqlite_path()
                && !path.exists()
            {
                return Err(Failure::Usage {
                    message: format!("--db: no sync database at {}", path.display()),
                    hint: Some("run `kefu sync run` first, or pass --db / KEFU_DB".to_owned()),
                });
            }
            let db = open(&url).await?;
            let rows = kefu_sync::status(&db).await.map_err(failure)?;
            db.close().await;
            print(format, &rows)
        }
        SyncCommand::Run(args) => sync_run(cli, args, settings, format).await,
        SyncCommand::Verify(args) => verify(cli, args, settings, format).await,
    }
}

fn load_settings(cli: &Cli, env: EnvLookup) -> Result<Settings, Failure> {
    let set = |key: &str| env(key).filter(|v| !v.trim().is_empty());
    let config = cli
        .config
        .clone()
        .or_else(|| set("KEFU_CONFIG").map(PathBuf::from));
    let profile = cli.profile.clone().or_else(|| set("KEFU_PROFILE"));
    Ok(Settings::load(config.as_deref(), profile.as_deref(), env)?)
}

fn db_url(args: &DbArgs, settings: &Settings) -> Result<DbUrl, Failure> {
    let text = args
        .db
        .clone()
        .or_else(|| settings.get("KEFU_DB"))
        .unwrap_or_else(|| DbUrl::DEFAULT.to_owned());
    text.parse().map_err(failure)
}

async fn open(url: &DbUrl) -> Result<Db, Failure> {
    Db::open(url).await.map_err(failure)
}

/// The vendor client, its account, its zone, and the streams asked for;
/// everything the command line says is checked before anything is sent.
struct Target {
    connection: Connection,
    account: String,
    zone: Zone,
}

async fn connect(cli: &Cli, settings: Settings) -> Result<Target, Failure> {
    let vendor = client::resolve_vendor(cli.vendor, &settings)?;
    let sandbox = cli.sandbox || settings.flag("KEFU_SANDBOX");
    // The first stream's list: a vendor without one fails as unsupported.
    let op = Stream::of(vendor)
        .first()
        .map(|s| s.operation())
        .unwrap_or(Operation::ListSessions);
    let hooked = crate::ops::hook(&crate::ops::Switches {
        dry_run: false,
        record: cli
            .record
            .clone()
            .or_else(|| settings.get("KEFU_RECORD").map(std::path::PathBuf::from)),
        debug: cli.debug,
    })?;
    crate::shared_store::remember_flag(cli.shared_store.clone());
    let connection =
        client::connect(vendor, sandbox, settings, op, hooked.transport.clone()).await?;
    let account_key = crate::vendors::account_key(vendor)
        .ok_or_else(|| Failure::from(Error::unsupported(vendor, op)))?;
    let account = connection
        .settings
        .get(account_key)
        .ok_or_else(|| Error::config(account_key, "is not set: it names the account synced"))?;
    let zone = crate::vendors::zone_of(vendor, &connection.settings)?;
    Ok(Target {
        connection,
        account,
        zone,
    })
}

fn source(client: &Client, account: &str) -> Source {
    Source::new(
        client.vendor(),
        account,
        client.tenants(),
        client.agents(),
        client.sessions(),
        client.reports(),
    )
}

/// `90s`, `30m`, `2h`, `1d`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, Error> {
    let bad = || {
        Error::invalid(
            "--lookback",
            format!("{text:?} is not a duration like 90m, 2h or 1d"),
        )
    };
    let mut total = Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let unit = match c {
            's' => Duration::try_seconds(n),
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            _ => None,
        }
        .ok_or_else(bad)?;
        total = total.checked_add(&unit).ok_or_else(bad)?;
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(bad());
    }
    Ok(total)
}

fn options(
    vendor: Vendor,
    streams: Option<&str>,
    since: Option<&str>,
    until: Option<&str>,
    zone: Zone,
) -> Result<Options, Failure> {
    let streams = Stream::parse_list(vendor, streams).map_err(failure)?;
    let now = Utc::now();
    let mut o = Options::new(streams, now);
    o.zone = zone.offset();
    if let Some(t) = since {
        o.since = window::start("--since", t, zone)?;
    }
    if let Some(t) = until {
        o.until = window::end_exclusive("--until", t, zone)?;
    }
    if o.since > o.until {
        return Err(Error::invalid("--since", "is after --until").into());
    }
    Ok(o)
}

async fn sync_run(
    cli: &Cli,
    args: &RunArgs,
    settings: Settings,
    format: Format,
) -> Result<(), Failure> {
    // Every flag is checked before anything is opened or sent.
    let url = db_url(&args.db, &settings)?;
    let lookback = args.lookback.as_deref().map(parse_duration).transpose()?;
    if let Some(l) = lookback
        && l < Duration::zero()
    {
        return Err(Error::invalid("--lookback", "must not be negative").into());
    }
    if args.max_requests == Some(0) {
        return Err(Error::invalid("--max-requests", "must be at least 1").into());
    }
    let vendor = client::resolve_vendor(cli.vendor, &settings)?;
    Stream::parse_list(vendor, args.streams.as_deref()).map_err(failure)?;
    let target = connect(cli, settings).await?;
    let mut o = options(
        vendor,
        args.streams.as_deref(),
        args.since.as_deref(),
        args.until.as_deref(),
        target.zone,
    )?;
    if let Some(l) = lookback {
        o.lookback = l;
        // Daily figures are re-read in whole days.
        o.lookback_days = u32::try_from((l.num_seconds() + 86_399) / 86_400).unwrap_or(u32::MAX);
    }
    o.max_requests = args.max_requests;
    let db = open(&url).await?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut signals = crate::signal::Stop::listen();
    let watcher = tokio::spawn(async move {
        signals.requested().await;
        let _ = stop_tx.send(true);
    });
    let progress: Option<Arc<dyn Progress>> = io::stderr()
        .is_terminal()
        .then(|| Arc::new(TerminalProgress::new()) as Arc<dyn Progress>);
    let controls = Controls {
        stop: Some(stop_rx),
        requests: Some(Arc::new(kefu_http::meter::requests_sent)),
        progress,
    };
    let src = source(&target.connection.client, &target.account);
    let report = kefu_sync::run(&db, &src, &o, &controls).await;
    watcher.abort();
    db.close().await;
    let report = report.map_err(failure)?;
    if controls.progress.is_some() {
        eprintln!();
    }
    let rows: Vec<SummaryRow> = report.streams.iter().map(SummaryRow::from).collect();
    print(format, &rows)?;
    if let Some(e) = report.error {
        return Err(failure(e));
    }
    if report.stopped_early() {
        let which: Vec<&str> = report
            .streams
            .iter()
            .filter(|s| s.stopped.is_some())
            .map(|s| s.stream.as_str())
            .collect();
        return Err(Failure::Incomplete(format!(
            "sync stopped early; incomplete: {} (progress saved: run it again to continue)",
            which.join(", ")
        )));
    }
    Ok(())
}

async fn verify(
    cli: &Cli,
    args: &VerifyArgs,
    settings: Settings,
    format: Format,
) -> Result<(), Failure> {
    let url = db_url(&args.db, &settings)?;
    let vendor = client::resolve_vendor(cli.vendor, &settings)?;
    Stream::parse_list(vendor, args.streams.as_deref()).map_err(failure)?;
    let target = connect(cli, settings).await?;
    let o = options(vendor, args.streams.as_deref(), None, None, target.zone)?;
    let since = args
        .since
        .as_deref()
        .map(|t| window::start("--since", t, target.zone))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|t| window::end_exclusive("--until", t, target.zone))
        .transpose()?;
    let db = open(&url).await?;
    let src = source(&target.connection.client, &target.account);
    let diffs = kefu_sync::verify(&db, &src, &o, since, until).await;
    db.close().await;
    let diffs = diffs.map_err(failure)?;
    print(format, &diffs)?;
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(Failure::Incomplete(format!(
            "the database differs from the vendor in {} place(s)",
            diffs.len()
        )))
    }
}

fn failure(e: SyncError) -> Failure {
    match e {
        SyncError::Vendor(e) => Failure::Kefu(e),
        SyncError::Invalid { field, reason } => Failure::Kefu(Error::invalid(
            format!("--{}", field.replace('_', "-")),
            reason,
        )),
        other => Failure::Local(other.to_string()),
    }
}

fn print<R: Record>(format: Format, rows: &[R]) -> Result<(), Failure> {
    let mut w = RecordWriter::new::<R>(format, io::stdout().lock()).map_err(Failure::output)?;
    for r in rows {
        w.write(r).map_err(Failure::output)?;
    }
    w.finish().map(drop).map_err(Failure::output)
}

/// A summary row of `sync run`.
#[derive(Debug, Serialize)]
struct SummaryRow {
    stream: String,
    fetched: u64,
    inserted: u64,
    updated: u64,
    cursor: Option<String>,
    complete: bool,
    account: String,
    deleted: u64,
    note: Option<String>,
}

impl From<&StreamSummary> for SummaryRow {
    fn from(s: &StreamSummary) -> Self {
        Self {
            stream: s.stream.clone(),
            fetched: s.fetched,
            inserted: s.inserted,
            updated: s.updated,
            cursor: s.cursor.clone(),
            complete: s.complete,
            account: s.account.clone(),
            deleted: s.deleted,
            note: s.note.clone(),
        }
    }
}

impl Record for SummaryRow {
    const FIELDS: &'static [&'static str] = &[
        "stream", "fetched", "inserted", "updated", "cursor", "complete", "account", "deleted",
        "note",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("STREAM", "/stream"),
        ("FETCHED", "/fetched"),
        ("INSERTED", "/inserted"),
        ("UPDATED", "/updated"),
        ("CURSOR", "/cursor"),
        ("COMPLETE", "/complete"),
        ("NOTE", "/note"),
    ];
}

impl Record for StreamStatus {
    const FIELDS: &'static [&'static str] = &[
        "account", "stream", "cursor", "complete", "last_run", "outcome", "rows",
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("ACCOUNT", "/account"),
        ("STREAM", "/stream"),
        ("CURSOR", "/cursor"),
        ("COMPLETE", "/complete"),
        ("LAST_RUN", "/last_run"),
        ("OUTCOME", "/outcome"),
        ("ROWS", "/rows"),
    ];
}

impl Record for Difference {
    const FIELDS: &'static [&'static str] =
        &["account", "stream", "kind", "id", "window", "db", "vendor"];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("STREAM", "/stream"),
        ("KIND", "/kind"),
        ("ID", "/id"),
        ("WINDOW", "/window"),
        ("DB", "/db"),
        ("VENDOR", "/vendor"),
    ];
}

/// One line per stream on stderr, rewritten as windows commit.
struct TerminalProgress {
    started: Instant,
    last: Mutex<Option<Stream>>,
}

impl TerminalProgress {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            last: Mutex::new(None),
        }
    }
}

impl Progress for TerminalProgress {
    fn window(&self, stream: Stream, done: u64, total: u64, fetched: u64, cursor: &str) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let mut err = io::stderr().lock();
        if last.is_some_and(|s| s != stream) {
            let _ = writeln!(err);
        }
        *last = Some(stream);
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        // Windows that adapt to the rows found have no total in advance.
        let windows = if total > 0 {
            format!("{done}/{total}")
        } else {
            done.to_string()
        };
        let _ = write!(
            err,
            "\r{stream}: window {windows}, {fetched} records ({:.0}/s), at {cursor}\x1b[K",
            fetched as f64 / secs
        );
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h").expect("h"), Duration::hours(1));
        assert_eq!(parse_duration("1h30m").expect("hm"), Duration::minutes(90));
        assert_eq!(parse_duration("2d").expect("d"), Duration::days(2));
        for bad in ["", "h", "10", "1w", "-1h", "99999999999999999999d"] {
            let e = parse_duration(bad).expect_err(bad);
            assert_eq!(e.field(), Some("--lookback"), "{bad}");
        }
    }
}
