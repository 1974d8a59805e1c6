//! Session export walked by time (key-set), not by offset.
//!
//! Offsets shift when sessions arrive during an export and sort before the
//! pages already read (`--by create`, a vendor that ignores `sortOrder`):
//! later pages then repeat sessions, and pages in flight lose those pushed
//! into a page already read. So each request asks page 1 of the window
//! *from the last session's time on* (`[bound, to]` ascending, `[from,
//! bound]` descending): a session that arrives before the bound is outside
//! every later request and cannot shift it. Sessions exactly at the bound
//! were read already and are skipped by id; when a whole page shares one
//! time (more sessions in one second than a page holds) the walk pages on
//! within that time. Every session present when the read began is handed
//! out, none twice.
//!
//! For speed the window is cut into up to `page_concurrency` sub-windows of
//! equal length, walked side by side (each in its own task, two pages
//! buffered) and handed out in order. A vendor that answers out of the
//! asked order cannot be walked by time: that sub-window falls back to
//! reading page after page by offset, which inserts cannot make lose
//! records (they only push records later), and the ids de-duplicate.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use kefu_core::model::{Session, SessionQuery, SessionTime};
use kefu_core::paging::{Seen, stop_after_error};
use kefu_core::{Error, RecordStream, Result, Vendor};

use crate::client::EasemobClient;

/// Pages one sub-window may read at most: against a server that invents
/// sessions forever.
const MAX_PAGES: u32 = 1_000_000;

/// Pages a sub-window's task may read ahead of the reader.
const AHEAD: usize = 2;

/// One inclusive window of the session time, either end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) from: Option<DateTime<Utc>>,
    pub(crate) to: Option<DateTime<Utc>>,
}

/// What the walk needs to know besides the client.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) by: SessionTime,
    pub(crate) descending: bool,
    pub(crate) per_page: u32,
    /// Every parameter but `page` and the window ends.
    pub(crate) params: Vec<(String, String)>,
    /// The window's parameter names and where they go.
    pub(crate) from_name: &'static str,
    pub(crate) to_name: &'static str,
}

/// The session's time the walk is ordered by.
pub(crate) fn time_of(by: SessionTime, s: &Session) -> Option<DateTime<Utc>> {
    match by {
        SessionTime::Stopped => s.stopped_at,
        SessionTime::Started => s.started_at,
        SessionTime::Created => s.created_at,
    }
}

/// Every session of `query`, walked by time as the module says.
///
/// The first page of the whole window is read alone (a window that fits in
/// one page costs one request). What is left after it is cut into as many
/// sub-windows as its remaining count needs pages, at most `concurrency`.
pub(crate) fn sessions(
    client: EasemobClient,
    query: &SessionQuery,
    plan: Plan,
    concurrency: usize,
) -> RecordStream<Session> {
    let plan = Arc::new(plan);
    let asked = Window {
        from: query.from,
        to: query.to,
    };
    let pages = stream::once(async move {
        let mut first = Walk::new(client.clone(), plan.clone(), asked);
        // An open far end is needed to cut the rest: asked for beside the
        // first page, so it costs no extra round trip.
        let far_open = if plan.descending {
            asked.from.is_none()
        } else {
            asked.to.is_none()
        };
        let probe = async {
            if concurrency > 1 && far_open {
                edge(&client, &plan, asked, !plan.descending).await
            } else {
                Ok(None)
            }
        };
        let (head, far) = futures_util::future::join(first.step(), probe).await;
        (client, plan, first, head.and_then(|h| Ok((h, far?))))
    })
    .flat_map(move |(client, plan, mut first, head)| -> PageStream {
        let (head, far) = match head {
            Ok(found) => found,
            Err(e) => return stream::iter([Err(e)]).boxed(),
        };
        first.pages = 1;
        let head_stream = stream::iter([Ok(head)]);
        if first.done {
            return head_stream.boxed();
        }
        // Pages the rest needs, by the first page's count (a hint only:
        // each sub-window reads until its own end whatever it said).
        let left = first
            .total
            .map_or(u64::MAX, |t| t.saturating_sub(u64::from(plan.per_page)));
        let wanted = left.div_ceil(u64::from(plan.per_page).max(1));
        let k = concurrency.min(usize::try_from(wanted).unwrap_or(usize::MAX));
        if k <= 1 || first.by_offset.is_some() || tokio::runtime::Handle::try_current().is_err() {
            return head_stream.chain(walk(first)).boxed();
        }
        let rest = first.rest();
        let tail = stream::once(async move {
            let windows = sub_windows(&client, &plan, rest, k, far).await;
            (client, plan, windows)
        })
        .flat_map(|(client, plan, windows)| -> PageStream {
            match windows {
                Ok(mut windows) => {
                    if plan.descending {
                        windows.reverse();
                    }
                    ahead(client, plan, windows)
                }
                Err(e) => stream::iter([Err(e)]).boxed(),
            }
        });
        head_stream.chain(tail).boxed()
    });
    // The walks never hand out a session twice within a window; this drops
    // the sessions at a bound shared by the first page and the window after
    // it, and any the vendor listed in two (a time it changed meanwhile).
    let mut seen = Seen::new(Vendor::Easemob);
    let records = pages.flat_map(move |page| match page {
        Ok(items) => stream::iter(seen.keep_new(items).into_iter().map(Ok).collect::<Vec<_>>()),
        Err(e) => stream::iter(vec![Err(e)]),
    });
    stop_after_error(records)
}

