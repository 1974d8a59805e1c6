//! `--record DIR`: every exchange of a run as one JSON file.
//!
//! Files are named `NNNNNN-METHOD-path.json` in the order the exchanges
//! finished, so `ls` shows the run in order and a replay server can read
//! them back in that order. Each file is written under a temporary name and
//! renamed, so no half-written recording ever carries a final name.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use kefu_core::{Error, Result};

use crate::observe::{Exchange, ExchangeObserver};

/// Writes each exchange it is told about into a folder.
#[derive(Debug)]
pub struct FolderRecorder {
    dir: PathBuf,
    next: AtomicU64,
    /// The first write failure, kept for [`FolderRecorder::finish`].
    failure: Mutex<Option<String>>,
}

impl FolderRecorder {
    /// Records into `dir`, creating it. Numbering continues after the
    /// recordings already there, so two runs into one folder keep both.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::config("record", format!("cannot create {}: {e}", dir.display()))
        })?;
        let existing = std::fs::read_dir(&dir)
            .map_err(|e| Error::config("record", format!("cannot read {}: {e}", dir.display())))?
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".json")?
                    .split('-')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(0);
        Ok(Self {
            dir,
            next: AtomicU64::new(existing + 1),
            failure: Mutex::new(None),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The first recording that could not be written, if any.
    pub fn finish(&self) -> Result<()> {
        match self
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            Some(message) => Err(Error::config("record", message)),
            None => Ok(()),
        }
    }

    fn write(&self, exchange: &Exchange) -> std::io::Result<()> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let slug: String = exchange
            .path
            .trim_matches('/')
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(80)
            .collect();
        let name = format!("{n:06}-{}-{slug}.json", exchange.method);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        // Buffered: the serializer writes in many small pieces.
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer_pretty(&mut file, exchange)?;
        file.write_all(b"\n")?;
        let file = file
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, self.dir.join(name))
    }
}

impl ExchangeObserver for FolderRecorder {
    fn exchange(&self, exchange: &Exchange) {
        if let Err(e) = self.write(exchange) {
            let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
            failure.get_or_insert_with(|| format!("cannot write into {}: {e}", self.dir.display()));
        }
    }
}
