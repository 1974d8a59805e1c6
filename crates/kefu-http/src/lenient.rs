//! Reading JSON whose types the vendor does not keep.
//!
//! The documents type fields as int while the examples send `"10"`, `""` or
//! `null`; ids come as numbers or strings. Decoders therefore read a record
//! as a JSON object, [`take`] each mapped field out of it, convert it with
//! these total functions (they never fail: a value that does not fit is
//! `None`), and keep whatever is left as the record's `extra`.
//!
//! [`de`] applies the same rules while serde reads an answer's bytes: the
//! vendors' records are decoded that way, into wire structs.

use serde_json::{Map, Value};

pub mod de;

/// Removes `key` from `map`, returning `Value::Null` when absent.
pub fn take(map: &mut Map<String, Value>, key: &str) -> Value {
    map.remove(key).unwrap_or(Value::Null)
}

/// A non-empty string; numbers and booleans are rendered as text.
pub fn string(value: Value) -> Option<String> {
    match value {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// [`string`] of a value left in place (a nested record read by reference).
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// [`array()`] of a value left in place.
pub fn list(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        Value::Null => &[],
        other => std::slice::from_ref(other),
    }
}

/// An id: like [`string`], and an empty id is absent.
pub fn id(value: Value) -> Option<String> {
    string(value)
}

/// A signed integer from a number or a numeric string (`"10"`, `" 7 "`).
pub fn i64(value: Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An unsigned integer, as [`i64()`] but never negative.
pub fn u64(value: Value) -> Option<u64> {
    i64(value).and_then(|n| u64::try_from(n).ok())
}

/// A `u32`, as [`u64()`] but within range.
pub fn u32(value: Value) -> Option<u32> {
    u64(value).and_then(|n| u32::try_from(n).ok())
}

/// A boolean from `true`/`false`, `"true"`/`"false"`, `1`/`0`.
pub fn bool(value: Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// An object, or `None` for anything else.
pub fn object(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// An array, or empty for anything else (`null`, a lone value).
pub fn array(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// Strings from an array of strings, a comma-separated string, or one value.
pub fn strings(value: Value) -> Vec<String> {
    match value {
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        other => array(other).into_iter().filter_map(string).collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_as_strings_and_empties() {
        assert_eq!(u32(json!("10")), Some(10));
        assert_eq!(u32(json!(10)), Some(10));
        assert_eq!(u32(json!("")), None);
        assert_eq!(u32(json!(null)), None);
        assert_eq!(u32(json!(-1)), None);
        assert_eq!(u32(json!(1e300)), None);
        assert_eq!(
            i64(json!(1493629159358939434u64)),
            Some(1493629159358939434)
        );
        assert_eq!(string(json!(1)), Some("1".into()));
        assert_eq!(string(json!("")), None);
        assert_eq!(bool(json!("false")), Some(false));
        assert_eq!(strings(json!("admin,agent")), vec!["admin", "agent"]);
        assert_eq!(strings(json!(["webim"])), vec!["webim"]);
    }

    #[test]
    fn take_moves_fields_out_and_leaves_extra() {
        let mut m = json!({"a": 1, "b": 2}).as_object().cloned().unwrap();
        assert_eq!(take(&mut m, "a"), json!(1));
        assert_eq!(take(&mut m, "zz"), Value::Null);
        assert_eq!(Value::Object(m), json!({"b": 2}));
    }
}
