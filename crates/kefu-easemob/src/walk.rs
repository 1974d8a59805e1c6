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
//! For speed, what is left after the first page is cut into consecutive
//! time slices of about a page, up to `page_concurrency` read at once (each
//! in its own task) and handed out in order, like pages; each slice is
//! walked by time the same way. A vendor that answers out of the asked
//! order cannot be walked by time: that window falls back to reading page
//! after page by offset, which inserts cannot make lose records (they only
//! push records later), and the ids de-duplicate.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use kefu_core::model::{Session, SessionQuery, SessionTime};
use kefu_core::paging::{Seen, stop_after_error};
use kefu_core::{Error, RecordStream, Result, Vendor};

use crate::client::EasemobClient;

/// Pages one window or slice may read at most: against a server that
/// invents sessions forever.
const MAX_PAGES: u32 = 1_000_000;

/// Pages one slice gathers before it is handed over: a slice denser than
/// its estimate is read on page by page by the reader instead, so memory
/// stays bounded by the slices in flight.
const SLICE_PAGES: u32 = 8;

/// The most slices a window is cut into (against a claimed count of 10^12).
const MAX_SLICES: u64 = 1_000_000;

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
/// one page costs one request). What is left after it is cut, by the
/// first page's count and up to the last session there (one probe),
/// into consecutive time slices expected to hold about a page each; up to `concurrency` slices are read at once, each in a task
/// of its own (so pages decode side by side), and handed out in order, like
/// pages. A slice is walked by time too; one denser than expected gathers
/// at most [`SLICE_PAGES`] pages and the reader walks the rest of it.
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
        let head = first.step().await;
        (plan, first, head)
    })
    .flat_map(move |(plan, mut first, head)| -> PageStream {
        let head = match head {
            Ok(items) => items,
            Err(e) => return stream::iter([Err(e)]).boxed(),
        };
        first.pages = 1;
        let head_stream = stream::iter([Ok(head)]);
        if first.done {
            return head_stream.boxed();
        }
        let cut = match (first.total, first.by_offset.is_some()) {
            (Some(total), false)
                if concurrency > 1 && tokio::runtime::Handle::try_current().is_ok() =>
            {
                Some(total.saturating_sub(u64::from(plan.per_page)))
            }
            _ => None,
        };
        let Some(left) = cut else {
            return head_stream.chain(walk(first)).boxed();
        };
        // Where the sessions end (one session, the other order): the window
        // asked may reach far past them (a month asked, sessions till
        // today), and slices cut evenly up to its end would be empty there
        // and overfull before.
        let tail = stream::once(async move {
            let rest = first.rest();
            let far = edge(&first.client, &plan, rest, !plan.descending).await;
            (plan, first, rest, far)
        })
        .flat_map(move |(plan, first, rest, far)| -> PageStream {
            let far = match far {
                Ok(far) => far,
                Err(e) => return stream::iter([Err(e)]).boxed(),
            };
            let Some(slices) = slices(&plan, rest, far, left) else {
                return walk(first);
            };
            let client = first.client.clone();
            stream::iter(slices)
                // Each slice in a task of its own (`kefu_http::on_task`): the slices
                // in flight decode side by side on the runtime's worker threads.
                .map(move |w| {
                    kefu_http::on_task(Vendor::Easemob, gather(client.clone(), plan.clone(), w))
                })
                .buffered(concurrency)
                .flat_map(|gathered| -> PageStream {
                    match gathered {
                        Ok((items, None)) => stream::iter([Ok(items)]).boxed(),
                        Ok((items, Some(rest))) => {
                            stream::iter([Ok(items)]).chain(walk(rest)).boxed()
                        }
                        Err(e) => stream::iter([Err(e)]).boxed(),
                    }
                })
                .boxed()
        });
        head_stream.chain(tail).boxed()
    });
    // The walks never hand out a session twice within a window; this drops
    // the sessions at a bound shared by the first page and the slice after
    // it, and any the vendor listed in two (a time it changed meanwhile).
    let mut seen = Seen::new(Vendor::Easemob);
    let records = pages.flat_map(move |page| match page {
        Ok(items) => stream::iter(seen.keep_new(items).into_iter().map(Ok).collect::<Vec<_>>()),
        Err(e) => stream::iter(vec![Err(e)]),
    });
    stop_after_error(records)
}

