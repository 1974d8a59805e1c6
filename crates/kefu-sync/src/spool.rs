//! A SQLite window's rows, parked in a file while the window is read, then
//! written one key range after another.
//!
//! The key index of a session table takes vendor ids, which come in no
//! order. Written as they came, a window of 50,000 rows dirtied nearly
//! every leaf of an index that passes SQLite's 32 MiB page cache at about
//! 600,000 sessions (52 MB at 1,000,000), so SQLite spilled dirty leaves to
//! the WAL in the middle of the window and read them back for the next
//! random key (docs/sync.md, Performance, issues 12s and 12zb). Written one
//! key range at a time, each range's part of the index stays in the cache
//! while its rows go in: every leaf is read, changed and spilled about once
//! a window. Ranges do as well as a full sort (measured at 1,000,000) and
//! need no key in memory; sorting a batch of 500 was tried and did nothing
//! (issue 12u): only the whole window sweeps the index.
//!
//! The rows wait in an unnamed file beside the database (`O_TMPFILE` where
//! the system has it, so it is gone however the process ends), written
//! without `fsync`, a range's rows in chunks of [`CHUNK`] bytes. The page
//! cache holds them, not the process: in memory are a chunk per range and
//! where the chunks lie. Within a range rows keep the order they came in,
//! so the last copy of a key is written last.

use std::collections::VecDeque;
use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, SyncError};
use crate::row::Row;

/// Bytes a range gathers before they go to the file.
const CHUNK: usize = 64 * 1024;

/// Ranges at most: a chunk each is in memory while a window is parked.
pub(crate) const MAX_RANGES: usize = 32;

/// Rows of one key range in the file.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    at: u64,
    len: usize,
}

#[derive(Debug, Default)]
struct Range {
    /// Rows not written to the file yet.
    buf: Vec<u8>,
    chunks: Vec<Chunk>,
}

/// Free space for spool files as kefu counts it, on top of the file
/// system's: for tests, which cannot fill a disk. A database's spools share
/// it; a spool's bytes come back when its file is gone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Space(Arc<SpaceLeft>);

#[derive(Debug, Default)]
struct SpaceLeft {
    bytes: AtomicU64,
    /// Writes refused so far.
    refused: AtomicU64,
}

impl Space {
    pub(crate) fn new(bytes: u64) -> Self {
        let space = Self::default();
        space.0.bytes.store(bytes, Ordering::SeqCst);
        space
    }

    /// Bytes left.
    #[cfg(test)]
    fn left(&self) -> u64 {
        self.0.bytes.load(Ordering::SeqCst)
    }

    /// Writes refused so far, for lack of room.
    pub(crate) fn refused(&self) -> u64 {
        self.0.refused.load(Ordering::SeqCst)
    }

    /// Takes `n` bytes, or fails as a full disk does.
    fn take(&self, n: u64) -> std::io::Result<()> {
        self.0
            .bytes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(n)
            })
            .map(|_| ())
            .map_err(|_| {
                self.0.refused.fetch_add(1, Ordering::SeqCst);
                std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device")
            })
    }
}

/// The unnamed file, where it is (for messages), and the space it took.
#[derive(Debug)]
struct SpoolFile {
    file: File,
    dir: PathBuf,
    space: Option<Space>,
    taken: AtomicU64,
}

impl SpoolFile {
    fn write_all_at(&self, buf: &[u8], at: u64) -> std::io::Result<()> {
        if let Some(space) = &self.space {
            space.take(buf.len() as u64)?;
            self.taken.fetch_add(buf.len() as u64, Ordering::SeqCst);
        }
        self.file.write_all_at(buf, at)
    }

    /// What an I/O error on this file tells the user.
    fn error(&self, e: std::io::Error) -> SyncError {
        let hint = if e.kind() == std::io::ErrorKind::StorageFull {
            // The window is rolled back whole; the next run reads it again.
            "; kefu keeps a window's rows beside the database while it reads \
             them (up to two windows, about 150 MB at 50,000 sessions a \
             window): free some space there and run again"
        } else {
            ""
        };
        SyncError::Database(format!(
            "the spool file in {}: {e}{hint}",
            self.dir.display()
        ))
    }
}

