//! The transaction of one window of an incremental stream: its batches, then
//! the stream's new state, committed together. The engine drives it the
//! same way on both databases; only how a batch reaches the table differs:
//!
//! - SQLite: each batch is a multi-row upsert through `Any`
//!   ([`store::write`]), counted as it goes.
//! - PostgreSQL: each batch is one prepared `INSERT ... SELECT ... FROM
//!   UNNEST($3, $4, ...) ... ON CONFLICT ... DO UPDATE ... WHERE
//!   record_hash differs`, its columns bound as arrays (binary, so no text
//!   a vendor sends needs escaping), counting inserted and updated rows
//!   with `RETURNING (xmax = 0)`. The server plans it once and parses each
//!   record into `jsonb` once, instead of planning, binding and parsing
//!   thousands of parameters a statement. Records are bound as `jsonb`
//!   with their keys already in `jsonb`'s order (`crate::jsonb`), times as
//!   `timestamptz`: the server's one backend is what such a sync waits
//!   for, so what it need not do, `kefu` does beside the fetching.
//!
//! Both write batch by batch, never the whole window at its end: while the
//! database works on one batch, the fetching task reads the next ones.
//! PostgreSQL once moved a whole window at the commit, and the fetching
//! stood still for that statement's second or more (docs/sync.md).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::pool::PoolConnection;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo};
use sqlx::{Any, Postgres, Row as _, Transaction};

use crate::db::{ColumnKind, Db};
use crate::error::{Result, SyncError};
use crate::row::Row;
use crate::state::{self, StreamState};
use crate::store::{self, Counts, Write};
use crate::stream::Stream;

/// An open window.
pub(crate) enum WindowTx {
    /// SQLite: multi-row upserts through `Any`.
    Sqlite(Transaction<'static, Any>),
    /// PostgreSQL: one array upsert a batch on a native connection.
    Postgres(PgWindow),
}

/// A PostgreSQL window's transaction.
pub(crate) struct PgWindow {
    /// Inside the window's `BEGIN`. Never handed back to the pool unless
    /// committed: a window dropped half-way (a stop, a failure) may leave
    /// a statement's answers unread on the connection, and the next window
    /// would read them as its own (sqlx: "expected CopyInResponse, got
    /// BindComplete", seen when batches went by `COPY`). Closing it
    /// instead also rolls the window back on the server.
    tx: PoolConnection<Postgres>,
    /// Whether `COMMIT` went through.
    committed: bool,
    stream: Stream,
    /// The batch statement, built once a window.
    sql: String,
}

impl WindowTx {
    /// Opens the window's transaction (SQLite: `BEGIN IMMEDIATE`).
    pub(crate) async fn begin(db: &Db, stream: Stream) -> Result<Self> {
        if stream.key() != "account, id" {
            // The batch upsert keeps one row per id.
            return Err(SyncError::Database(format!(
                "{stream} is not written in windows"
            )));
        }
        Ok(match db.begin_pg().await? {
            Some(tx) => Self::Postgres(PgWindow {
                tx,
                committed: false,
                stream,
                sql: upsert_sql(stream),
            }),
            None => Self::Sqlite(db.begin().await?),
        })
    }

    /// Writes a batch and counts what it did. Rows for PostgreSQL come with
    /// their records ready for `jsonb` (`crate::jsonb::KeyOrder::prepare`,
    /// which the engine runs on every batch of a PostgreSQL sync).
    pub(crate) async fn write(&mut self, w: Write<'_>, rows: &[Row]) -> Result<Counts> {
        match self {
            Self::Sqlite(tx) => store::write(tx, crate::db::Dialect::Sqlite, w, rows).await,
            Self::Postgres(pg) => pg.write(w, rows).await,
        }
    }

