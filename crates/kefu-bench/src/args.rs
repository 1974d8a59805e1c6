//! A small `--name value` flag reader: the bench tools take a handful of
//! flags and are run by the xtask, so a full parser would be weight.

use std::collections::HashMap;
use std::str::FromStr;

use crate::Result;

/// Flags given as `--name value` (or `--name=value`); a flag without a value
/// (followed by another flag or nothing) reads as `"true"`.
#[derive(Debug, Default, Clone)]
pub struct Args {
    flags: HashMap<String, String>,
    /// Everything after a lone `--`, verbatim.
    pub rest: Vec<String>,
}

impl Args {
    /// Reads the process's arguments (without the program name).
    pub fn from_env() -> Result<Self> {
        Self::parse(std::env::args().skip(1))
    }

    /// Reads `args`.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self> {
        let mut out = Self::default();
        let mut it = args.into_iter().peekable();
        while let Some(arg) = it.next() {
            if arg == "--" {
                out.rest = it.collect();
                break;
            }
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?} (flags are --name value)").into());
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None => {
                    let value = match it.peek() {
                        Some(next) if !next.starts_with("--") => it.next().unwrap_or_default(),
                        _ => "true".to_owned(),
                    };
                    (name.to_owned(), value)
                }
            };
            out.flags.insert(name, value);
        }
        Ok(out)
    }

    /// The flag's text, if given.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }

    /// The flag's text, or an error naming it.
    pub fn required(&self, name: &str) -> Result<&str> {
        self.text(name)
            .ok_or_else(|| format!("--{name} is required").into())
    }

    /// The flag parsed as `T`, or `default` when absent.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.text(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("--{name}: cannot read {text:?}").into()),
        }
    }

    /// Whether the flag was given (`--quick`).
    pub fn flag(&self, name: &str) -> bool {
        self.text(name).is_some_and(|v| v != "false")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::parse(args.iter().map(|s| (*s).to_owned())).expect("parses")
    }

    #[test]
    fn values_flags_and_the_rest() {
        let a = parse(&[
            "--rounds",
            "5",
            "--quick",
            "--out=/tmp/x",
            "--",
            "ls",
            "--all",
        ]);
        assert_eq!(a.get("rounds", 1u32).expect("number"), 5);
        assert!(a.flag("quick"));
        assert_eq!(a.text("out"), Some("/tmp/x"));
        assert_eq!(a.rest, ["ls", "--all"]);
        assert_eq!(a.get("missing", 7u32).expect("default"), 7);
        assert!(a.get::<u32>("out", 0).is_err());
        assert!(a.required("nope").is_err());
    }

    #[test]
    fn a_bare_word_is_refused() {
        assert!(Args::parse(["oops".to_owned()]).is_err());
    }
}
