use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A fault the sandbox injects into the next request(s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// Answer with this HTTP status and a short text body, without serving.
    Status {
        /// The status.
        status: u16,
    },
    /// Close the connection without serving (the request never took effect).
    DropBefore,
    /// Serve the request (state changes!), then break the connection before
    /// the body arrives: the client cannot know the outcome.
    DropAfter,
    /// Serve, then send only the first half of the body.
    Truncate,
    /// Answer 200 with an HTML error page, without serving.
    Html,
    /// Answer 429 with `Retry-After`, without serving.
    RateLimit {
        /// Seconds in `Retry-After`.
        retry_after_secs: u64,
    },
    /// Refuse without serving, in the vendor's own error shape (a plain
    /// text body when `json` is false), with a message that echoes
    /// everything the request carried: query, headers and body, credentials
    /// included, as careless vendors do.
    Echo {
        /// The HTTP status of the refusal.
        status: u16,
        /// Whether the refusal is the vendor's JSON (else plain text).
        json: bool,
    },
    /// Answer with the last successful body served on the same path (the
    /// same page again), without serving.
    Replay,
    /// Serve, then list every item of the answer's `items` arrays twice.
    DuplicateItems,
}

impl Fault {
    /// Short name for logs and tables.
    pub fn name(&self) -> String {
        match self {
            Fault::Status { status } => format!("http-{status}"),
            Fault::DropBefore => "drop-before".into(),
            Fault::DropAfter => "drop-after".into(),
            Fault::Truncate => "truncate".into(),
            Fault::Html => "html-200".into(),
            Fault::RateLimit { .. } => "rate-limit".into(),
            Fault::Echo { status, .. } => format!("echo-{status}"),
            Fault::Replay => "replay".into(),
            Fault::DuplicateItems => "duplicate-items".into(),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    latency: Duration,
    next: VecDeque<Fault>,
}

/// Fault injection for one sandbox, shared with its server.
#[derive(Debug, Clone, Default)]
pub struct Chaos(Arc<Mutex<State>>);

impl Chaos {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds latency to every request from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// Injects `fault` into each of the next `count` requests (after any
    /// faults already queued).
    pub fn inject(&self, fault: Fault, count: usize) {
        let mut s = self.state();
        for _ in 0..count {
            s.next.push_back(fault.clone());
        }
    }

    /// Removes all faults and latency.
    pub fn clear(&self) {
        *self.state() = State::default();
    }

    /// Faults still queued.
    pub fn pending(&self) -> usize {
        self.state().next.len()
    }

    pub(crate) fn latency(&self) -> Duration {
        self.state().latency
    }

    pub(crate) fn take(&self) -> Option<Fault> {
        self.state().next.pop_front()
    }
}