impl Drop for SpoolFile {
    fn drop(&mut self) {
        if let Some(space) = &self.space {
            space
                .0
                .bytes
                .fetch_add(*self.taken.get_mut(), Ordering::SeqCst);
        }
    }
}

/// An unnamed file of one window's rows, by key range.
#[derive(Debug)]
pub(crate) struct Spool {
    file: Arc<SpoolFile>,
    /// Where the next chunk goes.
    end: u64,
    /// The first key of every range but the first, ascending.
    bounds: Vec<String>,
    ranges: Vec<Range>,
    rows: u64,
}

impl Spool {
    /// A new spool in `dir` (the database's directory, so the rows stay on
    /// the file system the user chose for them), its ranges starting at
    /// `bounds` (sorted, at most [`MAX_RANGES`] - 1; none: one range, the
    /// rows in the order they came). `space`: see [`Space`].
    pub(crate) fn new_in(dir: &Path, bounds: Vec<String>, space: Option<Space>) -> Result<Self> {
        let file = tempfile::tempfile_in(dir).map_err(|e| {
            SyncError::Database(format!(
                "could not make a spool file in {}: {e}",
                dir.display()
            ))
        })?;
        debug_assert!(bounds.is_sorted() && bounds.len() < MAX_RANGES);
        Ok(Self {
            file: Arc::new(SpoolFile {
                file,
                dir: dir.to_owned(),
                space,
                taken: AtomicU64::new(0),
            }),
            end: 0,
            ranges: (0..=bounds.len()).map(|_| Range::default()).collect(),
            bounds,
            rows: 0,
        })
    }

    /// Rows parked so far.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// Key ranges.
    pub(crate) fn ranges(&self) -> usize {
        self.ranges.len()
    }

    /// Bytes parked so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.end + self.ranges.iter().map(|r| r.buf.len() as u64).sum::<u64>()
    }

    /// Parks `rows`, each in its key's range; full chunks go to the file.
    pub(crate) async fn park(&mut self, rows: Vec<Row>) -> Result<()> {
        let mut full = Vec::new();
        for row in &rows {
            // Bounds equal to a key start that key's range.
            let i = self
                .bounds
                .partition_point(|b| b.as_str() <= row.id.as_str());
            let range = &mut self.ranges[i];
            encode(&mut range.buf, row)?;
            if range.buf.len() >= CHUNK {
                let buf = std::mem::replace(&mut range.buf, Vec::with_capacity(CHUNK + CHUNK / 4));
                range.chunks.push(Chunk {
                    at: self.end,
                    len: buf.len(),
                });
                full.push((self.end, buf));
                self.end += range.chunks.last().map_or(0, |c| c.len as u64);
            }
        }
        self.rows += rows.len() as u64;
        drop(rows);
        self.write(full).await
    }

    async fn write(&self, chunks: Vec<(u64, Vec<u8>)>) -> Result<()> {
        if chunks.is_empty() {
            return Ok(());
        }
        let file = self.file.clone();
        blocking(&self.file, move || {
            chunks
                .iter()
                .try_for_each(|(at, buf)| file.write_all_at(buf, *at))
        })
        .await
    }

    /// Writes what is left in memory, and gives the rows back: the first
    /// range's, then the next range's, each in the order they came.
    pub(crate) async fn unpark(mut self) -> Result<Unparking> {
        let mut last = Vec::new();
        for range in &mut self.ranges {
            if !range.buf.is_empty() {
                let buf = std::mem::take(&mut range.buf);
                range.chunks.push(Chunk {
                    at: self.end,
                    len: buf.len(),
                });
                last.push((self.end, buf));
                self.end += range.chunks.last().map_or(0, |c| c.len as u64);
            }
        }
        self.write(last).await?;
        Ok(Unparking {
            file: self.file,
            chunks: self.ranges.into_iter().flat_map(|r| r.chunks).collect(),
        })
    }
}

/// A window's parked rows, being read back range by range.
#[derive(Debug)]
pub(crate) struct Unparking {
    file: Arc<SpoolFile>,
    chunks: VecDeque<Chunk>,
}

