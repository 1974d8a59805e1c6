//! A sync run: every stream in turn, each in bounded windows, each window's
//! rows and the stream's new cursor committed in one transaction.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use futures_util::StreamExt;
use kefu_core::Error;
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use crate::db::Db;
use crate::error::{Result, SyncError};
use crate::jsonb::KeyOrder;
use crate::lock;
use crate::row::{self, Row};
use crate::source::{Record, Source};
use crate::spool::{Ranges, Spool};
use crate::state::{self, StreamState};
use crate::store::{self, BATCH, Counts, Write};
use crate::stream::{Stream, StreamKind};
use crate::writer::{Batched, Fresh, WindowTx};

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The streams, in order.
    pub streams: Vec<Stream>,
    /// Lower bound of an incremental stream's first run.
    pub since: DateTime<Utc>,
    /// End of the range (clamped to `now`).
    pub until: DateTime<Utc>,
    /// The wall clock at the start of the run.
    pub now: DateTime<Utc>,
    /// Re-read before the cursor on every run (incremental streams).
    pub lookback: Duration,
    /// Whole days re-read and replaced on every run (daily streams).
    pub lookback_days: u32,
    /// Window length (`None`: a day for sessions, a week for status logs).
    pub window: Option<Duration>,
    /// Rows an adaptive window aims at (`window` = `None`, sessions): a
    /// window grows over sparse ranges and shrinks where they held more
    /// than twice this; one that grew is first measured by the vendor's
    /// count and halved while it would hold more than twice this.
    pub window_rows: u64,
    /// Stop before a window once this many vendor requests were made.
    pub max_requests: Option<u64>,
    /// The zone whose calendar days daily figures are kept in.
    pub zone: FixedOffset,
}

impl Options {
    /// Defaults of the contract at `now`: every stream of `vendor`, 30 days
    /// back, until now, look-back 1 h (2 days for daily figures).
    pub fn new(streams: Vec<Stream>, now: DateTime<Utc>) -> Self {
        Self {
            streams,
            since: now - Duration::days(30),
            until: now,
            now,
            lookback: Duration::hours(1),
            lookback_days: 2,
            window: None,
            window_rows: WINDOW_ROWS,
            max_requests: None,
            // China Standard Time: both vendors keep their days in it.
            zone: FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix()),
        }
    }
}

use chrono::Offset as _;

/// Progress of a run, per window (for a terminal).
pub trait Progress: Send + Sync {
    /// A window was committed.
    fn window(&self, stream: Stream, done: u64, total: u64, fetched: u64, cursor: &str);
}

/// How a run is watched and stopped.
#[derive(Clone, Default)]
pub struct Controls {
    /// Becomes `true` when the run must stop (SIGINT/SIGTERM): the window in
    /// progress is rolled back whole.
    pub stop: Option<watch::Receiver<bool>>,
    /// Vendor requests made so far by this process (for `max_requests`).
    pub requests: Option<Arc<dyn Fn() -> u64 + Send + Sync>>,
    /// Told after every committed window.
    pub progress: Option<Arc<dyn Progress>>,
}

impl fmt::Debug for Controls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Controls")
            .field("stop", &self.stop.is_some())
            .field("requests", &self.requests.is_some())
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Why a stream stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The vendor's rate budget ran out.
    RateLimit,
    /// `--max-requests` was reached.
    MaxRequests,
    /// SIGINT or SIGTERM.
    Signal,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RateLimit => "the vendor's rate limit",
            Self::MaxRequests => "--max-requests",
            Self::Signal => "a signal",
        })
    }
}

/// One summary row per stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamSummary {
    /// The account.
    pub account: String,
    /// The stream.
    pub stream: String,
    /// Records read from the vendor (repeats included).
    pub fetched: u64,
    /// New keys written.
    pub inserted: u64,
    /// Keys whose record changed.
    pub updated: u64,
    /// Snapshot rows newly marked deleted.
    pub deleted: u64,
    /// The committed cursor after the run.
    pub cursor: Option<String>,
    /// The stream reached the end of its range.
    pub complete: bool,
    /// Why not, when not: stopped (and by what), skipped, or failed.
    pub note: Option<String>,
    /// Stopped early with progress saved.
    #[serde(skip)]
    pub stopped: Option<StopReason>,
    /// Another process holds this (account, stream).
    #[serde(skip)]
    pub skipped: bool,
}

impl StreamSummary {
    fn new(account: &str, stream: Stream, cursor: Option<String>) -> Self {
        Self {
            account: account.to_owned(),
            stream: stream.name().to_owned(),
            fetched: 0,
            inserted: 0,
            updated: 0,
            deleted: 0,
            cursor,
            complete: false,
            note: None,
            stopped: None,
            skipped: false,
        }
    }
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    /// One row per stream asked for.
    pub streams: Vec<StreamSummary>,
    /// The first failure that was not a stop (the stream it hit is marked).
    pub error: Option<SyncError>,
}

impl Report {
    /// Some stream stopped early (rate limit, `--max-requests`, signal).
    pub fn stopped_early(&self) -> bool {
        self.streams.iter().any(|s| s.stopped.is_some())
    }
}

