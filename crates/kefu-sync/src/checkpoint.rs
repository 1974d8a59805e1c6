//! SQLite: WAL checkpoints on a connection of their own, beside the writing.
//!
//! In WAL mode a commit appends to the `-wal` file, and a checkpoint later
//! copies those pages into the database and (with `synchronous = NORMAL`)
//! syncs both files to disk. SQLite's automatic checkpoint runs inside the
//! commit that crosses its threshold, so every window of a first sync
//! waited for its own checkpoint: copying tens of megabytes and two
//! `fsync`s, about a fifth of the sync's time (docs/sync.md, Performance).
//!
//! So the writing connection turns the automatic checkpoint off
//! (`wal_autocheckpoint = 0`), and after each commit this module asks a
//! second connection, on a task of its own, for a `PASSIVE` checkpoint,
//! which never blocks the writer nor a reader. Durability is unchanged: a
//! commit is as durable as before, and a checkpoint still syncs before the
//! WAL is reused. What changes is only who waits.
//!
//! The WAL starts over from its beginning only when a write begins with
//! every page already copied, which a writer that never waits rarely sees;
//! so once the `-wal` file is larger than [`WAL_LIMIT`], the next window
//! waits for the checkpoint in flight, and the file is reused from its
//! start. A file reused from its start keeps its size, though, so the
//! writing connection also has `journal_size_limit` at the same limit
//! ([`writer_pragmas`]): the file is cut back to the limit as it starts
//! over, and its size again says how much was written since. Without it,
//! one large window left the file over the limit for good, and every later
//! window waited for the checkpoint of the one before (13 of 15 windows,
//! 8 of 48 s, at 1,000,000 sessions; docs/sync.md, Performance).
//!
//! A failed checkpoint is logged and tried again after the next commit:
//! nothing waits on it forever, and the last connection to close
//! checkpoints whatever is left (SQLite does that on close).

use std::path::PathBuf;
use std::str::FromStr as _;
use std::sync::{Arc, Mutex};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, SqliteConnection};
use tokio::sync::watch;

/// How large the `-wal` file may grow before a window waits for the
/// checkpoint in flight (so the file is reused from its start).
pub(crate) const WAL_LIMIT: u64 = 256 * 1024 * 1024;

/// What the writing connection must be told for this module to work: it
/// never checkpoints itself, and its WAL file is cut back to `limit` when
/// it starts over.
pub(crate) fn writer_pragmas(limit: u64) -> [String; 2] {
    [
        "PRAGMA wal_autocheckpoint = 0".to_owned(),
        format!("PRAGMA journal_size_limit = {limit}"),
    ]
}

/// Checkpoints one SQLite file in the background.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    /// The `-wal` file, for its size.
    wal: PathBuf,
    /// [`WAL_LIMIT`], smaller in tests.
    wal_limit: u64,
    /// How `sqlite://...` is opened, for the checkpointing connection.
    url: String,
    /// Commits so far (bumped by [`Checkpointer::committed`]).
    commits: watch::Sender<u64>,
    /// Commits whose pages a checkpoint has since tried to copy. Its one
    /// sender belongs to the task, so a task that ended, however it ended,
    /// leaves nobody waiting on it.
    done: watch::Receiver<u64>,
    /// The checkpointing task: not started (holding the sender it will
    /// own), running, or ended.
    task: Mutex<Task>,
    /// Tells the task to close its connection and end.
    stop: watch::Sender<bool>,
}

impl Checkpointer {
    /// For the database at `path`, opened as `url`.
    pub(crate) fn new(path: PathBuf, url: &str) -> Arc<Self> {
        Self::with_limit(path, url, WAL_LIMIT)
    }

    pub(crate) fn with_limit(path: PathBuf, url: &str, wal_limit: u64) -> Arc<Self> {
        let mut wal = path.into_os_string();
        wal.push("-wal");
        let (done_tx, done) = watch::channel(0);
        Arc::new(Self {
            wal: wal.into(),
            wal_limit,
            url: url.to_owned(),
            commits: watch::channel(0).0,
            done,
            task: Mutex::new(Task::NotStarted(done_tx)),
            stop: watch::channel(false).0,
        })
    }

