//! Staying under a vendor's call-rate limit instead of being refused.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kefu_core::shared::{RateBudget, SharedStore};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most `calls` starts in any window of `per`, shared by every clone.
///
/// A sliding window over the last `calls` start times: a caller waits until
/// the oldest of them is `per` old. Waiters queue in order (the lock is
/// fair), so no caller starves. Uses tokio's clock, so tests run it with
/// paused time.
///
/// [`Pacer::shared`] paces every process that names the same
/// [`SharedStore`] together instead (GCRA in the store); if the store fails,
/// it falls back to this process's window.
#[derive(Debug, Clone)]
pub struct Pacer {
    calls: usize,
    per: Duration,
    starts: Arc<Mutex<VecDeque<Instant>>>,
    shared: Option<Shared>,
}

/// A budget in a shared store.
#[derive(Clone)]
struct Shared {
    store: Arc<dyn SharedStore>,
    key: String,
    budget: RateBudget,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("store", &self.store.describe())
            .field("key", &self.key)
            .field("budget", &self.budget)
            .finish()
    }
}

impl Pacer {
    /// A pacer allowing `calls` (at least 1) per `per`.
    pub fn new(calls: u32, per: Duration) -> Self {
        let calls = calls.max(1) as usize;
        Self {
            calls,
            per,
            starts: Arc::new(Mutex::new(VecDeque::with_capacity(calls))),
            shared: None,
        }
    }

    /// A pacer whose `budget` lives in `store` under `key`, shared by every
    /// process that names the same store and key.
    pub fn shared(store: Arc<dyn SharedStore>, key: impl Into<String>, budget: RateBudget) -> Self {
        Self {
            shared: Some(Shared {
                store,
                key: key.into(),
                budget,
            }),
            ..Self::new(budget.limit, budget.per)
        }
    }

    /// The shared budget, if this pacer has one.
    pub fn budget(&self) -> Option<RateBudget> {
        self.shared.as_ref().map(|s| s.budget)
    }

    /// The limit as configured.
    pub fn limit(&self) -> (usize, Duration) {
        (self.calls, self.per)
    }

    /// Waits until one more call may start, and records its start.
    pub async fn acquire(&self) {
        if let Some(shared) = &self.shared {
            match shared.store.reserve(&shared.key, &shared.budget).await {
                Ok(wait) => {
                    if !wait.is_zero() {
                        tracing::debug!(key = %shared.key, wait_ms = wait.as_millis() as u64, "waiting for the shared rate budget");
                        tokio::time::sleep(wait).await;
                    }
                    return;
                }
                // A store wrapped in `Fallback` never fails; a bare one may.
                Err(e) => {
                    tracing::warn!(error = %e, "shared rate budget unavailable; pacing this process alone");
                }
            }
        }
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
    async fn a_shared_budget_paces_pacers_of_one_store_together() {
        use kefu_core::shared::MemoryStore;
        let store: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
        let budget = RateBudget::new(2, Duration::from_secs(30), 2);
        // Two "processes": separate pacers, one store, one key.
        let a = Pacer::shared(store.clone(), "rate|k", budget);
        let b = Pacer::shared(store.clone(), "rate|k", budget);
        let other = Pacer::shared(store, "rate|other", budget);
        assert_eq!(a.budget(), Some(budget));
        let t = Instant::now();
        a.acquire().await;
        b.acquire().await;
        other.acquire().await;
        assert_eq!(Instant::now() - t, Duration::ZERO, "the burst of 2 passes");
        let before = Instant::now();
        // The store's clock is the system's, which paused tokio time does not
        // move: the wait is the full interval (30 s / 1).
        b.acquire().await;
        assert!(Instant::now() - before >= Duration::from_secs(29));
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