/// Runs a sync of `source` into `db`.
pub async fn run(db: &Db, source: &Source, opts: &Options, controls: &Controls) -> Result<Report> {
    if opts.since > opts.until {
        return Err(SyncError::invalid("since", "is after --until"));
    }
    if opts.lookback < Duration::zero() {
        return Err(SyncError::invalid("lookback", "is negative"));
    }
    if let Some(w) = opts.window
        && w <= Duration::zero()
    {
        return Err(SyncError::invalid("window", "must be positive"));
    }
    let mut run = Run {
        db,
        source,
        opts,
        controls,
        requests_at_start: controls.requests.as_ref().map_or(0, |f| f()),
        until: opts.until.min(opts.now),
    };
    let mut report = Report {
        streams: Vec::new(),
        error: None,
    };
    for &stream in &opts.streams {
        let account = source.account();
        if let Some(reason) = run.must_stop() {
            // Nothing of this stream was read: its saved progress stands.
            let saved = state::load(db, account, stream).await?;
            let mut s = StreamSummary::new(account, stream, saved.and_then(|s| s.cursor));
            s.stopped = Some(reason);
            s.note = Some(format!("not started: stopped by {reason}"));
            report.streams.push(s);
            continue;
        }
        let Some(held) = lock::try_lock(db, account, stream).await? else {
            let saved = state::load(db, account, stream).await?;
            let mut s = StreamSummary::new(account, stream, saved.and_then(|s| s.cursor));
            s.skipped = true;
            s.note = Some("skipped: another process is syncing this stream".to_owned());
            report.streams.push(s);
            continue;
        };
        let result = run.stream(stream).await;
        held.release().await?;
        match result {
            Ok(s) => report.streams.push(s),
            Err((mut s, e)) => {
                s.note = Some(format!("failed: {e}"));
                report.streams.push(s);
                if report.error.is_none() {
                    report.error = Some(e);
                }
            }
        }
    }
    Ok(report)
}

struct Run<'a> {
    db: &'a Db,
    source: &'a Source,
    opts: &'a Options,
    controls: &'a Controls,
    requests_at_start: u64,
    until: DateTime<Utc>,
}

type StreamResult = std::result::Result<StreamSummary, (StreamSummary, SyncError)>;

/// How a run of windows ([`Run::pipeline`]) ended.
enum Flow {
    /// Every window up to the run's end committed.
    Done,
    /// Stopped before a window (signal, budget, rate limit).
    Stopped(StopReason),
    /// A record taken for new was stored already (`writer::Batched::
    /// Collided`): the window from `from` rolled back, to be read again
    /// with upserts.
    ReadAgain { from: DateTime<Utc> },
}

/// How one window ended.
enum WindowEnd<T> {
    Done(T),
    Stopped(StopReason),
    Failed(SyncError),
}

