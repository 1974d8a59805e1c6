//! A vendor record as a row: its key, its windowing columns, its JSON.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use kefu_core::model::{Agent, AgentStats, AgentStatusLog, AppKey, Role, Session, Tenant};
use kefu_core::{Error, Vendor};
use serde::Serialize;

/// One row to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The vendor id as text (unique per account in its table).
    pub id: String,
    /// The values of the stream's extra columns, in order.
    pub columns: Vec<Option<String>>,
    /// The record as `-o json` prints it.
    pub record: String,
    /// A stable hash of `record` ([`record_hash`]): tells an unchanged row
    /// from an updated one.
    pub hash: i64,
    /// What kefu before schema version 3 stored as the hash of this
    /// record, where it is not [`fnv1a`] of `record` (app keys, whose hash
    /// leaves out the answer's time). See [`Row::against`].
    pub legacy_hash: Option<i64>,
}

/// A stored row's hash read against the row about to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The same record.
    Same,
    /// The same record, stored with the FNV-1a hash of kefu before schema
    /// version 3: unchanged, but its hash should be brought up to date.
    SameUnderOldHash,
    /// Another record (or no hash at all: a row of schema version 1).
    Changed,
}

impl Row {
    /// Compares the stored `record_hash` with this row's. A database
    /// written before schema version 3 holds FNV-1a hashes: where the new
    /// hash differs, the old one is computed (for those rows only) so that
    /// upgrading kefu never reports unchanged records as updated.
    pub fn against(&self, stored: Option<i64>) -> Stored {
        match stored {
            None => Stored::Changed,
            Some(h) if h == self.hash => Stored::Same,
            Some(h)
                if h == self
                    .legacy_hash
                    .unwrap_or_else(|| fnv1a(self.record.as_bytes())) =>
            {
                Stored::SameUnderOldHash
            }
            Some(_) => Stored::Changed,
        }
    }
}

/// An instant as stored: RFC 3339 in UTC with milliseconds, which sorts as
/// the instants do (SQLite keeps it as text).
pub fn instant(at: DateTime<Utc>) -> String {
    // The same text as `%Y-%m-%dT%H:%M:%S%.3fZ`, without parsing a format
    // string for every row.
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A vendor's instant as a time column: empty unless its year is 1 to 9999.
/// Outside them PostgreSQL refuses it (no year 0, nothing before 4713 BC)
/// and SQLite's text no longer sorts as time does (a sign, a fifth digit);
/// the record keeps what the vendor sent.
pub fn column_instant(at: Option<DateTime<Utc>>) -> Option<String> {
    use chrono::Datelike as _;
    at.filter(|t| (1..=9999).contains(&t.year())).map(instant)
}

/// A day as stored.
pub fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The `record_hash` of a record's JSON: XXH3, 64 bits, a published
/// algorithm (stable across builds, versions and platforms, as std's hasher
/// is not promised to be), reading eight bytes and more a step. kefu before
/// schema version 3 stored [`fnv1a`], which reads one byte a step and was 4%
/// of a sync's CPU; [`Row::against`] still recognizes those hashes.
pub fn record_hash(json: &[u8]) -> i64 {
    xxhash_rust::xxh3::xxh3_64(json) as i64
}

/// FNV-1a, 64 bits: the `record_hash` of schema versions 2 and earlier, and
/// the advisory lock keys (`crate::lock`), which must never change.
pub fn fnv1a(bytes: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

fn row<T: Serialize>(
    vendor: Vendor,
    what: &str,
    id: String,
    columns: Vec<Option<String>>,
    record: &T,
) -> Result<Row, Error> {
    if id.is_empty() {
        // A record without its id cannot be kept exactly once.
        return Err(Error::decode(
            vendor,
            format!("a {what} without an id"),
            b"",
        ));
    }
    let record = encode(record)
        .map_err(|e| Error::decode(vendor, format!("cannot encode a {what}: {e}"), b""))?;
    let hash = record_hash(record.as_bytes());
    Ok(Row {
        id: key_text(id),
        columns: columns.into_iter().map(|c| c.map(key_text)).collect(),
        record,
        hash,
        legacy_hash: None,
    })
}

/// `record` as JSON text, encoded into a buffer the thread keeps and then
/// copied once at its exact length: `serde_json::to_string` grows a fresh
/// buffer from 128 bytes, four reallocations for a 1.3 KB session, and
/// every one of those large blocks is work for the allocator.
fn encode<T: Serialize>(record: &T) -> serde_json::Result<String> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buf| {
        buf.clear();
        serde_json::to_writer(&mut *buf, record)?;
        let text = std::str::from_utf8(buf)
            .map_err(<serde_json::Error as serde::ser::Error>::custom)?
            .to_owned();
        // A record far larger than usual does not stay with the thread.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        Ok(text)
    })
}

