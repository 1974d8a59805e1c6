//! `kefu sync status`: per account and stream, the cursor, the last run and
//! the rows stored.

use serde::Serialize;

use crate::db::Db;
use crate::error::Result;
use crate::state;
use crate::stream::Stream;

/// One status row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamStatus {
    /// The account.
    pub account: String,
    /// The stream.
    pub stream: String,
    /// The committed cursor.
    pub cursor: Option<String>,
    /// Whether the last run reached its end.
    pub complete: bool,
    /// When a run last committed.
    pub last_run: Option<String>,
    /// How it ended.
    pub outcome: Option<String>,
    /// Rows stored for the account (deleted snapshot rows included).
    pub rows: i64,
}

/// Every (account, stream) the database knows.
pub async fn status(db: &Db) -> Result<Vec<StreamStatus>> {
    let mut out = Vec::new();
    for s in state::load_all(db).await? {
        let stream = [
            Stream::Sessions,
            Stream::Agents,
            Stream::Roles,
            Stream::Tenants,
            Stream::AppKeys,
            Stream::AgentStatus,
            Stream::AgentStats,
        ]
        .into_iter()
        .find(|x| x.name() == s.stream);
        let rows = match stream {
            Some(stream) => state::row_count(db, &s.account, stream).await?,
            None => 0,
        };
        out.push(StreamStatus {
            account: s.account,
            stream: s.stream,
            cursor: s.cursor,
            complete: s.complete,
            last_run: s.last_run_at,
            outcome: s.last_outcome,
            rows,
        });
    }
    Ok(out)
}
