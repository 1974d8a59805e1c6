//! Settings: the environment, layered over an optional TOML file of named
//! profiles.
//!
//! The file (`--config FILE`, else `<config dir>/kefu/config.toml`) holds the
//! same variable names as the environment:
//!
//! ```toml
//! default_profile = "staging"        # used when --profile is not given
//! KEFU_EASEMOB_BASE_URL = "https://kefu.easemob.com"   # shared by every profile
//!
//! [profiles.staging]
//! KEFU_VENDOR = "easemob"
//! KEFU_EASEMOB_TENANT_ID = "1234"
//! KEFU_EASEMOB_CLIENT_ID = "..."
//! KEFU_EASEMOB_SECRET_ID = "..."
//! ```
//!
//! A key is looked up in the environment first (a set, non-empty variable
//! wins), then in the chosen profile, then at the top level of the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kefu::Error;

/// Where settings are read when the environment has no value.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The process environment, as an [`EnvLookup`].
pub fn process_env() -> EnvLookup {
    Arc::new(|key| std::env::var(key).ok())
}

/// The environment layered over a config file's profile.
#[derive(Clone)]
pub struct Settings {
    env: EnvLookup,
    file: Arc<BTreeMap<String, String>>,
    source: Option<PathBuf>,
    profile: Option<String>,
}

impl fmt::Debug for Settings {
    /// Names only: values may be credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("source", &self.source)
            .field("profile", &self.profile)
            .field("file_keys", &self.file.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Only the environment, no file.
    pub fn env_only(env: EnvLookup) -> Self {
        Self {
            env,
            file: Arc::default(),
            source: None,
            profile: None,
        }
    }

    /// Reads the config file, if any, and picks a profile.
    ///
    /// An explicit `--config` that does not exist is an error; a missing
    /// default file is fine unless a profile was asked for.
    pub fn load(
        explicit: Option<&Path>,
        profile: Option<&str>,
        env: EnvLookup,
    ) -> Result<Self, Error> {
        let (path, must_exist) = match explicit {
            Some(p) => (Some(p.to_path_buf()), true),
            None => (default_path(), false),
        };
        let text = match &path {
            Some(p) => match std::fs::read_to_string(p) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => None,
                Err(e) => {
                    return Err(Error::config(
                        "--config",
                        format!("cannot read {}: {e}", p.display()),
                    ));
                }
            },
            None => None,
        };
        let Some(text) = text else {
            if let Some(name) = profile {
                let shown = path.map_or_else(
                    || "the default location".to_owned(),
                    |p| p.display().to_string(),
                );
                return Err(Error::config(
                    "--profile",
                    format!("asks for profile {name:?} but there is no config file at {shown}"),
                ));
            }
            return Ok(Self::env_only(env));
        };
        let shown = path
            .as_deref()
            .map(Path::display)
            .map(|d| d.to_string())
            .unwrap_or_default();
        let (file, chosen) = parse(&text, profile)
            .map_err(|reason| Error::config("--config", format!("{shown}: {reason}")))?;
        Ok(Self {
            env,
            file: Arc::new(file),
            source: path,
            profile: chosen,
        })
    }

    /// The value of `key`: environment, then profile, then file top level.
    pub fn get(&self, key: &str) -> Option<String> {
        (self.env)(key)
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.file.get(key).cloned())
    }

    /// Whether `key` holds a truthy value (`1`, `true`, `yes`, `on`).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
    }

    /// The settings as a lookup for `kefu::ClientBuilder::lookup`.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
        let this = self.clone();
        move |key| this.get(key)
    }

    /// The profile in use, if the file has one.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }
}

/// `<config dir>/kefu/config.toml` (`$XDG_CONFIG_HOME` or `~/.config` on Linux).
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("kefu").join("config.toml"))
}

