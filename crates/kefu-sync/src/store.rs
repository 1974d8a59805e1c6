//! Writing rows: a pre-read of the stored hashes (to count inserted vs
//! updated and to skip unchanged rows), then one multi-row upsert on the
//! natural key. Everything here runs inside the caller's transaction.

use std::borrow::Cow;
use std::collections::HashMap;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row as _};

use crate::db::{ColumnKind, Dialect};
use crate::error::Result;
use crate::jsonb;
use crate::row::{Row, Stored};
use crate::stream::Stream;

/// Rows per statement: well under SQLite's 32766 and PostgreSQL's 65535
/// parameters, large enough that a round trip is amortized.
pub const BATCH: usize = 500;

/// What a batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// New keys.
    pub inserted: u64,
    /// Keys whose record changed (or that came back after being deleted).
    pub updated: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
    }
}

/// How a batch is written.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// The stream (its table and columns).
    pub stream: Stream,
    /// The account column.
    pub account: &'a str,
    /// `synced_at` of changed rows.
    pub now: &'a str,
    /// Snapshot streams: the run's mark, set as `seen_at` on every listed row.
    pub seen: Option<&'a str>,
}

/// Upserts `rows` (any length); returns what changed.
pub async fn write(
    conn: &mut AnyConnection,
    dialect: Dialect,
    w: Write<'_>,
    rows: &[Row],
) -> Result<Counts> {
    let mut counts = Counts::default();
    for chunk in rows.chunks(BATCH) {
        counts += write_chunk(conn, dialect, w, chunk).await?;
    }
    Ok(counts)
}

async fn write_chunk(
    conn: &mut AnyConnection,
    dialect: Dialect,
    w: Write<'_>,
    rows: &[Row],
) -> Result<Counts> {
    let unique = last_copies(rows);

    if dialect == Dialect::Postgres && w.seen.is_none() {
        // One statement: unchanged rows are skipped by the conflict's WHERE,
        // and `xmax = 0` tells a new row from an updated one. No pre-read
        // (whose IN list PostgreSQL may plan as a scan of a table that
        // grows within the run).
        return upsert(conn, dialect, w, &unique, Mode::Returning).await;
    }
    let mut counts = Counts::default();
    if w.seen.is_none() {
        // SQLite: new keys first, counted by the statement itself; on a first
        // sync that is the whole batch and nothing is read back.
        counts = upsert(conn, dialect, w, &unique, Mode::InsertNew).await?;
        if counts.inserted as usize == unique.len() {
            return Ok(counts);
        }
    }
    // Some keys were there: read their hashes (the rows just inserted read
    // back unchanged) and write what changed.
    let stored = stored_hashes(conn, dialect, w, &unique).await?;
    let mut to_write = Vec::with_capacity(unique.len());
    let mut rehash = Vec::new();
    for r in unique {
        let Some(&(hash, deleted)) = stored.get(r.id.as_str()) else {
            counts.inserted += 1;
            to_write.push(r);
            continue;
        };
        // A row marked deleted that is listed again counts as updated.
        let stored = if deleted {
            Stored::Changed
        } else {
            r.against(hash)
        };
        match stored {
            Stored::Changed => {
                counts.updated += 1;
                to_write.push(r);
            }
            // Unchanged under an older kefu's hash: the hash is brought up
            // to date, nothing else (not `updated`, `synced_at` kept).
            Stored::SameUnderOldHash => {
                rehash.push(r);
                if w.seen.is_some() {
                    to_write.push(r);
                }
            }
            // Unchanged: a snapshot still marks it seen; others skip it.
            Stored::Same => {
                if w.seen.is_some() {
                    to_write.push(r);
                }
            }
        }
    }
    if !rehash.is_empty() {
        update_hashes(conn, dialect, w.stream, w.account, &rehash).await?;
    }
    if !to_write.is_empty() {
        upsert(conn, dialect, w, &to_write, Mode::Upsert).await?;
    }
    Ok(counts)
}

/// Each id of `rows` once, its last copy, in order. A repeated page may hold
/// the same key twice: the last copy wins, and one statement must not touch
/// a row twice (PostgreSQL refuses it).
pub(crate) fn last_copies(rows: &[Row]) -> Vec<&Row> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last.insert(r.id.as_str(), i);
    }
    rows.iter()
        .enumerate()
        .filter(|(i, r)| last.get(r.id.as_str()) == Some(i))
        .map(|(_, r)| r)
        .collect()
}

