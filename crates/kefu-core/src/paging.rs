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

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::ready;
use futures_util::stream::{self, StreamExt};

use crate::{RecordStream, Result};

/// One page as the vendor answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The records of this page, in the vendor's order.
    pub items: Vec<T>,
    /// Total records matching, when the vendor says (and can be trusted).
    pub total: Option<u64>,
    /// Whether this is the last page, when the vendor says.
    pub last: Option<bool>,
}

impl<T> Page<T> {
    /// A page with no total and no last flag.
    pub fn new(items: Vec<T>) -> Self {
        Self {
            items,
            total: None,
            last: None,
        }
    }
}

/// How to walk a paged list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pager {
    /// Index of the first page (Easemob agents: 0; sessions: 1).
    pub first: u32,
    /// Records asked per page.
    pub size: u32,
    /// Pages in flight once the total is known (at least 1).
    pub concurrency: usize,
    /// Hard stop against a server that never ends a list.
    pub max_pages: u32,
    /// Whether a page shorter than `size` ends the list (default). When not,
    /// only an empty page or `last == Some(true)` does.
    pub short_page_ends: bool,
}

impl Pager {
    /// Sequential paging from `first` with `size` records a page.
    pub fn new(first: u32, size: u32) -> Self {
        Self {
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

    /// Allows up to `n` pages in flight once the total is known.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Stops after `n` pages whatever the server says.
    pub fn max_pages(mut self, n: u32) -> Self {
        self.max_pages = n.max(1);
        self
    }

    /// Streams every record, fetching page `i` with `fetch(i)`.
    pub fn stream<T, F, Fut>(self, fetch: F) -> RecordStream<T>
    where
        T: Send + 'static,
        F: Fn(u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let fetch = Arc::new(fetch);
        let first_fetch = fetch.clone();
        let first = async move { first_fetch(self.first).await };
        let records = stream::once(first).flat_map(move |res| -> RecordStream<T> {
            let page = match res {
                Ok(page) => page,
                Err(e) => return stream::iter([Err(e)]).boxed(),
            };
            let n = page.items.len() as u64;
            let ends_here = self.is_end(&page) || self.max_pages <= 1;
            let total = page.total;
            let head = stream::iter(page.items.into_iter().map(Ok));
            if ends_here {
                return head.boxed();
            }
            match total {
                Some(total) if total > n => {
                    head.chain(self.concurrent(fetch.clone(), total)).boxed()
                }
                Some(_) => head.boxed(),
                None => head
                    .chain(self.sequential(fetch.clone(), self.first + 1, 1))
                    .boxed(),
            }
        });
        stop_after_error(records)
    }

    fn is_end<T>(&self, page: &Page<T>) -> bool {
        page.items.is_empty()
            || page.last == Some(true)
            || (self.short_page_ends && (page.items.len() as u64) < u64::from(self.size))
    }

    /// Pages 2..=ceil(total/size) with up to `concurrency` in flight; if they
    /// all come back full (the list grew, or the server's count was low),
    /// carries on sequentially so nothing at the end is dropped.
    fn concurrent<T, F, Fut>(self, fetch: Arc<F>, total: u64) -> RecordStream<T>
    where
        T: Send + 'static,
        F: Fn(u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let pages = total
            .div_ceil(u64::from(self.size))
            .min(u64::from(self.max_pages)) as u32;
        let next = self.first + pages;
        let last_full = Arc::new(AtomicU64::new(0));
        let seen_last = last_full.clone();
        let f = fetch.clone();
        let rest = stream::iter(self.first + 1..next)
            .map(move |i| {
                let f = f.clone();
                async move { (i, f(i).await) }
            })
            .buffered(self.concurrency)
            // An empty page means the list is over whatever the total said:
            // stop there, so a hostile or stale total cannot make us fetch
            // pages that do not exist (at most `concurrency` are in flight).
            .scan(false, |over, (i, res)| {
                if *over {
                    return ready(None);
                }
                *over = matches!(&res, Ok(page) if page.items.is_empty());
                ready(Some((i, res)))
            })
            .flat_map(move |(i, res)| match res {
                Ok(page) => {
                    if i + 1 == next && !self.is_end(&page) {
                        seen_last.store(1, Ordering::Relaxed);
                    }
                    stream::iter(page.items.into_iter().map(Ok).collect::<Vec<_>>())
                }
                Err(e) => stream::iter(vec![Err(e)]),
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
    fn sequential<T, F, Fut>(self, fetch: Arc<F>, start: u32, already: u32) -> RecordStream<T>
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
                    Err(e) => Some((stream::iter(vec![Err(e)]), None)),
                    Ok(page) => {
                        let next = (!self.is_end(&page)).then_some((index + 1, fetched + 1));
                        Some((
                            stream::iter(page.items.into_iter().map(Ok).collect::<Vec<_>>()),
                            next,
                        ))
                    }
                }
            }
        })
        .flatten()
        .boxed()
    }
}

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
    use crate::Error;

    type PageFn = Box<dyn Fn(u32) -> futures_util::future::Ready<Result<Page<u32>>> + Send + Sync>;

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
            let items: Vec<u32> = (start..(start + size).min(total)).collect();
            ready(Ok(Page {
                items,
                total: report_total.then_some(u64::from(total)),
                last: None,
            }))
        };
        (Box::new(f), calls)
    }

    #[test]
    fn sequential_pages_until_short_page() {
        let (f, calls) = server(25, 10, 0, false);
        let all: Vec<u32> = block_on(Pager::new(0, 10).stream(f).try_collect()).unwrap();
        assert_eq!(all, (0..25).collect::<Vec<_>>());
        assert_eq!(*calls.lock().unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn exact_multiple_needs_one_empty_page_when_total_unknown() {
        let (f, calls) = server(20, 10, 0, false);
        let all: Vec<u32> = block_on(Pager::new(0, 10).stream(f).try_collect()).unwrap();
        assert_eq!(all.len(), 20);
        assert_eq!(*calls.lock().unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn known_total_fetches_exactly_the_pages_needed_in_order() {
        let (f, calls) = server(1234, 50, 1, true);
        let all: Vec<u32> =
            block_on(Pager::new(1, 50).concurrency(4).stream(f).try_collect()).unwrap();
        assert_eq!(all, (0..1234).collect::<Vec<_>>());
        assert_eq!(calls.lock().unwrap().len(), 25);
    }

    #[test]
    fn a_total_that_is_too_low_does_not_drop_records() {
        // The server says 20 but has 35: the pager reads on while pages are full.
        let calls = Arc::new(Mutex::new(0));
        let c = calls.clone();
        let f = move |i: u32| {
            *c.lock().unwrap() += 1;
            let start = i * 10;
            ready(Ok(Page {
                items: (start..(start + 10).min(35)).collect::<Vec<u32>>(),
                total: Some(20),
                last: None,
            }))
        };
        let all: Vec<u32> =
            block_on(Pager::new(0, 10).concurrency(3).stream(f).try_collect()).unwrap();
        assert_eq!(all, (0..35).collect::<Vec<_>>());
    }

    #[test]
    fn a_huge_total_does_not_fetch_pages_that_do_not_exist() {
        let calls = Arc::new(Mutex::new(0u32));
        let c = calls.clone();
        let f = move |i: u32| {
            *c.lock().unwrap() += 1;
            let start = i * 10;
            ready(Ok(Page {
                items: (start..(start + 10).min(25)).collect::<Vec<u32>>(),
                total: Some(1_000_000_000_000),
                last: None,
            }))
        };
        let all: Vec<u32> =
            block_on(Pager::new(0, 10).concurrency(4).stream(f).try_collect()).unwrap();
        assert_eq!(all, (0..25).collect::<Vec<_>>());
        // Pages 0..=3 are needed to see the end; at most 4 more were in flight.
        assert!(
            *calls.lock().unwrap() <= 8,
            "{} pages fetched",
            calls.lock().unwrap()
        );
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
                items: (start..(start + 20).min(95)).collect::<Vec<u32>>(),
                total: Some(5 * 50),
                last: Some(i >= 5),
            }))
        };
        let pager = Pager::new(1, 50).short_pages_end(false).concurrency(3);
        let all: Vec<u32> = block_on(pager.stream(f).try_collect()).unwrap();
        assert_eq!(all, (0..95).collect::<Vec<_>>());
        let mut pages = calls.lock().unwrap().clone();
        pages.sort_unstable();
        assert_eq!(pages, vec![1, 2, 3, 4, 5]);
        // By default the first short page ends it.
        let (f, _) = server(95, 20, 1, false);
        let n = block_on(Pager::new(1, 50).stream(f).try_collect::<Vec<_>>())
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
                Ok(Page::new(vec![i; 10]))
            })
        };
        let items: Vec<Result<u32>> = block_on(Pager::new(0, 10).stream(f).collect());
        assert_eq!(items.len(), 11);
        assert!(items[10].is_err());
    }

    #[test]
    fn max_pages_stops_a_server_that_never_ends() {
        let f = |_i: u32| ready(Ok(Page::new(vec![1u8; 5])));
        let n = block_on(
            Pager::new(0, 5)
                .max_pages(4)
                .stream(f)
                .try_collect::<Vec<_>>(),
        )
        .unwrap()
        .len();
        assert_eq!(n, 20);
    }
}
