//! A write whose answer was lost: the one policy for settling it.
//!
//! The transport never repeats a write that is not idempotent (a second
//! `add` could create a second agent). When such a write fails in a way
//! that leaves its outcome open ([`is_ambiguous_write_failure`]: a timeout,
//! a connection cut after sending, a 5xx, an answer that could not be read),
//! the vendor crate looks for the write's effect and hands what it found to
//! [`settle`]. The policy, the same for every vendor and every write:
//!
//! | the failure / what the lookup found | result |
//! |---|---|
//! | the request certainly did not take effect (refused, never sent) | the failure, as is |
//! | the vendor has no way to look the effect up | [`Error::OutcomeUnknown`] |
//! | the effect, as asked ([`Effect::Seen`]) | success, with what was found |
//! | something in its place that differs ([`Effect::Conflicting`]) | [`Error::OutcomeUnknown`]: it may predate the call |
//! | no effect ([`Effect::NotSeen`]) | the failure, as is: the write did not happen, so repeating it is safe |
//! | the lookup failed too | [`Error::OutcomeUnknown`] |
//!
//! "No effect" trusts the vendor's own listing. Every write settled this
//! way is guarded by a natural key the vendor refuses to duplicate (an
//! agent's login, a tenant's `customerCode`), so if the listing were ever
//! behind, a repeat would be refused as "already exists", never carried out
//! twice. The failure returned keeps its kind, so a caller's retry logic
//! (e.g. a 502 is retryable) is unchanged by settling.

use std::future::Future;

use kefu_core::{Error, Operation, Result, Vendor};

use crate::transport::is_ambiguous_write_failure;

/// What looking up a write's effect found.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect<T> {
    /// The write's effect is there as asked (the record created as sent,
    /// the record deleted gone); `T` is what the write's answer would have
    /// given.
    Seen(T),
    /// Something is there that the write would not have left (a record
    /// with the same key but other fields): it proves nothing either way.
    /// The text says what differs.
    Conflicting(String),
    /// The write's effect is not there.
    NotSeen,
}

/// Settles `failure`, the error of `operation` (a write) at `vendor`, by
/// the policy above. `lookup` looks for the write's effect; `None` when
/// the vendor offers no way to (then an open outcome is
/// [`Error::OutcomeUnknown`]). `lookup` runs only when the outcome is open.
pub async fn settle<T, F, Fut>(
    vendor: Vendor,
    operation: Operation,
    failure: Error,
    lookup: Option<F>,
) -> Result<T>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Effect<T>>>,
{
    if !is_ambiguous_write_failure(&failure) {
        return Err(failure);
    }
    let unknown = |message: String| Error::OutcomeUnknown {
        vendor,
        operation,
        message,
    };
    let Some(lookup) = lookup else {
        return Err(unknown(format!(
            "{failure}; {vendor} offers no way to look the result up, so check before repeating"
        )));
    };
    tracing::debug!(%operation, error = %failure, "write outcome open; looking its effect up");
    match lookup().await {
        Ok(Effect::Seen(found)) => {
            tracing::info!(%operation, "the answer was lost, but the write's effect is there");
            Ok(found)
        }
        Ok(Effect::NotSeen) => Err(failure),
        Ok(Effect::Conflicting(why)) => Err(unknown(format!(
            "{failure}; {why}, so it is not known whether this call did it"
        ))),
        Err(lookup) => Err(unknown(format!(
            "{failure}; looking the result up afterwards failed too: {lookup}"
        ))),
    }
}

/// The lookup of a write whose effect the vendor offers no way to see.
pub type NoLookup<T> = fn() -> std::future::Ready<Result<Effect<T>>>;

/// No lookup: for [`settle`] (or a vendor's `write`) where the vendor has
/// no way to see the write's effect, so an open outcome stays open.
pub fn no_lookup<T>() -> Option<NoLookup<T>> {
    None
}

#[cfg(test)]
mod tests {
    use kefu_core::{ErrorKind, VendorError};

    use super::*;

    const V: Vendor = Vendor::Easemob;
    const OP: Operation = Operation::AddAgent;

    fn lost() -> Error {
        Error::Timeout {
            vendor: V,
            message: "the answer".into(),
        }
    }

    fn refused() -> Error {
        Error::Vendor(VendorError::new(V, "API_001", "bad").with_http_status(400))
    }

    fn run(failure: Error, found: Option<Result<Effect<u8>>>) -> (Result<u8>, bool) {
        let mut looked = false;
        let looked_ref = &mut looked;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let result = runtime.block_on(async {
            match found {
                Some(found) => {
                    settle(
                        V,
                        OP,
                        failure,
                        Some(|| {
                            *looked_ref = true;
                            std::future::ready(found)
                        }),
                    )
                    .await
                }
                None => settle(V, OP, failure, no_lookup()).await,
            }
        });
        (result, looked)
    }

    #[test]
    fn a_failure_that_left_nothing_open_is_returned_without_a_lookup() {
        let (r, looked) = run(refused(), Some(Ok(Effect::Seen(1))));
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Vendor);
        assert!(!looked);
    }

    #[test]
    fn the_effect_seen_is_success() {
        let (r, looked) = run(lost(), Some(Ok(Effect::Seen(7))));
        assert_eq!(r.ok(), Some(7));
        assert!(looked);
    }

    #[test]
    fn no_effect_returns_the_original_failure() {
        let (r, _) = run(lost(), Some(Ok(Effect::NotSeen)));
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Timeout);
    }

    #[test]
    fn a_conflict_a_failed_lookup_or_no_lookup_is_outcome_unknown() {
        let (r, _) = run(lost(), Some(Ok(Effect::Conflicting("it differs".into()))));
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
        assert!(e.to_string().contains("it differs"), "{e}");
        let (r, _) = run(lost(), Some(Err(refused())));
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown);
        assert!(e.to_string().contains("failed too"), "{e}");
        let (r, _) = run(lost(), None);
        assert_eq!(r.unwrap_err().kind(), ErrorKind::OutcomeUnknown);
    }
}