impl Run<'_> {
    fn requests(&self) -> u64 {
        self.controls
            .requests
            .as_ref()
            .map_or(0, |f| f().saturating_sub(self.requests_at_start))
    }

    /// A reason to stop before the next window, if any.
    fn must_stop(&self) -> Option<StopReason> {
        if self.controls.stop.as_ref().is_some_and(|rx| *rx.borrow()) {
            return Some(StopReason::Signal);
        }
        match self.opts.max_requests {
            Some(max) if self.requests() >= max => Some(StopReason::MaxRequests),
            _ => None,
        }
    }

    /// Runs `window` unless a signal comes first (then it is dropped, and
    /// its transaction with it: rolled back whole).
    async fn guarded<T>(&self, window: impl Future<Output = Result<T>>) -> WindowEnd<T> {
        let outcome = match self.controls.stop.clone() {
            None => Some(window.await),
            Some(mut rx) => {
                let stop = async move {
                    if rx.wait_for(|v| *v).await.is_err() {
                        // No one can ask to stop any more.
                        std::future::pending::<()>().await;
                    }
                };
                tokio::select! {
                    biased;
                    () = stop => None,
                    out = window => Some(out),
                }
            }
        };
        match outcome {
            None => WindowEnd::Stopped(StopReason::Signal),
            Some(Ok(v)) => WindowEnd::Done(v),
            Some(Err(SyncError::Vendor(e))) if is_rate_limit(&e) => {
                tracing::warn!(error = %e, "kefu sync: vendor rate limit; window rolled back");
                WindowEnd::Stopped(StopReason::RateLimit)
            }
            Some(Err(e)) => WindowEnd::Failed(e),
        }
    }

    async fn stream(&mut self, stream: Stream) -> StreamResult {
        let account = self.source.account().to_owned();
        let saved = match state::load(self.db, &account, stream).await {
            Ok(s) => s,
            Err(e) => return Err((StreamSummary::new(&account, stream, None), e)),
        };
        let mut state = saved.unwrap_or_else(|| StreamState {
            account: account.clone(),
            stream: stream.name().to_owned(),
            ..StreamState::default()
        });
        let mut summary = StreamSummary::new(&account, stream, state.cursor.clone());
        let end = match stream.kind() {
            StreamKind::Incremental => self.incremental(stream, &mut state, &mut summary).await,
            StreamKind::Snapshot => self.snapshot(stream, &mut state, &mut summary).await,
            StreamKind::Daily => self.daily(&mut state, &mut summary).await,
        };
        summary.cursor = state.cursor.clone();
        match end {
            WindowEnd::Done(()) => {
                summary.complete = true;
                Ok(summary)
            }
            WindowEnd::Stopped(reason) => {
                summary.stopped = Some(reason);
                summary.note = Some(format!("stopped by {reason}; run again to continue"));
                // Say so in the state, cursor untouched (own transaction).
                state.complete = false;
                state.last_outcome = Some(format!("stopped by {reason}"));
                if let Err(e) =
                    state::save_outcome(self.db, &state, &row::instant(Utc::now())).await
                {
                    return Err((summary, e));
                }
                Ok(summary)
            }
            WindowEnd::Failed(e) => {
                state.complete = false;
                state.last_outcome = Some(format!("failed: {e}"));
                let _ = state::save_outcome(self.db, &state, &row::instant(Utc::now())).await;
                Err((summary, e))
            }
        }
    }

    async fn save_state(&self, state: &StreamState) -> Result<()> {
        let mut tx = self.db.begin().await?;
        state::save(&mut tx, self.db.dialect(), state, &row::instant(Utc::now())).await?;
        self.db.commit(tx).await?;
        Ok(())
    }

    async fn incremental(
        &self,
        stream: Stream,
        state: &mut StreamState,
        summary: &mut StreamSummary,
    ) -> WindowEnd<()> {
        let cursor = state.cursor.as_deref().and_then(parse_instant);
        let origin = state.origin.as_deref().and_then(parse_instant);
        let lo = match cursor {
            // Resume at the committed cursor, minus the look-back, but never
            // before where the first run began.
            Some(c) => {
                let back = c
                    .checked_sub_signed(self.opts.lookback)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                origin.map_or(back, |o| back.max(o))
            }
            None => self.opts.since,
        };
        if state.origin.is_none() {
            state.origin = Some(row::instant(lo));
        }
        let until = self.until;
        if lo >= until {
            if state.cursor.is_none() {
                // An empty range still records where the stream stands.
                let next = state.advanced(row::instant(until), true);
                if let Err(e) = self.save_state(&next).await {
                    return WindowEnd::Failed(e);
                }
                *state = next;
            }
            return WindowEnd::Done(());
        }
        let plan = WindowPlan::of(stream, self.opts.window, self.opts.window_rows);
        // Windows from the cursor on hold records no earlier run stored:
        // PostgreSQL inserts them without looking each key up first
        // (`writer::Fresh`). The look-back before it is upserted.
        let fresh_from = (self.db.dialect() == crate::db::Dialect::Postgres)
            .then(|| cursor.map_or(lo, |c| c.max(lo)));
        let work = async {
            let (mut from, mut fresh_from) = (lo, fresh_from);
            loop {
                match self
                    .pipeline(stream, from, cursor, plan, fresh_from, state, summary)
                    .await?
                {
                    Flow::Done => return Ok(None),
                    Flow::Stopped(reason) => return Ok(Some(reason)),
                    Flow::ReadAgain { from: at } => {
                        tracing::info!(
                            %stream,
                            from = %row::instant(at),
                            "kefu sync: a record taken for new was stored already; \
                             reading the window again with upserts"
                        );
                        (from, fresh_from) = (at, None);
                    }
                }
            }
        };
        match self.guarded(work).await {
            WindowEnd::Done(None) => WindowEnd::Done(()),
            WindowEnd::Done(Some(reason)) | WindowEnd::Stopped(reason) => {
                WindowEnd::Stopped(reason)
            }
            WindowEnd::Failed(e) => WindowEnd::Failed(e),
        }
    }

    /// Reads windows in a task that runs ahead (bounded by the channel) and
    /// commits each one here as its end arrives: fetching never waits for a
    /// commit, and memory stays a few batches. Windows from `fresh_from` on
    /// write with [`Fresh`]. Says how it ended; committed windows update
    /// `state` and `summary` as they commit, so they stand even if this is
    /// dropped.
    #[allow(clippy::too_many_arguments)]
    async fn pipeline(
        &self,
        stream: Stream,
        lo: DateTime<Utc>,
        cursor: Option<DateTime<Utc>>,
        plan: WindowPlan,
        fresh_from: Option<DateTime<Utc>>,
        state: &mut StreamState,
        summary: &mut StreamSummary,
    ) -> Result<Flow> {
        let db = self.db;
        let (tx_pieces, mut pieces) = mpsc::channel::<Piece>(AHEAD);
        let producer = Producer {
            source: self.source.clone(),
            stream,
            until: self.until,
            plan,
            budget: self.budget(),
            to_jsonb: db.dialect() == crate::db::Dialect::Postgres,
        };
        let _fetch = AbortOnDrop(tokio::spawn(producer.run(lo, tx_pieces)));
        let mut done = 0u64;
        // Where the window being read starts: the producer's windows follow
        // each other from `lo`.
        let mut window_from = lo;
        let fresh = |from: DateTime<Utc>| {
            fresh_from
                .filter(|f| from >= *f)
                .and_then(|_| Fresh::after(from))
        };
        let mut open: Option<(WindowTx, Counts, tracing::Span)> = None;
        let now = row::instant(Utc::now());
        let account = state.account.clone();
        let w = Write {
            stream,
            account: &account,
            now: &now,
            seen: None,
        };
        // SQLite: a window may be parked in a spool file while it is read,
        // and written by key range once read to its end, while the next
        // window is read (`crate::spool`): when the key index has outgrown
        // the page cache, when the database must wait for a checkpoint
        // first, or when the window before is still being written. Else,
        // and on PostgreSQL, each batch is written as it comes.
        let mut spool_dir = db.spool_dir();
        let mut ranges = match spool_dir {
            Some(_) => Some(Ranges::new(
                crate::writer::sqlite_rows(db, stream).await?,
                db.range_index_bytes(),
            )),
            None => None,
        };
        let mut parking: Option<Spool> = None;
        let mut writing: Option<Writing<'_>> = None;
        // Waits for the window being written, and counts it once committed.
        macro_rules! settle {
            () => {
                if let Some(write) = writing.take() {
                    let c = write.await?;
                    self.committed(stream, &plan, c, state, summary, &mut done);
                }
            };
        }
        loop {
            let next = tokio::select! {
                biased;
                written = async { writing.as_mut().expect("a window being written").await },
                    if writing.is_some() => Next::Written(written),
                piece = pieces.recv() => Next::Piece(piece),
            };
            let piece = match next {
                Next::Written(written) => {
                    writing = None;
                    let c = written?;
                    self.committed(stream, &plan, c, state, summary, &mut done);
                    continue;
                }
                Next::Piece(Some(piece)) => piece,
                Next::Piece(None) => break,
            };
            match piece {
                Piece::Rows(batch) => {
                    let batch = match batch.rows().await {
                        Ok(rows) => rows,
                        Err(e) => {
                            // The window before this one was read whole.
                            settle!();
                            return Err(e);
                        }
                    };
                    if let Some(r) = ranges.as_mut() {
                        r.saw(&batch);
                    }
                    if parking.is_none()
                        && open.is_none()
                        && let (Some(dir), Some(r)) = (&spool_dir, &ranges)
                        && let Some(bounds) = r
                            .bounds(&account)
                            .or_else(|| (writing.is_some() || db.must_wait()).then(Vec::new))
                    {
                        match Spool::new_in(dir, bounds, db.spool_space()) {
                            Ok(spool) => parking = Some(spool),
                            Err(e) => {
                                tracing::warn!(
                                    error = %e,
                                    "kefu sync: no spool file; windows are written as they are read"
                                );
                                spool_dir = None;
                            }
                        }
                    }
                    if let Some(spool) = parking.as_mut() {
                        if let Err(e) = spool.park(batch).await {
                            // A full disk, say: this window is lost, not the
                            // one before, which was read whole. Its file goes
                            // first, so that the one before has room for the
                            // rows it still holds in memory.
                            drop(parking.take());
                            settle!();
                            return Err(e);
                        }
                        continue;
                    }
                    if open.is_none() {
                        // One window is written at a time.
                        settle!();
                        let span = window_span(stream, &state.account);
                        db.before_write().await;
                        let tx = WindowTx::begin(db, stream, fresh(window_from)).await?;
                        open = Some((tx, Counts::default(), span));
                    }
                    if let Some((tx, counts, span)) = open.as_mut() {
                        match tx.write(w, &batch).instrument(span.clone()).await? {
                            Batched::Written(c) => *counts += c,
                            // Dropped here, the window's transaction rolls
                            // back, and the producer stops with it.
                            Batched::Collided => return Ok(Flow::ReadAgain { from: window_from }),
                        }
                    }
                }
                Piece::End { from, to, fetched } => {
                    settle!();
                    let next = self.next_state(state, cursor, to);
                    window_from = to;
                    if let Some(r) = ranges.as_mut() {
                        r.window_read();
                    }
                    if let Some(spool) = parking.take() {
                        let span = window_span(stream, &state.account);
                        writing = Some(Box::pin(write_parked(
                            db,
                            w,
                            spool,
                            Committed {
                                next,
                                from,
                                to,
                                fetched,
                                counts: Counts::default(),
                                span,
                            },
                        )));
                        continue;
                    }
                    let (tx, counts, span) = match open.take() {
                        Some(o) => o,
                        None => {
                            let span = window_span(stream, &state.account);
                            let tx = WindowTx::begin(db, stream, None).await?;
                            (tx, Counts::default(), span)
                        }
                    };
                    tx.commit(db, &next, &row::instant(Utc::now()))
                        .instrument(span.clone())
                        .await?;
                    let c = Committed {
                        next,
                        from,
                        to,
                        fetched,
                        counts,
                        span,
                    };
                    self.committed(stream, &plan, c, state, summary, &mut done);
                }
                Piece::Stop(reason) => {
                    settle!();
                    return Ok(Flow::Stopped(reason));
                }
                Piece::Failed(e) => {
                    settle!();
                    return Err(SyncError::Vendor(e));
                }
            }
        }
        settle!();
        Ok(Flow::Done)
    }

    /// The state a window ending at `to` commits.
    fn next_state(
        &self,
        state: &StreamState,
        cursor: Option<DateTime<Utc>>,
        to: DateTime<Utc>,
    ) -> StreamState {
        // The cursor only moves forward; it is the window's bound, never
        // the wall time of the attempt.
        let keep = match cursor {
            Some(c) if c > to => c,
            _ => to,
        };
        state.advanced(row::instant(keep), to >= self.until)
    }

    /// Counts a committed window in `state`, `summary` and the progress.
    fn committed(
        &self,
        stream: Stream,
        plan: &WindowPlan,
        c: Committed,
        state: &mut StreamState,
        summary: &mut StreamSummary,
        done: &mut u64,
    ) {
        let span = &c.span;
        span.record("from", tracing::field::display(row::instant(c.from)));
        span.record("to", tracing::field::display(row::instant(c.to)));
        span.record("fetched", c.fetched);
        span.record("inserted", c.counts.inserted);
        span.record("updated", c.counts.updated);
        tracing::debug!(parent: span, "kefu sync: window committed");
        summary.fetched += c.fetched;
        summary.inserted += c.counts.inserted;
        summary.updated += c.counts.updated;
        *state = c.next;
        *done += 1;
        if let Some(p) = &self.controls.progress {
            let total = plan
                .fixed
                .map_or(0, |w| windows_between(c.from, self.until, w) + *done - 1);
            p.window(
                stream,
                *done,
                total,
                summary.fetched,
                state.cursor.as_deref().unwrap_or(""),
            );
        }
    }

    fn budget(&self) -> Budget {
        Budget {
            stop: self.controls.stop.clone(),
            requests: self.controls.requests.clone(),
            max: self.opts.max_requests,
            at_start: self.requests_at_start,
        }
    }

    async fn snapshot(
        &self,
        stream: Stream,
        state: &mut StreamState,
        summary: &mut StreamSummary,
    ) -> WindowEnd<()> {
        if let Some(reason) = self.must_stop() {
            return WindowEnd::Stopped(reason);
        }
        let span = tracing::info_span!(
            "kefu.sync.window",
            stream = stream.name(),
            account = %state.account,
            fetched = tracing::field::Empty,
            inserted = tracing::field::Empty,
            updated = tracing::field::Empty,
            deleted = tracing::field::Empty,
        );
        let mark = row::instant(Utc::now());
        let next = state.advanced(mark.clone(), true);
        let work = self
            .snapshot_window(stream, &next, &mark)
            .instrument(span.clone());
        match self.guarded(work).await {
            WindowEnd::Done((fetched, counts, deleted)) => {
                span.record("fetched", fetched);
                span.record("inserted", counts.inserted);
                span.record("updated", counts.updated);
                span.record("deleted", deleted);
                summary.fetched += fetched;
                summary.inserted += counts.inserted;
                summary.updated += counts.updated;
                summary.deleted += deleted;
                *state = next;
                if let Some(p) = &self.controls.progress {
                    p.window(stream, 1, 1, fetched, &mark);
                }
                WindowEnd::Done(())
            }
            WindowEnd::Stopped(r) => WindowEnd::Stopped(r),
            WindowEnd::Failed(e) => WindowEnd::Failed(e),
        }
    }

    async fn snapshot_window(
        &self,
        stream: Stream,
        next: &StreamState,
        mark: &str,
    ) -> Result<(u64, Counts, u64)> {
        let db = self.db;
        let dialect = db.dialect();
        let rows = self.source.snapshot(stream).await?;
        let (tx_rows, mut rx_rows) = mpsc::channel(2);
        let fetch = AbortOnDrop(tokio::spawn(forward(rows, tx_rows)));
        let mut tx = db.begin().await?;
        let w = Write {
            stream,
            account: &next.account,
            now: mark,
            seen: Some(mark),
        };
        let mut fetched = 0u64;
        let mut counts = Counts::default();
        while let Some(batch) = rx_rows.recv().await {
            let batch = batch?;
            fetched += batch.len() as u64;
            counts += store::write(&mut tx, dialect, w, &batch).await?;
        }
        drop(fetch);
        // Only a listing read to its end may mark rows deleted.
        let deleted =
            store::mark_unseen_deleted(&mut tx, dialect, stream, &next.account, mark).await?;
        state::save(&mut tx, dialect, next, mark).await?;
        self.db.commit(tx).await?;
        Ok((fetched, counts, deleted))
    }

    async fn daily(&self, state: &mut StreamState, summary: &mut StreamSummary) -> WindowEnd<()> {
        let zone = self.opts.zone;
        // `until` is an exclusive end: its own day counts only if it has begun.
        let last_day = (self.until - Duration::milliseconds(1))
            .with_timezone(&zone)
            .date_naive();
        let cursor = state
            .cursor
            .as_deref()
            .and_then(|c| NaiveDate::parse_from_str(c, "%Y-%m-%d").ok());
        let origin = state
            .origin
            .as_deref()
            .and_then(|c| NaiveDate::parse_from_str(c, "%Y-%m-%d").ok());
        let mut day = match cursor {
            // The days inside the look-back are read again, never a day
            // before where the first run began.
            Some(c) => {
                let back = c
                    .checked_add_signed(Duration::days(1))
                    .and_then(|d| {
                        d.checked_sub_signed(Duration::days(i64::from(self.opts.lookback_days)))
                    })
                    .unwrap_or(NaiveDate::MIN);
                origin.map_or(back, |o| back.max(o))
            }
            None => self.opts.since.with_timezone(&zone).date_naive(),
        };
        if state.origin.is_none() {
            state.origin = Some(row::day(day));
        }
        let total = u64::try_from((last_day - day).num_days() + 1).unwrap_or(0);
        let mut done = 0;
        while day <= last_day {
            if let Some(reason) = self.must_stop() {
                return WindowEnd::Stopped(reason);
            }
            let keep = match cursor {
                Some(c) if c > day => c,
                _ => day,
            };
            let next = state.advanced(row::day(keep), day >= last_day);
            let span = tracing::info_span!(
                "kefu.sync.window",
                stream = Stream::AgentStats.name(),
                account = %state.account,
                day = %row::day(day),
            );
            match self
                .guarded(self.day_window(day, &next).instrument(span))
                .await
            {
                WindowEnd::Done((fetched, counts)) => {
                    summary.fetched += fetched;
                    summary.inserted += counts.inserted;
                    summary.updated += counts.updated;
                    *state = next;
                    done += 1;
                    if let Some(p) = &self.controls.progress {
                        p.window(
                            Stream::AgentStats,
                            done,
                            total,
                            summary.fetched,
                            state.cursor.as_deref().unwrap_or(""),
                        );
                    }
                }
                WindowEnd::Stopped(r) => return WindowEnd::Stopped(r),
                WindowEnd::Failed(e) => return WindowEnd::Failed(e),
            }
            day += Duration::days(1);
        }
        WindowEnd::Done(())
    }

    async fn day_window(&self, day: NaiveDate, next: &StreamState) -> Result<(u64, Counts)> {
        let db = self.db;
        let dialect = db.dialect();
        let rows = self.source.day(day).await?;
        let now = row::instant(Utc::now());
        let mut tx = db.begin().await?;
        let before = store::take_day(&mut tx, dialect, &next.account, &row::day(day)).await?;
        let w = Write {
            stream: Stream::AgentStats,
            account: &next.account,
            now: &now,
            seen: None,
        };
        store::write(&mut tx, dialect, w, &rows).await?;
        let mut counts = Counts::default();
        let mut seen = std::collections::HashSet::new();
        for r in &rows {
            if !seen.insert(r.id.as_str()) {
                continue;
            }
            match before.get(&r.id) {
                None => counts.inserted += 1,
                // The day is written anew, so a hash of an older kefu is
                // replaced along with it.
                Some(h) if r.against(*h) == row::Stored::Changed => counts.updated += 1,
                Some(_) => {}
            }
        }
        state::save(&mut tx, dialect, next, &now).await?;
        self.db.commit(tx).await?;
        Ok((rows.len() as u64, counts))
    }
}

