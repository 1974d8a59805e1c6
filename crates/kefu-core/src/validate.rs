//! Input checks run before any I/O: a refusal names the field, and nothing is sent.

use std::borrow::Cow;

use crate::error::{Error, Result};

type Field = Cow<'static, str>;

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
pub fn email(field: impl Into<Field>, value: &str) -> Result<()> {
    let field = field.into();
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
            format!("{value:?} is not an email address"),
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
            format!("{value:?} must be digits only"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
