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
//!   In a window past the stream's cursor ([`Fresh`]) the rows that can
//!   only be new go by a binary `COPY` instead: `ON CONFLICT` makes the
//!   server look each key up in the key index before it inserts it (about
//!   a fifth of the server's work in a first sync), and `COPY` fills heap
//!   pages several rows at a time, with one WAL record a page. A row taken
//!   for new that is there after all (a session whose stop time moved, a
//!   server that repeats itself) fails the `COPY`; the window is then
//!   rolled back and read again with upserts ([`Batched::Collided`]), so it
//!   costs requests, never a row.
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

use std::collections::HashSet;
use std::hash::{BuildHasher as _, RandomState};

use chrono::{DateTime, TimeDelta, Utc};

use crate::db::{ColumnKind, Db};
use crate::error::{Result, SyncError};
use crate::row::{self, Row};
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
    /// Which rows can only be new, and the `COPY` they go by.
    fresh: Option<(Fresh, String)>,
    /// The ids this window copied as new (hashed): a later copy of one in
    /// the same window (a repeated page) is upserted, not read again.
    inserted: HashSet<u64>,
    ids: RandomState,
}

/// The rows of a window that can only be new: those whose time lies more
/// than a second after the window's start. Windows are read with both
/// ends inclusive, so a record on the bound (whole seconds, a vendor that
/// may round) was read by the window before; anything earlier than the
/// start, later than the cursor the run began at, is not in the table
/// unless its time moved or the server repeats itself, and then the `COPY`
/// fails and the window is read again ([`Batched::Collided`]).
/// Taking a row for new wrongly costs that re-read, never a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fresh {
    /// The window's start plus a second, as the time column stores it.
    after: String,
}

impl Fresh {
    /// For a window starting at `from` (none at the end of time).
    pub(crate) fn after(from: DateTime<Utc>) -> Option<Self> {
        let after = from.checked_add_signed(TimeDelta::seconds(1))?;
        Some(Self {
            after: row::instant(after),
        })
    }

    /// Whether `row` can only be new. The time column is the first of an
    /// incremental stream, stored by `row::column_instant` (four-digit
    /// years, fixed width), so its text sorts as its time does.
    fn takes(&self, row: &Row) -> bool {
        matches!(row.columns.first(), Some(Some(t)) if t.as_str() > self.after.as_str())
    }
}

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Batched {
    /// Written and counted.
    Written(Counts),
    /// A row taken for new ([`Fresh`]) was in the table already: the
    /// window's transaction is void, and the window must be read again
    /// without [`Fresh`].
    Collided,
}

