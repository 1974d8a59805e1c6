//! `kefu sessions export`: every session of a window, streamed.
//!
//! Each session is written as it arrives (JSONL by default, one session a
//! line), so memory stays flat however long the window. With `--out` the
//! data goes to a temporary file renamed at the end: an error or Ctrl-C
//! removes it and never leaves a half file under the real name.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use kefu::RecordStream;
use kefu::model::{Channel, Session, SessionQuery, SessionTime};
use kefu::time::Zone;

use super::Context;
use crate::cli::{ChannelArg, Format, SessionTimeArg, SessionsExportArgs};
use crate::exit::Failure;
use crate::output::RecordWriter;
use crate::partial_file::PartialFile;
use crate::signal::Stop;
use crate::window;

/// Runs `sessions export`.
pub async fn export(ctx: &Context, args: SessionsExportArgs) -> Result<(), Failure> {
    // Listening from the start: a Ctrl-C at any point after the temporary
    // file exists must reach the code that removes it.
    let mut stop = Stop::listen();
    let query = query(&args, ctx.zone)?;
    // Exports are for scripts: JSONL unless -o says otherwise.
    let format = ctx.format.unwrap_or(Format::Jsonl);
    let progress = progress_bar();
    let result = match &args.out {
        Some(path) => {
            // Open before the first request: a bad path sends nothing.
            let mut file = PartialFile::create(path).map_err(|e| Failure::Usage {
                message: format!("cannot write {}: {e}", path.display()),
                hint: None,
            })?;
            tracing::debug!(temp = %file.temp_path().display(), "exporting through a temporary file");
            let stream = ctx.client.sessions().sessions(&query)?;
            let outcome =
                interruptible(&mut stop, write_all(stream, format, &mut file, &progress)).await;
            match outcome {
                Ok(n) => file
                    .commit()
                    .map(|()| n)
                    .map_err(|e| commit_failed(path, e)),
                // `file` drops here: the temporary file goes with it.
                Err(e) => Err(e),
            }
        }
        None => {
            let stream = ctx.client.sessions().sessions(&query)?;
            // Stdout flushes at every newline: one write call a session
            // unless buffered here (`finish` flushes at the end).
            let out = io::BufWriter::new(io::stdout().lock());
            interruptible(&mut stop, write_all(stream, format, out, &progress)).await
        }
    };
    match &result {
        Ok(_) => progress.finish_with_message("done"),
        Err(_) => progress.abandon(),
    }
    result.map(drop)
}

/// The query of the window; checked before anything is sent.
fn query(args: &SessionsExportArgs, zone: Zone) -> Result<SessionQuery, Failure> {
    let from = window::start("--from", &args.from, zone)?;
    let to = window::end_inclusive("--to", &args.to, zone)?;
    window::ordered(&from, &to, (&args.from, &args.to))?;
    Ok(SessionQuery {
        by: match args.by {
            SessionTimeArg::Stop => SessionTime::Stopped,
            SessionTimeArg::Start => SessionTime::Started,
            SessionTimeArg::Create => SessionTime::Created,
        },
        from: Some(from),
        to: Some(to),
        channel: args.channel.map(|c| match c {
            ChannelArg::Webim => Channel::Web,
            ChannelArg::App => Channel::App,
            ChannelArg::Weixin => Channel::Weixin,
            ChannelArg::Weibo => Channel::Weibo,
            ChannelArg::Phone => Channel::Phone,
        }),
        ..SessionQuery::default()
    })
}

/// Writes every session as it arrives, ticking the progress bar.
async fn write_all<W: Write>(
    mut stream: RecordStream<Session>,
    format: Format,
    out: W,
    progress: &ProgressBar,
) -> Result<u64, Failure> {
    let mut writer = RecordWriter::new::<Session>(format, out).map_err(Failure::output)?;
    while let Some(item) = stream.next().await {
        writer.write(&item?).map_err(Failure::output)?;
        progress.inc(1);
    }
    let n = writer.written();
    writer.finish().map_err(Failure::output)?;
    Ok(n)
}

/// Runs `work` unless Ctrl-C or SIGTERM comes first; then `work` is dropped
/// (and with it any temporary file) and the export fails as interrupted.
async fn interruptible<T>(
    stop: &mut Stop,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::select! {
        result = work => result,
        () = stop.requested() => Err(Failure::Interrupted),
    }
}

fn commit_failed(path: &Path, e: io::Error) -> Failure {
    Failure::Local(format!("cannot finish {}: {e}", path.display()))
}

/// A spinner with a count on stderr, only when stderr is a terminal.
fn progress_bar() -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos} sessions exported ({elapsed}) {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(from: &str, to: &str) -> SessionsExportArgs {
        SessionsExportArgs {
            from: from.into(),
            to: to.into(),
            by: SessionTimeArg::Create,
            channel: Some(ChannelArg::Weixin),
            out: None,
        }
    }

    #[test]
    fn the_window_covers_whole_days_and_carries_the_filters() {
        let q = query(&args("2024-05-01", "2024-05-31"), Zone::CHINA).expect("query");
        assert_eq!(q.by, SessionTime::Created);
        assert_eq!(q.channel, Some(Channel::Weixin));
        assert_eq!(
            q.from.map(|t| t.to_rfc3339()).as_deref(),
            Some("2024-04-30T16:00:00+00:00")
        );
        assert_eq!(
            q.to.map(|t| t.to_rfc3339()).as_deref(),
            Some("2024-05-31T15:59:59.999+00:00")
        );
    }

    #[test]
    fn a_reversed_window_is_refused() {
        let e = query(&args("2024-06-01", "2024-05-01"), Zone::CHINA).expect_err("reversed");
        assert!(matches!(e, Failure::Kefu(e) if e.field() == Some("--from")));
        // The same day as both ends is one whole day, not empty.
        assert!(query(&args("2024-05-01", "2024-05-01"), Zone::CHINA).is_ok());
    }
}