/// What the fetching task hands the committing side.
enum Piece {
    /// A batch of the current window, being turned into rows.
    Rows(Batch),
    /// The current window was read to its end.
    End {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        fetched: u64,
    },
    /// Stopped before the next window.
    Stop(StopReason),
    /// The vendor failed (the window in progress is rolled back).
    Failed(Error),
}

/// How long windows are.
#[derive(Debug, Clone, Copy)]
struct WindowPlan {
    /// Always this long (`--window`, or the status log's week).
    fixed: Option<Duration>,
    /// Rows an adaptive window aims at ([`Options::window_rows`]).
    rows: u64,
    start: Duration,
    min: Duration,
    max: Duration,
}

/// Batches the fetching task may run ahead of the commits. Enough that a
/// commit rarely waits for a fetch; few, because every batch in flight is
/// memory a long sync reaches at its peak (16 measured about 20 MiB more at
/// 1,000,000 sessions than at 100,000: docs/sync.md, Performance).
const AHEAD: usize = 4;

/// Rows a window aims at when its length adapts: large enough that window
/// edges cost little, small enough that a stop loses little (a few seconds
/// of work). 200,000 was tried (fewer windows rewrite the key index less
/// often; SQLite 7% faster at 1,000,000 sessions by hand), but three rounds
/// of `bench-sync` put the peak memory there 10.2% over the 100,000 figure
/// on SQLite and 17% on PostgreSQL (docs/sync.md, Performance).
const WINDOW_ROWS: u64 = 50_000;