/// Flattens the file into one map: top-level `KEFU_*` keys under the chosen
/// profile's. Returns the profile actually used.
fn parse(
    text: &str,
    profile: Option<&str>,
) -> Result<(BTreeMap<String, String>, Option<String>), String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // The error's own rendering quotes the offending line, which may hold
        // a credential: give only the message and the line number.
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        match line {
            Some(line) => format!("not valid TOML at line {line}: {}", e.message()),
            None => format!("not valid TOML: {}", e.message()),
        }
    })?;

    let mut values = BTreeMap::new();
    let mut profiles = None;
    let mut default_profile = None;
    for (key, value) in &table {
        match key.as_str() {
            "profiles" => {
                profiles = Some(
                    value
                        .as_table()
                        .ok_or("`profiles` must be a table of tables ([profiles.NAME])")?,
                );
            }
            "default_profile" => {
                default_profile = Some(
                    value
                        .as_str()
                        .ok_or("`default_profile` must be a string")?
                        .to_owned(),
                );
            }
            k if k.starts_with("KEFU_") => {
                values.insert(key.clone(), scalar(key, value)?);
            }
            other => {
                return Err(format!(
                    "unknown key `{other}` (expected KEFU_* variables, `default_profile` or [profiles.NAME])"
                ));
            }
        }
    }

    let wanted = profile.map(str::to_owned).or(default_profile.clone());
    let chosen = match (&wanted, profiles) {
        (Some(name), Some(all)) => Some((name.clone(), all.get(name))),
        (Some(name), None) => Some((name.clone(), None)),
        (None, Some(all)) => all.get("default").map(|t| ("default".to_owned(), Some(t))),
        (None, None) => None,
    };
    let used = match chosen {
        Some((name, Some(section))) => {
            let section = section
                .as_table()
                .ok_or_else(|| format!("[profiles.{name}] must be a table"))?;
            for (key, value) in section {
                if !key.starts_with("KEFU_") {
                    return Err(format!(
                        "[profiles.{name}]: unknown key `{key}` (expected KEFU_* variables)"
                    ));
                }
                values.insert(key.clone(), scalar(key, value)?);
            }
            Some(name)
        }
        Some((name, None)) => {
            let known: Vec<&str> = table
                .get("profiles")
                .and_then(toml::Value::as_table)
                .map(|t| t.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(format!(
                "no profile {name:?} (profiles: {})",
                list_or_none(&known)
            ));
        }
        None => None,
    };
    Ok((values, used))
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// A setting's value as text; tables and arrays are refused (and never echoed).
fn scalar(key: &str, value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(format!("`{key}` must be a string, number or boolean")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvLookup {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Arc::new(move |k| map.get(k).cloned())
    }

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("write config");
        (dir, path)
    }

    const FILE: &str = r#"
default_profile = "staging"
KEFU_EASEMOB_BASE_URL = "https://shared.example.com"

[profiles.staging]
KEFU_VENDOR = "easemob"
KEFU_EASEMOB_TENANT_ID = 1234
KEFU_EASEMOB_SECRET_ID = "file-secret"

[profiles.prod]
KEFU_VENDOR = "sobot"
KEFU_EASEMOB_BASE_URL = "https://prod.example.com"
"#;

    #[test]
    fn environment_wins_over_profile_which_wins_over_top_level() {
        let (_dir, path) = write(FILE);
        let s = Settings::load(
            Some(&path),
            None,
            env(&[("KEFU_EASEMOB_SECRET_ID", "env-secret")]),
        )
        .expect("load");
        assert_eq!(s.profile(), Some("staging"));
        assert_eq!(
            s.get("KEFU_EASEMOB_SECRET_ID").as_deref(),
            Some("env-secret")
        );
        assert_eq!(s.get("KEFU_EASEMOB_TENANT_ID").as_deref(), Some("1234"));
        assert_eq!(
            s.get("KEFU_EASEMOB_BASE_URL").as_deref(),
            Some("https://shared.example.com")
        );
        assert_eq!(s.get("KEFU_SOBOT_EMAIL"), None);

        let s = Settings::load(Some(&path), Some("prod"), env(&[])).expect("load prod");
        assert_eq!(s.get("KEFU_VENDOR").as_deref(), Some("sobot"));
        assert_eq!(
            s.get("KEFU_EASEMOB_BASE_URL").as_deref(),
            Some("https://prod.example.com")
        );
    }

    #[test]
    fn an_empty_environment_variable_does_not_hide_the_file() {
        let (_dir, path) = write(FILE);
        let s = Settings::load(Some(&path), None, env(&[("KEFU_VENDOR", "")])).expect("load");
        assert_eq!(s.get("KEFU_VENDOR").as_deref(), Some("easemob"));
    }

    #[test]
    fn a_missing_explicit_file_is_an_error_and_a_missing_default_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.toml");
        let e = Settings::load(Some(&missing), None, env(&[])).expect_err("explicit missing");
        assert!(
            matches!(&e, Error::Config { key, .. } if key == "--config"),
            "{e}"
        );
    }

    #[test]
    fn unknown_profiles_and_keys_are_refused_with_their_names() {
        let (_dir, path) = write(FILE);
        let e = Settings::load(Some(&path), Some("dev"), env(&[])).expect_err("unknown profile");
        assert!(
            e.to_string().contains("\"dev\"") && e.to_string().contains("prod, staging"),
            "{e}"
        );

        let (_dir, path) = write("[profiles.x]\ntenant_id = \"1\"\n");
        let e = Settings::load(Some(&path), Some("x"), env(&[])).expect_err("bad key");
        assert!(e.to_string().contains("tenant_id"), "{e}");
    }

    #[test]
    fn a_syntax_error_names_the_line_but_never_quotes_it() {
        let (_dir, path) = write("KEFU_SOBOT_UNION_KEY = \"top-secret-value\nKEFU_VENDOR = 1\n");
        let e = Settings::load(Some(&path), None, env(&[])).expect_err("bad toml");
        let text = e.to_string();
        assert!(text.contains("line 1"), "{text}");
        assert!(!text.contains("top-secret-value"), "{text}");
    }

    #[test]
    fn debug_shows_no_values() {
        let (_dir, path) = write(FILE);
        let s = Settings::load(Some(&path), None, env(&[])).expect("load");
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains("file-secret") && dbg.contains("KEFU_EASEMOB_SECRET_ID"),
            "{dbg}"
        );
    }

    #[test]
    fn flags_read_truthy_values() {
        let s = Settings::env_only(env(&[("KEFU_SANDBOX", "1"), ("X", "off")]));
        assert!(s.flag("KEFU_SANDBOX"));
        assert!(!s.flag("X"));
        assert!(!s.flag("Y"));
    }
}
