//! Timeouts and retry settings, with their documented defaults.

use std::time::Duration;

/// How failures are retried.
///
/// Defaults: 3 attempts (so a read survives two transient faults in a row),
/// exponential backoff from 200 ms doubling to at most 5 s, each delay drawn
/// from its upper half ("equal jitter", see [`RetryPolicy::delay`]), at most
/// 30 s spent retrying, and a vendor's `Retry-After` honored up to that budget.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (1 disables retries).
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub initial_backoff: Duration,
    /// Largest delay between attempts.
    pub max_backoff: Duration,
    /// Time budget for all retries of one call.
    pub max_elapsed: Duration,
    /// Randomize each delay in `[backoff / 2, backoff]` so clients do not
    /// retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff before retry number `retry` (1-based), before jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The delay before retry number `retry` (1-based): the backoff, or with
    /// [`jitter`](Self::jitter) a draw from `[backoff / 2, backoff]`.
    ///
    /// Equal jitter, not full jitter (`[0, backoff]`), on purpose: clients
    /// still spread out, but a retry always waits at least half its backoff,
    /// so it cannot hit a vendor that just refused (Sobot's per-minute
    /// limits, Easemob's 429s) again within milliseconds.
    pub fn delay(&self, retry: u32, rng: &mut impl rand::Rng) -> Duration {
        let backoff = self.backoff(retry);
        if !self.jitter {
            return backoff;
        }
        let millis = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.gen_range(millis / 2..=millis.max(1)))
    }
}

/// Everything a vendor client's transport can be told.
///
/// Defaults: connect 10 s, each attempt 30 s, a whole operation (all attempts
/// and waits) 120 s, bodies up to 64 MiB, [`RetryPolicy::default`].
#[derive(Debug, Clone, PartialEq)]
pub struct TransportConfig {
    /// TCP + TLS connect timeout (`None`: none).
    pub connect_timeout: Option<Duration>,
    /// Timeout of one attempt, headers and body (`None`: none).
    pub request_timeout: Option<Duration>,
    /// Timeout of one operation, all attempts included (`None`: none).
    pub operation_timeout: Option<Duration>,
    /// Largest response body read; larger answers are a decode error.
    pub max_body_bytes: usize,
    /// Retry settings.
    pub retry: RetryPolicy,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Who watches the exchanges (record, debug), and whether writes are
    /// held back (dry run). Default: nobody, nothing held.
    pub hooks: crate::observe::Hooks,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            request_timeout: Some(Duration::from_secs(30)),
            operation_timeout: Some(Duration::from_secs(120)),
            max_body_bytes: 64 * 1024 * 1024,
            retry: RetryPolicy::default(),
            user_agent: concat!("kefu/", env!("CARGO_PKG_VERSION")).to_owned(),
            hooks: crate::observe::Hooks::default(),
        }
    }
}

impl TransportConfig {
    /// No timers at all: for tests under tokio's paused clock, where any
    /// pending timer (a timeout, a pool's idle sweep) would fire at once while
    /// real loopback I/O is waiting. Retries are kept.
    pub fn without_timers() -> Self {
        Self {
            connect_timeout: None,
            request_timeout: None,
            operation_timeout: None,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(400));
        assert_eq!(p.backoff(10), Duration::from_secs(5));
        assert_eq!(p.backoff(100), Duration::from_secs(5));
    }

    #[test]
    fn jitter_draws_from_the_upper_half_of_the_backoff() {
        use rand::SeedableRng;
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for retry in [1, 2, 3, 10] {
            let backoff = p.backoff(retry);
            let draws: Vec<Duration> = (0..2_000).map(|_| p.delay(retry, &mut rng)).collect();
            let (min, max) = (draws.iter().min().unwrap(), draws.iter().max().unwrap());
            assert!(
                *min >= backoff / 2,
                "retry {retry}: {min:?} below half of {backoff:?}"
            );
            assert!(*max <= backoff, "retry {retry}: {max:?} above {backoff:?}");
            // Spread over the half, not stuck at one end.
            assert!(
                *min < backoff * 11 / 20 && *max > backoff * 19 / 20,
                "retry {retry}"
            );
        }
        let fixed = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        assert_eq!(fixed.delay(2, &mut rng), Duration::from_millis(400));
    }
}
