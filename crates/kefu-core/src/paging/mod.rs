//! One pager for every paged list of every vendor.
//!
//! A vendor supplies "fetch page `i`"; the pager hands out records in order as
//! a [`RecordStream`]. When the first page tells the total, the remaining
//! pages are fetched with at most `concurrency` in flight (memory is bounded
//! by the pages in flight), still handed out in page order; when it does not,
//! pages are fetched one after another until a short, empty or last page.
//! A vendor whose pages may come back shorter than asked without ending
//! the list says so ([`Pager::short_pages_end`]) and marks the last page.
//! The stream ends after the first error.
//!
//! Whatever the server does between pages, each record is handed out once:
//! records are de-duplicated by their [`Unique`] id in an [`IdSet`]. A page
//! that adds nothing new (the same page again, or only records already
//! handed out) ends the stream with [`Error::Decode`] instead of success, so
//! a server that repeats itself cannot keep the pager asking; a claimed
//! total only decides how many pages are asked ahead, never how many are
//! read.

mod idset;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::ready;
use futures_util::stream::{self, StreamExt};

pub use self::idset::IdSet;
use crate::{Error, RecordStream, Result, Vendor};

/// The most pages a list may have in flight (`KEFU_*_PAGE_CONCURRENCY`):
/// beyond this a vendor only rate-limits, while memory and connections grow.
pub const MAX_PAGE_CONCURRENCY: usize = 32;

/// Reads a `*_PAGE_CONCURRENCY` setting: a whole number from 1 to
/// [`MAX_PAGE_CONCURRENCY`], else a configuration error naming `key`.
pub fn parse_concurrency(key: &'static str, text: &str) -> Result<usize> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 && n <= MAX_PAGE_CONCURRENCY as u64 => Ok(n as usize),
        Ok(n) if n > MAX_PAGE_CONCURRENCY as u64 => Err(Error::config(
            key,
            format!("{n} is more than the maximum of {MAX_PAGE_CONCURRENCY} pages in flight"),
        )),
        _ => Err(Error::config(
            key,
            format!("{text:?} is not a number from 1 to {MAX_PAGE_CONCURRENCY}"),
        )),
    }
}

/// A record that knows its id, so a paged list can hand it out once.
pub trait Unique {
    /// The vendor's id of the record; `None` when it has none (such a
    /// record is always handed out).
    fn unique_id(&self) -> Option<&str>;
}

/// One page as the vendor answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The records of this page, in the vendor's order.
    pub items: Vec<T>,
    /// Total records matching, when the vendor says (and can be trusted).
    pub total: Option<u64>,
    /// How many pages the list has, when the vendor tells pages rather than
    /// records (Sobot's `pageCount`). Either this or `total` lets the
    /// pager ask the remaining pages side by side; when both are told,
    /// this one counts.
    pub pages: Option<u32>,
    /// Whether this is the last page, when the vendor says.
    pub last: Option<bool>,
    /// How many records the vendor says match, when it says, only to notice
    /// a list that changed while its pages were read side by side (see
    /// [`Pager::stream`]).
    pub count: Option<u64>,
}

impl<T> Page<T> {
    /// A page with no total, no page count, no last flag and no count.
    pub fn new(items: Vec<T>) -> Self {
        Self {
            items,
            total: None,
            pages: None,
            last: None,
            count: None,
        }
    }

    /// The number of pages the list has, from what this page tells: its
    /// page count, else its record total in pages of `size`.
    fn pages_told(&self, size: u32) -> Option<u64> {
        self.pages
            .map(u64::from)
            .or_else(|| self.total.map(|t| t.div_ceil(u64::from(size.max(1)))))
    }
}

/// Records handed out so far, and the check that each page adds some.
#[derive(Debug)]
pub struct Seen {
    vendor: Vendor,
    ids: IdSet,
}

impl Seen {
    /// Nothing handed out yet.
    pub fn new(vendor: Vendor) -> Self {
        Self {
            vendor,
            ids: IdSet::new(),
        }
    }