impl WindowPlan {
    fn of(stream: Stream, fixed: Option<Duration>, rows: u64) -> Self {
        let fixed = fixed.or(match stream {
            // The vendor answers a week at most.
            Stream::AgentStatus => Some(Duration::days(7)),
            _ => None,
        });
        Self {
            fixed,
            rows: rows.max(1),
            start: Duration::days(1),
            min: Duration::hours(1),
            max: Duration::days(7),
        }
    }

    /// The next window's length after one of `len` that held `rows`.
    fn next(&self, len: Duration, rows: u64) -> Duration {
        if let Some(w) = self.fixed {
            return w;
        }
        if rows < self.rows / 4 {
            (len * 2).min(self.max)
        } else if rows > self.rows.saturating_mul(2) {
            (len / 2).max(self.min)
        } else {
            len
        }
    }
}

/// When to stop before a window (read by the fetching task).
#[derive(Clone)]
struct Budget {
    stop: Option<watch::Receiver<bool>>,
    requests: Option<Arc<dyn Fn() -> u64 + Send + Sync>>,
    max: Option<u64>,
    at_start: u64,
}

impl Budget {
    fn must_stop(&self) -> Option<StopReason> {
        if self.stop.as_ref().is_some_and(|rx| *rx.borrow()) {
            return Some(StopReason::Signal);
        }
        let spent = self
            .requests
            .as_ref()
            .map_or(0, |f| f().saturating_sub(self.at_start));
        match self.max {
            Some(max) if spent >= max => Some(StopReason::MaxRequests),
            _ => None,
        }
    }
}

