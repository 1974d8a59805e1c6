//! State shared by every process that names the same store: access tokens,
//! refresh locks and rate budgets.
//!
//! Twenty workers speaking for one vendor account must hold one Easemob
//! token between them and keep Sobot's chat list under 20 calls a minute
//! together. [`SharedStore`] is the contract they coordinate through; this
//! crate has no I/O, so it only defines it, with a process-local
//! [`MemoryStore`] and the [`Fallback`] wrapper that keeps a command working
//! when the store does not. The file and Redis stores live in `kefu-store`.
//!
//! Every operation is atomic in the store: a value is replaced whole, a
//! compare-and-delete compares and deletes in one step, a lock is taken only
//! when free (or its lease ran out), and a rate reservation reads and writes
//! the budget's state in one step. See `docs/shared-state.md`.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use crate::{Clock, Secret, SystemClock};

/// A store that could not do what was asked (unreachable, unwritable,
/// corrupt). Carries no secret: only the store's description and the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shared store {store}: {message}")]
pub struct StoreError {
    /// The store, as [`SharedStore::describe`] says (no password).
    pub store: String,
    /// What went wrong.
    pub message: String,
}

impl StoreError {
    /// A failure of `store`.
    pub fn new(store: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            store: store.into(),
            message: message.into(),
        }
    }
}

/// What a store operation returns.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// A rate limit as a vendor states it (`limit` calls per `per`), and how
/// much of it may be spent in one burst.
///
/// Enforced with GCRA (the generic cell rate algorithm): one timestamp per
/// budget, the theoretical arrival time. A burst of `burst` calls passes at
/// once; after that calls are spaced by [`RateBudget::interval`], which is
/// chosen so that no window of length `per` ever holds more than `limit`
/// calls: `per / (limit + 1 - burst)`. A larger burst costs sustained rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    /// Calls allowed in any window of `per`.
    pub limit: u32,
    /// The window.
    pub per: Duration,
    /// Calls that may start back to back (1..=limit).
    pub burst: u32,
}

impl RateBudget {
    /// `limit` calls per `per`, with bursts of `burst` (both clamped to sense).
    pub const fn new(limit: u32, per: Duration, burst: u32) -> Self {
        let limit = if limit == 0 { 1 } else { limit };
        let burst = if burst == 0 {
            1
        } else if burst > limit {
            limit
        } else {
            burst
        };
        Self { limit, per, burst }
    }

    /// The spacing of calls once the burst is spent.
    pub fn interval(&self) -> Duration {
        self.per / (self.limit + 1 - self.burst)
    }

    /// How far ahead of its theoretical time a call may start (GCRA's τ).
    pub fn tolerance(&self) -> Duration {
        self.interval() * (self.burst - 1)
    }

    /// [`RateBudget::interval`] in whole milliseconds, rounded up (rounding
    /// down would let one call too many into a window), at least 1.
    pub fn interval_ms(&self) -> i64 {
        let per = millis(self.per);
        let slots = i64::from(self.limit + 1 - self.burst);
        (per.saturating_add(slots - 1) / slots).max(1)
    }

    /// [`RateBudget::tolerance`] in whole milliseconds.
    pub fn tolerance_ms(&self) -> i64 {
        self.interval_ms() * i64::from(self.burst - 1)
    }
}

/// One GCRA reservation: given the budget's stored theoretical arrival time
/// (`tat`, epoch ms; `None` when unset) and `now`, how long the caller waits
/// before its call (ms) and the new `tat` to store.
///
/// The reservation is always granted, for a moment in the future if need be,
/// so waiters are served in the order they asked and never starve. The Redis
/// store runs the same arithmetic as a Lua script.
///
/// A stored time beyond [`gcra_horizon`] is not believed (a corrupt value,
/// or a clock that jumped back): the budget starts afresh rather than make
/// every caller sleep for hours.
pub fn gcra_reserve(tat: Option<i64>, now: i64, interval_ms: i64, tolerance_ms: i64) -> (i64, i64) {
    let horizon = gcra_horizon(interval_ms);
    let tat = tat.filter(|t| t.saturating_sub(now) <= horizon);
    let base = tat.map_or(now, |t| t.max(now));
    let wait = (base - tolerance_ms - now).max(0);
    (wait, base.saturating_add(interval_ms))
}