    /// The records of `items` not handed out before, in order. `what`
    /// names the page for the error.
    pub fn admit<T: Unique>(&mut self, what: &str, items: Vec<T>) -> Result<Vec<T>> {
        let asked = items.len();
        let fresh: Vec<T> = items
            .into_iter()
            .filter(|r| r.unique_id().is_none_or(|id| self.ids.insert(id)))
            .collect();
        if asked > 0 && fresh.is_empty() {
            return Err(self.repeated(what, asked));
        }
        Ok(fresh)
    }

    /// Marks the records of `items` as handed out, and keeps only the new ones,
    /// without judging the page (a page may rightly repeat what a walk by
    /// time has already read at its boundary).
    pub fn keep_new<T: Unique>(&mut self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .filter(|r| r.unique_id().is_none_or(|id| self.ids.insert(id)))
            .collect()
    }

    /// The error for a page that added nothing.
    pub fn repeated(&self, what: &str, records: usize) -> Error {
        Error::Decode {
            vendor: self.vendor,
            reason: format!(
                "{what} repeats {records} records already read: the vendor keeps answering the same page, so the list was stopped rather than read forever"
            ),
            excerpt: String::new(),
        }
    }

    /// Distinct records handed out.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// How to walk a paged list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pager {
    /// The vendor answering (for the errors the pager raises itself).
    pub vendor: Vendor,
    /// Index of the first page (Easemob agents: 0; sessions: 1).
    pub first: u32,
    /// Records asked per page.
    pub size: u32,
    /// Pages in flight once the total is known (1 to [`MAX_PAGE_CONCURRENCY`]).
    pub concurrency: usize,
    /// Hard stop against a server that never ends a list.
    pub max_pages: u32,
    /// Whether a page shorter than `size` ends the list (default). When not,
    /// only an empty page or `last == Some(true)` does.
    pub short_page_ends: bool,
}

impl Pager {
    /// Sequential paging of `vendor`'s list from `first` with `size` records a page.
    pub fn new(vendor: Vendor, first: u32, size: u32) -> Self {
        Self {
            vendor,
            first,
            size: size.max(1),
            concurrency: 1,
            max_pages: 1_000_000,
            short_page_ends: true,
        }
    }

    /// Whether a page shorter than asked ends the list. Sobot's
    /// getTenantList may serve fewer than asked on every page (the document
    /// gives no maximum) while its `pageCount` says more follow: its pages
    /// say `last` instead.
    pub fn short_pages_end(mut self, yes: bool) -> Self {
        self.short_page_ends = yes;
        self
    }

