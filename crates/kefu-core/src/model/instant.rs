//! How records write their instants: the exact text of chrono's own
//! `Serialize` (RFC 3339 in UTC, `Z`, a fraction only when there is one, in
//! 3, 6 or 9 digits), put together in a stack buffer and handed to the
//! serializer as one string. chrono's goes through `collect_str`, which
//! serde_json escapes a piece at a time; a page of sessions writes 150
//! instants (docs/benchmarks.md, "Decoding").

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

/// `serialize_with` of an `Option<DateTime<Utc>>` field.
pub(crate) fn option<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => one(at, s),
        None => s.serialize_none(),
    }
}

/// `serialize_with` of a `DateTime<Utc>`.
pub(crate) fn one<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match rfc3339(at, &mut buf) {
        Some(text) => s.serialize_str(text),
        // Years beyond 0..=9999 and leap seconds: chrono's own way.
        None => serde::Serialize::serialize(at, s),
    }
}

/// The text, for the common case; `None` where chrono writes a sign before
/// the year or a leap second.
fn rfc3339<'a>(at: &DateTime<Utc>, buf: &'a mut [u8; 30]) -> Option<&'a str> {
    let t = at.naive_utc();
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nano = t.nanosecond();
    if nano >= 1_000_000_000 {
        return None;
    }
    // `digits` decimal digits of `n`, zero-padded, at `buf[at..]`.
    let put = |buf: &mut [u8; 30], at: usize, digits: usize, mut n: u32| {
        for i in (at..at + digits).rev() {
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    // YYYY-MM-DDTHH:MM:SS
    put(buf, 0, 4, year);
    buf[4] = b'-';
    put(buf, 5, 2, t.month());
    buf[7] = b'-';
    put(buf, 8, 2, t.day());
    buf[10] = b'T';
    put(buf, 11, 2, t.hour());
    buf[13] = b':';
    put(buf, 14, 2, t.minute());
    buf[16] = b':';
    put(buf, 17, 2, t.second());
    let (digits, fraction) = if nano == 0 {
        (0, 0)
    } else if nano.is_multiple_of(1_000_000) {
        (3, nano / 1_000_000)
    } else if nano.is_multiple_of(1_000) {
        (6, nano / 1_000)
    } else {
        (9, nano)
    };
    let mut end = 19;
    if digits > 0 {
        buf[end] = b'.';
        put(buf, end + 1, digits, fraction);
        end += 1 + digits;
    }
    buf[end] = b'Z';
    std::str::from_utf8(&buf[..=end]).ok()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "one")] DateTime<Utc>);

    fn same(at: DateTime<Utc>) {
        assert_eq!(
            serde_json::to_string(&Ours(at)).ok(),
            serde_json::to_string(&at).ok(),
            "{at:?}"
        );
    }

    #[test]
    fn chronos_text_at_the_edges() {
        for at in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::UNIX_EPOCH,
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2018, 4, 19, 7, 0, 59).unwrap(),
        ] {
            same(at);
        }
        // A leap second, as chrono can hold one.
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .map(|n| n.and_utc());
        same(leap.unwrap());
    }

    proptest! {
        #[test]
        fn chronos_text_everywhere(secs in -62_167_219_200i64..253_402_300_800, nano in prop_oneof![
            Just(0u32),
            (0u32..1000).prop_map(|m| m * 1_000_000),
            (0u32..1_000_000).prop_map(|u| u * 1000),
            0u32..1_000_000_000,
        ]) {
            if let Some(at) = DateTime::from_timestamp(secs, nano) {
                same(at);
            }
        }
    }
}
