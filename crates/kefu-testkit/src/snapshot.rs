//! Helpers for insta snapshots of wire requests and normalized results.
//!
//! Snapshots are reviewed with `cargo xtask snapshots`, never accepted blindly.
//! Call sites keep the `insta::assert_json_snapshot!` macro (so snapshot files
//! sit beside the test that owns them) and pass it these normalized values.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::sandbox::LoggedRequest;

/// Placeholder written over a volatile value (timestamps, signatures, tokens).
pub const VOLATILE: &str = "[volatile]";

/// A wire request as a stable JSON value: method, path, query, the headers
/// that matter (content type and credentials; credentials shown as
/// `[volatile]`), and the JSON body. Every key listed in `volatile`, in the
/// query or at any depth of the body, is replaced by `[volatile]`.
pub fn wire(request: &LoggedRequest, volatile: &[&str]) -> Value {
    let query: Vec<Value> = request
        .query
        .iter()
        .map(|(k, v)| {
            let v = if volatile.contains(&k.as_str()) {
                VOLATILE
            } else {
                v.as_str()
            };
            json!([k, v])
        })
        .collect();
    let mut headers = Map::new();
    for (name, value) in &request.headers {
        match name.as_str() {
            "content-type" => {
                headers.insert(name.clone(), Value::String(value.clone()));
            }
            "kefu-token" | "authorization" => {
                headers.insert(name.clone(), Value::String(VOLATILE.to_owned()));
            }
            _ => {}
        }
    }
    let body = match (&request.body, request.json()) {
        (None, _) => Value::Null,
        (Some(_), Some(mut v)) => {
            redact(&mut v, volatile);
            v
        }
        (Some(text), None) => Value::String(text.clone()),
    };
    json!({
        "method": request.method,
        "path": request.path,
        "query": query,
        "headers": headers,
        "body": body,
    })
}

/// Replaces the values of `keys`, at any depth, by `[volatile]`.
pub fn redact(value: &mut Value, keys: &[&str]) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if keys.contains(&k.as_str()) {
                    *v = Value::String(VOLATILE.to_owned());
                } else {
                    redact(v, keys);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, keys)),
        _ => {}
    }
}

/// A normalized result as JSON (what `kefu -o json` prints).
pub fn normalized(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| json!({ "unserializable": e.to_string() }))
}
