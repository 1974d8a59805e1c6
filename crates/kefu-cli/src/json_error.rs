//! With `-o json` / `-o jsonl`, a failure is one JSON object on stderr, so a
//! script parses it instead of scraping a line (contract v2):
//!
//! `{"error":{"exit":N,"kind":"...","vendor":"..."|null,"code":"API_104"|null,"message":"..."}}`
//!
//! The message is the same text as the readable line (from `kefu::Error`,
//! which never holds a secret).

use kefu::{Error, ErrorKind, Vendor};
use serde::Serialize;

use crate::cli::Format;
use crate::exit::Failure;

/// The object on stderr.
#[derive(Debug, Serialize)]
pub struct JsonError {
    error: Body,
}

#[derive(Debug, Serialize)]
struct Body {
    exit: u8,
    kind: &'static str,
    vendor: Option<String>,
    code: Option<String>,
    message: String,
}

/// Whether errors are printed as JSON for this `-o`.
pub fn wanted(format: Option<Format>) -> bool {
    matches!(format, Some(Format::Json | Format::Jsonl))
}

/// Whether the raw arguments ask for JSON output (for failures before the
/// command line could be parsed).
pub fn wanted_in_args(args: impl IntoIterator<Item = String>) -> bool {
    let mut args = args.into_iter().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-o" | "--output" => args.next(),
            _ => arg
                .strip_prefix("--output=")
                .or_else(|| arg.strip_prefix("-o"))
                .map(str::to_owned),
        };
        if let Some(v) = value {
            return matches!(v.trim_start_matches('='), "json" | "jsonl");
        }
    }
    false
}

/// The JSON error of `failure`; `vendor` is the one the command was for,
/// when the error does not name one itself.
pub fn of(failure: &Failure, vendor: Option<Vendor>) -> Option<JsonError> {
    let lines = failure.lines(&|_| Vec::new());
    let message = lines
        .first()?
        .strip_prefix("kefu: ")
        .unwrap_or_default()
        .to_owned();
    let (kind, vendor, code) = match failure {
        Failure::Kefu(e) => (
            kind_of(e),
            e.vendor().or(vendor),
            e.vendor_error().map(|v| v.code.clone()),
        ),
        Failure::Usage { .. } => ("usage", vendor, None),
        Failure::Local(_) => ("local", vendor, None),
        Failure::Interrupted => ("interrupted", vendor, None),
        Failure::Incomplete(_) => ("incomplete", vendor, None),
        Failure::BrokenPipe => return None,
    };
    Some(JsonError {
        error: Body {
            exit: failure.code(),
            kind,
            vendor: vendor.map(|v| v.as_str().to_owned()),
            code,
            message,
        },
    })
}

/// A usage error found by clap, as JSON.
pub fn usage(message: &str) -> JsonError {
    JsonError {
        error: Body {
            exit: 2,
            kind: "usage",
            vendor: None,
            code: None,
            message: message.trim_start_matches("kefu: ").to_owned(),
        },
    }
}

impl JsonError {
    /// One line of JSON.
    pub fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"error":{"exit":1,"kind":"local","vendor":null,"code":null,"message":"cannot render the error"}}"#.to_owned()
        })
    }
}

/// The `kind` word: the error's category in snake case.
fn kind_of(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::InvalidInput => "invalid_input",
        ErrorKind::Unsupported => "unsupported",
        ErrorKind::Authentication => "authentication",
        ErrorKind::NotFound => "not_found",
        ErrorKind::AlreadyExists => "already_exists",
        ErrorKind::QuotaExceeded => "quota_exceeded",
        ErrorKind::RateLimited => "rate_limited",
        ErrorKind::Vendor => "vendor",
        ErrorKind::Transport => "transport",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Decode => "decode",
        ErrorKind::OutcomeUnknown => "outcome_unknown",
        ErrorKind::Config => "config",
        ErrorKind::DryRun => "dry_run",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use kefu::{Operation, VendorError};
    use serde_json::json;

    use super::*;

    fn json_of(f: &Failure, vendor: Option<Vendor>) -> serde_json::Value {
        serde_json::from_str(&of(f, vendor).expect("json").line()).expect("valid json")
    }

    #[test]
    fn a_vendor_refusal_carries_its_code() {
        let e = Error::NotFound(VendorError::new(
            Vendor::Easemob,
            "API_104",
            "agent not found",
        ));
        assert_eq!(
            json_of(&Failure::Kefu(e), None),
            json!({"error": {"exit": 5, "kind": "not_found", "vendor": "easemob",
                "code": "API_104", "message": "not found: easemob refused with code API_104: agent not found"}})
        );
    }

    #[test]
    fn errors_without_a_code_or_vendor_say_null() {
        let v = json_of(&Failure::usage("bad"), None);
        assert_eq!(v["error"]["exit"], 2);
        assert_eq!(v["error"]["kind"], "usage");
        assert!(v["error"]["vendor"].is_null() && v["error"]["code"].is_null());
        let e = Error::unsupported(Vendor::Sobot, Operation::ListAgents);
        let v = json_of(&Failure::Kefu(e), None);
        assert_eq!(v["error"]["exit"], 3);
        assert_eq!(v["error"]["vendor"], "sobot");
        assert!(v["error"]["code"].is_null());
    }

    #[test]
    fn json_is_spotted_in_raw_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wanted_in_args(args(&["kefu", "-o", "json", "x"])));
        assert!(wanted_in_args(args(&["kefu", "--output=jsonl", "x"])));
        assert!(wanted_in_args(args(&["kefu", "-ojson"])));
        assert!(!wanted_in_args(args(&["kefu", "-o", "table"])));
        assert!(!wanted_in_args(args(&["kefu", "agents", "list"])));
    }
}