    /// Saves `next` beside the window's rows and commits both.
    pub(crate) async fn commit(self, db: &Db, next: &StreamState, now: &str) -> Result<()> {
        match self {
            Self::Sqlite(mut tx) => {
                state::save(&mut tx, crate::db::Dialect::Sqlite, next, now).await?;
                db.commit(tx).await?;
            }
            Self::Postgres(mut pg) => {
                state::save_pg(&mut pg.tx, next, now).await?;
                sqlx::query("COMMIT").execute(&mut *pg.tx).await?;
                pg.committed = true;
            }
        }
        Ok(())
    }
}

impl PgWindow {
    /// Upserts `rows`: the last copy of each id, unchanged rows left alone.
    async fn write(&mut self, w: Write<'_>, rows: &[Row]) -> Result<Counts> {
        if rows.is_empty() {
            return Ok(Counts::default());
        }
        let rows = store::last_copies(rows);
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        // Made ready for `jsonb` (the escape of NUL replaced, keys in order)
        // by the engine beside the fetching: see `WindowTx::write`.
        let records: Vec<JsonbText<'_>> = rows.iter().map(|r| JsonbText(&r.record)).collect();
        let hashes: Vec<i64> = rows.iter().map(|r| r.hash).collect();
        let mut q = sqlx::query(&self.sql)
            .bind(w.account)
            // Bound as text, `$2::timestamptz` was parsed twice a row: a
            // prepared statement's parameter is not folded into a constant.
            .bind(PgTime::of("synced_at", w.now)?)
            .bind(ids)
            .bind(records)
            .bind(hashes);
        for (c, (name, kind)) in self.stream.columns().iter().enumerate() {
            let column = rows
                .iter()
                .map(|r| r.columns.get(c).and_then(|v| v.as_deref()));
            q = match kind {
                ColumnKind::Time => q.bind(
                    column
                        .map(|v| v.map(|t| PgTime::of(name, t)).transpose())
                        .collect::<Result<Vec<Option<PgTime>>>>()?,
                ),
                _ => q.bind(column.collect::<Vec<Option<&str>>>()),
            };
        }
        let row = q.fetch_one(&mut *self.tx).await?;
        let inserted: i64 = row.try_get(0)?;
        let updated: i64 = row.try_get(1)?;
        Ok(Counts {
            inserted: u64::try_from(inserted).unwrap_or(0),
            updated: u64::try_from(updated).unwrap_or(0),
        })
    }
}

/// The batch upsert of `stream`: `$1` account, `$2` now (`timestamptz`),
/// `$3` ids, `$4` records (`jsonb`), `$5` hashes, then one array per extra
/// column (times as `timestamptz`); each id once.
fn upsert_sql(stream: Stream) -> String {
    let table = stream.table();
    let mut names = vec!["account".to_owned(), "id".to_owned()];
    let mut values = vec!["$1".to_owned(), "id".to_owned()];
    let mut arrays = vec![
        "$3::text[]".to_owned(),
        "$4::jsonb[]".to_owned(),
        "$5::bigint[]".to_owned(),
    ];
    let mut aliases = vec!["id", "record", "record_hash"];
    let mut sets = Vec::new();
    for (i, (name, kind)) in stream.columns().iter().enumerate() {
        names.push((*name).to_owned());
        // Times go in binary, as `timestamptz`; the rest as text.
        let (value, array) = match kind {
            ColumnKind::Time => ((*name).to_owned(), "timestamptz"),
            _ => (cast(name, *kind), "text"),
        };
        values.push(value);
        arrays.push(format!("${}::{array}[]", i + 6));
        aliases.push(name);
        sets.push(format!("{name} = excluded.{name}"));
    }
    names.extend(["record", "record_hash", "synced_at"].map(str::to_owned));
    values.extend([
        "record".to_owned(),
        "record_hash".to_owned(),
        "$2".to_owned(),
    ]);
    sets.extend([
        "record = excluded.record".to_owned(),
        "record_hash = excluded.record_hash".to_owned(),
        // A hash that differs while the record does not is one an older
        // kefu computed (`row::Row::against`): the row takes the new
        // hash and keeps its `synced_at`, and is not counted.
        format!(
            "synced_at = CASE WHEN {table}.record IS DISTINCT FROM excluded.record \
                 THEN excluded.synced_at ELSE {table}.synced_at END"
        ),
    ]);
    format!(
        "WITH up AS (INSERT INTO {table} ({names}) \
         SELECT {values} FROM UNNEST({arrays}) AS batch ({aliases}) \
         ON CONFLICT (account, id) DO UPDATE SET {sets} \
         WHERE {table}.record_hash IS DISTINCT FROM excluded.record_hash \
         RETURNING (xmax = 0) AS inserted, synced_at = $2 AS written) \
         SELECT COUNT(*) FILTER (WHERE inserted), \
         COUNT(*) FILTER (WHERE NOT inserted AND written) FROM up",
        names = names.join(", "),
        values = values.join(", "),
        arrays = arrays.join(", "),
        aliases = aliases.join(", "),
        sets = sets.join(", "),
    )
}

impl Drop for PgWindow {
    fn drop(&mut self) {
        if !self.committed {
            self.tx.close_on_drop();
        }
    }
}

/// An array column read as its table column's type.
fn cast(name: &str, kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Time => format!("{name}::timestamptz"),
        ColumnKind::Date => format!("{name}::date"),
        ColumnKind::Json => format!("{name}::jsonb"),
        ColumnKind::Text | ColumnKind::Int => name.to_owned(),
    }
}

