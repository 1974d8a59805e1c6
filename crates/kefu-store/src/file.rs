//! The file store: one small file per key in a directory, mode 0600, every
//! read-modify-write under an exclusive OS file lock, so every process on
//! the machine that names the directory shares it.
//!
//! A key `K` of kind `value`, `lock` or `rate` is the file `NAME.KIND`,
//! where `NAME` is `K` made file-safe plus a hash of `K` (two keys never
//! share a file). Its guard `NAME.KIND.guard` is locked (flock) around each
//! operation and never replaced; the data file is replaced whole (written to
//! a temporary file, renamed), so no reader ever sees half a value under the
//! final name. A lock with a TTL is a lease in its file (owner and
//! expiry), so a crashed holder blocks nobody longer than the TTL.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use kefu_core::shared::{RateBudget, SharedStore, StoreError, StoreResult, gcra_reserve};
use kefu_core::{Clock, Secret, SystemClock};

/// Files are readable by their owner only: they hold tokens.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;
/// The directory too.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// The longest wait for another process's read-modify-write of one key.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// A [`SharedStore`] in a directory, shared by the processes of one machine.
#[derive(Clone)]
pub struct FileStore {
    dir: Arc<PathBuf>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FileStore").field(&self.dir).finish()
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Value,
    Lock,
    Rate,
}

impl Kind {
    fn suffix(self) -> &'static str {
        match self {
            Kind::Value => "value",
            Kind::Lock => "lock",
            Kind::Rate => "rate",
        }
    }
}

impl FileStore {
    /// The store in `dir`, created (mode 0700) if missing. Fails if the
    /// directory cannot be created or written.
    pub fn open(dir: impl AsRef<Path>) -> StoreResult<Self> {
        Self::open_with_clock(dir, Arc::new(SystemClock))
    }

    /// [`FileStore::open`] with expiry and budgets on `clock`.
    pub fn open_with_clock(dir: impl AsRef<Path>, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        let dir = dir.as_ref().to_path_buf();
        let describe = format!("file:{}", dir.display());
        let fail =
            |what: &str, e: std::io::Error| StoreError::new(&describe, format!("{what}: {e}"));
        private_dir(fs::DirBuilder::new().recursive(true))
            .create(&dir)
            .map_err(|e| fail("cannot create the directory", e))?;
        // Writable? A probe file tells now, not in the middle of a command.
        static PROBES: AtomicU64 = AtomicU64::new(0);
        let probe = dir.join(format!(
            ".probe-{}-{}",
            std::process::id(),
            PROBES.fetch_add(1, Ordering::Relaxed)
        ));
        File::create(&probe)
            .and_then(|_| fs::remove_file(&probe))
            .map_err(|e| fail("cannot write in the directory", e))?;
        Ok(Self {
            dir: Arc::new(dir),
            clock,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn error(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError::new(self.describe(), format!("{what}: {e}"))
    }

    /// Runs `f` on the current content of `key`'s `kind` file (None when
    /// absent) under its exclusive lock; `f` returns the new content (None:
    /// leave it, Some(None): delete it) and a result. Blocking, so on a
    /// blocking thread.
    async fn update<T: Send + 'static>(
        &self,
        key: &str,
        kind: Kind,
        f: impl FnOnce(Option<String>, i64) -> (Option<Option<String>>, T) + Send + 'static,
    ) -> StoreResult<T> {
        let data = self
            .dir
            .join(format!("{}.{}", file_name(key), kind.suffix()));
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.update_blocking(&data, f))
            .await
            .map_err(|e| self.error("store task failed", e))?
    }

    fn update_blocking<T>(
        &self,
        data: &Path,
        f: impl FnOnce(Option<String>, i64) -> (Option<Option<String>>, T),
    ) -> StoreResult<T> {
        let guard_path = with_suffix(data, ".guard");
        let guard = private_file(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
        )
        .open(&guard_path)
        .map_err(|e| self.error("cannot open a lock file", e))?;
        self.lock_guard(&guard)?;
        let result = self.locked(data, f);
        // Closing the file releases the lock too; unlock first to be prompt.
        let _ = fs4::FileExt::unlock(&guard);
        result
    }

    /// Takes the guard's exclusive lock, polling, for at most
    /// [`LOCK_WAIT`]: a holder only reads and writes a few bytes, so a
    /// longer wait means a stuck process, and the caller falls back rather
    /// than hang.
    fn lock_guard(&self, guard: &File) -> StoreResult<()> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_micros(200);
        loop {
            // fs4's flock, not std's `File::try_lock` (newer than our MSRV).
            match fs4::FileExt::try_lock(guard) {
                Ok(()) => return Ok(()),
                Err(fs4::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(10));
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(self.error(
                        "cannot lock",
                        format!("another process held the lock for over {LOCK_WAIT:?}"),
                    ));
                }
                Err(fs4::TryLockError::Error(e)) => return Err(self.error("cannot lock", e)),
            }
        }
    }

    fn locked<T>(
        &self,
        data: &Path,
        f: impl FnOnce(Option<String>, i64) -> (Option<Option<String>>, T),
    ) -> StoreResult<T> {
        let current = match File::open(data) {
            Ok(mut file) => {
                let mut text = String::new();
                // A file that is not text is as good as none: it is replaced.
                match file.read_to_string(&mut text) {
                    Ok(_) => Some(text),
                    Err(_) => None,
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.error("cannot read", e)),
        };
        let (change, out) = f(current, self.clock.now_millis());
        match change {
            None => {}
            Some(None) => match fs::remove_file(data) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.error("cannot remove", e)),
            },
            Some(Some(text)) => self.replace(data, &text)?,
        }
        Ok(out)
    }

    /// Writes `text` to a temporary file and renames it over `data`.
    fn replace(&self, data: &Path, text: &str) -> StoreResult<()> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tmp = with_suffix(
            data,
            &format!(
                ".tmp-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
        );
        let written = (|| {
            let mut file =
                private_file(OpenOptions::new().write(true).create_new(true)).open(&tmp)?;
            make_private(&file)?;
            file.write_all(text.as_bytes())?;
            // No fsync: the rename keeps readers from ever seeing half a
            // value, and after a power loss an empty or stale file only
            // costs a token fetch or a moment of looser pacing (content that
            // does not parse counts as none). Syncing made each write ~2 ms.
            fs::rename(&tmp, data)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(self.error("cannot write", e));
        }
        Ok(())
    }
}