    /// A transaction was committed: its pages are copied in the background.
    pub(crate) fn committed(&self) {
        self.commits.send_modify(|n| *n += 1);
        let mut task = self.task.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(*task, Task::NotStarted(_))
            && let Task::NotStarted(done_tx) = std::mem::replace(&mut *task, Task::Ended)
        {
            *task = Task::Running(tokio::spawn(run(
                self.url.clone(),
                self.commits.subscribe(),
                done_tx,
                self.stop.subscribe(),
            )));
        }
    }

    /// Whether [`Checkpointer::before_write`] would wait now: the WAL is
    /// larger than its limit.
    pub(crate) fn must_wait(&self) -> bool {
        std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > self.wal_limit)
    }

    /// Before a window: once the WAL is larger than its limit, waits for
    /// the checkpoint of every commit so far, so this window's writes start
    /// the file over instead of growing it. Says whether it waited.
    pub(crate) async fn before_write(&self) -> bool {
        if !self.must_wait() {
            return false;
        }
        let target = *self.commits.borrow();
        let mut done = self.done.clone();
        let started = std::time::Instant::now();
        // Never waits forever: every attempt, failed or not, moves `done`,
        // and once the task has ended its sender is gone and this returns.
        let _ = done.wait_for(|d| *d >= target).await;
        tracing::debug!(
            waited_ms = started.elapsed().as_millis() as u64,
            "kefu sync: the window waited for the checkpoint so the WAL starts over"
        );
        true
    }

    /// Ends the task once its checkpoint in flight is done, and closes its
    /// connection, so that the pool's connection is the last one open and
    /// checkpoints what is left as it closes.
    pub(crate) async fn close(&self) {
        let task = std::mem::replace(
            &mut *self.task.lock().unwrap_or_else(|p| p.into_inner()),
            Task::Ended,
        );
        if let Task::Running(task) = task {
            self.stop.send_replace(true);
            let _ = task.await;
        }
    }
}

/// Where the checkpointing task is. After [`Checkpointer::close`] it is not
/// started again: the pool's last connection checkpoints what is left.
#[derive(Debug)]
enum Task {
    NotStarted(watch::Sender<u64>),
    Running(tokio::task::JoinHandle<()>),
    Ended,
}

/// Checkpoints after each commit until told to stop.
async fn run(
    url: String,
    mut commits: watch::Receiver<u64>,
    done: watch::Sender<u64>,
    mut stop: watch::Receiver<bool>,
) {
    let mut conn: Option<SqliteConnection> = None;
    loop {
        let target = *commits.borrow_and_update();
        if conn.is_none() {
            conn = connect(&url).await;
        }
        if let Some(c) = conn.as_mut()
            && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut *c)
                .await
        {
            tracing::debug!(error = %e, "kefu sync: background checkpoint failed; retried after the next commit");
            if let Some(c) = conn.take() {
                let _ = c.close().await;
            }
        }
        done.send_replace(target);
        let more = tokio::select! {
            changed = commits.changed() => changed.is_ok(),
            _ = stop.wait_for(|s| *s) => false,
        };
        if !more {
            if let Some(c) = conn.take() {
                let _ = c.close().await;
            }
            return;
        }
    }
}