/// A record bound as `jsonb` in binary: the format's version (1), then the
/// JSON text. Bound as `text`, each record was copied once more on the
/// server and measured (`strlen`) on its way through the cast.
#[derive(Debug, Clone, Copy)]
struct JsonbText<'a>(&'a str);

impl sqlx::Type<Postgres> for JsonbText<'_> {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(3802))
    }
}

impl PgHasArrayType for JsonbText<'_> {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(3807))
    }
}

impl sqlx::Encode<'_, Postgres> for JsonbText<'_> {
    fn encode_by_ref(
        &self,
        buf: &mut PgArgumentBuffer,
    ) -> std::result::Result<IsNull, BoxDynError> {
        buf.push(1);
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

/// A time column bound as `timestamptz` in binary: microseconds since
/// 2000-01-01 UTC. Bound as text, the server parsed every row's time
/// (`DecodeDateTime`), on the one backend a sync into PostgreSQL waits
/// for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PgTime(i64);

impl PgTime {
    /// PostgreSQL's epoch, in microseconds after Unix's.
    const EPOCH: i64 = 946_684_800_000_000;

    /// The time column `name`'s stored text (`row::instant`) as an instant.
    fn of(name: &str, text: &str) -> Result<Self> {
        let at = chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|e| SyncError::Database(format!("{name} is not a time: {text:?} ({e})")))?;
        Ok(Self(at.timestamp_micros() - Self::EPOCH))
    }
}

impl sqlx::Type<Postgres> for PgTime {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(1184))
    }
}

impl PgHasArrayType for PgTime {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(1185))
    }
}

impl sqlx::Encode<'_, Postgres> for PgTime {
    fn encode_by_ref(
        &self,
        buf: &mut PgArgumentBuffer,
    ) -> std::result::Result<IsNull, BoxDynError> {
        buf.extend_from_slice(&self.0.to_be_bytes());
        Ok(IsNull::No)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_count_microseconds_from_2000_utc() {
        assert_eq!(
            PgTime::of("t", "2000-01-01T00:00:00.000Z").ok(),
            Some(PgTime(0))
        );
        assert_eq!(
            PgTime::of("t", "2000-01-01T00:00:01.250Z").ok(),
            Some(PgTime(1_250_000))
        );
        assert_eq!(
            PgTime::of("t", "1999-12-31T23:59:59.999Z").ok(),
            Some(PgTime(-1_000))
        );
        // The ends a time column holds (row::column_instant).
        assert_eq!(
            PgTime::of("t", "0001-01-01T00:00:00.000Z").ok(),
            Some(PgTime(-63_082_281_600_000_000))
        );
        assert!(PgTime::of("t", "9999-12-31T23:59:59.999Z").is_ok());
        let e = PgTime::of("stopped_at", "yesterday").expect_err("not a time");
        assert!(e.to_string().contains("stopped_at"), "{e}");
    }
}