/// `w` cut in `n`. An open end is the `far` one found beside the first
/// page, or found now by asking for the one earliest (latest) session; the
/// outer sub-windows keep `w`'s ends, so a session beyond what the probes
/// saw is still read.
async fn sub_windows(
    client: &EasemobClient,
    plan: &Plan,
    w: Window,
    n: usize,
    far: Option<DateTime<Utc>>,
) -> Result<Vec<Window>> {
    let (far_from, far_to) = if plan.descending {
        (far, None)
    } else {
        (None, far)
    };
    let from = match w.from.or(far_from) {
        Some(t) => Some(t),
        None => edge(client, plan, w, false).await?,
    };
    let to = match w.to.or(far_to) {
        Some(t) => Some(t),
        None => edge(client, plan, w, true).await?,
    };
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(vec![w]);
    };
    if from >= to {
        return Ok(vec![w]);
    }
    let mut windows: Vec<Window> = kefu_core::time::split_inclusive(from, to, n)
        .into_iter()
        .map(|(from, to)| Window {
            from: Some(from),
            to: Some(to),
        })
        .collect();
    if (to - from).num_seconds() >= 2 * i64::try_from(n).unwrap_or(i64::MAX) {
        cut_at_half_seconds(&mut windows);
    }
    if let Some(first) = windows.first_mut() {
        first.from = w.from;
    }
    if let Some(last) = windows.last_mut() {
        last.to = w.to;
    }
    Ok(windows)
}

/// Sessions carry whole seconds: moves each cut between sub-windows (at
/// least two seconds long) to half a second, so no session lies on a cut
/// whichever way the vendor reads an end (the document does not say
/// whether `...To` is inclusive).
fn cut_at_half_seconds(windows: &mut [Window]) {
    for k in 1..windows.len() {
        let cut = windows[k].from.map(|t| {
            let whole = t.timestamp_millis().div_euclid(1000) * 1000;
            DateTime::from_timestamp_millis(whole + 500).unwrap_or(t)
        });
        windows[k].from = cut;
        windows[k - 1].to =
            cut.and_then(|c| c.checked_sub_signed(chrono::TimeDelta::milliseconds(1)));
    }
}

/// The time of the earliest (`latest`: the latest) session in `w`.
async fn edge(
    client: &EasemobClient,
    plan: &Plan,
    w: Window,
    latest: bool,
) -> Result<Option<DateTime<Utc>>> {
    let mut params = with_window(plan, w);
    for (name, value) in &mut params {
        match name.as_str() {
            "per_page" => *value = "1".to_owned(),
            "sortOrder" => *value = if latest { "desc" } else { "asc" }.to_owned(),
            _ => {}
        }
    }
    let page = client.sessions_page(1, &params).await?;
    Ok(page.items.first().and_then(|s| time_of(plan.by, s)))
}

type PageStream = futures_util::stream::BoxStream<'static, Result<Vec<Session>>>;

/// Each window walked in a task of its own, a few pages ahead, read in
/// order. The tasks end when the stream is dropped.
fn ahead(client: EasemobClient, plan: Arc<Plan>, windows: Vec<Window>) -> PageStream {
    let mut receivers = Vec::new();
    let mut tasks = Vec::new();
    for w in windows {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Session>>>(AHEAD);
        let mut pages = walk(Walk::new(client.clone(), plan.clone(), w));
        tasks.push(tokio::spawn(async move {
            while let Some(page) = pages.next().await {
                let failed = page.is_err();
                if tx.send(page).await.is_err() || failed {
                    break;
                }
            }
        }));
        receivers.push(rx);
    }
    let guard = AbortOnDrop(tasks);
    stream::iter(receivers)
        .flat_map(move |rx| {
            let _tasks = &guard;
            stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) })
        })
        .boxed()
}

