//! The destination: one code path over SQLite and PostgreSQL through sqlx's
//! `Any` driver, with the few places the two dialects differ named here.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor, PgPool, Postgres};

use crate::checkpoint::{Checkpointer, WAL_LIMIT, writer_pragmas};
use crate::error::{Result, SyncError};

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Dialect {
    /// Type of a JSON column: text in SQLite, `jsonb` in PostgreSQL.
    pub(crate) fn json_type(self) -> &'static str {
        match self {
            Self::Sqlite => "TEXT",
            Self::Postgres => "JSONB",
        }
    }

    /// Type of an instant column (SQLite: RFC 3339 text in UTC, which sorts
    /// as the instants do).
    pub(crate) fn time_type(self) -> &'static str {
        match self {
            Self::Sqlite => "TEXT",
            Self::Postgres => "TIMESTAMPTZ",
        }
    }

    /// Type of a calendar day column.
    pub(crate) fn date_type(self) -> &'static str {
        match self {
            Self::Sqlite => "TEXT",
            Self::Postgres => "DATE",
        }
    }

    /// Parameter `n` cast to the column's type (`Any` binds text; PostgreSQL
    /// converts it with an explicit cast).
    pub(crate) fn param(self, n: usize, kind: ColumnKind) -> String {
        match (self, kind) {
            (Self::Postgres, ColumnKind::Json) => format!("${n}::jsonb"),
            (Self::Postgres, ColumnKind::Time) => format!("${n}::timestamptz"),
            (Self::Postgres, ColumnKind::Date) => format!("${n}::date"),
            _ => format!("${n}"),
        }
    }

    /// Parameter `n` where every parameter of the statement appears once,
    /// in order. SQLite gets an anonymous `?`: its named `$N` are looked up
    /// one by one in a list (quadratic in a 3000-parameter batch).
    pub(crate) fn seq_param(self, n: usize, kind: ColumnKind) -> String {
        let mut out = String::new();
        self.push_seq_param(&mut out, n, kind);
        out
    }

    /// [`Self::seq_param`] appended to `sql` (a batch has thousands: no
    /// string of its own for each).
    pub(crate) fn push_seq_param(self, sql: &mut String, n: usize, kind: ColumnKind) {
        match self {
            Self::Sqlite => sql.push('?'),
            Self::Postgres => sql.push_str(&self.param(n, kind)),
        }
    }

    /// A column read back as text (`Any` cannot decode `jsonb`, `timestamptz`
    /// or `date`).
    pub(crate) fn as_text(self, column: &str, kind: ColumnKind) -> String {
        match (self, kind) {
            (Self::Postgres, ColumnKind::Time) => {
                format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
            }
            (Self::Postgres, ColumnKind::Json | ColumnKind::Date) => format!("{column}::text"),
            _ => column.to_owned(),
        }
    }

    /// The statement that opens a window's transaction. SQLite takes the
    /// write lock at once, so two processes never interleave inside one
    /// window (the other waits up to the busy timeout).
    pub(crate) fn begin(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }
}

/// The kind of value a column holds (for casts and types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text.
    Text,
    /// A 64-bit integer.
    Int,
    /// An instant.
    Time,
    /// A calendar day.
    Date,
    /// A JSON document.
    Json,
}

/// Where a sync writes: `sqlite:PATH`, a bare path, or `postgres://...`.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    dialect: Dialect,
    url: String,
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({})", self.redacted())
    }
}

impl DbUrl {
    /// The default: `kefu.db` in the working directory.
    pub const DEFAULT: &'static str = "kefu.db";

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The URL with any password replaced by `***`, for messages.
    pub fn redacted(&self) -> String {
        match self.dialect {
            Dialect::Sqlite => self.url.clone(),
            Dialect::Postgres => match url_password_span(&self.url) {
                Some((a, b)) => format!("{}***{}", &self.url[..a], &self.url[b..]),
                None => self.url.clone(),
            },
        }
    }

    /// The SQLite file, for a SQLite URL.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        if self.dialect != Dialect::Sqlite {
            return None;
        }
        let rest = self.url.strip_prefix("sqlite://")?;
        let path = rest.split_once('?').map_or(rest, |(p, _)| p);
        Some(
            path.replace("%3F", "?")
                .replace("%23", "#")
                .replace("%25", "%")
                .into(),
        )
    }

    /// The URL sqlx connects to.
    pub(crate) fn connect_url(&self) -> &str {
        &self.url
    }
}

