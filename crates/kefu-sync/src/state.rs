//! `kefu_sync_state`: one row per (account, stream), written in the same
//! transaction as the rows it speaks for.

use sqlx::{AnyConnection, PgConnection, Row as _};

use crate::db::{ColumnKind, Db, Dialect};
use crate::error::Result;
use crate::stream::Stream;

/// Binds the parameters of [`save_sql`] (the same for `Any` and native
/// PostgreSQL queries, whose types differ).
macro_rules! bind_state {
    ($q:expr, $s:expr, $now:expr) => {
        $q.bind($s.account.clone())
            .bind($s.stream.clone())
            .bind($s.cursor.clone())
            .bind($s.origin.clone())
            .bind(i64::from($s.complete))
            .bind($now.to_owned())
            .bind($now.to_owned())
            .bind($s.last_outcome.clone())
    };
}

/// What is stored for one (account, stream).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamState {
    /// The account.
    pub account: String,
    /// The stream name.
    pub stream: String,
    /// Incremental: the end of the last committed window (RFC 3339);
    /// daily: the last committed day; snapshot: when the last listing was
    /// committed.
    pub cursor: Option<String>,
    /// Where the first run began (the lower bound `verify` checks from).
    pub origin: Option<String>,
    /// Whether the last run reached its end.
    pub complete: bool,
    /// When a run last committed.
    pub last_run_at: Option<String>,
    /// How the last run ended (`complete`, `stopped: ...`).
    pub last_outcome: Option<String>,
}

impl StreamState {
    /// This state once a window up to `cursor` commits: complete or still
    /// in progress, as its outcome says.
    pub(crate) fn advanced(&self, cursor: String, complete: bool) -> Self {
        Self {
            cursor: Some(cursor),
            complete,
            last_outcome: Some(if complete { "complete" } else { "in progress" }.to_owned()),
            ..self.clone()
        }
    }
}

/// The state of (account, stream), if any.
pub async fn load(db: &Db, account: &str, stream: Stream) -> Result<Option<StreamState>> {
    let all = load_where(db, Some((account, stream))).await?;
    Ok(all.into_iter().next())
}

/// Every state row, by account and stream.
pub async fn load_all(db: &Db) -> Result<Vec<StreamState>> {
    load_where(db, None).await
}

async fn load_where(db: &Db, only: Option<(&str, Stream)>) -> Result<Vec<StreamState>> {
    let d = db.dialect();
    let mut sql = format!(
        "SELECT account, stream, cursor, origin, complete, {}, last_outcome FROM kefu_sync_state",
        d.as_text("last_run_at", ColumnKind::Time)
    );
    if only.is_some() {
        sql.push_str(" WHERE account = $1 AND stream = $2");
    }
    sql.push_str(" ORDER BY account, stream");
    let mut q = sqlx::query(&sql);
    if let Some((account, stream)) = only {
        q = q.bind(account.to_owned()).bind(stream.name());
    }
    let mut out = Vec::new();
    for row in q.fetch_all(db.pool()).await? {
        out.push(StreamState {
            account: row.try_get(0)?,
            stream: row.try_get(1)?,
            cursor: row.try_get(2)?,
            origin: row.try_get(3)?,
            complete: row.try_get::<i64, _>(4)? != 0,
            last_run_at: row.try_get(5)?,
            last_outcome: row.try_get(6)?,
        });
    }
    Ok(out)
}

/// Saves the state inside the window's transaction.
pub async fn save(
    conn: &mut AnyConnection,
    dialect: Dialect,
    s: &StreamState,
    now: &str,
) -> Result<()> {
    let sql = save_sql(dialect);
    bind_state!(sqlx::query(&sql), s, now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// [`save`] on a native PostgreSQL connection (a window's, see [`crate::writer`]).
pub(crate) async fn save_pg(conn: &mut PgConnection, s: &StreamState, now: &str) -> Result<()> {
    let sql = save_sql(Dialect::Postgres);
    bind_state!(sqlx::query(&sql), s, now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records how a run of `s`'s stream ended (`complete`, `last_outcome`) in
/// a transaction of its own, leaving the stored cursor as it is; `s`'s
/// cursor is only written when no row exists yet, and its origin only
/// where none is stored. A stop drops a window's future, and a `COMMIT`
/// already sent may still land on the server: the stored cursor can then
/// be ahead of the one this process knows, and writing it back would move
/// the cursor backwards (the rows after it re-read for nothing, and every
/// row there taken for stored by `writer::Fresh`'s check).
pub async fn save_outcome(db: &Db, s: &StreamState, now: &str) -> Result<()> {
    let sql = upsert_sql(
        db.dialect(),
        "origin = COALESCE(kefu_sync_state.origin, excluded.origin), \
         complete = excluded.complete, updated_at = excluded.updated_at, \
         last_outcome = excluded.last_outcome",
    );
    let mut tx = db.begin().await?;
    bind_state!(sqlx::query(&sql), s, now)
        .execute(&mut *tx)
        .await?;
    db.commit(tx).await?;
    Ok(())
}

/// The upsert of one state row; parameters as [`bind_state`] binds them.
fn save_sql(dialect: Dialect) -> String {
    upsert_sql(
        dialect,
        "cursor = excluded.cursor, origin = excluded.origin, complete = excluded.complete, \
         updated_at = excluded.updated_at, last_run_at = excluded.last_run_at, \
         last_outcome = excluded.last_outcome",
    )
}

/// One state row inserted, or its columns updated by `set`; parameters as
/// [`bind_state`] binds them.
fn upsert_sql(dialect: Dialect, set: &str) -> String {
    format!(
        "INSERT INTO kefu_sync_state \
         (account, stream, cursor, origin, complete, updated_at, last_run_at, last_outcome) \
         VALUES ($1, $2, $3, $4, $5, {now}, {now2}, $8) \
         ON CONFLICT (account, stream) DO UPDATE SET {set}",
        now = dialect.param(6, ColumnKind::Time),
        now2 = dialect.param(7, ColumnKind::Time),
    )
}

/// Rows of `account` in `stream`'s table (deleted snapshot rows included).
pub async fn row_count(db: &Db, account: &str, stream: Stream) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {} WHERE account = $1", stream.table());
    Ok(sqlx::query(&sql)
        .bind(account.to_owned())
        .fetch_one(db.pool())
        .await?
        .try_get(0)?)
}
