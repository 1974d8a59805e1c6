//! `memory`, `file:DIR`, `redis://HOST:PORT[/DB]`: naming a store.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The prefix of every Redis key kefu writes, unless told otherwise.
pub const DEFAULT_PREFIX: &str = "kefu:";

/// A store as named on the command line or in `KEFU_SHARED_STORE`.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// This process only.
    Memory,
    /// Files in a directory (processes on one machine).
    File(PathBuf),
    /// A Redis server (processes on many machines); every key starts with
    /// `prefix`.
    Redis {
        /// `redis://[user:password@]HOST:PORT[/DB]`.
        url: String,
        /// Key prefix ([`DEFAULT_PREFIX`] by default).
        prefix: String,
    },
}

impl fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Shown without any password.
impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Memory => f.write_str("memory"),
            StoreSpec::File(dir) => write!(f, "file:{}", dir.display()),
            StoreSpec::Redis { url, .. } => f.write_str(&redacted_url(url)),
        }
    }
}

impl StoreSpec {
    /// Parses a spec; `file:` with no directory means `default_dir`. The
    /// error says what is accepted (the caller names the option).
    pub fn parse_with_default(text: &str, default_dir: Option<PathBuf>) -> Result<Self, String> {
        let text = text.trim();
        if text == "memory" {
            return Ok(StoreSpec::Memory);
        }
        if let Some(dir) = text.strip_prefix("file:") {
            if dir.is_empty() {
                return default_dir
                    .map(StoreSpec::File)
                    .ok_or_else(|| "`file:` needs a directory: no user cache directory is known here (set XDG_CACHE_HOME, or give file:DIR)".to_owned());
            }
            return Ok(StoreSpec::File(PathBuf::from(dir)));
        }
        if text.starts_with("redis://") {
            let url = url::Url::parse(text)
                .map_err(|e| format!("{} is not a Redis URL: {e}", redacted_url(text)))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(format!("{} names no host", redacted_url(text)));
            }
            let db = url.path().trim_start_matches('/');
            if !db.is_empty() && db.parse::<u32>().is_err() {
                return Err(format!(
                    "{}: the database must be a number, not {db:?}",
                    redacted_url(text)
                ));
            }
            return Ok(StoreSpec::Redis {
                url: text.to_owned(),
                prefix: DEFAULT_PREFIX.to_owned(),
            });
        }
        Err(format!(
            "{:?} is not a store: use memory, file:DIR or redis://HOST:PORT[/DB]",
            redacted_url(text)
        ))
    }

    /// The same spec with Redis keys under `prefix` (no effect on others).
    pub fn with_prefix(self, prefix: impl Into<String>) -> Self {
        match self {
            StoreSpec::Redis { url, .. } => StoreSpec::Redis {
                url,
                prefix: prefix.into(),
            },
            other => other,
        }
    }
}

impl FromStr for StoreSpec {
    type Err = String;

    /// Like [`StoreSpec::parse_with_default`] with no default directory.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse_with_default(s, None)
    }
}

/// A URL with its password replaced by `***`.
pub(crate) fn redacted_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        // Unparsable: keep only what cannot hold a password.
        Err(_) => match text.split_once('@') {
            Some((_, rest)) => format!("***@{rest}"),
            None => text.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_the_contract_parses() {
        assert_eq!("memory".parse::<StoreSpec>(), Ok(StoreSpec::Memory));
        assert_eq!(
            "file:/tmp/k".parse::<StoreSpec>(),
            Ok(StoreSpec::File("/tmp/k".into()))
        );
        assert_eq!(
            StoreSpec::parse_with_default("file:", Some("/c/kefu".into())),
            Ok(StoreSpec::File("/c/kefu".into()))
        );
        assert!("file:".parse::<StoreSpec>().is_err());
        let r = "redis://127.0.0.1:6379/2".parse::<StoreSpec>().unwrap();
        assert!(matches!(&r, StoreSpec::Redis { prefix, .. } if prefix == DEFAULT_PREFIX));
        assert!("redis://h:6379/x".parse::<StoreSpec>().is_err());
        assert!("postgres://x".parse::<StoreSpec>().is_err());
        assert!("".parse::<StoreSpec>().is_err());
    }

    #[test]
    fn passwords_never_show() {
        let r = "redis://u:hunter2@h:6379/0".parse::<StoreSpec>().unwrap();
        assert!(!r.to_string().contains("hunter2"), "{r}");
        assert!(!format!("{r:?}").contains("hunter2"));
        let e = "redis://u:hunter2@h:6379/zz"
            .parse::<StoreSpec>()
            .unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        let e = "nope://u:hunter2@h".parse::<StoreSpec>().unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