    /// Allows up to `n` pages in flight once the total is known (clamped
    /// to 1..=[`MAX_PAGE_CONCURRENCY`]).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.clamp(1, MAX_PAGE_CONCURRENCY);
        self
    }

    /// Stops after `n` pages whatever the server says.
    pub fn max_pages(mut self, n: u32) -> Self {
        self.max_pages = n.max(1);
        self
    }

    /// Streams every record once, fetching page `i` with `fetch(i)`.
    ///
    /// Pages read side by side can miss a record that a change pushes from
    /// a page not yet answered into one already answered. So when pages
    /// were read side by side and a page's [`Page::count`] differs from the
    /// first's (the list changed meanwhile), the list is read once more,
    /// page after page from the first (inserts only push records later, so
    /// a sequential read misses none), handing out only records not handed
    /// out yet, for at most twice the pages of the first pass.
    pub fn stream<T, F, Fut>(self, fetch: F) -> RecordStream<T>
    where
        T: Unique + Send + 'static,
        F: Fn(u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let fetch = Arc::new(fetch);
        let first_fetch = fetch.clone();
        let first = async move { first_fetch(self.first).await };
        let side_by_side = Arc::new(AtomicU64::new(0));
        let flag = side_by_side.clone();
        let f = fetch.clone();
        let pages = stream::once(first).flat_map(move |res| -> PageStream<T> {
            let page = match res {
                Ok(page) => page,
                Err(e) => return stream::iter([(self.first, Err(e))]).boxed(),
            };
            let ends_here = self.is_end(&page) || self.max_pages <= 1;
            let pages = page.pages_told(self.size);
            let head = stream::iter([(self.first, Ok(page))]);
            if ends_here {
                return head.boxed();
            }
            match pages {
                Some(pages) if pages > 1 => {
                    flag.store(1, Ordering::Relaxed);
                    head.chain(self.concurrent(f.clone(), pages)).boxed()
                }
                Some(_) => head.boxed(),
                None => head
                    .chain(self.sequential(f.clone(), self.first + 1, 1))
                    .boxed(),
            }
        });
        // Pages arrive here in order, one at a time: the one place that
        // judges them.
        let judge = Arc::new(std::sync::Mutex::new(Judge {
            seen: Seen::new(self.vendor),
            count: None,
            changed: false,
            pages: 0,
            stale: 0,
        }));
        let j = judge.clone();
        let records = pages.flat_map(move |(i, res)| {
            let mut judge = j.lock().unwrap_or_else(|p| p.into_inner());
            let items = res.and_then(|page| judge.judge(i, page));
            match items {
                Ok(items) => stream::iter(items.into_iter().map(Ok).collect::<Vec<_>>()),
                Err(e) => stream::iter(vec![Err(e)]),
            }
        });
        let again = stream::once(async move {
            let judge = judge.clone();
            let (changed, pages) = {
                let j = judge.lock().unwrap_or_else(|p| p.into_inner());
                (j.changed, j.pages)
            };
            (side_by_side.load(Ordering::Relaxed) == 1 && changed).then_some((judge, pages))
        })
        .flat_map(move |reread| -> RecordStream<T> {
            let Some((judge, pages)) = reread else {
                return stream::empty().boxed();
            };
            let limit = pages.saturating_mul(2).saturating_add(2);
            self.sequential(
                fetch.clone(),
                self.first,
                self.max_pages.saturating_sub(limit),
            )
            .flat_map(move |(_, res)| {
                let items = res.map(|page| {
                    judge
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .seen
                        .keep_new(page.items)
                });
                match items {
                    Ok(items) => stream::iter(items.into_iter().map(Ok).collect::<Vec<_>>()),
                    Err(e) => stream::iter(vec![Err(e)]),
                }
            })
            .boxed()
        });
        stop_after_error(records.chain(again))
    }

    fn is_end<T>(&self, page: &Page<T>) -> bool {
        page.items.is_empty()
            || page.last == Some(true)
            || (self.short_page_ends && (page.items.len() as u64) < u64::from(self.size))
    }

    /// Pages 2..=`pages` with up to `concurrency` in flight; if they all
    /// come back full (the list grew, or the server's count was low),
    /// carries on sequentially so nothing at the end is dropped.
    fn concurrent<T, F, Fut>(self, fetch: Arc<F>, pages: u64) -> PageStream<T>
    where
        T: Send + 'static,
        F: Fn(u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let pages = pages.min(u64::from(self.max_pages)) as u32;
        let next = self.first.saturating_add(pages);
        let last_full = Arc::new(AtomicU64::new(0));
        let seen_last = last_full.clone();
        let f = fetch.clone();
        let rest = stream::iter(self.first + 1..next)
            .map(move |i| {
                let f = f.clone();
                async move { (i, f(i).await) }
            })
            .buffered(self.concurrency)
            // An empty page or an error means the list is over whatever the
            // total said: stop there, so a hostile or stale total cannot make
            // us fetch pages that do not exist (at most `concurrency` are in
            // flight).
            .scan(false, |over, (i, res)| {
                if *over {
                    return ready(None);
                }
                *over = match &res {
                    Ok(page) => page.items.is_empty(),
                    Err(_) => true,
                };
                ready(Some((i, res)))
            })
            .map(move |(i, res)| {
                if let Ok(page) = &res
                    && i + 1 == next
                    && !self.is_end(page)
                {
                    seen_last.store(1, Ordering::Relaxed);
                }
                (i, res)
            });
        let tail = stream::once(async move { last_full.load(Ordering::Relaxed) == 1 }).flat_map(
            move |go_on| {
                if go_on && pages < self.max_pages {
                    self.sequential(fetch.clone(), next, pages + 1)
                } else {
                    stream::empty().boxed()
                }
            },
        );
        rest.chain(tail).boxed()
    }

    /// Page after page from `start` until a short, empty or last page.
    fn sequential<T, F, Fut>(self, fetch: Arc<F>, start: u32, already: u32) -> PageStream<T>
    where
        T: Send + 'static,
        F: Fn(u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        stream::unfold(Some((start, already)), move |state| {
            let fetch = fetch.clone();
            async move {
                let (index, fetched) = state?;
                if fetched >= self.max_pages {
                    return None;
                }
                match fetch(index).await {
                    Err(e) => Some(((index, Err(e)), None)),
                    Ok(page) => {
                        let next = (!self.is_end(&page))
                            .then(|| index.checked_add(1).map(|n| (n, fetched + 1)))
                            .flatten();
                        Some(((index, Ok(page)), next))
                    }
                }
            }
        })
        .boxed()
    }
}

