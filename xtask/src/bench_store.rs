//! The shared-store section of `docs/benchmarks.md` (issue 13): what one
//! token read, one GCRA reservation and one lock cost in each store, from
//! the `shared-store` bench binary.

use super::Json;
use crate::json::At;

/// The section's lines.
pub(crate) fn markdown(report: Option<&Json>) -> Vec<String> {
    let mut out = vec!["## Shared store".to_owned(), String::new()];
    let Some(report) = report else {
        out.push("(not measured)".to_owned());
        return out;
    };
    let num = |v: Option<&Json>| v.and_then(Json::as_f64);
    out.push(format!(
        "`shared-store`: each operation {} times in a row on one store instance (median, p99 \
         in µs), then {} instances (as that many processes hold) reserving from one budget at \
         once. The multi-process figures (one token fetch for 8 processes, no refusal from 5 \
         sharing the chat budget) are checked by the tests; see `docs/shared-state.md`.",
        num(report.at(&["ops"])).unwrap_or(0.0),
        num(report.at(&["instances"])).unwrap_or(0.0),
    ));
    out.push(String::new());
    out.push(
        "| store | token read | GCRA reservation | lock + unlock | reservations/s, contended |"
            .to_owned(),
    );
    out.push("|---|---|---|---|---|".to_owned());
    if let Some(Json::Array(stores)) = report.at(&["stores"]) {
        for s in stores {
            let name = s.at(&["store"]).and_then(Json::as_str).unwrap_or("?");
            if let Some(why) = s.at(&["skipped"]).and_then(Json::as_str) {
                out.push(format!("| {name} | skipped: {why} | | | |"));
                continue;
            }
            let us = |k: &str| match (num(s.at(&[k, "median"])), num(s.at(&[k, "p99"]))) {
                (Some(m), Some(p)) => format!("{m:.1} ({p:.0})"),
                _ => "–".to_owned(),
            };
            let rate = num(s.at(&["contended_reserves_per_s"]))
                .map_or("–".to_owned(), |r| format!("{r:.0}"));
            out.push(format!(
                "| {name} | {} | {} | {} | {rate} |",
                us("get_us"),
                us("reserve_us"),
                us("lock_unlock_us")
            ));
        }
    }
    out
}

/// Verdict: a reservation in the file and Redis stores costs under a
/// millisecond (median), far below the 3.6 s between chat-list calls.
pub(crate) fn verdict(report: Option<&Json>) -> Option<(String, String, bool)> {
    let Json::Array(stores) = report?.at(&["stores"])? else {
        return None;
    };
    let mut worst = 0.0f64;
    let mut parts = Vec::new();
    for s in stores {
        let name = s.at(&["store"]).and_then(Json::as_str).unwrap_or("?");
        if name == "memory" {
            continue;
        }
        if let Some(m) = s.at(&["reserve_us", "median"]).and_then(Json::as_f64) {
            worst = worst.max(m);
            parts.push(format!("{name} {m:.0} µs"));
        }
    }
    Some((
        "shared store: a GCRA reservation < 1 ms (median)".to_owned(),
        parts.join(", "),
        !parts.is_empty() && worst < 1000.0,
    ))
}