/// Where a window's walk stands.
struct Walk {
    client: EasemobClient,
    plan: Arc<Plan>,
    window: Window,
    /// The moving end: the last session's time (`None`: not moved yet).
    bound: Option<DateTime<Utc>>,
    /// The page asked at this bound (1 but while a page is all one time).
    page: u32,
    /// Ids of the sessions handed out whose time is the bound.
    at_bound: HashSet<String>,
    /// Set once the vendor answered out of order: read by offset instead.
    by_offset: Option<Seen>,
    /// The last page's `total_entries`: what is left of the asked window.
    total: Option<u64>,
    pages: u32,
    done: bool,
}

/// One window's sessions, page by page, as the module says.
fn walk(state: Walk) -> PageStream {
    stream::unfold(state, |mut w| async move {
        if w.done || w.pages >= MAX_PAGES {
            return None;
        }
        w.pages += 1;
        match w.step().await {
            Ok(items) => Some((Ok(items), w)),
            Err(e) => {
                w.done = true;
                Some((Err(e), w))
            }
        }
    })
    .boxed()
}

impl Walk {
    fn new(client: EasemobClient, plan: Arc<Plan>, window: Window) -> Self {
        Self {
            client,
            plan,
            window,
            bound: None,
            page: 1,
            at_bound: HashSet::new(),
            by_offset: None,
            total: None,
            pages: 0,
            done: false,
        }
    }

    /// What is left of the window after the pages read: from the bound on
    /// (its sessions at the bound are read again, and dropped by id).
    fn rest(&self) -> Window {
        self.asked()
    }

    /// The window this request asks: narrowed to the bound unless reading by offset.
    fn asked(&self) -> Window {
        match (self.bound, self.by_offset.is_some(), self.plan.descending) {
            (Some(b), false, false) => Window {
                from: Some(b),
                to: self.window.to,
            },
            (Some(b), false, true) => Window {
                from: self.window.from,
                to: Some(b),
            },
            _ => self.window,
        }
    }

    /// Reads the next page; sets `done` after the last.
    async fn step(&mut self) -> Result<Vec<Session>> {
        let plan = self.plan.clone();
        let asked = self.asked();
        let params = with_window(&plan, asked);
        let page = self.client.sessions_page(self.page, &params).await?;
        let items = page.items;
        // A session outside the window asked means the vendor and kefu do
        // not agree on what was asked (a page served again, a window
        // ignored, or times read in another zone than the tenant's): a
        // walk by time would then skip sessions. Stop rather than lose them.
        if let Some(stray) = items
            .iter()
            .find_map(|s| time_of(plan.by, s).filter(|t| !inside(asked, Some(*t))))
        {
            return Err(Error::Decode {
                vendor: Vendor::Easemob,
                reason: format!(
                    "page {} of the sessions holds one at {stray}, outside the window asked ({} to {}): the answer does not fit the question (is KEFU_EASEMOB_ZONE the tenant's zone?)",
                    self.page,
                    asked
                        .from
                        .map_or_else(|| "the start".to_owned(), |t| t.to_string()),
                    asked
                        .to
                        .map_or_else(|| "the end".to_owned(), |t| t.to_string()),
                ),
                excerpt: String::new(),
            });
        }
        self.total = page.total;
        let full = items.len() >= plan.per_page as usize;
        // A short page ends the window; so does a full one whose count says
        // it holds all that is left (the first page of a small window).
        // A count below what the page holds says nothing, and is ignored.
        if !full || (self.page == 1 && page.total == Some(items.len() as u64)) {
            self.done = true;
        }
        let by = plan.by;
        let label = || format!("page {} of the sessions", self.page);
        if self.by_offset.is_some() {
            let what = label();
            self.page = self.page.saturating_add(1);
            let window = self.window;
            let fresh = match &mut self.by_offset {
                Some(seen) => seen.admit(&what, items)?,
                None => items,
            };
            return Ok(fresh
                .into_iter()
                .filter(|s| inside(window, time_of(by, s)))
                .collect());
        }
        let in_order = items
            .windows(2)
            .all(|p| match (time_of(by, &p[0]), time_of(by, &p[1])) {
                (Some(a), Some(b)) => (a <= b) != plan.descending || a == b,
                _ => true,
            });
        if !in_order {
            // Not in the asked order: a bound cannot be trusted. Read this
            // window again from its first page by offset; the reader's ids
            // drop what was handed out already.
            self.by_offset = Some(Seen::new(Vendor::Easemob));
            self.bound = None;
            self.at_bound.clear();
            self.page = 1;
            self.done = false;
            return Ok(Vec::new());
        }
        let bound = self.bound;
        let descending = plan.descending;
        // Strictly past the bound, in the walk's direction.
        let beyond =
            |t: DateTime<Utc>| bound.is_none_or(|b| if descending { t < b } else { t > b });
        let before =
            |at: Option<DateTime<Utc>>| at.is_some_and(|t| t != bound.unwrap_or(t) && !beyond(t));
        let all_at_bound = bound.is_some() && items.iter().all(|s| time_of(by, s) == bound);
        let last = items.iter().rev().find_map(|s| time_of(by, s));
        let fresh: Vec<Session> = items
            .into_iter()
            .filter(|s| {
                let at = time_of(by, s);
                // Before the bound: outside what was asked, read already.
                inside(self.window, at)
                    && !before(at)
                    && !(at.is_some() && at == bound && self.at_bound.contains(&s.id))
            })
            .collect();
        match last {
            Some(t) if beyond(t) => {
                // The walk moves on: page 1 from the new bound.
                self.bound = Some(t);
                self.page = 1;
                self.at_bound.clear();
            }
            _ => {
                // No progress: a whole page at the bound pages on within it
                // (its first page may be all read already, once); anything
                // else with nothing new is the vendor repeating itself.
                if fresh.is_empty() && full && !(self.page == 1 && all_at_bound) {
                    let seen = Seen::new(Vendor::Easemob);
                    return Err(seen.repeated(&label(), plan.per_page as usize));
                }
                self.page = self.page.saturating_add(1);
            }
        }
        if let Some(b) = self.bound {
            for s in &fresh {
                if time_of(by, s) == Some(b) {
                    self.at_bound.insert(s.id.clone());
                }
            }
        }
        Ok(fresh)
    }
}