/// Where `user:password@` keeps its password, if anywhere.
fn url_password_span(url: &str) -> Option<(usize, usize)> {
    let rest_at = url.find("://")? + 3;
    let authority_end = url[rest_at..]
        .find(['/', '?'])
        .map_or(url.len(), |i| rest_at + i);
    let at = url[rest_at..authority_end].rfind('@')? + rest_at;
    let colon = url[rest_at..at].find(':')? + rest_at;
    Some((colon + 1, at))
}

impl FromStr for DbUrl {
    type Err = SyncError;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.is_empty() {
            return Err(SyncError::invalid("db", "is empty"));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Self {
                dialect: Dialect::Postgres,
                url: s.to_owned(),
            });
        }
        if let Some((scheme, _)) = s.split_once("://")
            && scheme != "sqlite"
        {
            return Err(SyncError::invalid(
                "db",
                format!(
                    "`{scheme}://` is not a database kefu writes to: use sqlite:PATH, a file path, or postgres://..."
                ),
            ));
        }
        let path = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        let (path, params) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        if path.is_empty() {
            return Err(SyncError::invalid("db", "names no SQLite file"));
        }
        Ok(Self::sqlite_file(Path::new(path), params))
    }
}

impl DbUrl {
    /// A SQLite file, created on first use.
    pub fn sqlite(path: &Path) -> Self {
        Self::sqlite_file(path, None)
    }

    fn sqlite_file(path: &Path, params: Option<&str>) -> Self {
        // Percent-encode what the URL parser would read as syntax.
        let mut encoded = String::new();
        for c in path.to_string_lossy().chars() {
            match c {
                '%' => encoded.push_str("%25"),
                '?' => encoded.push_str("%3F"),
                '#' => encoded.push_str("%23"),
                c => encoded.push(c),
            }
        }
        let params = params.map_or_else(
            || "mode=rwc".to_owned(),
            |p| {
                if p.contains("mode=") {
                    p.to_owned()
                } else {
                    format!("{p}&mode=rwc")
                }
            },
        );
        Self {
            dialect: Dialect::Sqlite,
            url: format!("sqlite://{encoded}?{params}"),
        }
    }
}

/// An open destination.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// PostgreSQL only: native connections for the windows of incremental
    /// streams, which bind each batch's columns as arrays (`Any` binds no
    /// arrays; see [`crate::writer`]).
    pg: Option<PgPool>,
    /// SQLite files: checkpoints beside the writing ([`crate::checkpoint`]).
    checkpoint: Option<Arc<Checkpointer>>,
    /// SQLite: bytes of a key index a parked window's key range may cover
    /// ([`crate::spool`]).
    range_index_bytes: u64,
    /// Free space for spool files as kefu counts it (tests only; none:
    /// the file system's alone).
    spool_space: Option<crate::spool::Space>,
    dialect: Dialect,
    url: DbUrl,
}

/// Bytes of the key index one key range of a parked SQLite window covers:
/// a quarter of the 32 MiB page cache, so that the range's part of the
/// index stays in the cache beside the table pages the window appends
/// (docs/sync.md, Performance, issue 12zb).
const RANGE_INDEX_BYTES: u64 = 8 << 20;

impl Db {
    /// Connects (creating a SQLite file if needed) and brings the schema up
    /// to date (see [`crate::schema`]).
    pub async fn open(url: &DbUrl) -> Result<Self> {
        let db = Self::connect(url).await?;
        crate::schema::migrate(&db).await?;
        Ok(db)
    }

