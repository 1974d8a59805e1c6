//! Credentials that must never be printed.
//!
//! Every [`Secret`] the process creates is also known to a registry, so
//! [`scrub`] can replace each of their values with `***` in any text that is
//! about to leave the process: a vendor's message that echoes what it was
//! sent, a body excerpt, an error, a log line. The registry holds the live
//! secrets weakly (a secret dropped is forgotten) and the latest
//! [`RECENT_SECRETS`] strongly, so a request's own signature or token,
//! serialized into a body and dropped, is still scrubbed from the answer.
//! Values shorter than [`MIN_SCRUBBED_CHARS`] are not scrubbed: no vendor
//! credential is that short, and replacing them would mangle every message.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// Secrets created most recently, kept for scrubbing after they are dropped.
pub const RECENT_SECRETS: usize = 256;

/// Shorter values are not scrubbed (see the module documentation).
pub const MIN_SCRUBBED_CHARS: usize = 4;

/// What replaces a secret.
pub const MASK: &str = "***";

struct Registry {
    live: Vec<Weak<SecretString>>,
    /// `live.len()` after the last pruning: prune again when it doubles.
    pruned: usize,
    recent: VecDeque<Arc<SecretString>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    live: Vec::new(),
    pruned: 0,
    recent: VecDeque::new(),
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

fn register(value: &Arc<SecretString>) {
    if value.expose_secret().chars().count() < MIN_SCRUBBED_CHARS {
        return;
    }
    let mut r = registry();
    if r.live.len() >= 2 * r.pruned.max(64) {
        r.live.retain(|w| w.strong_count() > 0);
        r.pruned = r.live.len();
    }
    r.live.push(Arc::downgrade(value));
    if r.recent.len() >= RECENT_SECRETS {
        r.recent.pop_front();
    }
    r.recent.push_back(value.clone());
}

/// `text` with every known secret value (and its URL-encoded form) replaced
/// by [`MASK`]. Borrowed when there was nothing to replace.
pub fn scrub(text: &str) -> Cow<'_, str> {
    if text.len() < MIN_SCRUBBED_CHARS {
        return Cow::Borrowed(text);
    }
    let values: Vec<Arc<SecretString>> = {
        let r = registry();
        r.live
            .iter()
            .filter_map(Weak::upgrade)
            .chain(r.recent.iter().cloned())
            .collect()
    };
    let mut forms: Vec<String> = Vec::new();
    for v in &values {
        let raw = v.expose_secret();
        if text.contains(raw) {
            forms.push(raw.to_owned());
        }
        let encoded = percent_encode(raw);
        if encoded != raw && text.contains(&encoded) {
            forms.push(encoded);
        }
    }
    if forms.is_empty() {
        return Cow::Borrowed(text);
    }
    // Longest first, so a secret containing another is masked whole.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    let mut out = text.to_owned();
    for f in &forms {
        out = out.replace(f.as_str(), MASK);
    }
    Cow::Owned(out)
}

/// [`scrub`] into an owned string.
pub fn scrubbed(text: String) -> String {
    match scrub(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => s,
    }
}

/// Percent-encoding of everything but RFC 3986's unreserved characters, as
/// a secret appears in an echoed query string.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A credential (unionKey, secretId, access token, password).
///
/// `Debug` and `Display` print `[REDACTED]`; the value is only reachable
/// through [`Secret::expose`], which a reviewer can grep for. It is not
/// `Serialize`, so it cannot slip into an output document by accident.
#[derive(Clone)]
pub struct Secret(Arc<SecretString>);

impl Secret {
    /// Wraps a value, and makes it known to [`scrub`].
    pub fn new(value: impl Into<String>) -> Self {
        let value = Arc::new(SecretString::from(value.into()));
        register(&value);
        Self(value)
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

    #[test]
    fn every_known_secret_is_scrubbed_and_the_rest_kept() {
        let key = Secret::new("k3y-scrub-test/+=value");
        let token = Secret::new("tok-scrub-test-1234");
        let text = "refused token=tok-scrub-test-1234&key=k3y-scrub-test%2F%2B%3Dvalue, raw k3y-scrub-test/+=value.";
        assert_eq!(scrub(text), "refused token=***&key=***, raw ***.");
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
        drop((key, token));
        // Short values are left alone.
        let _short = Secret::new("ab");
        assert_eq!(scrub("a b ab abc"), "a b ab abc");
    }

    #[test]
    fn a_dropped_secret_is_still_scrubbed_while_recent() {
        let sign = Secret::new("sign-scrub-test-9f8e7d");
        drop(sign);
        assert_eq!(scrub("bad sign sign-scrub-test-9f8e7d"), "bad sign ***");
    }
}
