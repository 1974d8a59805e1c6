//! A behavior suite written once against the core traits.
//!
//! Each check is a public async function over trait objects: it runs the
//! operation, compares what came back with what the caller knows to be true
//! (usually a fault-free run, or the sandbox's own state), and returns a
//! [`Check`] saying what happened — never panicking on a vendor's answer.
//! A runner (see `crates/kefu/tests/reliability.rs`) calls them for every
//! vendor that has the capability, under every fault the sandboxes can
//! inject, and tabulates the findings in `docs/reliability.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::{FutureExt, StreamExt};
use kefu_core::{Error, ErrorKind, RecordStream, Result};

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The operation succeeded and the result was complete and correct.
    Ok,
    /// The operation failed with a typed, readable error (kind and message).
    TypedError(ErrorKind, String),
    /// The operation panicked.
    Panicked(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::TypedError(kind, _) => write!(f, "typed error ({kind:?})"),
            Outcome::Panicked(_) => f.write_str("PANIC"),
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// How it ended.
    pub outcome: Outcome,
    /// Records expected but missing (reads), or writes lost.
    pub lost: usize,
    /// Records returned more than once (reads), or writes done twice.
    pub duplicates: usize,
    /// Records returned (reads).
    pub records: usize,
}

impl Check {
    /// Whether nothing was lost or duplicated and nothing panicked.
    pub fn is_sound(&self) -> bool {
        !matches!(self.outcome, Outcome::Panicked(_)) && self.lost == 0 && self.duplicates == 0
    }

    /// Whether the operation succeeded.
    pub fn succeeded(&self) -> bool {
        self.outcome == Outcome::Ok
    }
}

/// Runs `fut`, turning a panic into [`Outcome::Panicked`].
pub async fn guarded<T>(
    fut: impl Future<Output = Result<T>>,
) -> std::result::Result<Result<T>, String> {
    AssertUnwindSafe(fut).catch_unwind().await.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic".to_owned())
    })
}

fn typed(e: &Error) -> Outcome {
    Outcome::TypedError(e.kind(), e.to_string())
}

/// Collects a stream produced by `open` and compares the ids (by `key`) with
/// `expected`: every expected id must appear exactly once. Ids not expected
/// (records that arrived while the stream ran) are allowed, once each.
pub async fn read_exactly_once<T, K: Ord + Clone>(
    open: impl FnOnce() -> Result<RecordStream<T>>,
    key: impl Fn(&T) -> K,
    expected: &BTreeSet<K>,
) -> Check {
    let collected = guarded(async {
        let mut stream = open()?;
        let mut seen: BTreeMap<K, usize> = BTreeMap::new();
        let mut n = 0usize;
        while let Some(item) = stream.next().await {
            let item = item?;
            n += 1;
            *seen.entry(key(&item)).or_default() += 1;
        }
        Ok((seen, n))
    })
    .await;
    match collected {
        Err(p) => Check {
            outcome: Outcome::Panicked(p),
            lost: 0,
            duplicates: 0,
            records: 0,
        },
        Ok(Err(e)) => Check {
            outcome: typed(&e),
            lost: 0,
            duplicates: 0,
            records: 0,
        },
        Ok(Ok((seen, n))) => {
            let lost = expected.iter().filter(|k| !seen.contains_key(*k)).count();
            let duplicates = seen.values().map(|c| c - 1).sum();
            Check {
                outcome: Outcome::Ok,
                lost,
                duplicates,
                records: n,
            }
        }
    }
}

/// Runs a one-shot read and compares it (by `key`) with `expected`.
pub async fn read_once<T, K: Ord + Clone>(
    fut: impl Future<Output = Result<Vec<T>>>,
    key: impl Fn(&T) -> K,
    expected: &BTreeSet<K>,
) -> Check {
    match guarded(fut).await {
        Err(p) => Check {
            outcome: Outcome::Panicked(p),
            lost: 0,
            duplicates: 0,
            records: 0,
        },
        Ok(Err(e)) => Check {
            outcome: typed(&e),
            lost: 0,
            duplicates: 0,
            records: 0,
        },
        Ok(Ok(items)) => {
            let mut seen: BTreeMap<K, usize> = BTreeMap::new();
            for item in &items {
                *seen.entry(key(item)).or_default() += 1;
            }
            Check {
                outcome: Outcome::Ok,
                lost: expected.iter().filter(|k| !seen.contains_key(*k)).count(),
                duplicates: seen.values().map(|c| c - 1).sum(),
                records: items.len(),
            }
        }
    }
}

/// Runs a write, then asks `count_after` how many copies of the written thing
/// exist: exactly one if the write reported success; zero or one if it
/// reported an error (an `OutcomeUnknown` may have happened, but never twice).
pub async fn write_at_most_once<T>(
    fut: impl Future<Output = Result<T>>,
    count_after: impl FnOnce() -> usize,
) -> Check {
    let result = guarded(fut).await;
    let copies = count_after();
    match result {
        Err(p) => Check {
            outcome: Outcome::Panicked(p),
            lost: 0,
            duplicates: copies.saturating_sub(1),
            records: copies,
        },
        Ok(Ok(_)) => Check {
            outcome: Outcome::Ok,
            lost: usize::from(copies == 0),
            duplicates: copies.saturating_sub(1),
            records: copies,
        },
        Ok(Err(e)) => Check {
            outcome: typed(&e),
            lost: 0,
            duplicates: copies.saturating_sub(1),
            records: copies,
        },
    }
}

/// An operation this vendor does not offer must fail with `Unsupported`
/// and send nothing (`requests_sent` is read after the call).
pub async fn refused_without_io<T>(
    fut: impl Future<Output = Result<T>>,
    requests_sent: impl FnOnce() -> usize,
) -> Check {
    let outcome = match guarded(fut).await {
        Err(p) => Outcome::Panicked(p),
        Ok(Ok(_)) => Outcome::TypedError(
            ErrorKind::Vendor,
            "an unsupported operation succeeded".to_owned(),
        ),
        Ok(Err(e)) if e.kind() == ErrorKind::Unsupported => Outcome::Ok,
        Ok(Err(e)) => typed(&e),
    };
    let sent = requests_sent();
    Check {
        outcome,
        lost: 0,
        duplicates: sent,
        records: 0,
    }
}

#[cfg(test)]
mod tests {
    use futures_util::stream;

    use super::*;

    fn set(ids: &[u32]) -> BTreeSet<u32> {
        ids.iter().copied().collect()
    }

    #[tokio::test]
    async fn exactly_once_counts_losses_and_duplicates() {
        let open = || Ok(stream::iter([Ok(1u32), Ok(2), Ok(2), Ok(9)]).boxed());
        let c = read_exactly_once(open, |x| *x, &set(&[1, 2, 3])).await;
        assert_eq!((c.lost, c.duplicates, c.records), (1, 1, 4));
        assert!(!c.is_sound());
    }

    #[tokio::test]
    async fn panics_are_caught_and_reported() {
        let c = read_once(async { panic!("boom") }, |x: &u32| *x, &set(&[])).await;
        assert_eq!(c.outcome, Outcome::Panicked("boom".into()));
    }

    #[tokio::test]
    async fn a_write_that_happened_twice_is_a_duplicate() {
        let c = write_at_most_once(async { Ok(()) }, || 2).await;
        assert_eq!(c.duplicates, 1);
        let c = write_at_most_once(async { Err::<(), _>(Error::invalid("x", "y")) }, || 0).await;
        assert!(c.is_sound());
    }
}