    /// Connects without touching the schema.
    pub async fn connect(url: &DbUrl) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(url.connect_url())
            .map_err(|e| SyncError::invalid("db", e.to_string()))?
            .disable_statement_logging();
        let dialect = url.dialect;
        let pool = match dialect {
            // One writer at a time anyway; WAL lets readers (`sync status`)
            // in while a run writes.
            Dialect::Sqlite => AnyPoolOptions::new()
                .max_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // Before WAL, and only for a new file (an existing
                        // database keeps the page size it was made with):
                        // a session row is about 1.3 KB, and with 4 KiB
                        // pages every WAL frame and checkpoint write costs
                        // a system call per 3 rows; 16 KiB pages measured
                        // 25-30% faster (docs/sync.md, Performance).
                        conn.execute("PRAGMA page_size = 16384").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        // The key index takes random inserts (vendor ids): a
                        // page cache that holds it spares a read per row. A
                        // fixed 32 MiB, so memory stays flat however large
                        // the database grows.
                        conn.execute("PRAGMA cache_size = -32768").await?;
                        // Checkpoints run on a connection of their own,
                        // after each commit (`crate::checkpoint`).
                        for pragma in writer_pragmas(WAL_LIMIT) {
                            conn.execute(pragma.as_str()).await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options)
                .await
                .map_err(|e| unreachable_db(url, e))?,
            // One connection holds the advisory locks, one writes windows.
            Dialect::Postgres => AnyPoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(|e| unreachable_db(url, e))?,
        };
        let pg = match dialect {
            Dialect::Sqlite => None,
            // Windows run one after another: one connection, a spare for a
            // connection closed after a cancelled BEGIN.
            Dialect::Postgres => Some(
                PgPoolOptions::new()
                    .max_connections(2)
                    .connect_with(
                        PgConnectOptions::from_str(url.connect_url())
                            .map_err(|e| SyncError::invalid("db", e.to_string()))?
                            .disable_statement_logging(),
                    )
                    .await
                    .map_err(|e| unreachable_db(url, e))?,
            ),
        };
        let checkpoint = url
            .sqlite_path()
            .map(|path| Checkpointer::new(path, url.connect_url()));
        Ok(Self {
            pool,
            pg,
            checkpoint,
            range_index_bytes: RANGE_INDEX_BYTES,
            spool_space: None,
            dialect,
            url: url.clone(),
        })
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Where it is (password redacted).
    pub fn describe(&self) -> String {
        self.url.redacted()
    }