/// Pages in a row that may add nothing new while the list is seen to
/// change (a shift of more than this many pages between two requests is
/// not a shift).
const STALE_PAGES: u32 = 2;

/// What the ordered reader knows of the pages so far.
#[derive(Debug)]
struct Judge {
    seen: Seen,
    /// The first page's [`Page::count`].
    count: Option<Option<u64>>,
    /// Whether a later page's count differed.
    changed: bool,
    /// Pages judged.
    pages: u32,
    /// Pages in a row that added nothing.
    stale: u32,
}

impl Judge {
    /// The records of page `i` not handed out yet, or the error for a page
    /// that repeats: nothing new while the list is not seen to change (when
    /// it changes, records pushed on by it may fill a page or two already
    /// read, no more).
    fn judge<T: Unique>(&mut self, i: u32, page: Page<T>) -> Result<Vec<T>> {
        self.pages += 1;
        match self.count {
            None => self.count = Some(page.count),
            Some(first) if first != page.count => self.changed = true,
            Some(_) => {}
        }
        let asked = page.items.len();
        let fresh = self.seen.keep_new(page.items);
        if asked == 0 || !fresh.is_empty() {
            self.stale = 0;
            return Ok(fresh);
        }
        self.stale += 1;
        // A page that adds nothing is a server stuck on one page, unless the
        // list is seen to change. Even the page before served again word for
        // word: exactly a page of records arriving in front between two
        // requests does that, once.
        if !self.changed || self.stale > STALE_PAGES {
            return Err(self.seen.repeated(&format!("page {i}"), asked));
        }
        Ok(fresh)
    }
}

/// Pages as fetched, with their index.
type PageStream<T> = futures_core::stream::BoxStream<'static, (u32, Result<Page<T>>)>;