/// Sets the `record_hash` of rows whose record is unchanged but whose hash
/// an older kefu computed (see [`Row::against`]): once per row, after an
/// upgrade, so one statement a row is enough.
async fn update_hashes(
    conn: &mut AnyConnection,
    dialect: Dialect,
    stream: Stream,
    account: &str,
    rows: &[&Row],
) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET record_hash = {} WHERE account = {} AND id = {}",
        stream.table(),
        dialect.param(1, ColumnKind::Int),
        dialect.param(2, ColumnKind::Text),
        dialect.param(3, ColumnKind::Text),
    );
    for r in rows {
        sqlx::query(&sql)
            .bind(r.hash)
            .bind(account)
            .bind(r.id.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// `id → (record_hash, deleted)` of the rows already stored.
async fn stored_hashes(
    conn: &mut AnyConnection,
    dialect: Dialect,
    w: Write<'_>,
    rows: &[&Row],
) -> Result<HashMap<String, (Option<i64>, bool)>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let deleted = if w.seen.is_some() {
        "CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END"
    } else {
        "0"
    };
    let mut sql = format!(
        "SELECT id, record_hash, {deleted} FROM {} WHERE account = {} AND id IN (",
        w.stream.table(),
        dialect.seq_param(1, ColumnKind::Text)
    );
    for i in 0..rows.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        dialect.push_seq_param(&mut sql, i + 2, ColumnKind::Text);
    }
    sql.push(')');
    // Only full batches' statements are kept prepared (see `upsert`).
    let mut q = sqlx::query(&sql)
        .persistent(rows.len() == BATCH)
        .bind(w.account.to_owned());
    for r in rows {
        q = q.bind(r.id.clone());
    }
    let mut out = HashMap::with_capacity(rows.len());
    for row in q.fetch_all(&mut *conn).await? {
        let id: String = row.try_get(0)?;
        let hash: Option<i64> = row.try_get(1)?;
        let deleted: i64 = row.try_get(2)?;
        out.insert(id, (hash, deleted != 0));
    }
    Ok(out)
}

/// How [`upsert`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Insert or update every row given.
    Upsert,
    /// PostgreSQL: leave unchanged rows alone; the counts come back from
    /// `RETURNING (xmax = 0)`.
    Returning,
    /// Insert new keys only (`DO NOTHING`); `inserted` is how many.
    InsertNew,
}

