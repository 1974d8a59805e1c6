//! Credentials that must never be printed.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// A credential (unionKey, secretId, access token, password).
///
/// `Debug` and `Display` print `[REDACTED]`; the value is only reachable
/// through [`Secret::expose`], which a reviewer can grep for. It is not
/// `Serialize`, so it cannot slip into an output document by accident.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value itself, for the one place that has to put it on the wire.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Number of characters, for validation without exposing the value.
    pub fn char_count(&self) -> usize {
        self.expose().chars().count()
    }

    /// Whether the secret equals `other`, in constant time for values of
    /// the same length (`subtle`): how long it takes tells nothing about
    /// where they first differ. Only the length may show, as with any
    /// such comparison; tokens and signatures have fixed lengths anyway.
    pub fn matches(&self, other: &str) -> bool {
        self.expose().as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("ca906984-80f1-41b0-a272-6000df3f76c4");
        assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
        assert_eq!(format!("{s}"), "[REDACTED]");
        assert_eq!(format!("{:#?}", Some(s.clone())).matches("ca90").count(), 0);
        assert_eq!(s.expose(), "ca906984-80f1-41b0-a272-6000df3f76c4");
    }

    #[test]
    fn matches_is_plain_equality() {
        let s = Secret::new("tok-0123456789");
        assert!(s.matches("tok-0123456789"));
        assert!(!s.matches("tok-0123456788"), "last byte differs");
        assert!(!s.matches("Tok-0123456789"), "first byte differs");
        assert!(!s.matches("tok-012345678"), "a prefix is not the secret");
        assert!(!s.matches("tok-0123456789-"), "nor is a longer value");
        assert!(!s.matches(""));
        assert!(Secret::new("").matches(""));
        assert!(Secret::new("密钥").matches("密钥"));
        assert!(!Secret::new("密钥").matches("密码"));
    }
}
