//! `kefu sync verify`: the database against the vendor over the synced
//! range, window by window, naming every difference.
//!
//! Incremental windows are checked by the vendor's own total where it
//! gives one ([`Source::window_total`]: Easemob sessions): one request a
//! window, and only a window whose total differs from its rows is listed
//! to name the records. Without a total (the Sobot status log), snapshots
//! and daily figures compare ids.

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
                let seen = Seen {
                    account: source.account(),
                    stream,
                    window: "snapshot",
                    with_count: true,
                };
                compare(seen, &vendor, &stored, &mut out);
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
                    let day_s = row::day(day);
                    let seen = Seen {
                        account: source.account(),
                        stream,
                        window: &day_s,
                        with_count: true,
                    };
                    compare(seen, &vendor, &stored, &mut out);
                    day += Duration::days(1);
                }
            }
        }
    }
    Ok(out)
}

/// One window of an incremental stream. Where the vendor gives its own
/// count of the window (one request), that count is compared with the rows
/// stored: equal, the window is taken as matching without listing it;
/// different, the window is named with both numbers and then listed to name
/// the records. Where it gives none, the ids are compared.
async fn window_diff(
    db: &Db,
    source: &Source,
    stream: Stream,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    out: &mut Vec<Difference>,
) -> Result<()> {
    let (lo_s, hi_s) = (row::instant(lo), row::instant(hi));
    let window = format!("{lo_s}/{hi_s}");
    let column = match stream {
        Stream::AgentStatus => "at",
        _ => "stopped_at",
    };
    let d = db.dialect();
    let binds = [source.account().to_owned(), lo_s.clone(), hi_s.clone()];
    let range = format!(
        "FROM {} WHERE account = $1 AND {column} >= {} AND {column} < {}",
        stream.table(),
        d.param(2, ColumnKind::Time),
        d.param(3, ColumnKind::Time)
    );
    let mut with_count = true;
    if let Some(total) = source.window_total(stream, lo, hi).await? {
        let stored = count(db, &format!("SELECT COUNT(*) {range}"), &binds).await?;
        if stored == total {
            return Ok(());
        }
        out.push(Difference {
            account: source.account().to_owned(),
            stream: stream.name().to_owned(),
            kind: "count".to_owned(),
            id: None,
            window: window.clone(),
            db: Some(stored),
            vendor: Some(total),
        });
        with_count = false;
    }
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
    let stored = ids(db, &format!("SELECT id {range}"), &binds).await?;
    let seen = Seen {
        account: source.account(),
        stream,
        window: &window,
        with_count,
    };
    compare(seen, &vendor, &stored, out);
    Ok(())
}

async fn count(db: &Db, sql: &str, binds: &[String]) -> Result<u64> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.clone());
    }
    let n: i64 = q.fetch_one(db.pool()).await?.try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
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

/// Where a comparison is made, and whether it still has to say that the
/// counts differ (not when the vendor's total already said so).
struct Seen<'a> {
    account: &'a str,
    stream: Stream,
    window: &'a str,
    with_count: bool,
}

fn compare(
    seen: Seen<'_>,
    vendor: &BTreeSet<String>,
    stored: &BTreeSet<String>,
    out: &mut Vec<Difference>,
) {
    let diff = |kind: &str, id: Option<String>, db: Option<u64>, v: Option<u64>| Difference {
        account: seen.account.to_owned(),
        stream: seen.stream.name().to_owned(),
        kind: kind.to_owned(),
        id,
        window: seen.window.to_owned(),
        db,
        vendor: v,
    };
    if seen.with_count && vendor.len() != stored.len() {
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
