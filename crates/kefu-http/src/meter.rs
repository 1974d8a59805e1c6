//! How many HTTP requests this process has sent (every attempt counts), so
//! that a caller can stop after a budget (`kefu sync run --max-requests`).
//! One process-wide counter: the budget is the process's, whatever client
//! or vendor sent the requests.

use std::sync::atomic::{AtomicU64, Ordering};

static SENT: AtomicU64 = AtomicU64::new(0);

/// Requests sent by this process so far.
pub fn requests_sent() -> u64 {
    SENT.load(Ordering::Relaxed)
}

/// Counts one request about to be sent.
pub(crate) fn count() {
    SENT.fetch_add(1, Ordering::Relaxed);
}
