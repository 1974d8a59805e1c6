//! The operator switches every command has: `--dry-run`, `--record DIR`
//! and `--debug`. All three are hooks on the one transport (kefu-http), so
//! they see exactly the requests the SDK makes, already redacted.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kefu::transport::{Exchange, ExchangeObserver, FolderRecorder, Hooks, TransportConfig};
use serde::Serialize;

use crate::cli::Format;
use crate::exit::Failure;
use crate::output::{Record, RecordWriter};

/// What the switches asked for.
#[derive(Debug, Clone, Default)]
pub struct Switches {
    /// `--dry-run` / `KEFU_DRY_RUN=1`.
    pub dry_run: bool,
    /// `--record DIR` / `KEFU_RECORD`.
    pub record: Option<PathBuf>,
    /// `--debug`.
    pub debug: bool,
}

/// The transport settings that carry out the switches, and what to report
/// when the command is done.
#[derive(Debug)]
pub struct Hooked {
    /// The transport the client is built with.
    pub transport: TransportConfig,
    held: Option<Arc<Held>>,
    recorder: Option<Arc<FolderRecorder>>,
}

impl Hooked {
    /// Whether writes are held back.
    pub fn dry_run(&self) -> bool {
        self.held.is_some()
    }
}

/// Hooks for `switches`; creates the recording folder.
pub fn hook(switches: &Switches) -> Result<Hooked, Failure> {
    let mut hooks = Hooks::default();
    let recorder = match &switches.record {
        Some(dir) => {
            let recorder = Arc::new(FolderRecorder::new(dir.clone())?);
            hooks.observers.push(recorder.clone());
            Some(recorder)
        }
        None => None,
    };
    if switches.debug {
        hooks.observers.push(Arc::new(DebugLines));
    }
    let held = switches.dry_run.then(|| Arc::new(Held::default()));
    if let Some(held) = &held {
        hooks.dry_run = Some(held.clone());
    }
    Ok(Hooked {
        transport: TransportConfig {
            hooks,
            ..TransportConfig::default()
        },
        held,
        recorder,
    })
}

/// After the command: a dry run prints the held requests (a held write is
/// how a dry run ends, so it is success); a recording that could not be
/// written is a failure.
pub fn finish(hooked: &Hooked, format: Format, result: Result<(), Failure>) -> Result<(), Failure> {
    let result = match (&hooked.held, result) {
        (Some(held), Ok(()) | Err(Failure::Kefu(kefu::Error::DryRun { .. }))) => {
            held.print(format, io::stdout().lock())
        }
        (_, other) => other,
    };
    if let Some(recorder) = &hooked.recorder {
        recorder.finish()?;
    }
    result
}

/// `--debug`: one line per exchange on stderr.
#[derive(Debug)]
struct DebugLines;

impl ExchangeObserver for DebugLines {
    fn wants_bodies(&self) -> bool {
        false
    }

    fn exchange(&self, e: &Exchange) {
        let status = e
            .status
            .map_or_else(|| "failed".to_owned(), |s| s.to_string());
        let retry = if e.attempt > 1 {
            format!(" (attempt {})", e.attempt)
        } else {
            String::new()
        };
        // The path only: the query may carry a signature.
        let _ = writeln!(
            io::stderr().lock(),
            "kefu: debug: {} {} {} {} {}ms{retry}",
            e.vendor,
            e.method,
            e.path,
            status,
            e.elapsed_ms
        );
    }
}

/// The requests a dry run held back, in order.
#[derive(Debug, Default)]
struct Held(Mutex<Vec<Exchange>>);

impl ExchangeObserver for Held {
    fn exchange(&self, e: &Exchange) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e.clone());
    }
}

/// A held request as a dry run prints it.
#[derive(Debug, Serialize)]
pub struct HeldRequest {
    /// The operation (`agents.add`).
    pub operation: &'static str,
    /// HTTP method.
    pub method: String,
    /// Path below the base URL.
    pub path: String,
    /// Query parameters (secrets as `***`).
    pub query: Vec<(String, String)>,
    /// The JSON body (secrets as `***`).
    pub body: Option<serde_json::Value>,
}

impl Record for HeldRequest {
    const FIELDS: &'static [&'static str] = &["operation", "method", "path", "query", "body"];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("OPERATION", "/operation"),
        ("METHOD", "/method"),
        ("PATH", "/path"),
        ("BODY", "/body"),
    ];
}

impl Held {
    fn print(&self, format: Format, mut out: impl Write) -> Result<(), Failure> {
        let held: Vec<HeldRequest> = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|e| HeldRequest {
                operation: e.operation,
                method: e.method.clone(),
                path: e.path.clone(),
                query: e.query.clone(),
                body: e.body.clone(),
            })
            .collect();
        if held.is_empty() {
            // A command that wrote nothing (a list, a plan with nothing to
            // do) has already printed its own output.
            return Ok(());
        }
        if format == Format::Table {
            // A table would cut the body; a dry run shows it whole.
            for r in &held {
                let query: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let sep = if query.is_empty() { "" } else { "?" };
                writeln!(out, "{} {}{sep}{}", r.method, r.path, query.join("&"))
                    .map_err(Failure::output)?;
                if let Some(body) = &r.body {
                    writeln!(out, "{body}").map_err(Failure::output)?;
                }
            }
            return out.flush().map_err(Failure::output);
        }
        let mut writer = RecordWriter::new::<HeldRequest>(format, out).map_err(Failure::output)?;
        for r in &held {
            writer.write(r).map_err(Failure::output)?;
        }
        writer.finish().map(drop).map_err(Failure::output)
    }
}

/// The initial or new password of a command: from `--password` (with a
/// warning: it shows in `ps` and shell history) or the first line of stdin.
pub fn password(
    flag: Option<kefu::Secret>,
    from_stdin: bool,
) -> Result<Option<kefu::Secret>, Failure> {
    match (flag, from_stdin) {
        (Some(_), true) => Err(Failure::usage(
            "--password and --password-stdin exclude each other",
        )),
        (Some(p), false) => {
            let _ = writeln!(
                io::stderr().lock(),
                "kefu: warning: a password on the command line is visible to other users and kept in shell history; use --password-stdin"
            );
            Ok(Some(p))
        }
        (None, true) => {
            let mut line = String::new();
            io::stdin()
                .read_line(&mut line)
                .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                return Err(Failure::usage(
                    "--password-stdin: the first line of standard input is empty",
                ));
            }
            Ok(Some(kefu::Secret::new(line)))
        }
        (None, false) => Ok(None),
    }
}

/// [`password`] where one is required.
pub fn required_password(
    flag: Option<kefu::Secret>,
    from_stdin: bool,
) -> Result<kefu::Secret, Failure> {
    password(flag, from_stdin)?
        .ok_or_else(|| Failure::usage("a password is needed: --password-stdin (or --password)"))
}
