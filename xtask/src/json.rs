//! The bench binaries print one JSON object on their last line; this is how
//! xtask reads them (serde_json, with a path lookup for nested figures).

pub(crate) use serde_json::Value as Json;

/// Parses one line of JSON (surrounding whitespace allowed).
pub(crate) fn parse(text: &str) -> Result<Json, String> {
    serde_json::from_str(text.trim()).map_err(|e| e.to_string())
}

/// The value at a path of object keys: `report.at(&["a", "median"])`.
pub(crate) trait At {
    fn at(&self, path: &[&str]) -> Option<&Json>;
}

impl At for Json {
    fn at(&self, path: &[&str]) -> Option<&Json> {
        path.iter()
            .try_fold(self, |v, key| v.as_object()?.get(*key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_bench_binaries_print() {
        let j = parse(
            r#"{"a":{"median":1.5,"n":3},"s":"x\"y\u00e9","l":[1,-2e3,true,null],"ok":false}"#,
        )
        .expect("json");
        assert_eq!(j.at(&["a", "median"]).and_then(Json::as_f64), Some(1.5));
        assert_eq!(j.at(&["s"]).and_then(Json::as_str), Some("x\"yé"));
        assert_eq!(
            j.at(&["l"]),
            Some(&serde_json::json!([1, -2000.0, true, null]))
        );
        assert_eq!(j.at(&["ok"]).and_then(Json::as_bool), Some(false));
        assert!(j.at(&["a", "missing"]).is_none());
        assert!(j.at(&["s", "deeper"]).is_none(), "a string has no keys");
        assert!(parse("{\"a\":1} x").is_err());
        assert!(parse("{\"a\":").is_err());
        assert!(parse("  {\"a\":1}\n").is_ok());
    }
}
