//! What every vendor builder does with its settings, once.
//!
//! A builder is filled from an environment (`from_lookup`) and by hand
//! (typed setters); `build` then fails with [`Error::Config`] naming the
//! environment variable of the first setting that is missing or did not
//! parse, whichever way it came. A value set by hand replaces what the
//! environment said, including a value that did not parse.

use kefu_core::{Error, Result, Secret};

/// Settings read from the environment that did not parse, in the order
/// they were read.
#[derive(Clone, Debug, Default)]
pub struct Unparsed(Vec<(&'static str, String)>);

impl Unparsed {
    /// Parses `text`, the value of `key` (`None` or blank: unset). A value
    /// that does not parse is remembered for `build` (with `parse`'s reason)
    /// and gives `None`.
    pub fn read<T>(
        &mut self,
        key: &'static str,
        text: Option<String>,
        parse: impl FnOnce(&str) -> std::result::Result<T, String>,
    ) -> Option<T> {
        let text = text.filter(|t| !t.trim().is_empty())?;
        match parse(&text) {
            Ok(value) => Some(value),
            Err(why) => {
                self.0.push((key, why));
                None
            }
        }
    }

    /// `key` was set by hand: what the environment said of it no longer counts.
    pub fn forget(&mut self, key: &'static str) {
        self.0.retain(|(k, _)| *k != key);
    }

    /// The first value that did not parse, as [`Error::Config`] naming its key.
    pub fn check(&self) -> Result<()> {
        match self.0.first() {
            Some((key, why)) => Err(Error::config(*key, why.clone())),
            None => Ok(()),
        }
    }
}

/// A required setting, trimmed; missing or blank is [`Error::Config`]
/// naming `key`.
pub fn required(key: &'static str, value: Option<String>) -> Result<String> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::config(key, "is not set"))
}

/// A required secret; missing or blank is [`Error::Config`] naming `key`
/// (never showing the value).
pub fn required_secret(key: &'static str, value: Option<Secret>) -> Result<Secret> {
    value
        .filter(|s| !s.expose().trim().is_empty())
        .ok_or_else(|| Error::config(key, "is not set"))
}

/// An error's reason without the field or key it names, for a
/// configuration error about another key.
pub fn reason(e: &Error) -> String {
    match e {
        Error::InvalidInput { reason, .. } | Error::Config { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> std::result::Result<u32, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))
    }

    #[test]
    fn the_first_bad_value_is_named_and_a_value_set_by_hand_replaces_it() {
        let mut u = Unparsed::default();
        assert_eq!(u.read("A", Some(" 7 ".into()), number), Some(7));
        assert_eq!(u.read("B", Some("x".into()), number), None);
        assert_eq!(u.read("C", Some("y".into()), number), None);
        assert_eq!(u.read("D", Some("  ".into()), number), None);
        assert_eq!(u.read("E", None, number), None);
        let e = u.check().unwrap_err();
        assert!(
            matches!(&e, Error::Config { key, reason } if key == "B" && reason.contains("\"x\"")),
            "{e}"
        );
        u.forget("B");
        assert!(matches!(u.check().unwrap_err(), Error::Config { key, .. } if key == "C"));
        u.forget("C");
        assert!(u.check().is_ok());
    }

    #[test]
    fn required_values_are_trimmed_and_blank_is_missing() {
        assert_eq!(required("K", Some(" v ".into())).ok().as_deref(), Some("v"));
        for missing in [None, Some(String::new()), Some("  ".into())] {
            let e = required("K", missing).unwrap_err();
            assert!(matches!(e, Error::Config { key, .. } if key == "K"));
        }
        assert!(required_secret("S", Some(Secret::new("  "))).is_err());
        assert!(required_secret("S", Some(Secret::new("s"))).is_ok());
    }
}
