//! Replacing every secret in a request or answer by `***`, for anything
//! that leaves the process as text: dry runs, recordings, debug lines.
//!
//! Two nets, because either alone lets something through:
//! - by name: a JSON field or query parameter whose name says it is a
//!   credential (`password`, `secretId`, `token`, `sign`, `access_token`, ...);
//! - by value: every value caught by name, and every value the vendor crate
//!   marked secret (headers, query), is also cut out of every other string,
//!   so a vendor echoing a password or token back under another name, or
//!   inside a message, does not leak it.

use serde_json::Value;

use crate::request::Value as WireValue;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Values shorter than this are not searched for inside other strings (a
/// two-character "secret" would mask half the answer). They are still
/// masked by name, and wherever a whole string, number or query value is
/// exactly the secret (a vendor echoing a short password back as a field
/// of its own).
const MIN_SCRUB_CHARS: usize = 4;

/// Whether a field or parameter of this name holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const EXACT: &[&str] = &[
        "password",
        "pwd",
        "passwd",
        "secret",
        "secretid",
        "secretkey",
        "unionkey",
        "appsecret",
        "clientsecret",
        "token",
        "sign",
        "signature",
        "authorization",
        "apikey",
        // Sobot's per-merchant API credential (getBatchAppKey): printed by the
        // command that asks for it, never written into a recording.
        "appkey",
    ];
    EXACT.contains(&n.as_str())
        || ["password", "token", "secret", "signature"]
            .iter()
            .any(|end| n.ends_with(end))
}

/// The secrets known for one exchange, to be cut out of every string.
#[derive(Default)]
pub struct Redactor {
    /// Cut out of every string, longest first.
    values: Vec<String>,
    /// Shorter than [`MIN_SCRUB_CHARS`]: masked only as whole values.
    short: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("values", &(self.values.len() + self.short.len()))
            .finish()
    }
}

impl Redactor {
    /// Learns a secret value.
    pub fn learn(&mut self, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        if value.chars().count() < MIN_SCRUB_CHARS {
            if !self.short.iter().any(|v| v == value) {
                self.short.push(value.to_owned());
            }
        } else if !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_owned());
            // Longest first, so a secret containing another is cut whole.
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// Learns the marked secrets of a request's headers or query.
    pub fn learn_wire(&mut self, pairs: &[(String, WireValue)]) {
        for (name, value) in pairs {
            if matches!(value, WireValue::Secret(_)) || is_secret_name(name) {
                self.learn(value.expose());
            }
        }
    }

