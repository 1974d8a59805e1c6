//! Agent figures per day, derived from the session history: Easemob Kefu's
//! open platform has no report API. How each figure is computed is in
//! `docs/easemob.md`.
//!
//! The range is read one day (in the tenant's zone) at a time, by stop
//! time, and each day is summed up before the next is fetched: memory holds
//! one day's sessions' handling times, however long the range.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use futures_util::{StreamExt, TryStreamExt, stream};
use kefu_core::model::{AgentDayStats, AgentStats, Session, SessionQuery};
use kefu_core::time::Zone;
use kefu_core::{RecordStream, Reports, Result, SessionHistory, validate};

use crate::client::EasemobClient;

/// One agent's day, being summed up.
#[derive(Debug, Default)]
struct Tally {
    sessions: u64,
    transferred: u64,
    handle_seconds: Vec<f64>,
    satisfaction: BTreeMap<String, u64>,
}

/// A day's sessions, summed per agent.
#[derive(Debug, Default)]
pub(crate) struct DayTally {
    agents: HashMap<String, Tally>,
    /// Session ids seen today: a server repeating a page counts nothing twice.
    seen: HashSet<String>,
}

impl DayTally {
    /// Counts `session` if it stopped on `day` (in `zone`) and was served by
    /// an agent.
    pub(crate) fn add(&mut self, day: NaiveDate, zone: Zone, session: &Session) {
        let Some(stopped) = session.stopped_at else {
            return;
        };
        // The vendor's window edges are its own; the day is ours.
        if zone.date_of(stopped) != day {
            return;
        }
        let Some(agent) = session.agent_id.as_deref().filter(|a| !a.is_empty()) else {
            return;
        };
        if !self.seen.insert(session.id.clone()) {
            return;
        }
        let t = self.agents.entry(agent.to_owned()).or_default();
        t.sessions += 1;
        if session.transferred == Some(true) {
            t.transferred += 1;
        }
        // Handling: picked up to stopped; a session never picked up, or with
        // a start after its stop, has none.
        if let Some(started) = session.started_at
            && started <= stopped
        {
            t.handle_seconds
                .push((stopped - started).num_milliseconds() as f64 / 1000.0);
        }
        if let Some(score) = session.satisfaction {
            *t.satisfaction.entry(score.to_string()).or_default() += 1;
        }
    }

