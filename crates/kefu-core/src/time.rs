//! Turning the vendors' times into real instants.
//!
//! Easemob sends naive local times (`2018-04-19 15:00:59`) that are only
//! meaningful in the tenant's zone (its agents carry `"timeZone": "UTC+8"`);
//! Sobot sends epoch milliseconds. Both become `DateTime<Utc>`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{Error, Result};

/// A tenant's fixed UTC offset. Default UTC+8 (China Standard Time, no DST).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Zone(FixedOffset);

impl Zone {
    /// China Standard Time, UTC+8: the default for both vendors.
    pub const CHINA: Zone = match FixedOffset::east_opt(8 * 3600) {
        Some(o) => Zone(o),
        None => panic!("UTC+8 is a valid offset"),
    };

    /// UTC.
    pub const UTC: Zone = match FixedOffset::east_opt(0) {
        Some(o) => Zone(o),
        None => panic!("UTC is a valid offset"),
    };

    /// The offset.
    pub fn offset(self) -> FixedOffset {
        self.0
    }

    /// Reads a naive local time in this zone.
    pub fn localize(self, naive: NaiveDateTime) -> DateTime<Utc> {
        // A fixed offset has no gaps or folds, so this is always single.
        self.0
            .from_local_datetime(&naive)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| naive.and_utc())
    }

    /// The first instant of `date` in this zone.
    pub fn start_of(self, date: NaiveDate) -> DateTime<Utc> {
        self.localize(date.and_time(chrono::NaiveTime::MIN))
    }

    /// The calendar date of `at` in this zone.
    /// At the very ends of chrono's range (a server may send them) the
    /// local date would not exist: it is clamped, where chrono would panic.
    pub fn date_of(self, at: DateTime<Utc>) -> NaiveDate {
        let utc = at.naive_utc();
        match utc.checked_add_offset(self.0) {
            Some(local) => local.date(),
            None if self.0.local_minus_utc() > 0 => NaiveDate::MAX,
            None => NaiveDate::MIN,
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::CHINA
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.0)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Zone {
    type Err = Error;

    /// Accepts `UTC+8`, `UTC-05:30`, `+08:00`, `+0800`, `Z`, `UTC`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "zone",
                format!("{s:?} is not a UTC offset like UTC+8 or +08:00"),
            )
        };
        let t = s.trim();
        let rest = t
            .strip_prefix("UTC")
            .or_else(|| t.strip_prefix("GMT"))
            .unwrap_or(t);
        if rest.is_empty() || rest == "Z" {
            return Ok(Zone::UTC);
        }
        let (sign, digits) = match rest.as_bytes()[0] {
            b'+' => (1, &rest[1..]),
            b'-' => (-1, &rest[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = if let Some((h, m)) = digits.split_once(':') {
            (h, m)
        } else if digits.len() == 4 {
            digits.split_at(2)
        } else {
            (digits, "0")
        };
        let h: i32 = h.parse().map_err(|_| bad())?;
        let m: i32 = m.parse().map_err(|_| bad())?;
        if h > 14 || m > 59 {
            return Err(bad());
        }
        FixedOffset::east_opt(sign * (h * 3600 + m * 60))
            .map(Zone)
            .ok_or_else(bad)
    }
}

/// Parses Easemob's naive `yyyy-MM-dd HH:mm:ss` (optionally with millis) in `zone`.
pub fn parse_naive(text: &str, zone: Zone) -> Option<DateTime<Utc>> {
    naive(text).map(|n| zone.localize(n))
}

/// [`parse_naive`] before the zone is applied.
fn naive(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    if let Some(n) = plain_naive(t) {
        return Some(n);
    }
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
}

/// Parses an instant with an offset, tolerating Easemob's `+0800` (no colon).
pub fn parse_offset(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `yyyy-MM-dd HH:mm:ss` exactly, the shape of nearly every Easemob time,
/// read by hand: chrono's format parser costs about twenty times as much,
/// and a page of sessions holds 150 times. Any other text (millis, a `T`,
/// an offset, unpadded or out-of-range fields) is `None` and left to the
/// chrono formats, which read the plain shape the same way.
fn plain_naive(t: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(num(0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, num(5, 7)?, num(8, 10)?)?.and_hms_opt(
        num(11, 13)?,
        num(14, 16)?,
        num(17, 19)?,
    )
}

/// Parses any vendor time: an offset time, else a naive time in `zone`, else
/// epoch milliseconds (Sobot), possibly as a string.
pub fn parse_any(text: &str, zone: Zone) -> Option<DateTime<Utc>> {
    parse_moment(text).map(|m| m.in_zone(zone))
}

/// A vendor time as read before its zone is known, so that an answer can be
/// read without knowing whose it is: a naive local time, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// A naive time, meaningful in the tenant's zone.
    Local(NaiveDateTime),
    /// An instant (the text had an offset, or was epoch milliseconds).
    At(DateTime<Utc>),
}

impl Moment {
    /// The instant, a naive time read in `zone`.
    pub fn in_zone(self, zone: Zone) -> DateTime<Utc> {
        match self {
            Self::Local(n) => zone.localize(n),
            Self::At(at) => at,
        }
    }
}

/// [`parse_any`] before the zone is applied.
pub fn parse_moment(text: &str) -> Option<Moment> {
    // The plain naive shape has no offset: no need to try those first.
    if let Some(n) = plain_naive(text.trim()) {
        return Some(Moment::Local(n));
    }
    parse_offset(text)
        .map(Moment::At)
        .or_else(|| naive(text).map(Moment::Local))
        .or_else(|| {
            text.trim()
                .parse::<i64>()
                .ok()
                .and_then(from_millis)
                .map(Moment::At)
        })
}

/// Epoch milliseconds to an instant.
pub fn from_millis(millis: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
}

/// `at + d`, or `None` past the last instant chrono can represent. Every
/// duration a server chose (a token lifetime, a `Retry-After`, a window)
/// goes through here or [`saturating_add`]: `DateTime + TimeDelta` panics
/// on overflow.
pub fn checked_add(at: DateTime<Utc>, d: std::time::Duration) -> Option<DateTime<Utc>> {
    chrono::TimeDelta::from_std(d)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
}

/// `n` consecutive inclusive windows `[start, end]`, in time order, exactly
/// covering `[from, to]` at millisecond precision (fewer when it is that
/// short; none when `from > to`). Any two instants chrono represents are
/// split without overflow (the arithmetic is in `i128`).
pub fn split_inclusive(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    n: usize,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let (a, b) = (
        i128::from(from.timestamp_millis()),
        i128::from(to.timestamp_millis()),
    );
    let span = b - a + 1;
    if span <= 0 {
        return Vec::new();
    }
    let n = (n.max(1) as i128).min(span);
    let at = |k: i128| {
        i64::try_from(a + span * k / n)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
    };
    let mut out = Vec::new();
    let mut start = from;
    for k in 1..=n {
        let end = if k == n {
            Some(to)
        } else {
            at(k).and_then(|e| e.checked_sub_signed(chrono::TimeDelta::milliseconds(1)))
        };
        let Some(end) = end else { break };
        out.push((start, end));
        match end.checked_add_signed(chrono::TimeDelta::milliseconds(1)) {
            Some(next) => start = next,
            None => break,
        }
    }
    out
}

/// `at + d`, clamped to the last representable instant.
pub fn saturating_add(at: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    checked_add(at, d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(field: &'static str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, format!("{text:?} is not a date (YYYY-MM-DD)")))
}

/// Parses an RFC 3339 instant or a `YYYY-MM-DD` date (its start in `zone`).
pub fn parse_instant(field: &'static str, text: &str, zone: Zone) -> Result<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(d.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| zone.start_of(d))
        .map_err(|_| {
            Error::invalid(
                field,
                format!(
                    "{text:?} is not an RFC 3339 time (2024-05-01T00:00:00Z) or a date (2024-05-01)"
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_is_read_before_its_zone() {
        let local = parse_moment(" 2018-04-19 15:00:59 ");
        assert!(matches!(local, Some(Moment::Local(_))));
        assert_eq!(
            local.map(|m| m.in_zone(Zone::CHINA)),
            parse_any("2018-04-19 15:00:59", Zone::CHINA)
        );
        assert_ne!(
            local.map(|m| m.in_zone(Zone::UTC)),
            local.map(|m| m.in_zone(Zone::CHINA))
        );
        for at in ["2018-03-23T16:02:02.000+0800", "1524121300000"] {
            let m = parse_moment(at);
            assert!(matches!(m, Some(Moment::At(_))), "{at}");
            assert_eq!(m.map(|m| m.in_zone(Zone::UTC)), parse_any(at, Zone::CHINA));
        }
        assert_eq!(parse_moment("yesterday"), None);
    }

    #[test]
    fn the_date_at_the_ends_of_time_is_clamped_not_a_panic() {
        assert_eq!(
            Zone::CHINA.date_of(DateTime::<Utc>::MAX_UTC),
            NaiveDate::MAX
        );
        let west: Zone = "UTC-05:00".parse().unwrap();
        assert_eq!(west.date_of(DateTime::<Utc>::MIN_UTC), NaiveDate::MIN);
        let t = DateTime::from_timestamp(1_715_000_000, 0).unwrap();
        assert_eq!(
            Zone::CHINA.date_of(t),
            t.with_timezone(&Zone::CHINA.offset()).date_naive()
        );
    }

    #[test]
    fn windows_split_any_range_exactly() {
        let ms = |m: i64| DateTime::from_timestamp_millis(m).unwrap();
        let w = split_inclusive(ms(0), ms(999), 4);
        assert_eq!(
            w,
            vec![
                (ms(0), ms(249)),
                (ms(250), ms(499)),
                (ms(500), ms(749)),
                (ms(750), ms(999))
            ]
        );
        assert_eq!(split_inclusive(ms(5), ms(6), 8).len(), 2);
        assert!(split_inclusive(ms(6), ms(5), 8).is_empty());
        let (lo, hi) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let w = split_inclusive(lo, hi, 32);
        assert_eq!(w.len(), 32);
        assert_eq!((w[0].0, w[31].1), (lo, hi));
        for pair in w.windows(2) {
            assert_eq!(pair[0].1 + chrono::TimeDelta::milliseconds(1), pair[1].0);
        }
    }

    #[test]
    fn adding_a_huge_duration_clamps_or_refuses_instead_of_panicking() {
        let now = Utc::now();
        let huge = std::time::Duration::from_secs(10u64.pow(13));
        assert_eq!(checked_add(now, huge), None);
        assert_eq!(saturating_add(now, huge), DateTime::<Utc>::MAX_UTC);
        assert_eq!(checked_add(now, std::time::Duration::MAX), None);
        assert_eq!(
            checked_add(now, std::time::Duration::from_secs(60)),
            Some(now + chrono::TimeDelta::seconds(60))
        );
    }

    #[test]
    fn easemob_naive_time_is_read_in_the_tenant_zone() {
        let t = parse_naive("2018-04-19 15:00:59", Zone::CHINA).unwrap();
        assert_eq!(t.to_rfc3339(), "2018-04-19T07:00:59+00:00");
        let t = parse_naive("2018-04-19 15:00:59", "UTC-5".parse().unwrap()).unwrap();
        assert_eq!(t.to_rfc3339(), "2018-04-19T20:00:59+00:00");
    }

    #[test]
    fn the_plain_shape_reads_as_chrono_reads_it() {
        let chrono_only = |t: &str| {
            [
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%S%.f",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        };
        for t in [
            "2018-04-19 15:00:59",
            "2024-02-29 00:00:00",
            "0000-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2023-02-29 00:00:00",
            "2024-13-01 00:00:00",
            "2024-05-01 24:00:00",
            "2024-05-01 23:60:00",
            "2024-05-01 23:59:60",
            "2024-05-01 1:02:03",
            "2024-05-01 01:02:0x",
            "2024-05-01T01:02:03",
            "2024-05-01 01:02:03.5",
            "+024-05-01 01:02:03",
            "2024-05-01 01:02:03Z",
            "２０２４-05-01 01:02:03",
        ] {
            let fast = plain_naive(t);
            if fast.is_some() {
                assert_eq!(fast, chrono_only(t), "{t}");
            }
            assert_eq!(
                parse_naive(t, Zone::CHINA),
                chrono_only(t).map(|n| Zone::CHINA.localize(n)),
                "{t}"
            );
            assert_eq!(
                parse_any(t, Zone::CHINA),
                parse_offset(t).or_else(|| chrono_only(t).map(|n| Zone::CHINA.localize(n))),
                "{t}"
            );
        }
        assert!(plain_naive("2018-04-19 15:00:59").is_some());
        assert!(plain_naive("2024-05-01 23:59:60").is_none());
    }

    #[test]
    fn role_times_without_colon_in_offset() {
        let t = parse_offset("2018-03-23T16:02:02.000+0800").unwrap();
        assert_eq!(t.to_rfc3339(), "2018-03-23T08:02:02+00:00");
    }

    #[test]
    fn zones_parse_in_every_spelling() {
        for s in ["UTC+8", "+08:00", "+0800", "UTC+08:00", "GMT+8"] {
            assert_eq!(s.parse::<Zone>().unwrap(), Zone::CHINA, "{s}");
        }
        assert!("UTC+99".parse::<Zone>().is_err());
        assert!("Asia/Shanghai".parse::<Zone>().is_err());
    }

    #[test]
    fn millis_and_any() {
        assert_eq!(
            parse_any("1571037571921", Zone::CHINA)
                .unwrap()
                .to_rfc3339(),
            "2019-10-14T07:19:31.921+00:00"
        );
        assert!(parse_any("", Zone::CHINA).is_none());
    }

    #[test]
    fn instants_and_dates_from_the_command_line() {
        let z = Zone::CHINA;
        assert_eq!(
            parse_instant("from", "2024-05-01", z).unwrap().to_rfc3339(),
            "2024-04-30T16:00:00+00:00"
        );
        assert_eq!(
            parse_instant("from", "2024-05-01T08:00:00+08:00", z)
                .unwrap()
                .to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_instant("from", "May 1", z).unwrap_err().field(),
            Some("from")
        );
    }
}