impl Unparking {
    /// The next rows, at least `n` of them (a chunk's worth more at most)
    /// unless fewer are left; `None` once all were read.
    pub(crate) async fn next(&mut self, n: usize) -> Result<Option<Vec<Row>>> {
        if self.chunks.is_empty() {
            return Ok(None);
        }
        // About 1,500 bytes a session record: read enough chunks for `n`
        // rows in one go, then decode them all.
        let mut take = Vec::new();
        let mut bytes = 0;
        while let Some(c) = self.chunks.front()
            && (take.is_empty() || bytes < n * 1600)
        {
            bytes += c.len;
            take.push(*c);
            self.chunks.pop_front();
        }
        let file = self.file.clone();
        let rows = blocking(&self.file, move || {
            let mut rows = Vec::new();
            let mut buf = Vec::new();
            for c in take {
                buf.resize(c.len, 0);
                file.file.read_exact_at(&mut buf, c.at)?;
                decode_chunk(&buf, &mut rows).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "a parked row did not read back",
                    )
                })?;
            }
            Ok(rows)
        })
        .await?;
        Ok(Some(rows))
    }
}

/// Runs file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    file: &SpoolFile,
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Database(format!("the spool file's task failed: {e}")))?
        .map_err(|e| file.error(e))
}

/// No value: an absent column or legacy hash.
const NONE: u32 = u32::MAX;

fn put_text(out: &mut Vec<u8>, text: Option<&str>) -> Option<()> {
    match text {
        Some(t) => {
            let len = u32::try_from(t.len()).ok().filter(|l| *l != NONE)?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        None => out.extend_from_slice(&NONE.to_le_bytes()),
    }
    Some(())
}

/// Appends a row: its length, then its id, columns, record, hash and legacy
/// hash, lengths little-endian.
fn encode(out: &mut Vec<u8>, r: &Row) -> Result<()> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    let done = (|| {
        put_text(out, Some(&r.id))?;
        out.extend_from_slice(&u32::try_from(r.columns.len()).ok()?.to_le_bytes());
        for c in &r.columns {
            put_text(out, c.as_deref())?;
        }
        put_text(out, Some(&r.record))?;
        out.extend_from_slice(&r.hash.to_le_bytes());
        match r.legacy_hash {
            Some(h) => {
                out.push(1);
                out.extend_from_slice(&h.to_le_bytes());
            }
            None => out.push(0),
        }
        u32::try_from(out.len() - start - 4).ok()
    })();
    match done {
        Some(len) => {
            out[start..start + 4].copy_from_slice(&len.to_le_bytes());
            Ok(())
        }
        None => {
            out.truncate(start);
            // No text a vendor sends in one record reaches 4 GiB, nor could
            // SQLite bind it.
            Err(SyncError::Database(format!(
                "row {} is too large to park",
                r.id
            )))
        }
    }
}

/// Appends the rows of a chunk [`encode`] wrote to `out`; `None` if the
/// bytes are not that.
fn decode_chunk(mut bytes: &[u8], out: &mut Vec<Row>) -> Option<()> {
    while !bytes.is_empty() {
        let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let row = bytes.get(4..4 + len)?;
        out.push(decode(row)?);
        bytes = &bytes[4 + len..];
    }
    Some(())
}