/// The multi-row statement of `mode`.
async fn upsert(
    conn: &mut AnyConnection,
    dialect: Dialect,
    w: Write<'_>,
    rows: &[&Row],
    mode: Mode,
) -> Result<Counts> {
    let returning = mode == Mode::Returning;
    let stream = w.stream;
    let table = stream.table();
    let mut names: Vec<&str> = vec!["account", "id"];
    let mut kinds: Vec<ColumnKind> = vec![ColumnKind::Text, ColumnKind::Text];
    for (name, kind) in stream.columns() {
        names.push(name);
        kinds.push(*kind);
    }
    names.extend(["record", "record_hash", "synced_at"]);
    kinds.extend([ColumnKind::Json, ColumnKind::Int, ColumnKind::Time]);
    if w.seen.is_some() {
        names.push("seen_at");
        kinds.push(ColumnKind::Time);
    }

    // SQLite's new keys: `OR IGNORE` instead of `ON CONFLICT DO NOTHING`.
    // Both skip a key that is there, but with `DO NOTHING` the NOT NULL
    // columns still abort, so a multi-row statement keeps a statement
    // journal (a copy of every page it touches, about 6% of a first sync).
    // No value bound here is ever NULL where NOT NULL is declared; and a
    // row that were skipped for any reason would not be counted, so the
    // caller would read the batch back and write it with `Upsert`, which
    // fails loudly.
    let ignore = mode == Mode::InsertNew && dialect == Dialect::Sqlite;
    let mut sql = format!(
        "INSERT {}INTO {table} ({}) VALUES ",
        if ignore { "OR IGNORE " } else { "" },
        names.join(", ")
    );
    // A parameter and its separator take at most a few bytes in SQLite
    // (`?, `) and about 16 in PostgreSQL (`$3500::timestamptz, `).
    sql.reserve(rows.len() * kinds.len() * 20 + 512);
    let mut n = 0;
    for (i, _) in rows.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (j, kind) in kinds.iter().enumerate() {
            if j > 0 {
                sql.push_str(", ");
            }
            n += 1;
            dialect.push_seq_param(&mut sql, n, *kind);
        }
        sql.push(')');
    }
    match mode {
        Mode::InsertNew if ignore => {}
        Mode::InsertNew => sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", stream.key())),
        Mode::Upsert | Mode::Returning => {
            sql.push_str(&format!(" ON CONFLICT ({}) DO UPDATE SET ", stream.key()));
        }
    }
    let mut sets: Vec<String> = names[2..]
        .iter()
        .filter(|c| !matches!(**c, "synced_at" | "agent_id" | "company_id" | "day"))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    if stream == Stream::AgentStats {
        sets.push("id = excluded.id".to_owned());
    }
    if w.seen.is_some() {
        // An unchanged row listed again keeps its synced_at.
        sets.push(format!(
            "synced_at = CASE WHEN {table}.record_hash = excluded.record_hash \
             AND {table}.deleted_at IS NULL THEN {table}.synced_at ELSE excluded.synced_at END"
        ));
        sets.push("deleted_at = NULL".to_owned());
    } else {
        sets.push("synced_at = excluded.synced_at".to_owned());
    }
    if mode != Mode::InsertNew {
        sql.push_str(&sets.join(", "));
    }
    if returning {
        sql.push_str(&format!(
            " WHERE {table}.record_hash IS DISTINCT FROM excluded.record_hash RETURNING (xmax = 0)"
        ));
    }

    // A full batch's statement is the same every time and stays prepared;
    // the short last batch of each window has a length of its own, and
    // kept prepared (sqlx caches up to 100 statements a connection, SQLite
    // compiles a 500-row VALUES into a program of its own) they pile up
    // with the number of windows: memory that grew with the account.
    let mut q: Query<'_, Any, AnyArguments<'_>> = sqlx::query(&sql).persistent(rows.len() == BATCH);
    // Borrowed, not copied: a batch's records are most of what is sent.
    let records: Vec<Cow<'_, str>> = rows
        .iter()
        .map(|r| match dialect {
            Dialect::Postgres => jsonb::for_jsonb(&r.record),
            Dialect::Sqlite => Cow::Borrowed(r.record.as_str()),
        })
        .collect();
    for (r, record) in rows.iter().zip(&records) {
        q = q.bind(w.account).bind(r.id.as_str());
        for v in &r.columns {
            q = q.bind(v.as_deref());
        }
        q = q.bind(record.as_ref()).bind(r.hash).bind(w.now);
        if let Some(seen) = w.seen {
            q = q.bind(seen);
        }
    }
    if !returning {
        let done = q.execute(&mut *conn).await?;
        return Ok(Counts {
            inserted: if mode == Mode::InsertNew {
                done.rows_affected()
            } else {
                0
            },
            updated: 0,
        });
    }
    let mut counts = Counts::default();
    for row in q.fetch_all(&mut *conn).await? {
        if row.try_get::<bool, _>(0)? {
            counts.inserted += 1;
        } else {
            counts.updated += 1;
        }
    }
    Ok(counts)
}

/// Snapshot: marks every row of `account` not seen in this listing as
/// deleted (kept, with `deleted_at`); returns how many.
pub async fn mark_unseen_deleted(
    conn: &mut AnyConnection,
    dialect: Dialect,
    stream: Stream,
    account: &str,
    seen: &str,
) -> Result<u64> {
    let sql = format!(
        "UPDATE {} SET deleted_at = {} WHERE account = $1 AND deleted_at IS NULL \
         AND (seen_at IS NULL OR seen_at <> {})",
        stream.table(),
        dialect.param(2, ColumnKind::Time),
        dialect.param(3, ColumnKind::Time),
    );
    let done = sqlx::query(&sql)
        .bind(account.to_owned())
        .bind(seen.to_owned())
        .bind(seen.to_owned())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Daily figures: the stored `id → hash` of one day, then the day removed
/// (the caller inserts the vendor's rows of that day afterwards).
pub async fn take_day(
    conn: &mut AnyConnection,
    dialect: Dialect,
    account: &str,
    day: &str,
) -> Result<HashMap<String, Option<i64>>> {
    let table = Stream::AgentStats.table();
    let sql = format!(
        "SELECT id, record_hash FROM {table} WHERE account = $1 AND day = {}",
        dialect.param(2, ColumnKind::Date)
    );
    let mut out = HashMap::new();
    for row in sqlx::query(&sql)
        .bind(account.to_owned())
        .bind(day.to_owned())
        .fetch_all(&mut *conn)
        .await?
    {
        out.insert(
            row.try_get::<String, _>(0)?,
            row.try_get::<Option<i64>, _>(1)?,
        );
    }
    let sql = format!(
        "DELETE FROM {table} WHERE account = $1 AND day = {}",
        dialect.param(2, ColumnKind::Date)
    );
    sqlx::query(&sql)
        .bind(account.to_owned())
        .bind(day.to_owned())
        .execute(&mut *conn)
        .await?;
    Ok(out)
}
