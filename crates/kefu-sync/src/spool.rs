//! Batches of rows parked in a file while SQLite makes ready for a window.
//!
//! Once its WAL has passed its limit, a SQLite window waits before it
//! begins for the checkpoint in flight, so that the file starts over
//! (`crate::checkpoint`). At 1,000,000 sessions that is five waits of
//! 150-230 ms, and during each the fetching filled its few batches and
//! stood still: the two cores were 10-30% busy, against 80-99% the rest
//! of the time (docs/sync.md, Performance, issue 12za). Held in memory, the
//! rows that arrive meanwhile (about 20,000) raised the peak by 30-40 MiB.
//!
//! So the engine keeps taking batches while it waits and parks them here:
//! an unnamed file beside the database (`O_TMPFILE` where the system has
//! it, so it is gone however the process ends), written without `fsync`,
//! read back in order once the window begins. The rows stay in the page
//! cache, not in the process's memory, and only one batch at a time is
//! held to be written or read.

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Result, SyncError};
use crate::row::Row;

/// Where a parked batch lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parked {
    at: u64,
    len: usize,
}

/// An unnamed file of parked batches. Space is reused once every batch
/// parked so far has been taken back.
#[derive(Debug)]
pub(crate) struct Spool {
    file: Arc<File>,
    /// Where the next batch goes.
    end: u64,
    /// Batches parked and not taken back yet.
    parked: usize,
}

impl Spool {
    /// A new spool in `dir` (the database's directory, so the rows stay on
    /// the file system the user chose for them).
    pub(crate) fn new_in(dir: &Path) -> Result<Self> {
        let file = tempfile::tempfile_in(dir).map_err(|e| {
            SyncError::Database(format!(
                "could not make a spool file in {}: {e}",
                dir.display()
            ))
        })?;
        Ok(Self {
            file: Arc::new(file),
            end: 0,
            parked: 0,
        })
    }

    /// Bytes in the file now (what the parked batches take).
    pub(crate) fn bytes(&self) -> u64 {
        self.end
    }

    /// Writes `rows` at the end of the file.
    pub(crate) async fn park(&mut self, rows: &[Row]) -> Result<Parked> {
        let bytes = encode(rows);
        let at = self.end;
        let len = bytes.len();
        let file = self.file.clone();
        blocking(move || file.write_all_at(&bytes, at)).await?;
        self.end += len as u64;
        self.parked += 1;
        Ok(Parked { at, len })
    }

    /// Reads a parked batch back.
    pub(crate) async fn take(&mut self, p: Parked) -> Result<Vec<Row>> {
        let file = self.file.clone();
        let bytes = blocking(move || {
            let mut buf = vec![0u8; p.len];
            file.read_exact_at(&mut buf, p.at).map(|()| buf)
        })
        .await?;
        self.parked = self.parked.saturating_sub(1);
        if self.parked == 0 {
            // Everything was taken back: the next batch goes at the start,
            // so the file never grows past one wait's worth.
            self.end = 0;
        }
        decode(&bytes).ok_or_else(|| {
            SyncError::Database("a batch parked in the spool file did not read back".into())
        })
    }
}

/// Runs file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Database(format!("the spool file's task failed: {e}")))?
        .map_err(|e| SyncError::Database(format!("the spool file: {e}")))
}

/// No value: an absent column or legacy hash.
const NONE: u32 = u32::MAX;

