//! The transaction of one window of an incremental stream: its batches, then
//! the stream's new state, committed together. The engine drives it the
//! same way on both databases; only how a batch reaches the table differs:
//!
//! - SQLite: each batch is a multi-row upsert through `Any`
//!   ([`store::write`]), counted as it goes.
//! - PostgreSQL: each batch is `COPY`'d (text format) into a temporary
//!   staging table, and at the commit one `INSERT ... SELECT ... ON
//!   CONFLICT ... DO UPDATE ... WHERE record_hash differs` moves the whole
//!   window, counting inserted and updated rows with `RETURNING (xmax = 0)`.
//!   The server parses each record into `jsonb` once and walks the key index
//!   in key order, instead of planning, binding and parsing thousands of
//!   parameters a statement (where a sync's time went: docs/sync.md).

use sqlx::pool::PoolConnection;
use sqlx::{Any, PgConnection, Postgres, Row as _, Transaction};

use crate::db::{ColumnKind, Db};
use crate::error::{Result, SyncError};
use crate::row::Row;
use crate::state::{self, StreamState};
use crate::store::{self, Counts, Write};
use crate::stream::Stream;

/// Bytes of `COPY` text sent at a time.
const COPY_CHUNK: usize = 64 * 1024;

/// An open window.
pub(crate) enum WindowTx {
    /// SQLite: upserts batch by batch.
    Sqlite(Transaction<'static, Any>),
    /// PostgreSQL: `COPY` into staging, one upsert at the commit.
    Postgres(Staged),
}

/// A PostgreSQL window's transaction and what it staged.
pub(crate) struct Staged {
    /// Inside the window's `BEGIN`. Never handed back to the pool unless
    /// committed: a window dropped half-way (a stop, a failure) may leave
    /// the connection in the middle of a `COPY` whose answers are still
    /// unread, and the next window would read them as its own (sqlx:
    /// "expected CopyInResponse, got BindComplete"). Closing it instead
    /// also rolls the window back on the server.
    tx: PoolConnection<Postgres>,
    /// Whether `COMMIT` went through.
    committed: bool,
    stream: Stream,
    /// Rows staged so far; each row's `seq`, so the last copy of a key
    /// wins when a window holds it twice (repeated pages, look-backs).
    staged: i64,
    /// `COPY` text on its way (up to about [`COPY_CHUNK`]), kept between
    /// batches.
    buf: Vec<u8>,
}

impl WindowTx {
    /// Opens the window's transaction (SQLite: `BEGIN IMMEDIATE`).
    pub(crate) async fn begin(db: &Db, stream: Stream) -> Result<Self> {
        if stream.key() != "account, id" {
            // The staging upsert keeps one row per id.
            return Err(SyncError::Database(format!(
                "{stream} is not written in windows"
            )));
        }
        Ok(match db.begin_pg().await? {
            Some(tx) => Self::Postgres(Staged {
                tx,
                committed: false,
                stream,
                staged: 0,
                buf: Vec::with_capacity(COPY_CHUNK + 8 * 1024),
            }),
            None => Self::Sqlite(db.begin().await?),
        })
    }

    /// Writes a batch. SQLite counts it now; PostgreSQL at the commit.
    pub(crate) async fn write(&mut self, w: Write<'_>, rows: &[Row]) -> Result<Counts> {
        match self {
            Self::Sqlite(tx) => store::write(tx, crate::db::Dialect::Sqlite, w, rows).await,
            Self::Postgres(s) => {
                s.stage(rows).await?;
                Ok(Counts::default())
            }
        }
    }

    /// Saves `next` beside the window's rows and commits both; returns what
    /// the rows not yet counted did (PostgreSQL: the whole window).
    pub(crate) async fn commit(
        self,
        w: Write<'_>,
        next: &StreamState,
        now: &str,
    ) -> Result<Counts> {
        match self {
            Self::Sqlite(mut tx) => {
                state::save(&mut tx, crate::db::Dialect::Sqlite, next, now).await?;
                tx.commit().await?;
                Ok(Counts::default())
            }
            Self::Postgres(mut s) => {
                let counts = s.upsert(w).await?;
                state::save_pg(&mut s.tx, next, now).await?;
                sqlx::query("COMMIT").execute(&mut *s.tx).await?;
                s.committed = true;
                Ok(counts)
            }
        }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            self.tx.close_on_drop();
        }
    }
}

impl Staged {
    fn staging(&self) -> String {
        format!("kefu_stage_{}", self.stream.table())
    }