/// Reads the windows of one stream, one after another.
struct Producer {
    source: Source,
    stream: Stream,
    until: DateTime<Utc>,
    plan: WindowPlan,
    budget: Budget,
    /// The rows go to PostgreSQL: each record is made ready for `jsonb`
    /// (`crate::jsonb`) here, beside the fetching, rather than on the
    /// writer's way to the server, which a sync into PostgreSQL waits for.
    to_jsonb: bool,
}

impl Producer {
    /// The end of the window of `len` from `lo` (never past `until`).
    fn end(&self, lo: DateTime<Utc>, len: Duration) -> DateTime<Utc> {
        lo.checked_add_signed(len)
            .map_or(self.until, |h| h.min(self.until))
    }

    /// The end of a window that grew over sparse ranges, measured before it
    /// is read: halved (not below the plan's minimum) while the vendor
    /// counts more than twice the rows a window aims at. Without it, the first busy
    /// days after quiet ones came as one window of up to a week (161,000
    /// sessions in one transaction at the 1,000,000 bench, with a 401 MB
    /// WAL), all of it lost to an interruption. One small request a grown
    /// window; vendors without a count read it as it is.
    async fn measured(
        &self,
        lo: DateTime<Utc>,
        mut hi: DateTime<Utc>,
        mut len: Duration,
    ) -> Result<DateTime<Utc>, Error> {
        let most = self.plan.rows.saturating_mul(2);
        while len > self.plan.min {
            match self.source.window_total(self.stream, lo, hi).await? {
                Some(n) if n > most => {
                    len = (len / 2).max(self.plan.min);
                    hi = self.end(lo, len);
                }
                _ => break,
            }
        }
        Ok(hi)
    }

