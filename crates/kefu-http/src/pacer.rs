//! Staying under a vendor's call-rate limit instead of being refused.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most `calls` starts in any window of `per`, shared by every clone.
///
/// A sliding window over the last `calls` start times: a caller waits until
/// the oldest of them is `per` old. Waiters queue in order (the lock is
/// fair), so no caller starves. Uses tokio's clock, so tests run it with
/// paused time.
#[derive(Debug, Clone)]
pub struct Pacer {
    calls: usize,
    per: Duration,
    starts: Arc<Mutex<VecDeque<Instant>>>,
}

impl Pacer {
    /// A pacer allowing `calls` (at least 1) per `per`.
    pub fn new(calls: u32, per: Duration) -> Self {
        let calls = calls.max(1) as usize;
        Self {
            calls,
            per,
            starts: Arc::new(Mutex::new(VecDeque::with_capacity(calls))),
        }
    }

    /// The limit as configured.
    pub fn limit(&self) -> (usize, Duration) {
        (self.calls, self.per)
    }

    /// Waits until one more call may start, and records its start.
    pub async fn acquire(&self) {
        let mut starts = self.starts.lock().await;
        if starts.len() >= self.calls
            && let Some(&oldest) = starts.front()
        {
            let ready_at = oldest + self.per;
            if ready_at > Instant::now() {
                tokio::time::sleep_until(ready_at).await;
            }
            starts.pop_front();
        }
        starts.push_back(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_window() {
        let pacer = Pacer::new(20, Duration::from_secs(61));
        let t0 = Instant::now();
        let mut times = Vec::new();
        for _ in 0..100 {
            pacer.acquire().await;
            times.push(Instant::now() - t0);
        }
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|u| **u < *t + Duration::from_secs(60))
                .count();
            assert!(
                in_window <= 20,
                "{in_window} calls within a minute from call {i}"
            );
        }
        // 100 calls take 4 full windows after the first burst of 20.
        assert_eq!(*times.last().unwrap(), Duration::from_secs(4 * 61));
    }

    #[tokio::test(start_paused = true)]
    async fn shared_by_clones() {
        let a = Pacer::new(2, Duration::from_secs(10));
        let b = a.clone();
        a.acquire().await;
        b.acquire().await;
        let t = Instant::now();
        a.acquire().await;
        assert_eq!(Instant::now() - t, Duration::from_secs(10));
    }
}