/// What is left, `w`, cut into consecutive slices of about a page each
/// (`left` sessions by the first page's count) between its near end and
/// `far` (the last session seen there, else `w`'s far end), in the walk's
/// order; `None` when it cannot be cut (no far end, or too short). The
/// outer slices keep `w`'s ends (open or not), so a session beyond the far
/// one seen is still read. Cuts fall on half seconds: sessions carry whole seconds, so none
/// lies on a cut whichever way the vendor reads an end (the document does
/// not say whether `...To` is inclusive).
fn slices(plan: &Plan, w: Window, far: Option<DateTime<Utc>>, left: u64) -> Option<Vec<Window>> {
    let (near, far) = if plan.descending {
        (w.to?, far.or(w.from)?)
    } else {
        (w.from?, far.or(w.to)?)
    };
    // A far end on the near side (an answer that does not fit the probe)
    // leaves nothing to cut: the walk goes on one page after another.
    if (far <= near) != plan.descending || far == near {
        return None;
    }
    let (lo, hi) = (
        i128::from(near.min(far).timestamp_millis()),
        i128::from(near.max(far).timestamp_millis()),
    );
    // Nine tenths of a page a slice: a slice a little denser than the
    // average still fits its first page (one request, not two).
    let target = (u64::from(plan.per_page) * 9 / 10).max(1);
    let n = i128::from(left.div_ceil(target).clamp(1, MAX_SLICES));
    // Cuts strictly inside (lo, hi], each at a half second, increasing.
    let mut cuts: Vec<i128> = Vec::new();
    for k in 1..n {
        let at = lo + (hi - lo) * k / n;
        let cut = at.div_euclid(1000) * 1000 + 500;
        if cut > lo && cut <= hi && cuts.last().is_none_or(|c| cut > *c) {
            cuts.push(cut);
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let ms = |m: i128| {
        i64::try_from(m)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
    };
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = w.from;
    for cut in &cuts {
        let end = ms(cut - 1)?;
        out.push(Window {
            from: start,
            to: Some(end),
        });
        start = Some(ms(*cut)?);
    }
    out.push(Window {
        from: start,
        to: w.to,
    });
    if plan.descending {
        out.reverse();
    }
    Some(out)
}

/// Reads slice `w` by time, up to [`SLICE_PAGES`] pages: its sessions, and
/// the walk to go on with when it holds more.
async fn gather(
    client: EasemobClient,
    plan: Arc<Plan>,
    w: Window,
) -> Result<(Vec<Session>, Option<Walk>)> {
    let mut walk = Walk::new(client, plan, w);
    let mut out = Vec::new();
    while !walk.done && walk.pages < SLICE_PAGES {
        walk.pages += 1;
        out.extend(walk.step().await?);
    }
    Ok((out, (!walk.done).then_some(walk)))
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

    fn plan(descending: bool) -> Plan {
        Plan {
            by: SessionTime::Stopped,
            descending,
            per_page: 50,
            params: Vec::new(),
            from_name: "stopDateFrom",
            to_name: "stopDateTo",
        }
    }

    #[test]
    fn the_rest_is_cut_in_slices_of_about_a_page_at_half_seconds() {
        let from = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().unwrap();
        let to = Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 7).single().unwrap();
        for descending in [false, true] {
            let w = Window {
                from: Some(from),
                to: Some(to),
            };
            // 1,000 sessions left, 45 a slice (nine tenths of 50): 23 slices.
            let mut s = slices(&plan(descending), w, None, 1_000).unwrap();
            assert_eq!(s.len(), 23);
            if descending {
                s.reverse();
            }
            assert_eq!((s[0].from, s[22].to), (Some(from), Some(to)));
            for pair in s.windows(2) {
                let (end, start) = (pair[0].to.unwrap(), pair[1].from.unwrap());
                assert_eq!(start.timestamp_millis() % 1000, 500, "{start}");
                assert_eq!(end + chrono::TimeDelta::milliseconds(1), start);
                assert!(pair[0].from.unwrap() < end);
            }
        }
        // An open far end: cut up to the far session seen, the last slice open.
        let open = Window {
            from: Some(from),
            to: None,
        };
        let s = slices(&plan(false), open, Some(to), 100).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[2].to, None);
        assert!(slices(&plan(false), open, None, 100).is_none());
        // A far end before the near one (a probe answered with the wrong
        // page) cuts nothing.
        let before = from - chrono::TimeDelta::days(1);
        assert!(slices(&plan(false), open, Some(before), 100).is_none());
        let desc = Window {
            from: None,
            to: Some(from),
        };
        assert!(slices(&plan(true), desc, Some(to), 100).is_none());
        assert_eq!(
            slices(&plan(true), desc, Some(before), 100).map(|s| s.len()),
            Some(3)
        );
        // Too short to cut at half seconds: not cut.
        let short = Window {
            from: Some(from),
            to: Some(from + chrono::TimeDelta::milliseconds(300)),
        };
        assert!(slices(&plan(false), short, None, 1_000).is_none());
        // A claimed count of 10^12 is at most a million slices (one a second here).
        let s = slices(&plan(false), w_of(from, to), None, 1_000_000_000_000).unwrap();
        assert!(s.len() <= 86_408, "{}", s.len());
    }

    fn w_of(from: DateTime<Utc>, to: DateTime<Utc>) -> Window {
        Window {
            from: Some(from),
            to: Some(to),
        }
    }
}