/// How far ahead of now a stored GCRA time may lie and still be believed:
/// an hour, or a thousand intervals when that is longer (a queue that long
/// is not a queue but a fault).
pub fn gcra_horizon(interval_ms: i64) -> i64 {
    interval_ms.saturating_mul(1000).max(3_600_000)
}

/// Where tokens, locks and rate budgets live, shared by every process (and
/// machine) that names the same store.
///
/// Keys are plain text chosen by the caller (not secret); values are
/// secrets. Implementations must make each method atomic.
#[async_trait]
pub trait SharedStore: Send + Sync + fmt::Debug {
    /// What this store is, for messages: `memory`, `file:/path`,
    /// `redis://host:6379/0` (never a password).
    fn describe(&self) -> String;

    /// The value under `key`, unless absent or expired.
    async fn get(&self, key: &str) -> StoreResult<Option<Secret>>;

    /// Stores `value` under `key` for `ttl`, replacing any other.
    async fn put(&self, key: &str, value: &Secret, ttl: Duration) -> StoreResult<()>;

    /// Removes the value under `key` only if it is still `expected`; says
    /// whether it did. Another process may have stored a newer one, which
    /// must survive.
    async fn expire_if(&self, key: &str, expected: &Secret) -> StoreResult<bool>;

    /// Takes the lock `key` for `owner` for at most `ttl`, if nobody holds
    /// it (or its holder's lease ran out); says whether it did.
    async fn try_lock(&self, key: &str, owner: &str, ttl: Duration) -> StoreResult<bool>;

    /// Releases the lock `key` only if `owner` still holds it; says whether
    /// it did.
    async fn unlock(&self, key: &str, owner: &str) -> StoreResult<bool>;

    /// Reserves one call of `budget` under `key` and says how long to wait
    /// before making it (GCRA, [`gcra_reserve`]).
    async fn reserve(&self, key: &str, budget: &RateBudget) -> StoreResult<Duration>;
}

/// Milliseconds of a duration, saturating.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Default)]
struct MemoryState {
    values: HashMap<String, (Secret, i64)>,
    locks: HashMap<String, (String, i64)>,
    budgets: HashMap<String, i64>,
}