/// Reads one row [`encode`] wrote (without its length); `None` if the bytes
/// are not that.
fn decode(bytes: &[u8]) -> Option<Row> {
    let mut r = Reader(bytes);
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
    r.0.is_empty().then_some(Row {
        id,
        columns,
        record,
        hash,
        legacy_hash,
    })
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

/// Where a SQLite window's key ranges start: from a sample of the keys of
/// the window before, as many ranges as the key index needs for each
/// range's part of it to stay in the page cache.
#[derive(Debug)]
pub(crate) struct Ranges {
    /// Rows in the table, about (its largest rowid when the run began,
    /// plus the rows written since).
    rows: u64,
    /// Bytes of the index a range may cover.
    per_range: u64,
    /// Bytes of the keys seen, and how many, for their mean length.
    key_bytes: u64,
    keys: u64,
    /// Every `stride`-th key of the window being read.
    sample: Vec<String>,
    stride: u64,
    seen: u64,
    /// The sample of the last window read whole.
    last: Vec<String>,
}

/// Keys sampled a window, between this and twice this.
const SAMPLE: usize = 512;

impl Ranges {
    /// For a table of about `rows` rows, `per_range` bytes of its key index
    /// a range.
    pub(crate) fn new(rows: u64, per_range: u64) -> Self {
        Self {
            rows,
            per_range: per_range.max(1),
            key_bytes: 0,
            keys: 0,
            sample: Vec::new(),
            stride: 1,
            seen: 0,
            last: Vec::new(),
        }
    }

    /// Notes the rows of a batch.
    pub(crate) fn saw(&mut self, rows: &[Row]) {
        for r in rows {
            self.key_bytes += r.id.len() as u64;
            self.keys += 1;
            if self.seen.is_multiple_of(self.stride) {
                self.sample.push(r.id.clone());
                if self.sample.len() >= 2 * SAMPLE {
                    // Every other one, and half as often from now on.
                    let mut i = 0;
                    self.sample.retain(|_| {
                        i += 1;
                        i % 2 == 1
                    });
                    self.stride *= 2;
                }
            }
            self.seen += 1;
        }
        self.rows += rows.len() as u64;
    }

    /// The window read was read whole: its sample places the next.
    pub(crate) fn window_read(&mut self) {
        if !self.sample.is_empty() {
            self.last = std::mem::take(&mut self.sample);
        }
        self.stride = 1;
        self.seen = 0;
    }

    /// The key index's size, about: a B-tree filled by random keys keeps
    /// its leaves about 70% full; each entry is the key (account and id),
    /// the rowid and a few bytes of header.
    fn index_bytes(&self, account: &str) -> u64 {
        let key = self.key_bytes.checked_div(self.keys).unwrap_or(0) + account.len() as u64 + 12;
        (self.rows.saturating_mul(key) / 7).saturating_mul(10)
    }

    /// Where the next window's ranges start, once the key index has
    /// outgrown one range (before that, `None`: the window is better
    /// written as it is read). No bounds while no window was read whole:
    /// the window is parked in one range then.
    pub(crate) fn bounds(&self, account: &str) -> Option<Vec<String>> {
        let want = self.index_bytes(account).div_ceil(self.per_range);
        if want < 2 {
            return None;
        }
        let n = (want.min(MAX_RANGES as u64) as usize).min(self.last.len() + 1);
        if n < 2 {
            return Some(Vec::new());
        }
        let mut sample = self.last.clone();
        sample.sort_unstable();
        let mut bounds: Vec<String> = (1..n)
            .map(|i| sample[i * sample.len() / n].clone())
            .collect();
        bounds.dedup();
        Some(bounds)
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

    async fn all(mut rows: Unparking, n: usize) -> Vec<Vec<Row>> {
        let mut out = Vec::new();
        while let Some(rows) = rows.next(n).await.unwrap() {
            out.push(rows);
        }
        out
    }

    #[tokio::test]
    async fn parked_rows_read_back_whole_range_by_range_each_in_the_order_it_came() {
        let dir = tempfile::tempdir().unwrap();
        let bounds = vec!["b".to_owned(), "id-3".to_owned(), "x".to_owned()];
        let mut spool = Spool::new_in(dir.path(), bounds, None).unwrap();
        assert_eq!(spool.ranges(), 4);
        let first = vec![
            row(
                "m",
                vec![Some("2024-05-01T00:00:00.000Z")],
                r#"{"x":"会话 \"q\""}"#,
                None,
            ),
            row("", vec![None, Some("")], "", Some(-1)),
            row("b", vec![], "first copy", None),
        ];
        // Records large enough that ranges fill several chunks.
        let second: Vec<Row> = (0..500)
            .map(|i| {
                row(
                    &format!("id-{i}"),
                    vec![None],
                    &"r".repeat(i * 3),
                    Some(i as i64),
                )
            })
            .collect();
        let third = vec![
            row("b", vec![], "second copy", Some(2)),
            row("é", vec![], "{}", None),
            row("x", vec![], "on a bound", None),
        ];
        spool.park(first.clone()).await.unwrap();
        spool.park(second.clone()).await.unwrap();
        spool.park(Vec::new()).await.unwrap();
        spool.park(third.clone()).await.unwrap();
        assert_eq!(spool.rows(), 506);
        assert!(spool.bytes() > 500 * 750);
        // Nothing of the window is in the directory's listing.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let chunks = all(spool.unpark().await.unwrap(), 20).await;
        assert!(chunks.len() > 3, "{} reads", chunks.len());
        assert!(chunks.iter().all(|c| !c.is_empty()));
        let got: Vec<Row> = chunks.into_iter().flatten().collect();
        // Each range in turn, rows within it in the order they came.
        let sent: Vec<Row> = first.into_iter().chain(second).chain(third).collect();
        let range = |id: &str| match id {
            id if id < "b" => 0,
            id if id < "id-3" => 1,
            id if id < "x" => 2,
            _ => 3,
        };
        let mut want = sent.clone();
        want.sort_by_key(|r| range(&r.id));
        assert_eq!(got, want);
        let copies: Vec<&str> = got
            .iter()
            .filter(|r| r.id == "b")
            .map(|r| r.record.as_str())
            .collect();
        assert_eq!(copies, ["first copy", "second copy"]);
        assert_eq!(got[0].id, "");
        assert_eq!(got.last().unwrap().id, "x");
    }

    #[tokio::test]
    async fn one_range_keeps_the_order_the_rows_came_in_and_an_empty_window_reads_back_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new_in(dir.path(), Vec::new(), None).unwrap();
        assert!(all(spool.unpark().await.unwrap(), 500).await.is_empty());
        let mut spool = Spool::new_in(dir.path(), Vec::new(), None).unwrap();
        let rows: Vec<Row> = (0..1200)
            .rev()
            .map(|i| row(&format!("{i:04}"), vec![], &"x".repeat(200), None))
            .collect();
        for batch in rows.chunks(500) {
            spool.park(batch.to_vec()).await.unwrap();
        }
        let got: Vec<Row> = all(spool.unpark().await.unwrap(), 500)
            .await
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(got, rows);
    }

    #[tokio::test]
    async fn a_chunk_changed_in_the_file_fails_instead_of_being_misread() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::new_in(dir.path(), Vec::new(), None).unwrap();
        spool
            .park(vec![
                row("a", vec![], "{}", None),
                row("b", vec![], "{}", None),
            ])
            .await
            .unwrap();
        let file = spool.file.clone();
        let mut rows = spool.unpark().await.unwrap();
        // The first row's length, one more than it is.
        let len = file.file.metadata().unwrap().len();
        let mut head = [0u8; 4];
        file.file.read_exact_at(&mut head, 0).unwrap();
        let bigger = u32::from_le_bytes(head) + 1;
        file.file.write_all_at(&bigger.to_le_bytes(), 0).unwrap();
        assert!(len > 8);
        let err = rows.next(10).await.unwrap_err();
        assert!(err.to_string().contains("did not read back"), "{err}");
    }

    /// A disk that fills while a window is parked: the park fails as the
    /// file system would, naming where the file is, and what the spools
    /// took comes back once they are gone.
    #[tokio::test]
    async fn a_full_disk_fails_the_park_and_names_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let space = Space::new(3 * CHUNK as u64);
        let rows = |n: usize| -> Vec<Row> {
            (0..n)
                .map(|i| row(&format!("{i:05}"), vec![], &"x".repeat(1000), None))
                .collect()
        };
        // Two chunks (of 64 rows, a little over `CHUNK`) go to the file.
        let mut first = Spool::new_in(dir.path(), Vec::new(), Some(space.clone())).unwrap();
        first.park(rows(130)).await.unwrap();
        assert!(first.end > 2 * CHUNK as u64);
        assert_eq!(space.left(), 3 * CHUNK as u64 - first.end);
        // A second spool beside it has no room for a chunk.
        let mut second = Spool::new_in(dir.path(), Vec::new(), Some(space.clone())).unwrap();
        let err = second.park(rows(130)).await.unwrap_err().to_string();
        assert_eq!(space.refused(), 1);
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        assert!(
            err.contains("no space left") && err.contains("free some space"),
            "{err}"
        );
        drop(second);
        let unparked = first.unpark().await.unwrap();
        drop(unparked);
        assert_eq!(space.left(), 3 * CHUNK as u64);
    }

    #[test]
    fn bytes_that_are_not_rows_are_refused_not_misread() {
        let r = row("a", vec![Some("c"), None], "{}", Some(3));
        let mut bytes = Vec::new();
        encode(&mut bytes, &r).unwrap();
        encode(&mut bytes, &r).unwrap();
        let mut out = Vec::new();
        assert_eq!(decode_chunk(&bytes, &mut out), Some(()));
        assert_eq!(out, vec![r.clone(), r.clone()]);
        let one = bytes.len() / 2;
        for cut in (1..bytes.len()).filter(|c| *c != one) {
            assert_eq!(
                decode_chunk(&bytes[..cut], &mut Vec::new()),
                None,
                "cut at {cut}"
            );
        }
        let row_bytes = &bytes[4..one];
        let mut longer = row_bytes.to_vec();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        // The legacy hash's flag is the last byte when there is none.
        let mut no_legacy = Vec::new();
        encode(&mut no_legacy, &row("a", vec![], "{}", None)).unwrap();
        *no_legacy.last_mut().unwrap() = 2;
        assert_eq!(decode(&no_legacy[4..]), None);
        let mut not_utf8 = Vec::new();
        encode(&mut not_utf8, &row("é", vec![], "{}", None)).unwrap();
        not_utf8[8] = 0xff;
        assert_eq!(decode(&not_utf8[4..]), None);
    }

    fn ids(n: usize, f: impl Fn(usize) -> String) -> Vec<Row> {
        (0..n).map(|i| row(&f(i), vec![], "{}", None)).collect()
    }

    #[test]
    fn ranges_follow_the_size_of_the_index_and_split_the_last_window_evenly() {
        let uuid = |i: usize| {
            format!(
                "{:08x}-0000-4000-8000-{:012x}",
                (i * 2_654_435_761) % (1 << 32),
                i
            )
        };
        // 100,000 rows of 36-byte ids under a 1-byte account: about 7 MB of
        // index; 8 MiB a range is one range, written as it is read.
        let mut r = Ranges::new(0, 8 << 20);
        r.saw(&ids(100_000, uuid));
        r.window_read();
        assert_eq!(r.bounds("1"), None);
        // 1,000,000 rows: about 70 MB, 9 ranges.
        let mut r = Ranges::new(900_000, 8 << 20);
        r.saw(&ids(100_000, uuid));
        // Nothing is known of the keys before a window is read whole: one
        // range, parked all the same.
        assert_eq!(r.bounds("1"), Some(Vec::new()));
        r.window_read();
        let bounds = r.bounds("1").expect("ranges");
        assert_eq!(bounds.len(), 8, "{bounds:?}");
        assert!(bounds.is_sorted());
        // Each range gets about a ninth of such keys.
        let mut counts = [0usize; 9];
        for row in ids(100_000, |i| uuid(i + 7_777_777)) {
            counts[bounds.partition_point(|b| b.as_str() <= row.id.as_str())] += 1;
        }
        assert!(
            counts.iter().all(|c| (8_000..14_000).contains(c)),
            "{counts:?}"
        );
        // Never more than MAX_RANGES, nor two bounds that are one key.
        let mut r = Ranges::new(u64::MAX / 2, 1);
        r.saw(&ids(5_000, |i| format!("{}", i % 3)));
        r.window_read();
        assert_eq!(r.bounds("1").expect("ranges"), ["0", "1", "2"]);
        let mut r = Ranges::new(u64::MAX / 2, 1);
        r.saw(&ids(5_000, uuid));
        r.window_read();
        assert_eq!(r.bounds("1").expect("ranges").len(), MAX_RANGES - 1);
        // An empty window keeps the sample of the one before.
        r.window_read();
        assert_eq!(r.bounds("1").expect("ranges").len(), MAX_RANGES - 1);
    }
}