/// Files are created readable by their owner only (Unix modes; elsewhere
/// the platform's defaults).
fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, FILE_MODE);
    options
}

fn private_dir(builder: &mut fs::DirBuilder) -> &mut fs::DirBuilder {
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(builder, DIR_MODE);
    builder
}

/// The mode given at creation is masked by the umask; say it again.
fn make_private(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// A file-safe name for `key`: its safe characters (at most 80) and a
/// 64-bit FNV-1a hash of the whole key.
fn file_name(key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{safe}-{hash:016x}")
}

/// `UNTIL\nTEXT`: an expiry (epoch ms) and a value.
fn parse_lease(text: &str) -> Option<(i64, &str)> {
    let (until, rest) = text.split_once('\n')?;
    Some((until.trim().parse().ok()?, rest))
}

fn lease(until: i64, text: &str) -> String {
    format!("{until}\n{text}")
}

fn until(now: i64, ttl: Duration) -> i64 {
    now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
impl SharedStore for FileStore {
    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Secret>> {
        self.update(key, Kind::Value, |current, now| {
            let value = current
                .as_deref()
                .and_then(parse_lease)
                .filter(|(until, _)| now < *until)
                .map(|(_, v)| Secret::new(v));
            (None, value)
        })
        .await
    }

    async fn put(&self, key: &str, value: &Secret, ttl: Duration) -> StoreResult<()> {
        let value = value.clone();
        self.update(key, Kind::Value, move |_, now| {
            (Some(Some(lease(until(now, ttl), value.expose()))), ())
        })
        .await
    }

    async fn expire_if(&self, key: &str, expected: &Secret) -> StoreResult<bool> {
        let expected = expected.clone();
        self.update(key, Kind::Value, move |current, _| {
            let same = current
                .as_deref()
                .and_then(parse_lease)
                .is_some_and(|(_, v)| expected.matches(v));
            (same.then_some(None), same)
        })
        .await
    }

    async fn try_lock(&self, key: &str, owner: &str, ttl: Duration) -> StoreResult<bool> {
        let owner = owner.to_owned();
        self.update(key, Kind::Lock, move |current, now| {
            let held = current
                .as_deref()
                .and_then(parse_lease)
                .is_some_and(|(until, _)| now < until);
            if held {
                (None, false)
            } else {
                (Some(Some(lease(until(now, ttl), &owner))), true)
            }
        })
        .await
    }

    async fn unlock(&self, key: &str, owner: &str) -> StoreResult<bool> {
        let owner = owner.to_owned();
        self.update(key, Kind::Lock, move |current, _| {
            let mine = current
                .as_deref()
                .and_then(parse_lease)
                .is_some_and(|(_, o)| o == owner);
            (mine.then_some(None), mine)
        })
        .await
    }

    async fn reserve(&self, key: &str, budget: &RateBudget) -> StoreResult<Duration> {
        let (interval, tolerance) = (budget.interval_ms(), budget.tolerance_ms());
        self.update(key, Kind::Rate, move |current, now| {
            let tat = current.and_then(|t| t.trim().parse::<i64>().ok());
            let (wait, tat) = gcra_reserve(tat, now, interval, tolerance);
            (
                Some(Some(tat.to_string())),
                Duration::from_millis(wait.max(0) as u64),
            )
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_distinct() {
        let a = file_name("token|easemob|https://kefu.easemob.com/|1|c");
        let b = file_name("token|easemob|https://kefu.easemob.com/|1|d");
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
        assert!(file_name(&"x".repeat(10_000)).len() < 100);
        assert_ne!(file_name("a/b"), file_name("a_b"));
    }

    #[test]
    fn leases_parse_and_garbage_is_absent() {
        assert_eq!(parse_lease("12\nabc"), Some((12, "abc")));
        assert_eq!(parse_lease("12\n"), Some((12, "")));
        assert_eq!(parse_lease("x\nabc"), None);
        assert_eq!(parse_lease("12"), None);
    }
}
