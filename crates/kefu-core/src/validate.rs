//! Input checks run before any I/O: a refusal names the field, and nothing is sent.

use std::borrow::Cow;

use crate::error::{Error, Result};

type Field = Cow<'static, str>;

/// The longest email address (RFC 5321 §4.5.3.1.3: a path of 256 octets
/// including the angle brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest local part (RFC 5321 §4.5.3.1.1).
pub const MAX_EMAIL_LOCAL_OCTETS: usize = 64;
/// The longest domain label (RFC 1035 §2.3.4).
pub const MAX_DOMAIN_LABEL_OCTETS: usize = 63;
/// The longest phone number (ITU-T E.164: 15 digits).
pub const MAX_PHONE_DIGITS: usize = 15;

/// A value as quoted in an error: at most 64 characters of it, so a
/// 10,000-character input does not become a 10,000-character message.
fn quoted(value: &str) -> String {
    const SHOWN: usize = 64;
    if value.chars().count() <= SHOWN {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head:?}… ({} characters)", value.chars().count())
    }
}

/// The value must not be empty or only whitespace.
pub fn non_empty(field: impl Into<Field>, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::invalid(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// The value must look like an email address: one `@`, a non-empty local
/// part, a dotted domain, no whitespace. (Deliverability is the vendor's job.)
///
/// Lengths are bounded as RFC 5321 bounds them: at most
/// [`MAX_EMAIL_CHARS`] in all, [`MAX_EMAIL_LOCAL_OCTETS`] before the `@`,
/// [`MAX_DOMAIN_LABEL_OCTETS`] in each part of the domain.
pub fn email(field: impl Into<Field>, value: &str) -> Result<()> {
    let field = field.into();
    let chars = value.chars().count();
    if chars > MAX_EMAIL_CHARS {
        return Err(Error::invalid(
            field,
            format!(
                "is {chars} characters long; an email address has at most {MAX_EMAIL_CHARS} (RFC 5321)"
            ),
        ));
    }
    if let Some((local, domain)) = value.rsplit_once('@') {
        if local.len() > MAX_EMAIL_LOCAL_OCTETS {
            return Err(Error::invalid(
                field,
                format!(
                    "has a local part (before the @) of {} bytes; at most {MAX_EMAIL_LOCAL_OCTETS} are allowed (RFC 5321)",
                    local.len()
                ),
            ));
        }
        if let Some(label) = domain
            .split('.')
            .find(|l| l.len() > MAX_DOMAIN_LABEL_OCTETS)
        {
            return Err(Error::invalid(
                field,
                format!(
                    "has a domain part of {} bytes; at most {MAX_DOMAIN_LABEL_OCTETS} are allowed between dots (RFC 1035)",
                    label.len()
                ),
            ));
        }
    }
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{} is not an email address", quoted(value)),
        ))
    }
}

/// The value must have at least `min` characters (passwords: pass the count,
/// never the value, so the value cannot reach an error message).
pub fn min_chars(field: impl Into<Field>, count: usize, min: usize) -> Result<()> {
    if count < min {
        Err(Error::invalid(
            field,
            format!("must be at least {min} characters"),
        ))
    } else {
        Ok(())
    }
}

/// The value must have at most `max` characters.
pub fn max_chars(field: impl Into<Field>, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

/// `min <= value <= max`.
pub fn in_range(field: impl Into<Field>, value: i64, min: i64, max: i64) -> Result<()> {
    if value < min || value > max {
        Err(Error::invalid(
            field,
            format!("must be between {min} and {max}, not {value}"),
        ))
    } else {
        Ok(())
    }
}

/// `value >= min`.
pub fn at_least(field: impl Into<Field>, value: i64, min: i64) -> Result<()> {
    if value < min {
        Err(Error::invalid(
            field,
            format!("must be at least {min}, not {value}"),
        ))
    } else {
        Ok(())
    }
}

/// `from <= to`; the error names the `from` field.
pub fn ordered<T: PartialOrd + std::fmt::Display>(
    field: impl Into<Field>,
    from: &T,
    to: &T,
) -> Result<()> {
    if from > to {
        Err(Error::invalid(
            field,
            format!("{from} is after the end {to}"),
        ))
    } else {
        Ok(())
    }
}

/// Only ASCII digits, at least one (phone numbers the vendor types as Integer).
pub fn digits(field: impl Into<Field>, value: &str) -> Result<()> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{} must be digits only", quoted(value)),
        ))
    }
}

/// A phone number: digits only, at most [`MAX_PHONE_DIGITS`] (E.164).
pub fn phone(field: impl Into<Field>, value: &str) -> Result<()> {
    let field = field.into();
    digits(field.clone(), value)?;
    if value.len() > MAX_PHONE_DIGITS {
        return Err(Error::invalid(
            field,
            format!(
                "is {} digits long; a phone number has at most {MAX_PHONE_DIGITS} (E.164)",
                value.len()
            ),
        ));
    }
    Ok(())
}