/// A [`SharedStore`] in this process's memory: shared by the clients of one
/// process only. The fallback when a real store fails.
pub struct MemoryStore {
    state: Mutex<MemoryState>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryStore")
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// An empty store whose expiry and budgets follow `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Mutex::new(MemoryState::default()),
            clock,
        }
    }

    fn state(&self) -> MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl SharedStore for MemoryStore {
    fn describe(&self) -> String {
        "memory".to_owned()
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Secret>> {
        let now = self.clock.now_millis();
        Ok(self
            .state()
            .values
            .get(key)
            .filter(|(_, until)| now < *until)
            .map(|(v, _)| v.clone()))
    }

    async fn put(&self, key: &str, value: &Secret, ttl: Duration) -> StoreResult<()> {
        let until = self.clock.now_millis().saturating_add(millis(ttl));
        self.state()
            .values
            .insert(key.to_owned(), (value.clone(), until));
        Ok(())
    }

    async fn expire_if(&self, key: &str, expected: &Secret) -> StoreResult<bool> {
        let mut s = self.state();
        let same = s
            .values
            .get(key)
            .is_some_and(|(v, _)| v.matches(expected.expose()));
        if same {
            s.values.remove(key);
        }
        Ok(same)
    }

    async fn try_lock(&self, key: &str, owner: &str, ttl: Duration) -> StoreResult<bool> {
        let now = self.clock.now_millis();
        let mut s = self.state();
        if s.locks.get(key).is_some_and(|(_, until)| now < *until) {
            return Ok(false);
        }
        s.locks.insert(
            key.to_owned(),
            (owner.to_owned(), now.saturating_add(millis(ttl))),
        );
        Ok(true)
    }

    async fn unlock(&self, key: &str, owner: &str) -> StoreResult<bool> {
        let mut s = self.state();
        let mine = s.locks.get(key).is_some_and(|(o, _)| o == owner);
        if mine {
            s.locks.remove(key);
        }
        Ok(mine)
    }

    async fn reserve(&self, key: &str, budget: &RateBudget) -> StoreResult<Duration> {
        let now = self.clock.now_millis();
        let mut s = self.state();
        let tat = s.budgets.get(key).copied();
        let (wait, tat) = gcra_reserve(tat, now, budget.interval_ms(), budget.tolerance_ms());
        s.budgets.insert(key.to_owned(), tat);
        Ok(Duration::from_millis(wait.max(0) as u64))
    }
}

/// Told once when a [`Fallback`] gives up on its store.
pub type FallbackNotice = Arc<dyn Fn(&StoreError) + Send + Sync>;

/// A store that never fails: it uses `primary` until the first failure, then
/// a process-local [`MemoryStore`] for the rest of its life, and tells
/// `notice` once.
///
/// A command must not break because Redis is down or the cache directory is
/// unwritable; what a single process can guarantee (one token fetch at a
/// time, its own calls under the rate limit) it still does.
pub struct Fallback {
    primary: Arc<dyn SharedStore>,
    local: MemoryStore,
    failed: AtomicBool,
    notice: FallbackNotice,
}

impl fmt::Debug for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fallback")
            .field("primary", &self.primary)
            .field("failed", &self.failed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Fallback {
    /// Uses `primary`, falling back to memory on its first failure.
    pub fn new(primary: Arc<dyn SharedStore>, notice: FallbackNotice) -> Self {
        Self {
            primary,
            local: MemoryStore::new(),
            failed: AtomicBool::new(false),
            notice,
        }
    }

    /// Already in memory mode, because `why` (the store could not be opened).
    pub fn failed_from_start(why: StoreError, notice: FallbackNotice) -> Self {
        let me = Self::new(Arc::new(Unopened(why.clone())), notice);
        me.give_up(&why);
        me
    }

    /// Whether it has fallen back to process-local state.
    pub fn has_fallen_back(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    fn give_up(&self, why: &StoreError) {
        if !self.failed.swap(true, Ordering::SeqCst) {
            (self.notice)(why);
        }
    }

    fn store(&self) -> Option<&dyn SharedStore> {
        (!self.has_fallen_back()).then_some(&*self.primary)
    }
}

/// A store that could not be opened: every call fails as opening did.
#[derive(Debug)]
struct Unopened(StoreError);

#[async_trait]
impl SharedStore for Unopened {
    fn describe(&self) -> String {
        self.0.store.clone()
    }
    async fn get(&self, _: &str) -> StoreResult<Option<Secret>> {
        Err(self.0.clone())
    }
    async fn put(&self, _: &str, _: &Secret, _: Duration) -> StoreResult<()> {
        Err(self.0.clone())
    }
    async fn expire_if(&self, _: &str, _: &Secret) -> StoreResult<bool> {
        Err(self.0.clone())
    }
    async fn try_lock(&self, _: &str, _: &str, _: Duration) -> StoreResult<bool> {
        Err(self.0.clone())
    }
    async fn unlock(&self, _: &str, _: &str) -> StoreResult<bool> {
        Err(self.0.clone())
    }
    async fn reserve(&self, _: &str, _: &RateBudget) -> StoreResult<Duration> {
        Err(self.0.clone())
    }
}

/// Runs `$call` on the primary store; on failure (or after one), on the
/// local one.
macro_rules! with_fallback {
    ($self:ident, |$s:ident| $call:expr) => {{
        if let Some($s) = $self.store() {
            match $call.await {
                Ok(v) => return Ok(v),
                Err(e) => $self.give_up(&e),
            }
        }
        let $s: &dyn SharedStore = &$self.local;
        $call.await
    }};
}

#[async_trait]
impl SharedStore for Fallback {
    fn describe(&self) -> String {
        if self.has_fallen_back() {
            format!("memory (fallen back from {})", self.primary.describe())
        } else {
            self.primary.describe()
        }
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Secret>> {
        with_fallback!(self, |s| s.get(key))
    }

    async fn put(&self, key: &str, value: &Secret, ttl: Duration) -> StoreResult<()> {
        with_fallback!(self, |s| s.put(key, value, ttl))
    }

    async fn expire_if(&self, key: &str, expected: &Secret) -> StoreResult<bool> {
        with_fallback!(self, |s| s.expire_if(key, expected))
    }

    async fn try_lock(&self, key: &str, owner: &str, ttl: Duration) -> StoreResult<bool> {
        with_fallback!(self, |s| s.try_lock(key, owner, ttl))
    }

    async fn unlock(&self, key: &str, owner: &str) -> StoreResult<bool> {
        with_fallback!(self, |s| s.unlock(key, owner))
    }

    async fn reserve(&self, key: &str, budget: &RateBudget) -> StoreResult<Duration> {
        with_fallback!(self, |s| s.reserve(key, budget))
    }
}

/// A lock owner id unique to this process and call: the process id, a
/// counter, and the time, so a lease is released only by who took it.
pub fn lock_owner(clock: &dyn Clock) -> String {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        clock.now_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::FixedClock;

    fn block<F: std::future::Future>(f: F) -> F::Output {
        futures_executor::block_on(f)
    }

    #[test]
    fn the_interval_keeps_every_window_under_the_limit() {
        let b = RateBudget::new(20, Duration::from_secs(61), 4);
        assert_eq!(b.interval(), Duration::from_secs(61) / 17);
        // Simulate 200 back-to-back callers; check every window of `per`.
        let mut tat = None;
        let mut starts = Vec::new();
        let mut now = 0i64;
        for _ in 0..200 {
            let (wait, t) = gcra_reserve(tat, now, b.interval_ms(), b.tolerance_ms());
            tat = Some(t);
            now += wait;
            starts.push(now);
        }
        let per = millis(b.per);
        for (i, s) in starts.iter().enumerate() {
            let in_window = starts[i..].iter().filter(|u| **u < s + per).count();
            assert!(
                in_window <= 20,
                "{in_window} calls in a window from call {i}"
            );
        }
        // The first `burst` pass at once.
        assert_eq!(&starts[..4], &[0, 0, 0, 0]);
        assert!(starts[4] > 0);
    }

    #[test]
    fn a_time_beyond_the_horizon_is_not_believed() {
        let b = RateBudget::new(20, Duration::from_secs(61), 4);
        let (i, t) = (b.interval_ms(), b.tolerance_ms());
        for hostile in [i64::MAX, 1_000 + 3 * 3_600_000] {
            let (wait, tat) = gcra_reserve(Some(hostile), 1_000, i, t);
            assert_eq!(wait, 0, "{hostile}");
            assert_eq!(tat, 1_000 + i);
        }
        // A long but believable queue still waits.
        let (wait, _) = gcra_reserve(Some(1_000 + 600_000), 1_000, i, t);
        assert_eq!(wait, 600_000 - t);
        // Far in the past: as if unset.
        assert_eq!(gcra_reserve(Some(i64::MIN), 1_000, i, t), (0, 1_000 + i));
    }

    #[test]
    fn a_full_burst_equals_the_limit_only_when_spacing_allows() {
        let b = RateBudget::new(20, Duration::from_secs(60), 1);
        assert_eq!(b.interval(), Duration::from_secs(3));
        assert_eq!(b.tolerance(), Duration::ZERO);
        let clamped = RateBudget::new(0, Duration::from_secs(1), 9);
        assert_eq!((clamped.limit, clamped.burst), (1, 1));
    }

    #[test]
    fn memory_store_compares_before_it_expires_and_locks_have_owners() {
        let clock = Arc::new(FixedClock::at_millis(1_000));
        let s = MemoryStore::with_clock(clock.clone());
        block(async {
            let old = Secret::new("old");
            let new = Secret::new("new");
            s.put("k", &new, Duration::from_secs(10)).await.unwrap();
            assert!(!s.expire_if("k", &old).await.unwrap());
            assert!(s.get("k").await.unwrap().is_some());
            assert!(s.expire_if("k", &new).await.unwrap());
            assert!(s.get("k").await.unwrap().is_none());

            s.put("t", &old, Duration::from_secs(1)).await.unwrap();
            clock.advance(chrono::Duration::seconds(1));
            assert!(s.get("t").await.unwrap().is_none(), "expired");

            assert!(s.try_lock("l", "a", Duration::from_secs(5)).await.unwrap());
            assert!(!s.try_lock("l", "b", Duration::from_secs(5)).await.unwrap());
            assert!(!s.unlock("l", "b").await.unwrap());
            clock.advance(chrono::Duration::seconds(5));
            assert!(
                s.try_lock("l", "b", Duration::from_secs(5)).await.unwrap(),
                "a lease runs out"
            );
            assert!(!s.unlock("l", "a").await.unwrap(), "a no longer holds it");
            assert!(s.unlock("l", "b").await.unwrap());
        });
    }

    #[derive(Debug)]
    struct Broken;

    #[async_trait]
    impl SharedStore for Broken {
        fn describe(&self) -> String {
            "broken".into()
        }
        async fn get(&self, _: &str) -> StoreResult<Option<Secret>> {
            Err(StoreError::new("broken", "down"))
        }
        async fn put(&self, _: &str, _: &Secret, _: Duration) -> StoreResult<()> {
            Err(StoreError::new("broken", "down"))
        }
        async fn expire_if(&self, _: &str, _: &Secret) -> StoreResult<bool> {
            Err(StoreError::new("broken", "down"))
        }
        async fn try_lock(&self, _: &str, _: &str, _: Duration) -> StoreResult<bool> {
            Err(StoreError::new("broken", "down"))
        }
        async fn unlock(&self, _: &str, _: &str) -> StoreResult<bool> {
            Err(StoreError::new("broken", "down"))
        }
        async fn reserve(&self, _: &str, _: &RateBudget) -> StoreResult<Duration> {
            Err(StoreError::new("broken", "down"))
        }
    }

    #[test]
    fn fallback_tells_once_and_keeps_working_in_memory() {
        let told = Arc::new(AtomicUsize::new(0));
        let t = told.clone();
        let s = Fallback::new(
            Arc::new(Broken),
            Arc::new(move |_| {
                t.fetch_add(1, Ordering::SeqCst);
            }),
        );
        block(async {
            s.put("k", &Secret::new("v"), Duration::from_secs(60))
                .await
                .unwrap();
            assert!(s.get("k").await.unwrap().is_some_and(|v| v.matches("v")));
            assert!(s.try_lock("l", "me", Duration::from_secs(1)).await.unwrap());
            let b = RateBudget::new(1, Duration::from_secs(60), 1);
            assert_eq!(s.reserve("r", &b).await.unwrap(), Duration::ZERO);
            assert!(s.reserve("r", &b).await.unwrap() > Duration::from_secs(59));
        });
        assert_eq!(told.load(Ordering::SeqCst), 1);
        assert!(s.has_fallen_back());
        assert!(s.describe().contains("fallen back from broken"));
    }
}