impl WindowTx {
    /// Opens the window's transaction (SQLite: `BEGIN IMMEDIATE`). With
    /// `fresh`, PostgreSQL copies the rows it takes (no `ON CONFLICT`);
    /// SQLite's `INSERT OR IGNORE` of new keys looks each key up once
    /// already, and it ignores `fresh`.
    pub(crate) async fn begin(db: &Db, stream: Stream, fresh: Option<Fresh>) -> Result<Self> {
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
                fresh: fresh
                    .filter(|_| copies(stream))
                    .map(|f| (f, copy_sql(stream))),
                inserted: HashSet::new(),
                ids: RandomState::new(),
            }),
            None => Self::Sqlite(db.begin().await?),
        })
    }

    /// Writes a batch and counts what it did. Rows for PostgreSQL come with
    /// their records ready for `jsonb` (`crate::jsonb::KeyOrder::prepare`,
    /// which the engine runs on every batch of a PostgreSQL sync).
    pub(crate) async fn write(&mut self, w: Write<'_>, rows: &[Row]) -> Result<Batched> {
        match self {
            Self::Sqlite(tx) => store::write(tx, crate::db::Dialect::Sqlite, w, rows)
                .await
                .map(Batched::Written),
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
    /// Writes `rows`, the last copy of each id: those [`Fresh`] takes by a
    /// binary `COPY`, the others by the upsert, unchanged rows left alone.
    async fn write(&mut self, w: Write<'_>, rows: &[Row]) -> Result<Batched> {
        let rows = store::last_copies(rows);
        let (new, known): (Vec<&Row>, Vec<&Row>) = match &self.fresh {
            Some((fresh, _)) => rows.into_iter().partition(|r| {
                fresh.takes(r) && !self.inserted.contains(&self.ids.hash_one(&r.id))
            }),
            None => (Vec::new(), rows),
        };
        let mut counts = Counts::default();
        if !new.is_empty()
            && let Some((fresh, copy_sql)) = self.fresh.take()
        {
            let done = self.copy(&copy_sql, w, &new).await;
            self.fresh = Some((fresh, copy_sql));
            match done? {
                Batched::Written(c) => {
                    counts += c;
                    let ids = &self.ids;
                    self.inserted
                        .extend(new.iter().map(|r| ids.hash_one(&r.id)));
                }
                Batched::Collided => return Ok(Batched::Collided),
            }
        }
        if !known.is_empty() {
            let upsert = std::mem::take(&mut self.sql);
            let done = self.execute(&upsert, w, &known).await;
            self.sql = upsert;
            counts += done?;
        }
        Ok(Batched::Written(counts))
    }

    /// Copies `rows`, which can only be new, into the table: binary `COPY`,
    /// counted by its row count. A key already there fails it (23505,
    /// `unique_violation`: the table's one unique index is its key), and
    /// the window with it.
    async fn copy(&mut self, sql: &str, w: Write<'_>, rows: &[&Row]) -> Result<Batched> {
        let mut data = Vec::with_capacity(COPY_HEADER.len() + rows.len() * 1600);
        data.extend_from_slice(&COPY_HEADER);
        copy_rows(&mut data, self.stream, w, rows)?;
        data.extend_from_slice(&(-1i16).to_be_bytes());
        let done = async {
            let mut copy = self.tx.copy_in_raw(sql).await?;
            copy.send(data).await?;
            copy.finish().await
        }
        .await;
        match done {
            Ok(n) => Ok(Batched::Written(Counts {
                inserted: n,
                updated: 0,
            })),
            Err(e)
                if e.as_database_error()
                    .and_then(|d| d.code())
                    .is_some_and(|c| c == "23505") =>
            {
                Ok(Batched::Collided)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs the batch upsert `sql` over `rows`, counting what it did.
    async fn execute(&mut self, sql: &str, w: Write<'_>, rows: &[&Row]) -> Result<Counts> {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        // Made ready for `jsonb` (the escape of NUL replaced, keys in order)
        // by the engine beside the fetching: see `WindowTx::write`.
        let records: Vec<JsonbText<'_>> = rows.iter().map(|r| JsonbText(&r.record)).collect();
        let hashes: Vec<i64> = rows.iter().map(|r| r.hash).collect();
        let mut q = sqlx::query(sql)
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

/// SQLite: about how many rows `stream`'s table holds (its largest rowid,
/// which costs one descent of the table, where `COUNT(*)` reads the index).
pub(crate) async fn sqlite_rows(db: &Db, stream: Stream) -> Result<u64> {
    let max: i64 = sqlx::query(&format!(
        "SELECT COALESCE(MAX(rowid), 0) FROM {}",
        stream.table()
    ))
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    Ok(u64::try_from(max).unwrap_or(0))
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

/// The `COPY` of rows of `stream` that can only be new ([`Fresh`]), in
/// binary: `account`, `id`, the stream's columns, `record`, `record_hash`,
/// `synced_at` ([`copy_rows`]).
fn copy_sql(stream: Stream) -> String {
    let columns: Vec<&str> = stream.columns().iter().map(|(name, _)| *name).collect();
    format!(
        "COPY {} (account, id, {}, record, record_hash, synced_at) FROM STDIN (FORMAT binary)",
        stream.table(),
        columns.join(", ")
    )
}

/// Whether [`copy_rows`] can write every column of `stream` (the
/// incremental streams' are times).
fn copies(stream: Stream) -> bool {
    !stream.columns().is_empty()
        && stream
            .columns()
            .iter()
            .all(|(_, kind)| matches!(kind, ColumnKind::Time | ColumnKind::Text))
}

/// Binary `COPY`'s signature, flags and header extension.
const COPY_HEADER: [u8; 19] = *b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Appends `rows` as tuples of binary `COPY` in [`copy_sql`]'s order:
/// each a field count, then each field's length (-1: NULL) and bytes, in
/// the form the type's binary input takes (`text`: its bytes; `jsonb`: 1
/// and the text; `int8` and `timestamptz`: 8 bytes, big-endian).
fn copy_rows(data: &mut Vec<u8>, stream: Stream, w: Write<'_>, rows: &[&Row]) -> Result<()> {
    let columns = stream.columns();
    let fields = i16::try_from(columns.len() + 5)
        .map_err(|_| SyncError::Database(format!("{stream} has too many columns")))?;
    let now = PgTime::of("synced_at", w.now)?;
    let field = |data: &mut Vec<u8>, bytes: &[&[u8]]| -> Result<()> {
        let len: usize = bytes.iter().map(|b| b.len()).sum();
        let len = i32::try_from(len)
            .map_err(|_| SyncError::Database(format!("a value of {len} bytes")))?;
        data.extend_from_slice(&len.to_be_bytes());
        for b in bytes {
            data.extend_from_slice(b);
        }
        Ok(())
    };
    for r in rows {
        data.extend_from_slice(&fields.to_be_bytes());
        field(data, &[w.account.as_bytes()])?;
        field(data, &[r.id.as_bytes()])?;
        for (c, (name, kind)) in columns.iter().enumerate() {
            match (r.columns.get(c).and_then(|v| v.as_deref()), kind) {
                (None, _) => data.extend_from_slice(&(-1i32).to_be_bytes()),
                (Some(t), ColumnKind::Time) => {
                    field(data, &[&PgTime::of(name, t)?.0.to_be_bytes()])?;
                }
                (Some(t), ColumnKind::Text) => field(data, &[t.as_bytes()])?,
                (Some(_), _) => {
                    return Err(SyncError::Database(format!(
                        "{name} of {stream} cannot be copied"
                    )));
                }
            }
        }
        field(data, &[&[1], r.record.as_bytes()])?;
        field(data, &[&r.hash.to_be_bytes()])?;
        field(data, &[&now.0.to_be_bytes()])?;
    }
    Ok(())
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

    fn at(stopped_at: Option<&str>) -> Row {
        Row {
            id: "s".to_owned(),
            columns: vec![stopped_at.map(str::to_owned)],
            record: "{}".to_owned(),
            hash: 0,
            legacy_hash: None,
        }
    }

    /// Only rows more than a second after the window's start are taken for
    /// new: the one on the start was read by the window before (both ends
    /// are inclusive, and a vendor may round to the second), and a row
    /// without a time or before the window proves nothing.
    #[test]
    fn fresh_takes_rows_more_than_a_second_into_the_window() {
        let from = chrono::DateTime::parse_from_rfc3339("2024-06-01T10:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let fresh = Fresh::after(from).expect("fresh");
        for (t, taken) in [
            (Some("2024-06-01T09:59:59.000Z"), false),
            (Some("2024-06-01T10:00:00.000Z"), false),
            (Some("2024-06-01T10:00:00.999Z"), false),
            (Some("2024-06-01T10:00:01.000Z"), false),
            (Some("2024-06-01T10:00:01.001Z"), true),
            (Some("2024-06-01T10:00:02.000Z"), true),
            (Some("9999-12-31T23:59:59.999Z"), true),
            (None, false),
        ] {
            assert_eq!(fresh.takes(&at(t)), taken, "{t:?}");
        }
        assert_eq!(Fresh::after(DateTime::<Utc>::MAX_UTC), None);
    }

    /// A binary `COPY` tuple: the field count, then each field's length and
    /// bytes in `copy_sql`'s order, NULL as length -1.
    #[test]
    fn rows_are_copied_in_binary_in_the_statement_s_order() {
        assert_eq!(
            copy_sql(Stream::Sessions),
            "COPY easemob_sessions (account, id, stopped_at, record, record_hash, synced_at) \
             FROM STDIN (FORMAT binary)"
        );
        assert!(copies(Stream::Sessions) && copies(Stream::AgentStatus));
        assert!(!copies(Stream::Agents) && !copies(Stream::AgentStats));
        assert_eq!(&COPY_HEADER[..11], b"PGCOPY\n\xff\r\n\0");
        let w = Write {
            stream: Stream::Sessions,
            account: "t1",
            now: "2000-01-01T00:00:02.000Z",
            seen: None,
        };
        let mut row = at(Some("2000-01-01T00:00:01.000Z"));
        row.hash = -2;
        let no_time = at(None);
        let mut data = Vec::new();
        copy_rows(&mut data, Stream::Sessions, w, &[&row, &no_time]).expect("copied");
        let mut want: Vec<u8> = Vec::new();
        for (time, hash) in [(Some(1_000_000i64), -2i64), (None, 0)] {
            want.extend(6i16.to_be_bytes());
            want.extend(2i32.to_be_bytes());
            want.extend(b"t1");
            want.extend(1i32.to_be_bytes());
            want.extend(b"s");
            match time {
                Some(t) => {
                    want.extend(8i32.to_be_bytes());
                    want.extend(t.to_be_bytes());
                }
                None => want.extend((-1i32).to_be_bytes()),
            }
            want.extend(3i32.to_be_bytes());
            want.extend(b"\x01{}");
            want.extend(8i32.to_be_bytes());
            want.extend(hash.to_be_bytes());
            want.extend(8i32.to_be_bytes());
            want.extend(2_000_000i64.to_be_bytes());
        }
        assert_eq!(data, want);
    }

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
