//! Pages read in tasks of their own.
//!
//! A paged list's pages are fetched side by side, but a plain future is
//! polled by the task that reads the stream, so every page's decoding (the
//! CPU part of a page: about 0.2 ms for 50 sessions) would run there, one
//! after another, on one thread. [`on_task`] moves a page's fetch and decode
//! onto a task of its own, so the pages in flight decode side by side on
//! the runtime's worker threads and the reader only receives records. Every
//! vendor crate's pager hands its page fetches to it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use kefu_core::{Error, Result, Vendor};
use tokio::task::JoinHandle;

/// Runs `work` (a page's fetch and decode) on a task of its own, on the
/// current tokio runtime. Dropping the returned future aborts the task, so
/// a reader that stops reading leaves nothing running.
///
/// # Panics
///
/// Outside a tokio runtime (every vendor client runs in one); and a panic
/// inside `work` is raised again where the result is awaited, as if the
/// page had been read there.
pub fn on_task<T: Send + 'static>(
    vendor: Vendor,
    work: impl Future<Output = Result<T>> + Send + 'static,
) -> OnTask<T> {
    OnTask {
        vendor,
        handle: tokio::spawn(work),
    }
}

/// The result of [`on_task`].
#[derive(Debug)]
pub struct OnTask<T> {
    vendor: Vendor,
    handle: JoinHandle<Result<T>>,
}

impl<T> Future for OnTask<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let vendor = self.vendor;
        Pin::new(&mut self.handle).poll(cx).map(|done| match done {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::Transport {
                vendor,
                message: "the runtime shut down while a page was being read".to_owned(),
                source: None,
                not_sent: false,
            }),
        })
    }
}

impl<T> Drop for OnTask<T> {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_work_runs_on_another_task_and_its_result_comes_back() {
        // The test body is not a task; the page is one, spawned apart.
        assert!(tokio::task::try_id().is_none());
        let (value, task) = on_task(Vendor::Easemob, async { Ok((7, tokio::task::try_id())) })
            .await
            .expect("value");
        assert_eq!(value, 7);
        assert!(task.is_some(), "the page did not run on a task of its own");
        let e = on_task::<()>(Vendor::Easemob, async { Err(Error::invalid("x", "bad")) })
            .await
            .unwrap_err();
        assert_eq!(e.kind(), kefu_core::ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn dropping_the_future_stops_the_task() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let task = on_task(Vendor::Easemob, async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(task);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            !finished.load(Ordering::SeqCst),
            "an abandoned page kept running"
        );
    }

    #[tokio::test]
    #[should_panic(expected = "decoder bug")]
    async fn a_panic_in_the_page_is_raised_where_it_is_awaited() {
        let _ = on_task::<()>(Vendor::Easemob, async { panic!("decoder bug") }).await;
    }
}
