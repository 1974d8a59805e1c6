//! A file that appears under its real name only when complete.
//!
//! Data goes to a hidden temporary file in the same directory
//! (`.NAME.partial-PID`, so the final rename stays on one file system and is
//! atomic); [`PartialFile::commit`] renames it. Dropped without a commit (an
//! error, Ctrl-C), the temporary file is removed and the real name is never
//! touched.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written; see the module docs.
#[derive(Debug)]
pub struct PartialFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<BufWriter<File>>,
}

impl PartialFile {
    /// Creates the temporary file for `target`.
    pub fn create(target: &Path) -> io::Result<Self> {
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "names a directory, not a file")
        })?;
        if target.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a directory",
            ));
        }
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".partial-{}", std::process::id()));
        let temp = dir.join(temp_name);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        Ok(Self {
            target: target.to_path_buf(),
            temp,
            file: Some(BufWriter::new(file)),
        })
    }

    /// The temporary file's path.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Where the data goes.
    pub fn writer(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("already committed"))
    }

    /// Flushes, syncs and renames the file to its real name.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("already committed"))?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.temp, &self.target)?;
        // Renamed: nothing left for Drop to remove.
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if self.temp.as_os_str().is_empty() {
            return;
        }
        drop(self.file.take());
        let _ = std::fs::remove_file(&self.temp);
    }
}

impl Write for PartialFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buf)
    }

    // Straight to the BufWriter's own: serializers write many small pieces a
    // record, and the default loop over `write` cost 8% of an export's CPU.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_renames_to_the_real_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.jsonl");
        let mut f = PartialFile::create(&target).expect("create");
        assert!(
            f.temp_path()
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".out.jsonl.partial-"))
        );
        writeln!(f, "line").expect("write");
        assert!(!target.exists());
        f.commit().expect("commit");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "line\n");
        assert_eq!(entries(dir.path()), ["out.jsonl"]);
    }

    #[test]
    fn dropping_without_commit_leaves_nothing_and_keeps_an_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.jsonl");
        std::fs::write(&target, "old\n").expect("old");
        {
            let mut f = PartialFile::create(&target).expect("create");
            writeln!(f, "half").expect("write");
        }
        assert_eq!(entries(dir.path()), ["out.jsonl"]);
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "old\n");
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(PartialFile::create(dir.path()).is_err());
    }
}