fn put_text(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => {
            // A text of 4 GiB is not a row anyone can bind either.
            out.extend_from_slice(&(t.len() as u32).to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        None => out.extend_from_slice(&NONE.to_le_bytes()),
    }
}

/// `rows` as bytes: their count, then each row's id, columns, record,
/// hash and legacy hash, lengths little-endian.
fn encode(rows: &[Row]) -> Vec<u8> {
    let size: usize = rows
        .iter()
        .map(|r| {
            32 + r.id.len()
                + r.record.len()
                + r.columns
                    .iter()
                    .map(|c| 4 + c.as_ref().map_or(0, String::len))
                    .sum::<usize>()
        })
        .sum();
    let mut out = Vec::with_capacity(size + 4);
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    for r in rows {
        put_text(&mut out, Some(&r.id));
        out.extend_from_slice(&(r.columns.len() as u32).to_le_bytes());
        for c in &r.columns {
            put_text(&mut out, c.as_deref());
        }
        put_text(&mut out, Some(&r.record));
        out.extend_from_slice(&r.hash.to_le_bytes());
        match r.legacy_hash {
            Some(h) => {
                out.push(1);
                out.extend_from_slice(&h.to_le_bytes());
            }
            None => out.push(0),
        }
    }
    out
}

/// Reads what [`encode`] wrote; `None` if the bytes are not that.
fn decode(bytes: &[u8]) -> Option<Vec<Row>> {
    let mut r = Reader(bytes);
    let n = r.u32()? as usize;
    let mut rows = Vec::with_capacity(n.min(bytes.len()));
    for _ in 0..n {
        let id = r.text()??;
        let columns = (0..r.u32()?)
            .map(|_| r.text())
            .collect::<Option<Vec<_>>>()?;
        let record = r.text()??;
        let hash = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
        let legacy_hash = match r.take(1)?[0] {
            0 => None,
            1 => Some(i64::from_le_bytes(r.take(8)?.try_into().ok()?)),
            _ => return None,
        };
        rows.push(Row {
            id,
            columns,
            record,
            hash,
            legacy_hash,
        });
    }
    r.0.is_empty().then_some(rows)
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// A text or none; `None` when the bytes end or are not UTF-8.
    fn text(&mut self) -> Option<Option<String>> {
        let len = self.u32()?;
        if len == NONE {
            return Some(None);
        }
        let bytes = self.take(len as usize)?;
        Some(Some(String::from_utf8(bytes.to_vec()).ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, columns: Vec<Option<&str>>, record: &str, legacy: Option<i64>) -> Row {
        Row {
            id: id.to_owned(),
            columns: columns.into_iter().map(|c| c.map(str::to_owned)).collect(),
            record: record.to_owned(),
            hash: i64::MIN + 7,
            legacy_hash: legacy,
        }
    }

    #[tokio::test]
    async fn parked_batches_read_back_as_they_were_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::new_in(dir.path()).unwrap();
        let first = vec![
            row(
                "a",
                vec![Some("2024-05-01T00:00:00.000Z")],
                r#"{"x":"会话 \"q\""}"#,
                None,
            ),
            row("", vec![None, Some("")], "", Some(-1)),
        ];
        let second: Vec<Row> = (0..500)
            .map(|i| {
                row(
                    &format!("id-{i}"),
                    vec![None],
                    &"r".repeat(i),
                    Some(i as i64),
                )
            })
            .collect();
        let p1 = spool.park(&first).await.unwrap();
        let p2 = spool.park(&second).await.unwrap();
        let p3 = spool.park(&[]).await.unwrap();
        assert!(spool.bytes() > 500 * 250);
        // Nothing of the batches is in the directory's listing.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert_eq!(spool.take(p2).await.unwrap(), second);
        assert_eq!(spool.take(p1).await.unwrap(), first);
        assert!(spool.take(p3).await.unwrap().is_empty());
        // All taken back: the file is reused from its start.
        assert_eq!(spool.bytes(), 0);
        let p4 = spool.park(&first).await.unwrap();
        assert_eq!(p4.at, 0);
        assert_eq!(spool.take(p4).await.unwrap(), first);
    }

    #[test]
    fn bytes_that_are_not_a_batch_are_refused_not_misread() {
        let rows = vec![row("a", vec![Some("c")], "{}", Some(3))];
        let bytes = encode(&rows);
        assert_eq!(decode(&bytes), Some(rows));
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        // The legacy hash's flag is the last byte when there is none.
        let mut no_legacy = encode(&[row("a", vec![], "{}", None)]);
        *no_legacy.last_mut().unwrap() = 2;
        assert_eq!(decode(&no_legacy), None);
        let mut not_utf8 = encode(&[row("é", vec![], "{}", None)]);
        not_utf8[8] = 0xff;
        assert_eq!(decode(&not_utf8), None);
    }
}