    /// Opens a window's transaction (SQLite: `BEGIN IMMEDIATE`).
    ///
    /// A run stopped by a signal drops its window mid-flight; if that
    /// happened while a `BEGIN` was being acknowledged, sqlx leaves the
    /// pooled connection inside a transaction no one owns, and the next
    /// `begin_with` is refused. That connection is closed (which rolls the
    /// orphan back) and the transaction opened on a fresh one.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        for _ in 0..self.pool.options().get_max_connections() {
            match self.pool.begin_with(self.dialect.begin()).await {
                Err(e) if left_inside_a_transaction(&e) => {
                    let conn = self.pool.acquire().await?;
                    tracing::debug!("kefu sync: closing a connection left inside a transaction");
                    let _ = conn.close().await;
                }
                other => return Ok(other?),
            }
        }
        Ok(self.pool.begin_with(self.dialect.begin()).await?)
    }

    /// PostgreSQL: a native connection with a window's transaction begun
    /// on it (`BEGIN` sent; the caller commits, see `writer::Staged`).
    /// `None` for SQLite. A connection on which `BEGIN` fails is closed and
    /// another tried.
    pub(crate) async fn begin_pg(&self) -> Result<Option<PoolConnection<Postgres>>> {
        let Some(pool) = &self.pg else {
            return Ok(None);
        };
        let mut tries = pool.options().get_max_connections();
        loop {
            let mut conn = pool.acquire().await?;
            match sqlx::query("BEGIN").execute(&mut *conn).await {
                Ok(_) => return Ok(Some(conn)),
                Err(e) if tries > 1 => {
                    tries -= 1;
                    tracing::debug!(error = %e, "kefu sync: closing a connection that cannot begin");
                    let _ = conn.close().await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Commits `tx`, a transaction of this database. Every commit goes
    /// through here: on SQLite it also starts the background checkpoint of
    /// the pages it wrote ([`crate::checkpoint`]), which the writing
    /// connection no longer does itself.
    pub(crate) async fn commit(&self, tx: sqlx::Transaction<'static, sqlx::Any>) -> Result<()> {
        tx.commit().await?;
        if let Some(c) = &self.checkpoint {
            c.committed();
        }
        Ok(())
    }

    /// Before a window's writes (SQLite: waits for the checkpoint in flight
    /// once the WAL is large, so the file starts over).
    pub(crate) async fn before_write(&self) {
        if let Some(c) = &self.checkpoint {
            c.before_write().await;
        }
    }

    /// The same database, its windows waiting for a checkpoint once the
    /// WAL passes `bytes` instead of 256 MiB: for tests, which cannot write
    /// that much. Call it before the first window.
    #[doc(hidden)]
    pub fn with_wal_limit(mut self, bytes: u64) -> Self {
        if let (Some(_), Some(path)) = (&self.checkpoint, self.url.sqlite_path()) {
            self.checkpoint = Some(Checkpointer::with_limit(
                path,
                self.url.connect_url(),
                bytes,
            ));
        }
        self
    }

    /// Whether a SQLite window would wait for a checkpoint before it
    /// begins now ([`Checkpointer::must_wait`]).
    pub(crate) fn must_wait(&self) -> bool {
        self.checkpoint.as_ref().is_some_and(|c| c.must_wait())
    }

    /// Bytes of the key index a parked window's key range covers.
    pub(crate) fn range_index_bytes(&self) -> u64 {
        self.range_index_bytes
    }

    /// The same database, a parked window's key range covering `bytes` of
    /// the key index instead of 8 MiB: for tests, whose tables are small.
    #[doc(hidden)]
    pub fn with_range_index_bytes(mut self, bytes: u64) -> Self {
        self.range_index_bytes = bytes.max(1);
        self
    }

    /// The same database, its spool files failing as on a full disk once
    /// they hold `bytes` between them: for tests, which cannot fill a disk.
    #[doc(hidden)]
    pub fn with_spool_space(mut self, bytes: u64) -> Self {
        self.spool_space = Some(crate::spool::Space::new(bytes));
        self
    }

    /// See [`Db::with_spool_space`].
    pub(crate) fn spool_space(&self) -> Option<crate::spool::Space> {
        self.spool_space.clone()
    }

    /// Spool writes refused for lack of room ([`Db::with_spool_space`]).
    #[doc(hidden)]
    pub fn spool_writes_refused(&self) -> u64 {
        self.spool_space.as_ref().map_or(0, |s| s.refused())
    }

    /// Where a window's rows may be parked ([`crate::spool`]): a SQLite
    /// file's directory.
    pub(crate) fn spool_dir(&self) -> Option<std::path::PathBuf> {
        self.checkpoint.as_ref()?;
        let path = self.url.sqlite_path()?;
        Some(match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => ".".into(),
        })
    }

    /// Closes every connection (releasing any advisory lock).
    pub async fn close(&self) {
        if let Some(c) = &self.checkpoint {
            c.close().await;
        }
        if self.dialect == Dialect::Sqlite && self.pool.size() > 0 {
            // The pool's one connection is closed here, not by `close()`:
            // sqlx's `Pool::close` (0.8) returns once the permit of a
            // connection being handed back is free, and a connection handed
            // back just as the pool closes goes to the idle queue after the
            // queue was emptied, open until the pool is dropped. The file
            // then kept its WAL after `close` (about 1 test in 15). Taking
            // the connection waits for it to come back; closing it is the
            // last close, which checkpoints and removes the WAL.
            if let Ok(conn) = self.pool.acquire().await {
                let _ = conn.close().await;
            }
        }
        self.pool.close().await;
        if let Some(pg) = &self.pg {
            pg.close().await;
        }
    }
}

/// A pooled connection that a stopped window left in the middle of its
/// transaction (a `BEGIN` whose answer was never read): beginning on it
/// fails, and it is closed rather than used. sqlx reports it as
/// `InvalidSavePointStatement`, or as `BeginFailed` when the status it
/// read after `BEGIN` was a stale one.
fn left_inside_a_transaction(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::InvalidSavePointStatement | sqlx::Error::BeginFailed
    )
}

fn unreachable_db(url: &DbUrl, e: sqlx::Error) -> SyncError {
    SyncError::Database(format!("cannot open {}: {e}", url.redacted()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_dialect_and_hide_passwords() {
        let u: DbUrl = "postgres://kefu:s3cret@db.example:5432/kefu"
            .parse()
            .expect("pg");
        assert_eq!(u.dialect(), Dialect::Postgres);
        assert_eq!(u.redacted(), "postgres://kefu:***@db.example:5432/kefu");
        assert!(!format!("{u:?}").contains("s3cret"));
        let s: DbUrl = "kefu.db".parse().expect("bare");
        assert_eq!(s.dialect(), Dialect::Sqlite);
        assert_eq!(s.connect_url(), "sqlite://kefu.db?mode=rwc");
        let s: DbUrl = "sqlite:/tmp/a b.db".parse().expect("sqlite:");
        assert_eq!(s.connect_url(), "sqlite:///tmp/a b.db?mode=rwc");
        assert_eq!(s.sqlite_path(), Some("/tmp/a b.db".into()));
        assert_eq!(u.sqlite_path(), None);
        let e = "mysql://x".parse::<DbUrl>().expect_err("mysql");
        assert!(e.to_string().contains("invalid db"), "{e}");
    }
}