/// The environment variable that raises [`DEFAULT_MAX_REQUESTS`].
pub const ENV_MAX_REQUESTS: &str = "KEFU_MAX_REQUESTS";

/// The most requests one call may send when their number is known before
/// the first is sent (Sobot's agent status log: one per week, so about 19
/// years). A larger count is refused with nothing sent.
pub const DEFAULT_MAX_REQUESTS: u64 = 1000;

/// Refuses work whose `count` requests exceed `max` before any is sent:
/// the error names `field`, the count, what each request is, and how to
/// raise the limit.
pub fn request_count(field: impl Into<Field>, count: u64, each: &str, max: u64) -> Result<()> {
    if count > max {
        return Err(Error::invalid(
            field,
            format!(
                "needs {count} requests ({each}), more than the limit of {max}; narrow the range, or raise the limit with {ENV_MAX_REQUESTS}={count}"
            ),
        ));
    }
    Ok(())
}

/// Reads a request limit setting: a whole number of at least 1.
pub fn parse_max_requests(key: &'static str, text: &str) -> Result<u64> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(Error::config(
            key,
            format!("{text:?} is not a whole number of at least 1"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_counts_over_the_limit_are_refused_naming_how_to_raise_it() {
        assert!(request_count("startTime", 1000, "one per week", 1000).is_ok());
        let e = request_count("startTime", 420_000, "one per week", 1000).unwrap_err();
        assert_eq!(e.field(), Some("startTime"));
        let text = e.to_string();
        assert!(
            text.contains("420000 requests")
                && text.contains("1000")
                && text.contains("KEFU_MAX_REQUESTS"),
            "{text}"
        );
        assert_eq!(parse_max_requests("K", "5000").unwrap(), 5000);
        for bad in ["0", "-3", "x", ""] {
            assert!(parse_max_requests("K", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lengths_the_standards_bound() {
        let at_limit = format!("{}@{}.example.com", "a".repeat(64), "b".repeat(63));
        assert!(email("email", &at_limit).is_ok());
        let long = format!("{}@example.com", "a".repeat(10_000));
        let e = email("email", &long).unwrap_err();
        assert_eq!(e.field(), Some("email"));
        let text = e.to_string();
        assert!(
            text.contains("10012 characters") && text.contains("254"),
            "{text}"
        );
        assert!(text.len() < 200, "{text}");
        let total_255 = format!(
            "{}@{}.{}.{}.com",
            "a".repeat(60),
            "b".repeat(60),
            "c".repeat(60),
            "d".repeat(66)
        );
        assert!(email("email", &total_255).is_err());
        let local_65 = format!("{}@example.com", "a".repeat(65));
        assert!(
            email("email", &local_65)
                .unwrap_err()
                .to_string()
                .contains("local part")
        );
        let label_64 = format!("a@{}.com", "b".repeat(64));
        assert!(
            email("email", &label_64)
                .unwrap_err()
                .to_string()
                .contains("63")
        );
        assert!(phone("mobilePhone", "13100000000").is_ok());
        assert!(phone("mobilePhone", &"1".repeat(15)).is_ok());
        let e = phone("mobilePhone", &"1".repeat(16)).unwrap_err();
        assert_eq!(e.field(), Some("mobilePhone"));
        let e = digits("x", &"y".repeat(10_000)).unwrap_err();
        assert!(e.to_string().len() < 200);
    }

    #[test]
    fn emails() {
        for ok in ["32273591@qq.com", "a.b+c@ex.example.cn"] {
            assert!(email("email", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "no-at",
            "@qq.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
            "a@b.",
            "02@1com",
        ] {
            assert_eq!(
                email("email", bad).unwrap_err().field(),
                Some("email"),
                "{bad}"
            );
        }
    }

    #[test]
    fn bounds_name_the_field() {
        assert_eq!(
            min_chars("password", 7, 8).unwrap_err().field(),
            Some("password")
        );
        assert!(min_chars("password", 8, 8).is_ok());
        assert_eq!(
            in_range("per_page", 51, 1, 50).unwrap_err().field(),
            Some("per_page")
        );
        assert_eq!(
            at_least("maxCount", 0, 1).unwrap_err().field(),
            Some("maxCount")
        );
        assert_eq!(ordered("from", &3, &2).unwrap_err().field(), Some("from"));
        assert!(ordered("from", &2, &2).is_ok());
        assert_eq!(
            non_empty("nicename", "  ").unwrap_err().field(),
            Some("nicename")
        );
        assert!(digits("phoneNo", "13100000000").is_ok());
        assert!(digits("phoneNo", "131-0000").is_err());
        assert!(max_chars("name", "abc", 2).is_err());
    }
}