    async fn run(self, mut lo: DateTime<Utc>, out: mpsc::Sender<Piece>) {
        let mut len = self.plan.fixed.unwrap_or(self.plan.start);
        while lo < self.until {
            if let Some(reason) = self.budget.must_stop() {
                let _ = out.send(Piece::Stop(reason)).await;
                return;
            }
            let mut hi = self.end(lo, len);
            if self.plan.fixed.is_none() && len > self.plan.start {
                match self.measured(lo, hi, len).await {
                    Ok(h) => hi = h,
                    Err(e) => {
                        let _ = out.send(Piece::Failed(e)).await;
                        return;
                    }
                }
            }
            let mut records = match self.source.records(self.stream, lo, hi) {
                Ok(records) => records,
                Err(e) => {
                    let _ = out.send(Piece::Failed(e)).await;
                    return;
                }
            };
            let mut fetched = 0u64;
            let mut batching = Batching::new(self.to_jsonb);
            while let Some(item) = records.next().await {
                match item {
                    Ok(r) => {
                        fetched += 1;
                        if let Some(full) = batching.push(r)
                            && out.send(Piece::Rows(full)).await.is_err()
                        {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = out.send(Piece::Failed(e)).await;
                        return;
                    }
                }
            }
            if let Some(last) = batching.finish()
                && out.send(Piece::Rows(last)).await.is_err()
            {
                return;
            }
            if out
                .send(Piece::End {
                    from: lo,
                    to: hi,
                    fetched,
                })
                .await
                .is_err()
            {
                return;
            }
            len = self.plan.next(hi - lo, fetched);
            lo = hi;
        }
    }
}

/// Records a conversion task takes at a time: one page of Easemob's. A part
/// this small is still in the cache of the core that decoded it when it is
/// encoded and freed. Converted 500 at a time (a batch), the decoded
/// sessions (by estimate over 1 MB) had left the core's 1 MiB L2, and at
/// 1,000,000 sessions the sync used 19% more CPU: encoding about 70% more,
/// glibc's `malloc` and `free` about 30% more (docs/sync.md, Performance,
/// issue 12w).
const PART: usize = 50;

/// Gathers a window's records into batches of [`BATCH`] rows for the
/// writer, each made of parts of [`PART`] records that start converting
/// as soon as they are complete.
struct Batching {
    to_jsonb: bool,
    part: Vec<Record>,
    parts: Vec<Converting>,
    records: usize,
}

impl Batching {
    fn new(to_jsonb: bool) -> Self {
        Self {
            to_jsonb,
            part: Vec::with_capacity(PART),
            parts: Vec::new(),
            records: 0,
        }
    }

    /// Adds a record; a batch when this one fills it.
    fn push(&mut self, record: Record) -> Option<Batch> {
        self.part.push(record);
        if self.part.len() < PART {
            return None;
        }
        self.close_part();
        (self.records >= BATCH).then(|| self.take())
    }

    /// What is left at the window's end, if anything.
    fn finish(mut self) -> Option<Batch> {
        if !self.part.is_empty() {
            self.close_part();
        }
        (self.records > 0).then(|| self.take())
    }

    fn close_part(&mut self) {
        let part = std::mem::replace(&mut self.part, Vec::with_capacity(PART));
        self.records += part.len();
        self.parts.push(Converting::start(part, self.to_jsonb));
    }

    fn take(&mut self) -> Batch {
        self.records = 0;
        Batch(std::mem::take(&mut self.parts))
    }
}

/// A batch for the writer: its parts, converting, in the records' order.
struct Batch(Vec<Converting>);

impl Batch {
    /// The rows, in the records' order; the first record that cannot be
    /// a row fails the window.
    async fn rows(self) -> Result<Vec<Row>> {
        let mut rows = Vec::with_capacity(BATCH);
        for part in self.0 {
            rows.extend(part.rows().await?);
        }
        Ok(rows)
    }
}

/// What [`Run::pipeline`] waits for next.
enum Next {
    /// The window being written ended.
    Written(Result<Committed>),
    /// A piece from the fetching; `None` once it ended.
    Piece(Option<Piece>),
}

/// A window committed: what [`Run::committed`] counts.
struct Committed {
    /// The stream's state, as committed with the window.
    next: StreamState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    fetched: u64,
    counts: Counts,
    span: tracing::Span,
}

/// A SQLite window being written while the next is read.
type Writing<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Committed>> + Send + 'a>>;

/// Writes a window parked in `spool`, range by range, and commits it with
/// `c.next`.
async fn write_parked(db: &Db, w: Write<'_>, spool: Spool, mut c: Committed) -> Result<Committed> {
    let span = c.span.clone();
    async {
        // Once the WAL has passed its limit, the window waits for the
        // checkpoint in flight (`crate::checkpoint`); the next window is
        // read meanwhile.
        db.before_write().await;
        tracing::debug!(
            rows = spool.rows(),
            bytes = spool.bytes(),
            ranges = spool.ranges(),
            "kefu sync: writing a parked window"
        );
        let mut tx = WindowTx::begin(db, w.stream, None).await?;
        let mut rows = spool.unpark().await?;
        while let Some(rows) = rows.next(BATCH).await? {
            match tx.write(w, &rows).await? {
                Batched::Written(counts) => c.counts += counts,
                // Only a PostgreSQL `COPY` collides, and SQLite windows
                // never take that path.
                Batched::Collided => {
                    return Err(SyncError::Database(
                        "a SQLite window collided with itself".into(),
                    ));
                }
            }
        }
        tx.commit(db, &c.next, &row::instant(Utc::now())).await?;
        Ok(c)
    }
    .instrument(span)
    .await
}

/// A part of a batch being turned into rows on a task of its own, so that
/// the encoding and hashing of one part runs beside the fetching of the
/// next instead of in line with it: in line, it was the one step every
/// record waited for, and a sync ran at 0.72 of an export's rate on two
/// cores that were a third idle (docs/sync.md, Performance).
struct Converting(AbortOnDrop<std::result::Result<Vec<Row>, Error>>);

impl Converting {
    fn start(records: Vec<Record>, to_jsonb: bool) -> Self {
        Self(AbortOnDrop(tokio::spawn(async move {
            let mut order = to_jsonb.then(KeyOrder::default);
            // Each record is freed as soon as it is encoded, while the
            // encoding has its many small blocks in this core's cache. Freed
            // together after a batch of 500, they had left the cache and
            // were decoded on another thread: glibc's `free` of them cost
            // about an eighth of the sync's CPU (docs/sync.md, Performance,
            // issue 12u). Parts of a page ([`PART`]) keep the encoding
            // itself in the cache too (issue 12w).
            records
                .into_iter()
                .map(|record| {
                    let row = record.to_row();
                    drop(record);
                    let mut row = row?;
                    if let Some(order) = order.as_mut() {
                        // The hash stays that of the record as `-o json`
                        // prints it, whichever database it goes to.
                        row.record = order.prepare(std::mem::take(&mut row.record));
                    }
                    Ok(row)
                })
                .collect()
        })))
    }

