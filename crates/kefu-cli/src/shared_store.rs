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
use std::sync::Arc;

use kefu::Error;
use kefu::shared::SharedStore;
use kefu_store::StoreSpec;

use crate::config::Settings;

/// The variable of `--shared-store`.
pub const ENV_SHARED_STORE: &str = "KEFU_SHARED_STORE";
/// The Redis key prefix (default `kefu:`), so fleets or tests can share one
/// server without sharing state.
pub const ENV_SHARED_STORE_PREFIX: &str = "KEFU_SHARED_STORE_PREFIX";

/// The store this run names: the flag, else the setting, else the default
/// (`memory` with `--sandbox`, `file:` the cache directory otherwise). A
/// malformed spec is a configuration error naming where it came from.
pub fn spec(flag: Option<&str>, settings: &Settings, sandbox: bool) -> Result<StoreSpec, Error> {
    let (source, text) = match (flag, settings.get(ENV_SHARED_STORE)) {
        (Some(text), _) => ("--shared-store", text.to_owned()),
        (None, Some(text)) => (ENV_SHARED_STORE, text),
        (None, None) if sandbox => return Ok(StoreSpec::Memory),
        (None, None) => ("--shared-store", "file:".to_owned()),
    };
    let spec = StoreSpec::parse_with_default(&text, default_dir())
        .map_err(|reason| Error::config(source, reason))?;
    Ok(match settings.get(ENV_SHARED_STORE_PREFIX) {
        Some(prefix) => spec.with_prefix(prefix.trim()),
        None => spec,
    })
}

/// `$XDG_CACHE_HOME/kefu` (or the platform's cache directory).
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("kefu"))
}

/// Opens `spec` so that it cannot fail the run: on failure, now or later,
/// the run falls back to process-local state and says so once on stderr.
pub fn open(spec: &StoreSpec) -> Arc<dyn SharedStore> {
    kefu_store::guarded(
        spec,
        Arc::new(|e: &kefu_store::StoreError| {
            let _ = writeln!(
                std::io::stderr().lock(),
                "kefu: warning: {e}; this run keeps tokens and rate budgets in this process only"
            );
        }),
    )
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
        assert_eq!(spec(None, &none, true).unwrap(), StoreSpec::Memory);
        match spec(None, &none, false).unwrap() {
            StoreSpec::File(dir) => assert!(dir.ends_with("kefu"), "{dir:?}"),
            other => panic!("default is the cache directory, not {other}"),
        }
        let env = settings(&[(ENV_SHARED_STORE, "file:/tmp/x")]);
        assert_eq!(
            spec(None, &env, true).unwrap(),
            StoreSpec::File("/tmp/x".into()),
            "a named store wins over the sandbox default"
        );
        assert_eq!(
            spec(Some("memory"), &env, false).unwrap(),
            StoreSpec::Memory
        );
        let redis = settings(&[
            (ENV_SHARED_STORE, "redis://127.0.0.1:6379/1"),
            (ENV_SHARED_STORE_PREFIX, "fleet-a:"),
        ]);
        assert!(matches!(
            spec(None, &redis, false).unwrap(),
            StoreSpec::Redis { prefix, .. } if prefix == "fleet-a:"
        ));
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