    /// Learns every value held under a secret name anywhere in `json`.
    pub fn learn_json(&mut self, json: &Value) {
        match json {
            Value::Object(map) => {
                for (key, value) in map {
                    if is_secret_name(key) {
                        match value {
                            Value::String(s) => self.learn(s),
                            Value::Number(n) => self.learn(&n.to_string()),
                            _ => self.learn_json(value),
                        }
                    } else {
                        self.learn_json(value);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.learn_json(v)),
            _ => {}
        }
    }

    /// `text` with every known secret replaced by [`MASK`].
    pub fn scrub(&self, text: &str) -> String {
        if self.short.iter().any(|v| v == text.trim()) {
            return MASK.to_owned();
        }
        self.scrub_long(text)
    }

    /// `text` with every secret of [`MIN_SCRUB_CHARS`] or more cut out.
    fn scrub_long(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.values {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// `json` with secret-named fields masked and known secrets cut out of
    /// every string (keys included).
    pub fn redact_json(&self, json: &Value) -> Value {
        match json {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| {
                        let value = if is_secret_name(key) && !value.is_null() {
                            Value::String(MASK.to_owned())
                        } else {
                            self.redact_json(value)
                        };
                        (self.scrub(key), value)
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.redact_json(v)).collect())
            }
            Value::String(s) => Value::String(self.scrub(s)),
            // A numeric secret (a secretId of digits) echoed back as a
            // number. Short secrets do not count here: a count or a status
            // of 1 that happens to equal a one-digit "secret" stays.
            Value::Number(n) => {
                let text = n.to_string();
                let scrubbed = self.scrub_long(&text);
                if scrubbed == text {
                    json.clone()
                } else {
                    Value::String(scrubbed)
                }
            }
            other => other.clone(),
        }
    }

    /// A body as redacted JSON (or redacted text when it is not JSON).
    pub fn redact_body(&self, body: &[u8]) -> Value {
        match serde_json::from_slice::<Value>(body) {
            Ok(json) => self.redact_json(&json),
            Err(_) => Value::String(self.scrub(&String::from_utf8_lossy(body))),
        }
    }

    /// Query pairs, secret ones masked and the rest scrubbed.
    pub fn redact_pairs(&self, pairs: &[(String, WireValue)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| {
                let shown = if matches!(value, WireValue::Secret(_)) || is_secret_name(name) {
                    MASK.to_owned()
                } else {
                    self.scrub(value.expose())
                };
                (name.clone(), shown)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_that_are_credentials() {
        for name in [
            "password",
            "secretId",
            "secret_id",
            "unionKey",
            "access_token",
            "Kefu-Token",
            "token",
            "sign",
            "newPassword",
            "Authorization",
            "appKey",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["username", "email", "design", "tokens_left_count", "page"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn an_echoed_secret_is_cut_from_every_string() {
        let mut r = Redactor::default();
        r.learn_json(&json!({"password": "Hunter2-Hunter2", "nested": {"secretId": 123456}}));
        let answer = json!({
            "message": "user a@b.c with password Hunter2-Hunter2 exists",
            "entity": {"pwd": "x", "id": 123456, "list": ["Hunter2-Hunter2"]}
        });
        let out = r.redact_json(&answer).to_string();
        assert!(!out.contains("Hunter2"), "{out}");
        assert_eq!(
            r.redact_json(&answer)["entity"]["pwd"],
            json!("***"),
            "by name"
        );
        assert!(out.contains("with password ***"), "{out}");
        assert!(
            !out.contains("123456"),
            "a numeric secret echoed as a number: {out}"
        );
        assert_eq!(r.redact_json(&answer)["entity"]["id"], json!("***"));
    }

    #[test]
    fn a_short_secret_is_masked_where_it_is_a_whole_value() {
        let mut r = Redactor::default();
        r.learn_json(&json!({"password": "ab1", "pin": 7, "sign": 42}));
        r.learn_wire(&[(
            "Kefu-Token".to_owned(),
            WireValue::Secret(kefu_core::Secret::new("x9")),
        )]);
        let answer = json!({
            "echo": {"pwd_copy": "ab1", "token_seen": " x9 ", "code": 7, "total": 42},
            "message": "tab1 and ab12 stay as written",
            "list": ["ab1", "x9"]
        });
        let out = r.redact_json(&answer);
        assert_eq!(out["echo"]["pwd_copy"], json!("***"), "{out}");
        assert_eq!(out["echo"]["token_seen"], json!("***"), "{out}");
        assert_eq!(out["list"], json!(["***", "***"]), "{out}");
        // Not learned by name (`pin` is not a credential name), so kept.
        assert_eq!(out["echo"]["code"], json!(7), "{out}");
        // A number equal to a short secret is a count, not an echo.
        assert_eq!(out["echo"]["total"], json!(42), "{out}");
        // Inside longer text a short value is left alone: masking every
        // "ab1" in an answer would destroy it, not protect anything.
        assert_eq!(out["message"], json!("tab1 and ab12 stay as written"));
        assert_eq!(
            r.redact_pairs(&[("q".to_owned(), WireValue::Plain("ab1".to_owned()))]),
            vec![("q".to_owned(), "***".to_owned())]
        );
    }

    #[test]
    fn bodies_that_are_not_json_are_scrubbed_as_text() {
        let mut r = Redactor::default();
        r.learn("tok-abcdef");
        assert_eq!(
            r.redact_body(b"<html>tok-abcdef</html>"),
            json!("<html>***</html>")
        );
    }
}
