//! Time windows from the command line.
//!
//! `DATE` is `YYYY-MM-DD`; `T` is RFC 3339 or a `DATE`. A date is a day in
//! the vendor's zone (`KEFU_EASEMOB_ZONE` / `KEFU_SOBOT_ZONE`, default China
//! Standard Time, UTC+8, the zone both vendors work in). As a window
//! start a date means the first instant of that day; as a window end it
//! means through the whole day, so `--from 2024-05-01 --to 2024-05-31` is
//! the month of May.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use kefu::Error;
use kefu::time::{Zone, parse_date, parse_instant};

/// A `T` as a window start.
pub fn start(field: &'static str, text: &str, zone: Zone) -> Result<DateTime<Utc>, Error> {
    parse_instant(field, text, zone)
}

/// A `T` as an inclusive window end: a date means its last millisecond
/// (Easemob's filters are inclusive, in milliseconds: `23:59:59.000Z`).
pub fn end_inclusive(field: &'static str, text: &str, zone: Zone) -> Result<DateTime<Utc>, Error> {
    match bare_date(text) {
        Some(day) => Ok(next_day_start(field, day, zone)? - TimeDelta::milliseconds(1)),
        None => parse_instant(field, text, zone),
    }
}

/// A `T` as an exclusive window end: a date means the start of the next day.
pub fn end_exclusive(field: &'static str, text: &str, zone: Zone) -> Result<DateTime<Utc>, Error> {
    match bare_date(text) {
        Some(day) => next_day_start(field, day, zone),
        None => parse_instant(field, text, zone),
    }
}

/// A `DATE`.
pub fn date(field: &'static str, text: &str) -> Result<NaiveDate, Error> {
    parse_date(field, text)
}

/// `from <= to`, else an input error naming `--from` and quoting both as typed.
pub fn ordered<T: PartialOrd>(from: &T, to: &T, typed: (&str, &str)) -> Result<(), Error> {
    if from > to {
        return Err(Error::invalid(
            "--from",
            format!("{:?} is after --to {:?}", typed.0, typed.1),
        ));
    }
    Ok(())
}

fn bare_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn next_day_start(field: &'static str, day: NaiveDate, zone: Zone) -> Result<DateTime<Utc>, Error> {
    day.checked_add_days(Days::new(1))
        .map(|d| zone.start_of(d))
        .ok_or_else(|| Error::invalid(field, format!("{day} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZONE: Zone = Zone::CHINA;

    #[test]
    fn a_date_window_covers_whole_days_in_china_time() {
        assert_eq!(
            start("--from", "2024-05-01", ZONE)
                .expect("from")
                .to_rfc3339(),
            "2024-04-30T16:00:00+00:00"
        );
        assert_eq!(
            end_inclusive("--to", "2024-05-31", ZONE)
                .expect("to")
                .to_rfc3339(),
            "2024-05-31T15:59:59.999+00:00"
        );
        assert_eq!(
            end_exclusive("--to", "2024-05-31", ZONE)
                .expect("to")
                .to_rfc3339(),
            "2024-05-31T16:00:00+00:00"
        );
    }

    #[test]
    fn rfc3339_is_taken_as_is() {
        let t = end_inclusive("--to", "2024-05-01T08:00:00+08:00", ZONE).expect("to");
        assert_eq!(t.to_rfc3339(), "2024-05-01T00:00:00+00:00");
    }

    #[test]
    fn a_date_is_read_in_the_given_zone() {
        let utc = start("--from", "2024-05-01", Zone::UTC).expect("from");
        assert_eq!(utc.to_rfc3339(), "2024-05-01T00:00:00+00:00");
    }

    #[test]
    fn bad_input_names_the_flag() {
        assert_eq!(
            start("--from", "May 1", ZONE).expect_err("bad").field(),
            Some("--from")
        );
        assert_eq!(
            date("--date", "2024-13-01").expect_err("bad").field(),
            Some("--date")
        );
        let e = ordered(&2, &1, ("2", "1")).expect_err("order");
        assert_eq!(
            e.to_string(),
            "invalid input: `--from` \"2\" is after --to \"1\""
        );
        assert!(ordered(&1, &1, ("1", "1")).is_ok());
    }
}