    /// `COPY`s `rows` into the staging table (created on the window's first
    /// batch; it lives as long as the connection, emptied at each commit).
    async fn stage(&mut self, rows: &[Row]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let staging = self.staging();
        let extra: Vec<&str> = self.stream.columns().iter().map(|(n, _)| *n).collect();
        if self.staged == 0 {
            let columns: String = extra.iter().map(|c| format!(", {c} TEXT")).collect();
            sqlx::query(&format!(
                "CREATE TEMPORARY TABLE IF NOT EXISTS {staging} \
                 (seq BIGINT NOT NULL, id TEXT NOT NULL{columns}, record TEXT NOT NULL, \
                 record_hash BIGINT NOT NULL) ON COMMIT DELETE ROWS"
            ))
            .execute(&mut *self.tx)
            .await?;
        }
        let names: String = extra.iter().map(|c| format!(", {c}")).collect();
        let conn: &mut PgConnection = &mut self.tx;
        let mut copy = conn
            .copy_in_raw(&format!(
                "COPY {staging} (seq, id{names}, record, record_hash) FROM STDIN"
            ))
            .await?;
        // Sent in pieces of about 64 KiB: no buffer the size of a batch (a
        // large allocation per batch is memory the allocator keeps a while).
        self.buf.clear();
        for r in rows {
            self.staged += 1;
            encode_row(&mut self.buf, self.staged, r);
            if self.buf.len() >= COPY_CHUNK {
                if let Err(e) = copy.send(self.buf.as_slice()).await {
                    let _ = copy.abort(e.to_string()).await;
                    return Err(e.into());
                }
                self.buf.clear();
            }
        }
        if !self.buf.is_empty()
            && let Err(e) = copy.send(self.buf.as_slice()).await
        {
            let _ = copy.abort(e.to_string()).await;
            return Err(e.into());
        }
        copy.finish().await?;
        Ok(())
    }

    /// Moves the staged window into the table: the last copy of each id,
    /// unchanged rows left alone.
    async fn upsert(&mut self, w: Write<'_>) -> Result<Counts> {
        if self.staged == 0 {
            return Ok(Counts::default());
        }
        let table = self.stream.table();
        let staging = self.staging();
        let mut names = vec!["account".to_owned(), "id".to_owned()];
        let mut values = vec!["$1".to_owned(), "id".to_owned()];
        let mut sets = Vec::new();
        for (name, kind) in self.stream.columns() {
            names.push((*name).to_owned());
            values.push(cast(name, *kind));
            sets.push(format!("{name} = excluded.{name}"));
        }
        names.extend(["record", "record_hash", "synced_at"].map(str::to_owned));
        values.extend([
            cast("record", ColumnKind::Json),
            "record_hash".to_owned(),
            "$2::timestamptz".to_owned(),
        ]);
        sets.extend(
            [
                "record = excluded.record",
                "record_hash = excluded.record_hash",
                "synced_at = excluded.synced_at",
            ]
            .map(str::to_owned),
        );
        let sql = format!(
            "WITH up AS (INSERT INTO {table} ({names}) \
             SELECT DISTINCT ON (id) {values} FROM {staging} ORDER BY id, seq DESC \
             ON CONFLICT (account, id) DO UPDATE SET {sets} \
             WHERE {table}.record_hash IS DISTINCT FROM excluded.record_hash \
             RETURNING (xmax = 0) AS inserted) \
             SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted) FROM up",
            names = names.join(", "),
            values = values.join(", "),
            sets = sets.join(", "),
        );
        let row = sqlx::query(&sql)
            .bind(w.account)
            .bind(w.now)
            .fetch_one(&mut *self.tx)
            .await?;
        let inserted: i64 = row.try_get(0)?;
        let updated: i64 = row.try_get(1)?;
        Ok(Counts {
            inserted: u64::try_from(inserted).unwrap_or(0),
            updated: u64::try_from(updated).unwrap_or(0),
        })
    }
}

/// A staged text column read as its table column's type.
fn cast(name: &str, kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Time => format!("{name}::timestamptz"),
        ColumnKind::Date => format!("{name}::date"),
        ColumnKind::Json => format!("{name}::jsonb"),
        ColumnKind::Text | ColumnKind::Int => name.to_owned(),
    }
}

/// One line of `COPY ... FROM STDIN` text: `seq`, id, the extra columns
/// (`\N` for none), record, hash; tab-separated.
fn encode_row(buf: &mut Vec<u8>, seq: i64, r: &Row) {
    buf.extend_from_slice(seq.to_string().as_bytes());
    buf.push(b'\t');
    push_text(buf, &r.id);
    for v in &r.columns {
        buf.push(b'\t');
        match v {
            Some(v) => push_text(buf, v),
            None => buf.extend_from_slice(b"\\N"),
        }
    }
    buf.push(b'\t');
    push_text(buf, &r.record);
    buf.push(b'\t');
    buf.extend_from_slice(r.hash.to_string().as_bytes());
    buf.push(b'\n');
}

/// `s` escaped for `COPY`'s text format: backslash, and the characters
/// that would end a column or a line. Whatever a vendor sends, it arrives
/// as the same text (a NUL is refused by PostgreSQL, as with any insert).
fn push_text(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_would_end_a_column() {
        let r = Row {
            id: "a\tb".to_owned(),
            columns: vec![None, Some("x\\y".to_owned())],
            record: "{\"k\":\"l1\\nl2\"}\r\n".to_owned(),
            hash: -5,
        };
        let mut buf = Vec::new();
        encode_row(&mut buf, 7, &r);
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "7\ta\\tb\t\\N\tx\\\\y\t{\"k\":\"l1\\\\nl2\"}\\r\\n\t-5\n"
        );
    }
}
