//! Reading a request's parameters and checking its signature and `ts`.

use md5::{Digest, Md5};
use serde_json::{Map, Value};

/// The parameters of one request: a JSON body's members, or a GET's query.
#[derive(Debug, Default)]
pub(crate) struct Params(Map<String, Value>);

impl Params {
    /// A JSON object body; anything else has no parameters.
    pub fn from_body(body: &[u8]) -> Self {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Self(map),
            _ => Self::default(),
        }
    }

    /// Query pairs (first value wins).
    pub fn from_query(pairs: Vec<(String, String)>) -> Self {
        let mut map = Map::new();
        for (k, v) in pairs {
            map.entry(k).or_insert(Value::String(v));
        }
        Self(map)
    }

    /// A parameter as text: strings as they are, numbers rendered; empty
    /// strings and `null` count as absent.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A whole number, from a JSON number or a numeric string.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.text(name)?.trim().parse().ok()
    }

    /// The first of `names` that is absent, if any. Names are exact: a
    /// `unionCode` does not stand in for a `union_code`.
    pub fn missing<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names.iter().copied().find(|n| self.text(n).is_none())
    }
}

/// Lowercase hex MD5 of the concatenation.
pub(crate) fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// How far `ts` may be from the sandbox clock: five minutes either way.
pub const TS_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// Whether a millisecond `ts` is within [`TS_TOLERANCE_MS`] of `now_ms`.
pub(crate) fn fresh_millis(ts: i64, now_ms: i64) -> bool {
    (ts - now_ms).abs() <= TS_TOLERANCE_MS
}

/// The report endpoints' `ts` has no documented unit: 10 digits are seconds,
/// 13 are milliseconds.
pub(crate) fn fresh_any_unit(ts: i64, now_ms: i64) -> bool {
    let ms = if ts.abs() < 100_000_000_000 {
        ts.saturating_mul(1000)
    } else {
        ts
    };
    fresh_millis(ms, now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_exact_and_lenient_about_types() {
        let p = Params::from_body(br#"{"union_code":"10004","ts":1715000000000,"x":"","n":null}"#);
        assert_eq!(p.text("union_code").as_deref(), Some("10004"));
        assert_eq!(p.text("unionCode"), None);
        assert_eq!(p.int("ts"), Some(1_715_000_000_000));
        assert_eq!(p.missing(&["union_code", "x", "n"]), Some("x"));
        assert_eq!(Params::from_body(b"nope").text("a"), None);
    }

    #[test]
    fn freshness() {
        assert!(fresh_millis(1_000_000, 1_000_000 + TS_TOLERANCE_MS));
        assert!(!fresh_millis(1_000_000, 1_000_001 + TS_TOLERANCE_MS));
        assert!(fresh_any_unit(1_715_000_000, 1_715_000_000_000));
        assert!(!fresh_any_unit(1_715_000_000, 1_716_000_000_000));
        assert_eq!(md5_hex(&[]), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