async fn connect(url: &str) -> Option<SqliteConnection> {
    let options = match SqliteConnectOptions::from_str(url) {
        Ok(o) => o
            .create_if_missing(false)
            // Told apart from the pool's connection in `top -H` and profiles.
            .thread_name(|id| format!("kefu-ckpt-{id}"))
            .busy_timeout(std::time::Duration::from_secs(5))
            .disable_statement_logging(),
        Err(e) => {
            tracing::debug!(error = %e, "kefu sync: no background checkpoints");
            return None;
        }
    };
    match options.connect().await {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::debug!(error = %e, "kefu sync: no background checkpoints");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Executor as _;

    /// A WAL database in a directory of its own (kept while the test runs),
    /// whose connection never checkpoints, as the pool's.
    async fn writer() -> (tempfile::TempDir, SqliteConnection, PathBuf, String) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("c.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut conn = SqliteConnection::connect(&url).await.expect("open");
        for pragma in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        ] {
            conn.execute(pragma).await.expect(pragma);
        }
        (dir, conn, path, url)
    }

    /// [`writer`] with the pragmas the pool's connection gets for `limit`.
    async fn writer_with_limit(
        limit: u64,
    ) -> (tempfile::TempDir, SqliteConnection, PathBuf, String) {
        let (dir, mut conn, path, url) = writer().await;
        for pragma in writer_pragmas(limit) {
            conn.execute(pragma.as_str()).await.expect("pragma");
        }
        (dir, conn, path, url)
    }

    /// One transaction of `rows` rows of about 1 KB.
    async fn write(conn: &mut SqliteConnection, rows: usize) {
        let mut tx = conn.begin().await.expect("begin");
        for _ in 0..rows {
            sqlx::query("INSERT INTO t (body) VALUES (?)")
                .bind("x".repeat(1000))
                .execute(&mut *tx)
                .await
                .expect("insert");
        }
        tx.commit().await.expect("commit");
    }

    fn len(path: &std::path::Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn committed_pages_reach_the_database_file_without_the_writer() {
        let (_dir, mut conn, path, url) = writer_with_limit(WAL_LIMIT).await;
        let c = Checkpointer::new(path.clone(), &url);
        let before = len(&path);
        write(&mut conn, 2_000).await;
        c.committed();
        // The writer checkpoints nothing itself; the task copies the pages.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while len(&path) < before + 1_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the database file stayed at {} bytes",
                len(&path)
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        c.close().await;
        conn.close().await.expect("close");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wal_over_its_limit_starts_over_instead_of_growing() {
        let limit = 600_000;
        let (_dir, mut conn, path, url) = writer_with_limit(limit).await;
        let c = Checkpointer::with_limit(path.clone(), &url, limit);
        let wal = c.wal.clone();
        let mut largest = 0;
        // Back to back, as windows are: without the wait, a write always
        // begins while a checkpoint is in flight and the file only grows.
        for _ in 0..40 {
            c.before_write().await;
            write(&mut conn, 200).await;
            c.committed();
            largest = largest.max(len(&wal));
        }
        // At most the limit plus the one write that crossed it, and one more
        // begun before the reset shows (a page, its frame header, slack).
        assert!(
            largest < limit + 2 * 200 * 1_100 + 64 * 1024,
            "the WAL grew to {largest} bytes"
        );
        c.close().await;
        conn.close().await.expect("close");
    }

    /// One window far larger than the limit, then small ones: once the WAL
    /// has started over, only a window that finds it over the limit again
    /// waits, not every one after the large window.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_large_window_does_not_make_every_later_one_wait() {
        let limit = 600_000;
        let (_dir, mut conn, path, url) = writer_with_limit(limit).await;
        let c = Checkpointer::with_limit(path.clone(), &url, limit);
        c.before_write().await;
        write(&mut conn, 3_000).await;
        c.committed();
        assert!(len(&c.wal) > 3 * limit, "the large window: {}", len(&c.wal));
        let mut waited = 0;
        for _ in 0..30 {
            if c.before_write().await {
                waited += 1;
            }
            // About 220 KB: the limit is crossed every third window.
            write(&mut conn, 200).await;
            c.committed();
        }
        assert!(
            (1..=15).contains(&waited),
            "{waited} of 30 small windows waited for a checkpoint"
        );
        c.close().await;
        conn.close().await.expect("close");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_checkpointer_never_makes_a_write_wait() {
        let (_dir, mut conn, path, url) = writer_with_limit(0).await;
        let c = Checkpointer::with_limit(path, &url, 0);
        write(&mut conn, 50).await;
        c.committed();
        c.close().await;
        // Commits after the close are not checkpointed by anyone here, and
        // the WAL is over its limit: the next window must still begin.
        write(&mut conn, 50).await;
        c.committed();
        tokio::time::timeout(std::time::Duration::from_secs(10), c.before_write())
            .await
            .expect("before_write waited for a task that had ended");
        conn.close().await.expect("close");
    }

    #[tokio::test]
    async fn close_without_a_commit_does_not_wait() {
        let (_dir, conn, path, url) = writer_with_limit(WAL_LIMIT).await;
        let c = Checkpointer::new(path, &url);
        c.before_write().await;
        c.close().await;
        conn.close().await.expect("close");
    }
}