    /// The day's rows, by agent id.
    pub(crate) fn rows(self, day: NaiveDate) -> Vec<AgentDayStats> {
        let mut rows: Vec<AgentDayStats> = self
            .agents
            .into_iter()
            .map(|(agent_id, mut t)| {
                t.handle_seconds.sort_by(f64::total_cmp);
                AgentDayStats {
                    agent_id,
                    day,
                    sessions: t.sessions,
                    transferred: t.transferred,
                    mean_handle_seconds: mean(&t.handle_seconds),
                    median_handle_seconds: median(&t.handle_seconds),
                    satisfaction: t.satisfaction,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
        rows
    }
}

fn mean(sorted: &[f64]) -> Option<f64> {
    (!sorted.is_empty()).then(|| round_ms(sorted.iter().sum::<f64>() / sorted.len() as f64))
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some(round_ms((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0)),
    }
}

/// To the millisecond, the precision of the vendor's times.
fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

impl EasemobClient {
    /// The sessions that stopped on `day` in the tenant's zone.
    fn day_sessions(&self, day: NaiveDate) -> Result<RecordStream<Session>> {
        let zone = self.zone();
        let from = zone.start_of(day);
        let to = zone.start_of(day + Duration::days(1)) - Duration::milliseconds(1);
        self.sessions(&SessionQuery::stopped_between(from, to))
    }

    async fn day_rows(&self, day: NaiveDate) -> Result<Vec<AgentDayStats>> {
        let zone = self.zone();
        let mut tally = DayTally::default();
        let mut sessions = self.day_sessions(day)?;
        while let Some(session) = sessions.try_next().await? {
            tally.add(day, zone, &session);
        }
        Ok(tally.rows(day))
    }
}

#[async_trait::async_trait]
impl Reports for EasemobClient {
    /// [`Reports::agent_day_stats`] in the shared shape: `agent_id`, the
    /// tenant as `company_id`, and the derived figures (`day`, `sessions`,
    /// ...) under `extra`. Collects the whole range; prefer the stream.
    async fn agent_stats(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<AgentStats>> {
        let rows: Vec<AgentDayStats> = self.agent_day_stats(from, to)?.try_collect().await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut extra = match serde_json::to_value(&row) {
                    Ok(serde_json::Value::Object(map)) => map,
                    _ => kefu_core::Extra::new(),
                };
                extra.remove("agent_id");
                AgentStats {
                    agent_id: row.agent_id,
                    company_id: self.tenant_id().to_owned(),
                    extra,
                    ..AgentStats::default()
                }
            })
            .collect())
    }

    /// One row per agent and day of `[from, to]` (the tenant's zone), from
    /// `serviceSessionHistorys` by stop time, a day at a time.
    fn agent_day_stats(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<RecordStream<AgentDayStats>> {
        validate::ordered("to", &from, &to)?;
        let client = self.clone();
        let days = stream::unfold(Some(from), move |day| async move {
            let day = day?;
            let next = day.succ_opt().filter(|d| *d <= to);
            Some((day, next))
        });
        let rows = days
            .then(move |day| {
                let client = client.clone();
                async move { client.day_rows(day).await }
            })
            .map_ok(|rows| stream::iter(rows.into_iter().map(Ok)))
            .try_flatten();
        Ok(Box::pin(rows))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn session(id: &str, agent: &str, start: i64, stop: i64) -> Session {
        Session {
            id: id.to_owned(),
            agent_id: Some(agent.to_owned()),
            started_at: Utc.timestamp_opt(start, 0).single(),
            stopped_at: Utc.timestamp_opt(stop, 0).single(),
            ..Session::default()
        }
    }

    #[test]
    fn figures_per_agent_with_median_mean_and_counts() {
        // 2024-05-01 in UTC+8 starts at 2024-04-30T16:00Z = 1714492800.
        let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap_or_default();
        let t0 = 1_714_492_800;
        let mut tally = DayTally::default();
        let mut a = session("1", "a", t0 + 100, t0 + 160);
        a.satisfaction = Some(5);
        a.transferred = Some(true);
        tally.add(day, Zone::CHINA, &a);
        tally.add(day, Zone::CHINA, &a); // repeated by the server: once
        let mut b = session("2", "a", t0 + 200, t0 + 300);
        b.satisfaction = Some(5);
        tally.add(day, Zone::CHINA, &b);
        let mut c = session("3", "a", t0 + 300, t0 + 1300);
        c.satisfaction = Some(1);
        tally.add(day, Zone::CHINA, &c);
        let mut never = session("4", "a", 0, t0 + 400);
        never.started_at = None;
        tally.add(day, Zone::CHINA, &never);
        tally.add(day, Zone::CHINA, &session("5", "b", t0 + 10, t0 + 20));
        // Stopped the day before (in UTC+8): not this day's.
        tally.add(day, Zone::CHINA, &session("6", "b", t0 - 100, t0 - 1));
        let mut nobody = session("7", "", t0, t0 + 5);
        nobody.agent_id = None;
        tally.add(day, Zone::CHINA, &nobody);

        let rows = tally.rows(day);
        assert_eq!(rows.len(), 2);
        let a = &rows[0];
        assert_eq!(
            (a.agent_id.as_str(), a.sessions, a.transferred),
            ("a", 4, 1)
        );
        // Handling 60, 100, 1000 s (the session never picked up has none).
        assert_eq!(a.median_handle_seconds, Some(100.0));
        assert_eq!(a.mean_handle_seconds, Some(386.667));
        assert_eq!(a.satisfaction.get("5"), Some(&2));
        assert_eq!(a.satisfaction.get("1"), Some(&1));
        let b = &rows[1];
        assert_eq!((b.sessions, b.median_handle_seconds), (1, Some(10.0)));
        assert!(b.satisfaction.is_empty());
    }

    #[test]
    fn an_even_count_takes_the_mean_of_the_middle_two() {
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), Some(3.0));
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[]), None);
    }
}
