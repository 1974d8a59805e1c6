//! Versioned migrations, applied automatically when a database is opened.
//!
//! `kefu_schema_version` holds one row per applied version. A database made
//! by an older kefu is upgraded in place, one migration at a time, each in
//! its own transaction; one made by a newer kefu is refused; tables that
//! exist without a version row are never recreated (the first migration's
//! `CREATE TABLE` fails instead of replacing them).

use sqlx::Row;

use crate::db::{Db, Dialect};
use crate::error::{Result, SyncError};

/// The record tables of the first schema with their extra columns.
const SNAPSHOT_TABLES: [&str; 4] = [
    "easemob_agents",
    "easemob_roles",
    "sobot_tenants",
    "sobot_app_keys",
];

/// Every record table.
const RECORD_TABLES: [&str; 7] = [
    "easemob_sessions",
    "easemob_agents",
    "easemob_roles",
    "sobot_tenants",
    "sobot_app_keys",
    "sobot_agent_status",
    "sobot_agent_stats",
];

/// The newest schema version this build writes.
pub const LATEST: i64 = 3;

/// A PostgreSQL advisory lock key for migrations ("kefu" "schm").
const MIGRATION_LOCK: i64 = 0x6b65_6675_7363_686d;

/// The statements of migration `version` (1-based) in `dialect`.
pub fn statements(version: i64, dialect: Dialect) -> Vec<String> {
    let fill = |s: &str| {
        s.replace("{JSON}", dialect.json_type())
            .replace("{TS}", dialect.time_type())
            .replace("{DATE}", dialect.date_type())
    };
    match version {
        1 => {
            let mut out = vec![
                fill(
                    "CREATE TABLE kefu_sync_state (account TEXT NOT NULL, stream TEXT NOT NULL, \
                     cursor TEXT, origin TEXT, complete BIGINT NOT NULL DEFAULT 0, \
                     updated_at {TS}, PRIMARY KEY (account, stream))",
                ),
                fill(
                    "CREATE TABLE easemob_sessions (account TEXT NOT NULL, id TEXT NOT NULL, \
                     stopped_at {TS}, record {JSON} NOT NULL, synced_at {TS} NOT NULL, \
                     PRIMARY KEY (account, id))",
                ),
                "CREATE INDEX easemob_sessions_stopped ON easemob_sessions (account, stopped_at)"
                    .to_owned(),
                fill(
                    "CREATE TABLE sobot_agent_status (account TEXT NOT NULL, id TEXT NOT NULL, \
                     at {TS}, record {JSON} NOT NULL, synced_at {TS} NOT NULL, \
                     PRIMARY KEY (account, id))",
                ),
                "CREATE INDEX sobot_agent_status_at ON sobot_agent_status (account, at)".to_owned(),
                fill(
                    "CREATE TABLE sobot_agent_stats (account TEXT NOT NULL, agent_id TEXT NOT NULL, \
                     company_id TEXT NOT NULL, day {DATE} NOT NULL, id TEXT NOT NULL, \
                     record {JSON} NOT NULL, synced_at {TS} NOT NULL, \
                     PRIMARY KEY (account, agent_id, company_id, day))",
                ),
            ];
            for table in SNAPSHOT_TABLES {
                out.push(fill(&format!(
                    "CREATE TABLE {table} (account TEXT NOT NULL, id TEXT NOT NULL, \
                     record {{JSON}} NOT NULL, synced_at {{TS}} NOT NULL, deleted_at {{TS}}, \
                     PRIMARY KEY (account, id))"
                )));
            }
            out
        }
        2 => {
            // A hash of the stored record tells unchanged from updated rows
            // without reading records back; `seen_at` marks the rows of the
            // latest snapshot; the state remembers how each run ended.
            let mut out: Vec<String> = RECORD_TABLES
                .iter()
                .map(|t| format!("ALTER TABLE {t} ADD COLUMN record_hash BIGINT"))
                .collect();
            for t in SNAPSHOT_TABLES {
                out.push(fill(&format!("ALTER TABLE {t} ADD COLUMN seen_at {{TS}}")));
            }
            out.push(fill(
                "ALTER TABLE kefu_sync_state ADD COLUMN last_run_at {TS}",
            ));
            out.push("ALTER TABLE kefu_sync_state ADD COLUMN last_outcome TEXT".to_owned());
            out
        }
        // Version 3 changes what `record_hash` holds in rows written from
        // now on (XXH3 instead of FNV-1a, `row::record_hash`). Rows written
        // before keep theirs until next read back, and are recognized as
        // unchanged (`row::Row::against`), so nothing is rewritten here. It
        // is a version of its own so that an older kefu, which would count
        // every re-read row as updated, refuses the database instead.
        3 => Vec::new(),
        _ => Vec::new(),
    }
}

/// The version `db` is at (0: a fresh database).
pub async fn version(db: &Db) -> Result<i64> {
    let exists = match db.dialect() {
        Dialect::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'kefu_schema_version'"
        }
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'kefu_schema_version'"
        }
    };
    let n: i64 = sqlx::query(exists).fetch_one(db.pool()).await?.try_get(0)?;
    if n == 0 {
        return Ok(0);
    }
    let v: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM kefu_schema_version")
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    Ok(v)
}

/// Brings `db` to [`LATEST`].
pub async fn migrate(db: &Db) -> Result<()> {
    migrate_to(db, LATEST).await
}

/// Brings `db` to `target` (tests build older schemas with it).
pub async fn migrate_to(db: &Db, target: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        // Two workers starting at once: the second waits, then sees the work done.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS kefu_schema_version \
         (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM kefu_schema_version")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if current > LATEST {
        return Err(SyncError::SchemaTooNew {
            found: current,
            known: LATEST,
        });
    }
    for version in (current + 1)..=target.min(LATEST) {
        for statement in statements(version, db.dialect()) {
            sqlx::query(&statement)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    SyncError::Database(format!("migration to schema version {version}: {e}"))
                })?;
        }
        sqlx::query("INSERT INTO kefu_schema_version (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(chrono::Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await?;
        tracing::info!(version, "kefu sync: schema migrated");
    }
    db.commit(tx).await?;
    Ok(())
}
