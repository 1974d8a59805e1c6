//! getStaffLogInfos answers at most one week and silently clamps a longer
//! range ("如果时间范围超过1周, 以结束时间为准, 向前推一周重置开始时间"), so a
//! range is fetched as consecutive windows of at most seven days and
//! stitched.
//!
//! Each window is half-open, `[start, end)`. The document does not say
//! whether the vendor's `endTime` is inclusive, so each window is asked with
//! `startTime = start` and `endTime = end` and the answer is then cut to
//! `[start, end)`: an entry exactly on a boundary belongs to the later window
//! only, whichever way the vendor reads `endTime`. No gap, no overlap.

use chrono::{DateTime, Duration, Utc};
use kefu_core::model::AgentStatusLog;

/// The longest range the vendor answers in full ("最多查询一周的数据").
pub(crate) const WEEK: Duration = Duration::days(7);

/// Consecutive windows `[start, end)`, each at most seven days long, exactly
/// covering `[from, to)`. Empty when `from >= to`.
pub fn windows(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        // Checked: a window near the end of time must not overflow.
        let end = start.checked_add_signed(WEEK).map_or(to, |e| e.min(to));
        out.push((start, end));
        start = end;
    }
    out
}

/// How many windows [`windows`] makes of `[from, to)`, without making them.
pub(crate) fn window_count(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    let span = (to - from).num_milliseconds();
    if span <= 0 {
        return 0;
    }
    (span as u64).div_ceil(WEEK.num_milliseconds() as u64)
}

/// One window's entries: those inside `[start, end)`, in time order, each
/// once. An entry without a readable time cannot be placed, and is kept
/// rather than lost. The vendor gives entries no id: an entry listed again
/// with the same company, agent, time, status and source is the same entry
/// (an agent cannot enter the same status twice in one millisecond).
pub(crate) fn stitch(
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    entries: Vec<AgentStatusLog>,
) -> Vec<AgentStatusLog> {
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<AgentStatusLog> = entries
        .into_iter()
        .filter(|e| e.at.is_none_or(|at| start <= at && at < end))
        .filter(|e| {
            seen.insert((
                e.company_id.clone(),
                e.agent_id.clone(),
                e.at,
                e.status.clone(),
                e.source,
            ))
        })
        .collect();
    // Stable: entries of the same millisecond keep the vendor's order.
    kept.sort_by_key(|e| e.at);
    kept
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0)
            .single()
            .unwrap()
    }

    proptest::proptest! {
        #[test]
        fn windows_tile_the_range_exactly(start in 0i64..4_000_000_000_000, len in 0i64..200 * 86_400_000) {
            let from = DateTime::from_timestamp_millis(start).unwrap();
            let to = DateTime::from_timestamp_millis(start + len).unwrap();
            let w = windows(from, to);
            let mut at = from;
            for (s, e) in &w {
                proptest::prop_assert_eq!(*s, at);
                proptest::prop_assert!(*s < *e && *e - *s <= WEEK);
                at = *e;
            }
            proptest::prop_assert_eq!(at, to);
            proptest::prop_assert_eq!(w.len() as i64, (len as u64).div_ceil(WEEK.num_milliseconds() as u64) as i64);
            proptest::prop_assert_eq!(w.len() as u64, window_count(from, to));
        }
    }

    #[test]
    fn three_weeks_and_a_bit_are_four_windows_without_gaps() {
        let w = windows(t(1, 0), t(22, 5));
        assert_eq!(w.len(), 4);
        assert_eq!(w[0], (t(1, 0), t(8, 0)));
        assert_eq!(w[3], (t(22, 0), t(22, 5)));
        for pair in w.windows(2) {
            assert_eq!(pair[0].1, pair[1].0);
        }
        assert!(w.iter().all(|(s, e)| *e - *s <= WEEK));
    }

    #[test]
    fn exactly_a_week_is_one_window_and_empty_ranges_none() {
        assert_eq!(windows(t(1, 0), t(8, 0)).len(), 1);
        assert!(windows(t(2, 0), t(2, 0)).is_empty());
        assert!(windows(t(3, 0), t(2, 0)).is_empty());
    }

    #[test]
    fn an_entry_listed_twice_is_kept_once() {
        let entry = |at, status: &str| AgentStatusLog {
            company_id: "c".into(),
            agent_id: "a".into(),
            at: Some(at),
            status: Some(status.into()),
            ..AgentStatusLog::default()
        };
        let listed = vec![
            entry(t(2, 0), "在线"),
            entry(t(2, 0), "在线"),
            entry(t(2, 0), "忙碌"),
            entry(t(1, 0), "离线"),
            entry(t(2, 0), "在线"),
        ];
        let kept = stitch((t(1, 0), t(8, 0)), listed);
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn a_window_near_the_end_of_time_does_not_overflow() {
        let to = DateTime::<Utc>::MAX_UTC;
        let from = to - Duration::days(3);
        assert_eq!(windows(from, to), vec![(from, to)]);
    }

    #[test]
    fn a_boundary_entry_belongs_to_the_later_window_only() {
        let entry = |at| AgentStatusLog {
            at: Some(at),
            ..AgentStatusLog::default()
        };
        let on_boundary = vec![entry(t(8, 0)), entry(t(7, 23)), entry(t(1, 0))];
        let first = stitch((t(1, 0), t(8, 0)), on_boundary.clone());
        let second = stitch((t(8, 0), t(15, 0)), on_boundary);
        assert_eq!(
            first.iter().map(|e| e.at).collect::<Vec<_>>(),
            vec![Some(t(1, 0)), Some(t(7, 23))]
        );
        assert_eq!(
            second.iter().map(|e| e.at).collect::<Vec<_>>(),
            vec![Some(t(8, 0))]
        );
        let timeless = stitch((t(1, 0), t(8, 0)), vec![AgentStatusLog::default()]);
        assert_eq!(timeless.len(), 1);
    }
}
