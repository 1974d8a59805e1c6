//! `--shared-store memory|file:DIR|redis://HOST:PORT[/DB]` (env
//! `KEFU_SHARED_STORE`): where this run keeps tokens and rate budgets, shared
//! with every other process that names the same store.
//!
//! Default: `file:` the user's cache directory (`$XDG_CACHE_HOME/kefu`), so
//! cron jobs and workers on one machine share without being told; `memory`
//! for `--sandbox` runs (their embedded sandbox is the run's own). A store
//! that cannot be used never fails the command: the run goes on with
//! process-local state and says so once on stderr.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use kefu::Error;
use kefu::shared::SharedStore;
use kefu_store::StoreSpec;

use crate::config::Settings;

/// The variable of `--shared-store`.
pub const ENV_SHARED_STORE: &str = "KEFU_SHARED_STORE";
/// The Redis key prefix (default `kefu:`), so fleets or tests can share one
/// server without sharing state.
pub const ENV_SHARED_STORE_PREFIX: &str = "KEFU_SHARED_STORE_PREFIX";

/// `--shared-store` as given on this run's command line, kept where every
/// command's [`connect`](crate::client::connect) finds it.
static FLAG: OnceLock<Option<String>> = OnceLock::new();

/// Records `--shared-store` (once per process; the first value stays).
pub fn remember_flag(flag: Option<String>) {
    let _ = FLAG.set(flag);
}

/// `--shared-store`, if given.
pub fn flag() -> Option<&'static str> {
    FLAG.get().and_then(|f| f.as_deref())
}

/// The store a run names, or why the one it names cannot be had.
#[derive(Debug, PartialEq)]
pub enum Chosen {
    /// A store to open.
    Store(StoreSpec),
    /// `file:` the cache directory, but no cache directory is known (no
    /// HOME, no XDG_CACHE_HOME): the run falls back, it does not fail.
    NoCacheDir,
}

/// The store this run names: the flag, else the setting, else the default
/// (`memory` with `--sandbox`, `file:` the cache directory otherwise). A
/// malformed spec is a configuration error naming where it came from.
pub fn spec(flag: Option<&str>, settings: &Settings, sandbox: bool) -> Result<Chosen, Error> {
    let (source, text) = match (flag, settings.get(ENV_SHARED_STORE)) {
        (Some(text), _) => ("--shared-store", text.to_owned()),
        (None, Some(text)) => (ENV_SHARED_STORE, text),
        (None, None) if sandbox => return Ok(Chosen::Store(StoreSpec::Memory)),
        (None, None) => ("--shared-store", "file:".to_owned()),
    };
    let Some(dir) = default_dir() else {
        if text.trim() == "file:" {
            return Ok(Chosen::NoCacheDir);
        }
        return parse(source, &text, None, settings);
    };
    parse(source, &text, Some(dir), settings)
}

fn parse(
    source: &'static str,
    text: &str,
    dir: Option<PathBuf>,
    settings: &Settings,
) -> Result<Chosen, Error> {
    let spec =
        StoreSpec::parse_with_default(text, dir).map_err(|reason| Error::config(source, reason))?;
    Ok(Chosen::Store(match settings.get(ENV_SHARED_STORE_PREFIX) {
        Some(prefix) => spec.with_prefix(prefix.trim()),
        None => spec,
    }))
}

/// `$XDG_CACHE_HOME/kefu` (or the platform's cache directory).
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("kefu"))
}

/// Opens the chosen store so that it cannot fail the run: on failure, now
/// or later, the run falls back to process-local state and says so once on
/// stderr.
pub fn open(chosen: &Chosen) -> Arc<dyn SharedStore> {
    let notice: kefu_store::FallbackNotice = Arc::new(|e: &kefu_store::StoreError| {
        let _ = writeln!(
            std::io::stderr().lock(),
            "kefu: warning: {e}; this run keeps tokens and rate budgets in this process only"
        );
    });
    match chosen {
        Chosen::Store(spec) => kefu_store::guarded(spec, notice),
        Chosen::NoCacheDir => Arc::new(kefu_store::Fallback::failed_from_start(
            kefu_store::StoreError::new(
                "file:",
                "no user cache directory is known (set HOME or XDG_CACHE_HOME, or --shared-store)",
            ),
            notice,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &'static [(&'static str, &'static str)]) -> Settings {
        Settings::env_only(Arc::new(move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }))
    }

    #[test]
    fn the_flag_wins_then_the_setting_then_the_default() {
        let none = settings(&[]);
        let store = |c: Chosen| match c {
            Chosen::Store(s) => s,
            Chosen::NoCacheDir => panic!("this machine has a cache directory"),
        };
        assert_eq!(store(spec(None, &none, true).unwrap()), StoreSpec::Memory);
        match store(spec(None, &none, false).unwrap()) {
            StoreSpec::File(dir) => assert!(dir.ends_with("kefu"), "{dir:?}"),
            other => panic!("default is the cache directory, not {other}"),
        }
        let env = settings(&[(ENV_SHARED_STORE, "file:/tmp/x")]);
        assert_eq!(
            store(spec(None, &env, true).unwrap()),
            StoreSpec::File("/tmp/x".into()),
            "a named store wins over the sandbox default"
        );
        assert_eq!(
            store(spec(Some("memory"), &env, false).unwrap()),
            StoreSpec::Memory
        );
        let redis = settings(&[
            (ENV_SHARED_STORE, "redis://127.0.0.1:6379/1"),
            (ENV_SHARED_STORE_PREFIX, "fleet-a:"),
        ]);
        assert!(matches!(
            store(spec(None, &redis, false).unwrap()),
            StoreSpec::Redis { prefix, .. } if prefix == "fleet-a:"
        ));
    }

    #[tokio::test]
    async fn no_cache_directory_means_process_local_state_not_a_failure() {
        let store = open(&Chosen::NoCacheDir);
        assert!(
            store
                .describe()
                .starts_with("memory (fallen back from file:")
        );
        store
            .put(
                "k",
                &kefu::Secret::new("v"),
                std::time::Duration::from_secs(5),
            )
            .await
            .unwrap();
        assert!(store.get("k").await.unwrap().is_some());
    }

    #[test]
    fn a_bad_spec_names_where_it_came_from() {
        let env = settings(&[(ENV_SHARED_STORE, "mysql://x")]);
        let e = spec(None, &env, false).unwrap_err();
        assert!(
            matches!(&e, Error::Config { key, .. } if key == ENV_SHARED_STORE),
            "{e}"
        );
        let e = spec(Some("nope"), &env, false).unwrap_err();
        assert!(
            matches!(&e, Error::Config { key, .. } if key == "--shared-store"),
            "{e}"
        );
    }
}
