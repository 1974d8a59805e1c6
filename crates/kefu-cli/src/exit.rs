//! From a failure to the exit code of the contract and one readable line on
//! stderr (`kefu: <message>`), plus a `hint:` line where one helps.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | a local failure after work began (e.g. the output disk is full) |
//! | 2 | bad input or usage; nothing was sent |
//! | 3 | not supported by this vendor; nothing was sent |
//! | 4 | authentication failed |
//! | 5 | the vendor refused |
//! | 6 | network or transport failure after retries |
//! | 7 | incomplete: `sync` stopped early (progress saved) or `sync verify` found differences |
//! | 130 | interrupted (Ctrl-C / SIGTERM) |
//!
//! Messages come from `kefu::Error`, which never holds a secret; nothing the
//! user typed as a password is ever part of a message.

use std::fmt;

use kefu::{Error, Operation, Vendor};

/// Everything that ends a command early.
#[derive(Debug)]
pub enum Failure {
    /// An SDK error.
    Kefu(Error),
    /// Bad usage caught by the CLI itself (exit 2), with an optional hint.
    Usage {
        /// What was wrong.
        message: String,
        /// How to fix it.
        hint: Option<String>,
    },
    /// A local failure after work began (exit 1).
    Local(String),
    /// Stopped by Ctrl-C or SIGTERM (exit 130).
    Interrupted,
    /// `sync` stopped early with its progress saved, or `sync verify` found
    /// differences (exit 7).
    Incomplete(String),
    /// The reader of stdout went away (`| head`): stop quietly.
    BrokenPipe,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Kefu(e)
    }
}

impl Failure {
    /// Usage error without hint.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: None,
        }
    }

    /// A write to the output failed.
    pub fn output(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self::BrokenPipe
        } else {
            Self::Local(format!("cannot write the output: {e}"))
        }
    }

    /// The exit code of the contract.
    pub fn code(&self) -> u8 {
        match self {
            Self::Kefu(e) => code_of(e),
            Self::Usage { .. } => 2,
            Self::Local(_) => 1,
            Self::Interrupted => 130,
            Self::Incomplete(_) => 7,
            Self::BrokenPipe => 0,
        }
    }

    /// The lines for stderr: one message, then an optional hint. `offering`
    /// says which vendors offer an operation (for the hint on Unsupported).
    pub fn lines(&self, offering: &dyn Fn(Operation) -> Vec<Vendor>) -> Vec<String> {
        let (message, hint) = match self {
            Self::Kefu(e) => (e.to_string(), hint_for(e, offering)),
            Self::Usage { message, hint } => (message.clone(), hint.clone()),
            Self::Local(message) => (message.clone(), None),
            Self::Interrupted => ("interrupted".to_owned(), None),
            Self::Incomplete(message) => (message.clone(), None),
            Self::BrokenPipe => return Vec::new(),
        };
        let mut lines = vec![format!("kefu: {}", one_line(&message))];
        if let Some(hint) = hint {
            lines.push(format!("hint: {}", one_line(&hint)));
        }
        lines
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines(&|_| Vec::new()).join("\n"))
    }
}

/// The contract's code for an SDK error.
pub fn code_of(e: &Error) -> u8 {
    match e {
        Error::InvalidInput { .. } | Error::Config { .. } => 2,
        Error::Unsupported { .. } => 3,
        Error::Authentication(_) => 4,
        Error::NotFound(_)
        | Error::AlreadyExists(_)
        | Error::QuotaExceeded(_)
        | Error::RateLimited { .. }
        | Error::Vendor(_)
        | Error::OutcomeUnknown { .. } => 5,
        Error::Transport { .. } | Error::Timeout { .. } | Error::Decode { .. } => 6,
        // How a dry run ends: the write was printed, not sent.
        Error::DryRun { .. } => 0,
        // A future variant: the vendor side is the safest guess.
        _ => 5,
    }
}