/// Key text longer than this is stored shortened: its first 960 bytes,
/// `…`, and the MD5 of the whole (docs/sync.md, Guarantees).
pub const MAX_KEY_BYTES: usize = 1024;

/// A key or column value as every database can index it, the same in each
/// (so `verify` agrees with itself): each NUL replaced by U+FFFD
/// (PostgreSQL's `text` cannot hold one), and text over
/// [`MAX_KEY_BYTES`] cut to its first 960 bytes, `…`, and the MD5 of the
/// whole (a PostgreSQL B-tree entry holds about 2,700 bytes, and a longer
/// key would fail its window on every run). The record keeps the text the
/// vendor sent.
fn key_text(s: String) -> String {
    use md5::{Digest, Md5};
    let s = if s.contains('\0') {
        s.replace('\0', "\u{fffd}")
    } else {
        s
    };
    if s.len() <= MAX_KEY_BYTES {
        return s;
    }
    let mut cut = 960;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let digest: String = Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}…{digest}", &s[..cut])
}

/// A session, keyed by `serviceSessionId`, windowed on its stop time.
pub fn session(s: &Session) -> Result<Row, Error> {
    row(
        Vendor::Easemob,
        "session",
        s.id.clone(),
        vec![column_instant(s.stopped_at)],
        s,
    )
}

/// A status-log entry. The vendor gives it no id; its identity is
/// company, agent, instant (ms), source and status together.
pub fn status_log(e: &AgentStatusLog) -> Result<Row, Error> {
    let id = format!(
        "{}:{}:{}:{}:{}",
        e.company_id,
        e.agent_id,
        e.at.map_or_else(String::new, |at| at.timestamp_millis().to_string()),
        e.source.map_or_else(String::new, |s| s.to_string()),
        e.status.as_deref().unwrap_or_default(),
    );
    row(
        Vendor::Sobot,
        "status log entry",
        id,
        vec![column_instant(e.at)],
        e,
    )
}

/// One agent's figures of one day, keyed by agent, company and day.
pub fn agent_stats(s: &AgentStats, d: NaiveDate) -> Result<Row, Error> {
    if s.agent_id.is_empty() {
        return Err(Error::decode(
            Vendor::Sobot,
            "agent figures without staffid",
            b"",
        ));
    }
    let id = format!("{}:{}:{}", s.company_id, s.agent_id, day(d));
    row(
        Vendor::Sobot,
        "agent figures",
        id,
        vec![
            Some(s.agent_id.clone()),
            Some(s.company_id.clone()),
            Some(day(d)),
        ],
        s,
    )
}

/// An agent: its user id, else (a vendor that gives none) its login email.
pub fn agent(a: &Agent) -> Result<Row, Error> {
    let id =
        a.id.clone()
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| a.email.clone());
    row(Vendor::Easemob, "agent", id, Vec::new(), a)
}

/// A role.
pub fn role(r: &Role) -> Result<Row, Error> {
    row(Vendor::Easemob, "role", r.id.clone(), Vec::new(), r)
}

/// A tenant, keyed by companyId.
pub fn tenant(t: &Tenant) -> Result<Row, Error> {
    row(Vendor::Sobot, "tenant", t.company_id.clone(), Vec::new(), t)
}

