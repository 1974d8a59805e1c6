//! The call rates Sobot's operations must keep, declared once.
//!
//! Only chatIndexPage states one: "目前的上限是每分钟调用 20 次" (status 4
//! beyond it). The limit is the platform account's, so every process
//! speaking for one unionCode shares one budget: with a shared store the
//! pacer reserves from it (GCRA), keyed by host, unionCode and operation.

use std::sync::Arc;
use std::time::Duration;

use kefu_core::Operation;
use kefu_core::shared::{RateBudget, SharedStore};
use kefu_http::Pacer;

/// Calls of a chatIndexPage burst that may start back to back. A burst
/// costs sustained rate (see [`RateBudget`]): with 4, 17 calls per 61 s
/// once the burst is spent, and a handful of workers starting together
/// are not held up.
pub const DEFAULT_CHAT_BURST: u32 = 4;

/// chatIndexPage: [`DEFAULT_CHAT_PACE`](crate::DEFAULT_CHAT_PACE), 20 calls
/// per 61 s (one second of slack under the document's minute), bursts of
/// [`DEFAULT_CHAT_BURST`].
pub const CHAT_BUDGET: RateBudget = RateBudget::new(
    crate::DEFAULT_CHAT_PACE.0,
    crate::DEFAULT_CHAT_PACE.1,
    DEFAULT_CHAT_BURST,
);

/// How many times a chatIndexPage call refused for the rate (status 4) is
/// tried again, each after waiting its turn in the budget once more.
pub const REFUSALS_RETRIED: u32 = 3;

/// Every paced operation and its budget. Nothing else is paced.
pub const PACING: &[(Operation, RateBudget)] = &[(Operation::ListChats, CHAT_BUDGET)];

/// The declared budget of `op`, if it has one.
pub fn budget_of(op: Operation) -> Option<RateBudget> {
    PACING.iter().find(|(o, _)| *o == op).map(|(_, b)| *b)
}

/// The pacer of `op` under `budget`: shared through `store` by every process
/// of the account (`base_url`, `union_code`), or this client's own.
pub(crate) fn pacer(
    op: Operation,
    budget: RateBudget,
    store: Option<&Arc<dyn SharedStore>>,
    base_url: &str,
    union_code: &str,
) -> Pacer {
    match store {
        Some(store) => Pacer::shared(
            store.clone(),
            format!("rate|sobot|{base_url}|{union_code}|{op}"),
            budget,
        ),
        None => Pacer::new(budget.limit, budget.per),
    }
}

/// `CALLS/WINDOW`, the window in `ms`, `s` or `m`: `20/61s`, `20/3000ms`.
pub(crate) fn parse_pace(text: &str) -> Result<(u32, Duration), String> {
    let bad = || format!("{text:?} is not a pace like 20/61s (calls per ms, s or m)");
    let (calls, window) = text.trim().split_once('/').ok_or_else(bad)?;
    let calls: u32 = calls
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    let window = window.trim();
    let (number, scale) = if let Some(n) = window.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = window.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = window.strip_suffix('m') {
        (n, 60_000)
    } else {
        return Err(bad());
    };
    let millis: u64 = number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    Ok((calls, Duration::from_millis(millis)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_chat_list_is_paced() {
        assert_eq!(budget_of(Operation::ListChats), Some(CHAT_BUDGET));
        assert_eq!(budget_of(Operation::ListTenants), None);
        assert_eq!(CHAT_BUDGET.limit, 20);
    }

    #[test]
    fn paces_parse() {
        assert_eq!(parse_pace("20/61s"), Ok((20, Duration::from_secs(61))));
        assert_eq!(
            parse_pace(" 5 / 2500ms "),
            Ok((5, Duration::from_millis(2500)))
        );
        assert_eq!(parse_pace("20/1m"), Ok((20, Duration::from_secs(60))));
        for bad in [
            "",
            "20",
            "0/1s",
            "20/0s",
            "20/1h",
            "x/1s",
            "20/99999999999999999m",
        ] {
            assert!(parse_pace(bad).is_err(), "{bad}");
        }
    }
}