fn hint_for(e: &Error, offering: &dyn Fn(Operation) -> Vec<Vendor>) -> Option<String> {
    match e {
        Error::Config { key, .. } if key == "KEFU_VENDOR" => Some(format!(
            "pass --vendor {} or set KEFU_VENDOR",
            crate::vendors::choices()
        )),
        Error::Config { key, .. } if key.starts_with("KEFU_") => Some(format!("check {key}")),
        Error::Authentication(v) => {
            crate::vendors::credential_keys(v.vendor).map(|keys| format!("check {keys}"))
        }
        Error::Unsupported { vendor, operation } => {
            let others: Vec<String> = offering(*operation)
                .into_iter()
                .filter(|v| v != vendor)
                .map(|v| format!("--vendor {v}"))
                .collect();
            Some(if others.is_empty() {
                format!("no vendor kefu knows offers `{operation}`")
            } else {
                format!("`{operation}` is offered with {}", others.join(" or "))
            })
        }
        Error::Transport { vendor, .. } | Error::Timeout { vendor, .. } => {
            crate::vendors::base_url_key(*vendor).map(|key| format!("check {key} and the network"))
        }
        Error::RateLimited {
            retry_after: Some(wait),
            ..
        } => Some(format!(
            "the vendor asked to wait {} s before trying again",
            wait.as_secs().max(1)
        )),
        Error::OutcomeUnknown { .. } => {
            Some("check the current state before trying again".to_owned())
        }
        _ => None,
    }
}

/// A message on one line: vendor texts may hold newlines or control bytes.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = false;
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kefu::VendorError;

    use super::*;

    fn vendor_error() -> VendorError {
        VendorError::new(Vendor::Sobot, "999999", "商户不存在!")
    }

    #[test]
    fn every_kind_has_the_contract_code() {
        let cases = [
            (Error::invalid("email", "bad"), 2),
            (Error::config("KEFU_EASEMOB_CLIENT_ID", "is not set"), 2),
            (
                Error::unsupported(Vendor::Easemob, Operation::ListTenants),
                3,
            ),
            (Error::Authentication(vendor_error()), 4),
            (Error::NotFound(vendor_error()), 5),
            (Error::AlreadyExists(vendor_error()), 5),
            (Error::QuotaExceeded(vendor_error()), 5),
            (
                Error::RateLimited {
                    error: vendor_error(),
                    retry_after: None,
                },
                5,
            ),
            (Error::Vendor(vendor_error()), 5),
            (
                Error::OutcomeUnknown {
                    vendor: Vendor::Sobot,
                    operation: Operation::AddAgent,
                    message: "x".into(),
                },
                5,
            ),
            (
                Error::Transport {
                    vendor: Vendor::Sobot,
                    message: "connect".into(),
                    source: None,
                    not_sent: true,
                },
                6,
            ),
            (
                Error::Timeout {
                    vendor: Vendor::Sobot,
                    message: "total".into(),
                },
                6,
            ),
            (Error::decode(Vendor::Sobot, "not json", b"<html>"), 6),
        ];
        for (e, code) in cases {
            assert_eq!(Failure::Kefu(e).code(), code);
        }
        assert_eq!(Failure::usage("x").code(), 2);
        assert_eq!(Failure::Interrupted.code(), 130);
    }

    #[test]
    fn a_vendor_refusal_is_one_line_with_its_code() {
        let e = Error::Vendor(VendorError::new(Vendor::Sobot, "999999", "商户\n不存在!"));
        let lines = Failure::Kefu(e).lines(&|_| Vec::new());
        assert_eq!(
            lines,
            ["kefu: sobot refused with code 999999: 商户 不存在!"]
        );
    }

    #[test]
    fn hints_name_the_setting_to_check() {
        let none = |_: Operation| Vec::new();
        let lines =
            Failure::Kefu(Error::config("KEFU_EASEMOB_CLIENT_ID", "is not set")).lines(&none);
        assert_eq!(lines[1], "hint: check KEFU_EASEMOB_CLIENT_ID");
        let auth = Error::Authentication(VendorError::new(Vendor::Easemob, "HTTP 401", ""));
        assert!(Failure::Kefu(auth).lines(&none)[1].contains("KEFU_EASEMOB_CLIENT_ID"));
        let slow = Error::RateLimited {
            error: vendor_error(),
            retry_after: Some(Duration::from_secs(30)),
        };
        assert!(Failure::Kefu(slow).lines(&none)[1].contains("30 s"));
    }

    #[test]
    fn unsupported_points_at_the_vendor_that_offers_it() {
        let e = Error::unsupported(Vendor::Easemob, Operation::ListTenants);
        let lines = Failure::Kefu(e).lines(&|_| vec![Vendor::Sobot]);
        assert_eq!(lines[0], "kefu: easemob does not support tenants.list");
        assert_eq!(
            lines[1],
            "hint: `tenants.list` is offered with --vendor sobot"
        );
    }

    #[test]
    fn a_broken_pipe_is_silent() {
        let f = Failure::output(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(f.lines(&|_| Vec::new()).is_empty());
        assert_eq!(f.code(), 0);
    }
}
