//! One process per (account, stream) at a time.
//!
//! PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held
//! on a connection of its own for as long as the stream runs; a process
//! that does not get it skips the stream and says so. If the process dies,
//! the server drops the connection and with it the lock.
//!
//! SQLite: no lock is taken. Every window is one `BEGIN IMMEDIATE`
//! transaction, so two processes on one file never interleave inside a
//! window, and every write is an upsert: a second process repeats work but
//! never duplicates a row. Teams that run several workers use PostgreSQL.

use sqlx::Row as _;
use sqlx::pool::PoolConnection;

use crate::db::{Db, Dialect};
use crate::error::Result;
use crate::row::fnv1a;
use crate::stream::Stream;

/// A held lock; release it with [`StreamLock::release`]. Dropped without
/// release, its connection is closed, which releases it too.
#[derive(Debug)]
pub struct StreamLock {
    conn: Option<(PoolConnection<sqlx::Any>, i64)>,
}

/// The advisory lock key of (account, stream).
pub fn key(account: &str, stream: Stream) -> i64 {
    fnv1a(format!("kefu-sync\0{account}\0{}", stream.name()).as_bytes())
}

/// Tries to take (account, stream); `None` if another process holds it.
pub async fn try_lock(db: &Db, account: &str, stream: Stream) -> Result<Option<StreamLock>> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Some(StreamLock { conn: None }));
    }
    let mut conn = db.pool().acquire().await?;
    // Never hand this connection back to the pool holding a lock.
    conn.close_on_drop();
    let k = key(account, stream);
    let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
        .bind(k)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(got.then_some(StreamLock {
        conn: Some((conn, k)),
    }))
}

impl StreamLock {
    /// Releases the lock.
    pub async fn release(mut self) -> Result<()> {
        if let Some((mut conn, k)) = self.conn.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(k)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}