/// Ends a stream right after its first error.
pub fn stop_after_error<T: Send + 'static>(
    records: impl futures_core::Stream<Item = Result<T>> + Send + 'static,
) -> RecordStream<T> {
    records
        .scan(false, |failed, item| {
            if *failed {
                return ready(None);
            }
            *failed = item.is_err();
            ready(Some(item))
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures_executor::block_on;
    use futures_util::TryStreamExt;

    use super::*;

    impl Unique for String {
        fn unique_id(&self) -> Option<&str> {
            Some(self)
        }
    }

    type PageFn =
        Box<dyn Fn(u32) -> futures_util::future::Ready<Result<Page<String>>> + Send + Sync>;

    fn ids(r: std::ops::Range<u32>) -> Vec<String> {
        r.map(|i| i.to_string()).collect()
    }

    fn pager(first: u32, size: u32) -> Pager {
        Pager::new(Vendor::Easemob, first, size)
    }

    /// A server of `total` numbered records, pages of `size` from index `first`.
    fn server(
        total: u32,
        size: u32,
        first: u32,
        report_total: bool,
    ) -> (PageFn, Arc<Mutex<Vec<u32>>>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let log = calls.clone();
        let f = move |i: u32| {
            log.lock().unwrap().push(i);
            let start = (i - first) * size;
            ready(Ok(Page {
                items: ids(start..(start + size).min(total)),
                total: report_total.then_some(u64::from(total)),
                pages: None,
                last: None,
                count: None,
            }))
        };
        (Box::new(f), calls)
    }

    #[test]
    fn sequential_pages_until_short_page() {
        let (f, calls) = server(25, 10, 0, false);
        let all: Vec<String> = block_on(pager(0, 10).stream(f).try_collect()).unwrap();
        assert_eq!(all, ids(0..25));
        assert_eq!(*calls.lock().unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn exact_multiple_needs_one_empty_page_when_total_unknown() {
        let (f, calls) = server(20, 10, 0, false);
        let all: Vec<String> = block_on(pager(0, 10).stream(f).try_collect()).unwrap();
        assert_eq!(all.len(), 20);
        assert_eq!(*calls.lock().unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn known_total_fetches_exactly_the_pages_needed_in_order() {
        let (f, calls) = server(1234, 50, 1, true);
        let all: Vec<String> =
            block_on(pager(1, 50).concurrency(4).stream(f).try_collect()).unwrap();
        assert_eq!(all, ids(0..1234));
        assert_eq!(calls.lock().unwrap().len(), 25);
    }

    #[test]
    fn a_page_count_is_taken_as_told_not_as_records() {
        // Pages shorter than asked (7 of 10) that say there are 4 pages: all
        // 4 are read, side by side, although no record total is told and
        // 4 pages of 10 would be more records than there are.
        let calls = Arc::new(Mutex::new(Vec::new()));
        let log = calls.clone();
        let f = move |i: u32| {
            log.lock().unwrap().push(i);
            let start = (i - 1) * 7;
            ready(Ok(Page {
                items: ids(start..start + 7),
                total: None,
                pages: Some(4),
                last: Some(i >= 4),
                count: None,
            }))
        };
        let all: Vec<String> = block_on(
            pager(1, 10)
                .short_pages_end(false)
                .concurrency(4)
                .stream(f)
                .try_collect(),
        )
        .unwrap();
        assert_eq!(all, ids(0..28));
        assert_eq!(*calls.lock().unwrap(), vec![1, 2, 3, 4]);
    }

    #[test]
    fn a_total_that_is_too_low_does_not_drop_records() {
        // The server says 20 but has 35: the pager reads on while pages are full.
        let f = move |i: u32| {
            let start = i * 10;
            ready(Ok(Page {
                items: ids(start..(start + 10).min(35)),
                total: Some(20),
                pages: None,
                last: None,
                count: None,
            }))
        };
        let all: Vec<String> =
            block_on(pager(0, 10).concurrency(3).stream(f).try_collect()).unwrap();
        assert_eq!(all, ids(0..35));
    }

    #[test]
    fn a_huge_total_does_not_fetch_pages_that_do_not_exist() {
        let calls = Arc::new(Mutex::new(0u32));
        let c = calls.clone();
        let f = move |i: u32| {
            *c.lock().unwrap() += 1;
            let start = i * 10;
            ready(Ok(Page {
                items: ids(start..(start + 10).min(25)),
                total: Some(1_000_000_000_000),
                pages: None,
                last: None,
                count: None,
            }))
        };
        let all: Vec<String> =
            block_on(pager(0, 10).concurrency(4).stream(f).try_collect()).unwrap();
        assert_eq!(all, ids(0..25));
        // Pages 0..=3 are needed to see the end; at most 4 more were in flight.
        assert!(
            *calls.lock().unwrap() <= 8,
            "{} pages fetched",
            calls.lock().unwrap()
        );
    }

    #[test]
    fn a_huge_total_next_to_a_repeated_page_is_an_error_not_success() {
        // Every page is the same 10 records, and the server claims 10^12.
        for concurrency in [1, 4] {
            let calls = Arc::new(Mutex::new(0u32));
            let c = calls.clone();
            let f = move |_i: u32| {
                *c.lock().unwrap() += 1;
                ready(Ok(Page {
                    items: ids(0..10),
                    total: Some(1_000_000_000_000),
                    pages: None,
                    last: None,
                    count: None,
                }))
            };
            let out: Vec<Result<String>> =
                block_on(pager(1, 10).concurrency(concurrency).stream(f).collect());
            assert_eq!(out.len(), 11, "10 records, then the error");
            let e = out.last().unwrap().as_ref().unwrap_err();
            assert!(e.to_string().contains("page 2 repeats 10 records"), "{e}");
            assert!(*calls.lock().unwrap() <= 2 + concurrency as u32);
        }
        // Without a total, read one after another: the same.
        let f = |_i: u32| ready(Ok(Page::new(ids(0..10))));
        let out: Vec<Result<String>> = block_on(pager(0, 10).stream(f).collect());
        assert_eq!(out.len(), 11);
        assert!(out[10].is_err());
    }

    #[test]
    fn records_shifted_by_inserts_or_overlapping_pages_are_handed_out_once() {
        // Page 2 starts 3 records early (3 records arrived in front between
        // the pages), page 3 overlaps page 2 by 5, and the total shrinks.
        let f = |i: u32| {
            let items = match i {
                1 => ids(0..10),
                2 => ids(7..17),
                3 => ids(12..22),
                _ => ids(22..25),
            };
            ready(Ok(Page {
                items,
                total: Some(if i == 1 { 40 } else { 25 }),
                pages: None,
                last: None,
                count: None,
            }))
        };
        for concurrency in [1, 3] {
            let all: Vec<String> = block_on(
                pager(1, 10)
                    .concurrency(concurrency)
                    .stream(f)
                    .try_collect(),
            )
            .unwrap();
            assert_eq!(all, ids(0..25));
        }
    }

    /// Pending once, then ready: lets a later page be answered first.
    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<()> {
            if self.0 {
                std::task::Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }
    }

    #[test]
    fn exactly_a_page_arriving_in_front_is_not_taken_for_a_stuck_server() {
        // 30 records, 10 a page, newest first. Just before page 2 is
        // answered, 10 records arrive at the front: page 2 is then page 1
        // again, word for word, and the count says the list changed.
        let list = Arc::new(Mutex::new(ids(0..30)));
        let f = move |i: u32| {
            let mut l = list.lock().unwrap();
            if i == 2 && l.len() == 30 {
                for k in 0..10 {
                    l.insert(0, format!("new-{k}"));
                }
            }
            let start = ((i - 1) * 10) as usize;
            ready(Ok(Page {
                items: l.iter().skip(start).take(10).cloned().collect(),
                total: None,
                pages: None,
                last: None,
                count: Some(l.len() as u64),
            }))
        };
        let all: Vec<String> = block_on(pager(1, 10).stream(f).try_collect())
            .expect("a list that grew by a page is read to its end");
        assert_eq!(all, ids(0..30));
    }

    #[test]
    fn a_record_pushed_into_a_page_already_answered_is_not_lost() {
        // 40 records, 10 a page, newest first. Page 3 is answered before
        // page 2; 5 records arrive at the front just before page 2 is: page
        // 2 then holds old 5..15, page 3 held old 20..30, and old 15..20
        // were in neither. The count changed, so the list is read again.
        for with_count in [true, false] {
            let list = Arc::new(Mutex::new(ids(0..40)));
            let inserted = Arc::new(Mutex::new(false));
            let f = move |i: u32| {
                let list = list.clone();
                let inserted = inserted.clone();
                async move {
                    if i == 2 {
                        YieldOnce(false).await;
                        let mut done = inserted.lock().unwrap();
                        if !*done {
                            *done = true;
                            let mut l = list.lock().unwrap();
                            for k in 0..5 {
                                l.insert(0, format!("new-{k}"));
                            }
                        }
                    }
                    let l = list.lock().unwrap();
                    let start = ((i - 1) * 10) as usize;
                    let items: Vec<String> = l.iter().skip(start).take(10).cloned().collect();
                    Ok(Page {
                        items,
                        total: Some(40),
                        pages: None,
                        last: None,
                        count: with_count.then_some(l.len() as u64),
                    })
                }
            };
            let got: Result<Vec<String>> =
                block_on(pager(1, 10).concurrency(4).stream(f).try_collect());
            if !with_count {
                // Without a count the change cannot be seen: the page the
                // shift filled with records read already (page 5) stops
                // the list with an error, rather than losing 15..20 silently.
                let e = got.unwrap_err();
                assert!(e.to_string().contains("page 5 repeats"), "{e}");
                continue;
            }
            let all = got.unwrap();
            let unique: std::collections::HashSet<&String> = all.iter().collect();
            assert_eq!(unique.len(), all.len(), "a record came twice");
            let lost: Vec<String> = ids(0..40)
                .into_iter()
                .filter(|r| !unique.contains(r))
                .collect();
            assert!(lost.is_empty(), "lost {lost:?}");
        }
    }

    #[test]
    fn concurrency_is_bounded_and_its_setting_checked() {
        assert_eq!(
            pager(0, 1).concurrency(1_000_000).concurrency,
            MAX_PAGE_CONCURRENCY
        );
        assert_eq!(pager(0, 1).concurrency(0).concurrency, 1);
        assert_eq!(parse_concurrency("K", " 8 ").unwrap(), 8);
        let e = parse_concurrency("KEFU_X_PAGE_CONCURRENCY", "1000000").unwrap_err();
        assert_eq!(e.field(), None);
        let text = e.to_string();
        assert!(
            text.contains("KEFU_X_PAGE_CONCURRENCY") && text.contains("maximum of 32"),
            "{text}"
        );
        for bad in ["0", "-1", "many", "", "99999999999999999999999"] {
            assert!(parse_concurrency("K", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_pages_need_not_end_the_list() {
        // Asked 50 a page, served 20: 95 records over 5 pages, each page
        // saying whether it is the last, the first telling the page count.
        let calls = Arc::new(Mutex::new(Vec::new()));
        let log = calls.clone();
        let f = move |i: u32| {
            log.lock().unwrap().push(i);
            let start = (i - 1) * 20;
            ready(Ok(Page {
                items: ids(start..(start + 20).min(95)),
                total: Some(5 * 50),
                pages: None,
                last: Some(i >= 5),
                count: None,
            }))
        };
        let p = pager(1, 50).short_pages_end(false).concurrency(3);
        let all: Vec<String> = block_on(p.stream(f).try_collect()).unwrap();
        assert_eq!(all, ids(0..95));
        let mut pages = calls.lock().unwrap().clone();
        pages.sort_unstable();
        assert_eq!(pages, vec![1, 2, 3, 4, 5]);
        // By default the first short page ends it.
        let (f, _) = server(95, 20, 1, false);
        let n = block_on(pager(1, 50).stream(f).try_collect::<Vec<_>>())
            .unwrap()
            .len();
        assert_eq!(n, 20);
    }

    #[test]
    fn an_error_ends_the_stream() {
        let f = |i: u32| {
            ready(if i == 1 {
                Err(Error::invalid("page", "boom"))
            } else {
                Ok(Page::new(ids(i * 10..i * 10 + 10)))
            })
        };
        let items: Vec<Result<String>> = block_on(pager(0, 10).stream(f).collect());
        assert_eq!(items.len(), 11);
        assert!(items[10].is_err());
    }

    #[test]
    fn max_pages_stops_a_server_that_never_ends() {
        let f = |i: u32| ready(Ok(Page::new(ids(i * 5..i * 5 + 5))));
        let n = block_on(pager(0, 5).max_pages(4).stream(f).try_collect::<Vec<_>>())
            .unwrap()
            .len();
        assert_eq!(n, 20);
    }
}