    /// The rows, in the records' order; the first record that cannot be
    /// a row fails the window, as the vendor's failure would.
    async fn rows(mut self) -> Result<Vec<Row>> {
        match (&mut self.0.0).await {
            Ok(rows) => rows.map_err(SyncError::Vendor),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(SyncError::Database(format!(
                "a batch of records was dropped before it became rows: {e}"
            ))),
        }
    }
}

/// Sends the rows of `rows` in batches until it ends, fails, or no one listens.
async fn forward(
    mut rows: crate::source::Rows,
    out: mpsc::Sender<std::result::Result<Vec<Row>, Error>>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(item) = rows.next().await {
        match item {
            Ok(r) => {
                batch.push(r);
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if out.send(Ok(full)).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = out.send(Err(e)).await;
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = out.send(Ok(batch)).await;
    }
}

/// Aborts a task (the fetching, a conversion) when the window ends or is
/// abandoned.
struct AbortOnDrop<T = ()>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn is_rate_limit(e: &Error) -> bool {
    matches!(e, Error::RateLimited { .. } | Error::QuotaExceeded(_))
}

/// Parses a stored instant.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn windows_between(lo: DateTime<Utc>, hi: DateTime<Utc>, w: Duration) -> u64 {
    if hi <= lo {
        return 0;
    }
    let span = (hi - lo).num_milliseconds();
    let w = w.num_milliseconds().max(1);
    u64::try_from((span + w - 1) / w).unwrap_or(0)
}

#[allow(dead_code)]
fn assert_send<T: Send>(_: &T) {}
#[allow(dead_code)]
fn _future_is_send(db: &Db, source: &Source, opts: &Options, controls: &Controls) {
    let f = run(db, source, opts, controls);
    assert_send(&f);
}

/// The tracing span of one window of an incremental stream; its range and
/// figures are recorded at the commit.
fn window_span(stream: Stream, account: &str) -> tracing::Span {
    tracing::info_span!(
        "kefu.sync.window",
        stream = stream.name(),
        account = %account,
        from = tracing::field::Empty,
        to = tracing::field::Empty,
        fetched = tracing::field::Empty,
        inserted = tracing::field::Empty,
        updated = tracing::field::Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_adapt_to_the_rows_they_held() {
        let day = Duration::days(1);
        let plan = WindowPlan::of(Stream::Sessions, None, WINDOW_ROWS);
        assert_eq!(plan.next(day, WINDOW_ROWS / 4 - 1), day * 2);
        assert_eq!(plan.next(day, WINDOW_ROWS / 4), day);
        assert_eq!(plan.next(day, WINDOW_ROWS * 2), day);
        assert_eq!(plan.next(day, WINDOW_ROWS * 2 + 1), day / 2);
        // Bounded both ways.
        assert_eq!(plan.next(Duration::days(7), 0), Duration::days(7));
        assert_eq!(plan.next(Duration::hours(1), u64::MAX), Duration::hours(1));
        // The status log is the vendor's week, always.
        let log = WindowPlan::of(Stream::AgentStatus, None, WINDOW_ROWS);
        assert_eq!(log.next(day, 0), Duration::days(7));
    }

    #[tokio::test]
    async fn batches_of_500_rows_are_converted_a_page_at_a_time_in_order() {
        let session = |i: usize| {
            Record::Session(kefu_core::model::Session {
                id: format!("s{i}"),
                ..kefu_core::model::Session::default()
            })
        };
        let mut batching = Batching::new(false);
        let mut batches = Vec::new();
        for i in 0..1234 {
            if let Some(b) = batching.push(session(i)) {
                batches.push(b);
            }
        }
        batches.extend(batching.finish());
        // Parts of a page each: converted while the page is in the cache.
        let parts: Vec<usize> = batches.iter().map(|b| b.0.len()).collect();
        assert_eq!(parts, vec![BATCH / PART, BATCH / PART, 5]);
        let mut ids = Vec::new();
        for b in batches {
            let rows = b.rows().await.expect("rows");
            assert!(rows.len() <= BATCH);
            ids.extend(rows.into_iter().map(|r| r.id));
        }
        let expected: Vec<String> = (0..1234).map(|i| format!("s{i}")).collect();
        assert_eq!(ids, expected);
        assert!(Batching::new(false).finish().is_none(), "nothing to write");
    }

    #[tokio::test]
    async fn rows_for_postgresql_come_in_jsonb_order_with_the_hash_of_the_record() {
        let session = kefu_core::model::Session {
            id: "s1".into(),
            comment: Some("x\u{0}y".into()),
            ..kefu_core::model::Session::default()
        };
        let as_printed = row::session(&session).expect("row");
        let records = || vec![Record::Session(session.clone())];
        let sqlite = Converting::start(records(), false)
            .rows()
            .await
            .expect("rows");
        assert_eq!(sqlite, vec![as_printed.clone()]);
        let pg = Converting::start(records(), true)
            .rows()
            .await
            .expect("rows");
        assert_eq!(
            pg[0].hash, as_printed.hash,
            "the hash of the record as printed"
        );
        assert_ne!(pg[0].record, as_printed.record);
        assert_eq!(
            pg[0].record,
            KeyOrder::default()
                .ordered(&as_printed.record.replace("\\u0000", "\\ufffd"))
                .expect("ordered")
        );
        // Shorter keys first: "state" before "agents", unlike as printed.
        assert!(
            pg[0]
                .record
                .starts_with(r#"{"id":"s1","state":null,"agents":[]"#),
            "{}",
            pg[0].record
        );
    }
}