/// Whether a session at `at` belongs to `w` (one without the time is kept:
/// it cannot be placed, and is not lost).
fn inside(w: Window, at: Option<DateTime<Utc>>) -> bool {
    at.is_none_or(|t| w.from.is_none_or(|f| f <= t) && w.to.is_none_or(|e| t <= e))
}

/// The plan's parameters with the window set to `w` (in place of the
/// query's own ends, where they were; else before `sortField`).
fn with_window(plan: &Plan, w: Window) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = plan
        .params
        .iter()
        .filter(|(n, _)| n != plan.from_name && n != plan.to_name)
        .cloned()
        .collect();
    let at = params
        .iter()
        .position(|(n, _)| n == "agentIds" || n == "sortField")
        .unwrap_or(params.len());
    let ends = [(plan.from_name, w.from), (plan.to_name, w.to)];
    let ends = ends
        .into_iter()
        .filter_map(|(n, t)| t.map(|t| (n.to_owned(), crate::sessions::vendor_time(t))));
    params.splice(at..at, ends);
    params
}
/// Aborts the walks' tasks when the reader goes away.
struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_window_is_asked_from_its_bound_on_in_the_walks_direction() {
        let t = |h| Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).single().unwrap();
        let w = Window {
            from: Some(t(0)),
            to: Some(t(10)),
        };
        assert!(inside(w, Some(t(0))) && inside(w, Some(t(10))) && inside(w, None));
        assert!(!inside(w, Some(t(11))));
        let open = Window {
            from: None,
            to: None,
        };
        assert!(inside(open, Some(DateTime::<Utc>::MAX_UTC)));
    }

    #[test]
    fn sub_windows_are_cut_at_half_seconds_without_gap_or_overlap() {
        let from = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().unwrap();
        let to = Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 7).single().unwrap();
        let mut windows: Vec<Window> = kefu_core::time::split_inclusive(from, to, 7)
            .into_iter()
            .map(|(a, b)| Window {
                from: Some(a),
                to: Some(b),
            })
            .collect();
        cut_at_half_seconds(&mut windows);
        assert_eq!(windows[0].from, Some(from));
        assert_eq!(windows[6].to, Some(to));
        for pair in windows.windows(2) {
            let (end, start) = (pair[0].to.unwrap(), pair[1].from.unwrap());
            assert_eq!(start.timestamp_millis() % 1000, 500, "{start}");
            assert_eq!(end + chrono::TimeDelta::milliseconds(1), start);
            assert!(pair[0].from.unwrap() < end);
        }
    }
}