/// An app key, keyed by appId. getBatchAppKey stamps every key with the
/// time of its answer (`extra.time`); that is not a change of the key, so
/// it is left out of the hash (the stored record keeps the time it was
/// last written with).
pub fn app_key(k: &AppKey) -> Result<Row, Error> {
    let mut r = row(Vendor::Sobot, "app key", k.app_id.clone(), Vec::new(), k)?;
    if k.extra.contains_key("time") {
        let mut stable = k.clone();
        stable.extra.remove("time");
        let text = serde_json::to_string(&stable).map_err(|e| {
            Error::decode(Vendor::Sobot, format!("cannot encode an app key: {e}"), b"")
        })?;
        r.hash = record_hash(text.as_bytes());
        r.legacy_hash = Some(fnv1a(text.as_bytes()));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_and_instants_sort_as_text() {
        // FNV-1a test vector: "a" → 0xaf63dc4c8601ec8c.
        assert_eq!(fnv1a(b"a") as u64, 0xaf63_dc4c_8601_ec8c);
        let a = instant(DateTime::from_timestamp(1_700_000_000, 5_000_000).expect("t"));
        let b = instant(DateTime::from_timestamp(1_700_000_001, 0).expect("t"));
        assert_eq!(a, "2023-11-14T22:13:20.005Z");
        // Whole seconds keep their three digits (the text must sort).
        assert_eq!(b, "2023-11-14T22:13:21.000Z");
        assert!(a < b);
    }

    #[test]
    fn a_hash_stored_by_an_older_kefu_still_reads_as_the_same_record() {
        // XXH3-64 test vector: the empty input.
        assert_eq!(record_hash(b"") as u64, 0x2d06_8005_38d3_94c2);
        let session = Session {
            id: "s1".into(),
            ..Session::default()
        };
        let r = super::session(&session).expect("row");
        assert_eq!(r.against(Some(r.hash)), Stored::Same);
        assert_eq!(
            r.against(Some(fnv1a(r.record.as_bytes()))),
            Stored::SameUnderOldHash
        );
        assert_eq!(r.against(Some(r.hash ^ 1)), Stored::Changed);
        assert_eq!(r.against(None), Stored::Changed);

        // App keys: the old hash left the answer's time out too.
        let mut key = AppKey {
            app_id: "a1".into(),
            ..AppKey::default()
        };
        key.extra
            .insert("time".into(), serde_json::json!("2024-05-01 10:00:00"));
        let at_ten = app_key(&key).expect("row");
        let mut stable = key.clone();
        stable.extra.remove("time");
        let old = fnv1a(serde_json::to_string(&stable).expect("json").as_bytes());
        key.extra
            .insert("time".into(), serde_json::json!("2024-05-01 11:00:00"));
        let at_eleven = app_key(&key).expect("row");
        assert_eq!(at_eleven.against(Some(at_ten.hash)), Stored::Same);
        assert_eq!(at_eleven.against(Some(old)), Stored::SameUnderOldHash);
    }

    #[test]
    fn long_keys_are_cut_the_same_way_every_time() {
        let fits = "k".repeat(MAX_KEY_BYTES);
        assert_eq!(key_text(fits.clone()), fits);
        // 1 + 400 three-byte characters: byte 960 is inside one.
        let long = format!("a{}", "客".repeat(400));
        let key = key_text(long.clone());
        assert!(key.len() <= MAX_KEY_BYTES, "{}", key.len());
        let (head, digest) = key.split_once('…').expect("cut");
        assert_eq!(head.len(), 958);
        assert!(long.starts_with(head));
        assert_eq!(digest.len(), 32);
        assert_eq!(key_text(long.clone()), key, "the same every run");
        // Another long id with the same first 960 bytes is another key.
        assert_ne!(key_text(format!("{long}x")), key);
        assert_eq!(key_text("a\0b".to_owned()), "a\u{fffd}b");
    }

    #[test]
    fn a_record_without_id_is_refused() {
        let e = session(&Session::default()).expect_err("no id");
        assert!(e.to_string().contains("without an id"), "{e}");
    }
}
