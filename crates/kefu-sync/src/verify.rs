//! `kefu sync verify`: the database against the vendor over the synced
//! range, window by window, naming every difference.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use sqlx::Row as _;

use crate::db::{ColumnKind, Db};
use crate::engine::{Options, parse_instant};
use crate::error::Result;
use crate::row;
use crate::source::Source;
use crate::state;
use crate::stream::{Stream, StreamKind};

/// One way the database differs from the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The account.
    pub account: String,
    /// The stream.
    pub stream: String,
    /// `missing` (at the vendor, not in the database), `extra` (only in
    /// the database) or `count` (the window's counts differ).
    pub kind: String,
    /// The record, for `missing` / `extra`.
    pub id: Option<String>,
    /// The window (`FROM/TO`, a day, or `snapshot`).
    pub window: String,
    /// Rows in the database (for `count`).
    pub db: Option<u64>,
    /// Records at the vendor (for `count`).
    pub vendor: Option<u64>,
}

/// Compares `opts.streams` of `source` with `db`. `since`/`until` narrow
/// the range; by default it is what was synced (origin to cursor).
pub async fn verify(
    db: &Db,
    source: &Source,
    opts: &Options,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<Difference>> {
    let mut out = Vec::new();
    for &stream in &opts.streams {
        let saved = state::load(db, source.account(), stream).await?;
        match stream.kind() {
            StreamKind::Incremental => {
                let from = since
                    .or_else(|| {
                        saved
                            .as_ref()
                            .and_then(|s| s.origin.as_deref())
                            .and_then(parse_instant)
                    })
                    .unwrap_or(opts.since);
                let to = until
                    .or_else(|| {
                        saved
                            .as_ref()
                            .and_then(|s| s.cursor.as_deref())
                            .and_then(parse_instant)
                    })
                    .unwrap_or(opts.until)
                    .min(opts.now);
                let window = opts.window.unwrap_or(match stream {
                    Stream::AgentStatus => Duration::days(7),
                    _ => Duration::days(1),
                });
                let mut lo = from;
                while lo < to {
                    let hi = (lo + window).min(to);
                    window_diff(db, source, stream, lo, hi, &mut out).await?;
                    lo = hi;
                }
            }
            StreamKind::Snapshot => {
                let mut vendor = BTreeSet::new();
                let mut rows = source.snapshot(stream).await?;
                while let Some(r) = rows.next().await {
                    vendor.insert(r?.id);
                }
                let sql = format!(
                    "SELECT id FROM {} WHERE account = $1 AND deleted_at IS NULL",
                    stream.table()
                );
                let stored = ids(db, &sql, &[source.account().to_owned()]).await?;
                compare(
                    source.account(),
                    stream,
                    "snapshot",
                    &vendor,
                    &stored,
                    &mut out,
                );
            }
            StreamKind::Daily => {
                let zone = opts.zone;
                let day_of = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
                let first = since
                    .map(|t| t.with_timezone(&zone).date_naive())
                    .or_else(|| {
                        saved
                            .as_ref()
                            .and_then(|s| s.origin.as_deref())
                            .and_then(day_of)
                    })
                    .unwrap_or_else(|| opts.since.with_timezone(&zone).date_naive());
                // `until` is an exclusive end.
                let last = until
                    .map(|t| {
                        (t - Duration::milliseconds(1))
                            .with_timezone(&zone)
                            .date_naive()
                    })
                    .or_else(|| {
                        saved
                            .as_ref()
                            .and_then(|s| s.cursor.as_deref())
                            .and_then(day_of)
                    })
                    .unwrap_or_else(|| {
                        (opts.until - Duration::milliseconds(1))
                            .with_timezone(&zone)
                            .date_naive()
                    });
                let mut day = first;
                while day <= last {
                    let vendor: BTreeSet<String> =
                        source.day(day).await?.into_iter().map(|r| r.id).collect();
                    let sql = format!(
                        "SELECT id FROM {} WHERE account = $1 AND day = {}",
                        stream.table(),
                        db.dialect().param(2, ColumnKind::Date)
                    );
                    let stored =
                        ids(db, &sql, &[source.account().to_owned(), row::day(day)]).await?;
                    compare(
                        source.account(),
                        stream,
                        &row::day(day),
                        &vendor,
                        &stored,
                        &mut out,
                    );
                    day += Duration::days(1);
                }
            }
        }
    }
    Ok(out)
}

async fn window_diff(
    db: &Db,
    source: &Source,
    stream: Stream,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    out: &mut Vec<Difference>,
) -> Result<()> {
    let (lo_s, hi_s) = (row::instant(lo), row::instant(hi));
    // The vendor's bounds may be inclusive at both ends: keep [lo, hi) by
    // the record's own time, as the database query does.
    let mut vendor = BTreeSet::new();
    let mut rows = source.window(stream, lo, hi)?;
    while let Some(r) = rows.next().await {
        let r = r?;
        if let Some(Some(at)) = r.columns.first()
            && *at >= lo_s
            && *at < hi_s
        {
            vendor.insert(r.id);
        }
    }
    let column = match stream {
        Stream::AgentStatus => "at",
        _ => "stopped_at",
    };
    let d = db.dialect();
    let sql = format!(
        "SELECT id FROM {} WHERE account = $1 AND {column} >= {} AND {column} < {}",
        stream.table(),
        d.param(2, ColumnKind::Time),
        d.param(3, ColumnKind::Time)
    );
    let stored = ids(
        db,
        &sql,
        &[source.account().to_owned(), lo_s.clone(), hi_s.clone()],
    )
    .await?;
    compare(
        source.account(),
        stream,
        &format!("{lo_s}/{hi_s}"),
        &vendor,
        &stored,
        out,
    );
    Ok(())
}

async fn ids(db: &Db, sql: &str, binds: &[String]) -> Result<BTreeSet<String>> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.clone());
    }
    let mut out = BTreeSet::new();
    for r in q.fetch_all(db.pool()).await? {
        out.insert(r.try_get::<String, _>(0)?);
    }
    Ok(out)
}

fn compare(
    account: &str,
    stream: Stream,
    window: &str,
    vendor: &BTreeSet<String>,
    stored: &BTreeSet<String>,
    out: &mut Vec<Difference>,
) {
    let diff = |kind: &str, id: Option<String>, db: Option<u64>, v: Option<u64>| Difference {
        account: account.to_owned(),
        stream: stream.name().to_owned(),
        kind: kind.to_owned(),
        id,
        window: window.to_owned(),
        db,
        vendor: v,
    };
    if vendor.len() != stored.len() {
        out.push(diff(
            "count",
            None,
            Some(stored.len() as u64),
            Some(vendor.len() as u64),
        ));
    }
    for id in vendor.difference(stored) {
        out.push(diff("missing", Some(id.clone()), None, None));
    }
    for id in stored.difference(vendor) {
        out.push(diff("extra", Some(id.clone()), None, None));
    }
}
