//! Benchmarks of kefu, run by `cargo xtask bench`, which writes
//! `docs/benchmarks.md`.
//!
//! Each figure is a ratio measured in one run against a baseline that does
//! the same work without kefu:
//!
//! - `overhead`: a paged agent search and a session page through
//!   [`kefu::easemob::EasemobClient`] versus the same requests sent by a raw
//!   reqwest + serde_json loop ([`raw::RawEasemob`]) to the same in-process
//!   sandbox, rounds interleaved.
//! - `raw-export`: the sequential baseline of `kefu sessions export`: one
//!   page after another, each item written as one JSON line.
//! - `peak-rss -- CMD ARGS...`: wall time and peak resident memory of a
//!   command (wait4's `ru_maxrss`).
//! - `sandbox-load`: the sandbox's own throughput for one session page,
//!   hammered by concurrent raw clients, to show it is not the bottleneck.
//! - `pacing`: Sobot chatIndexPage under tokio's paused clock: calls a
//!   minute sustained under the vendor's 20-a-minute limit, and refusals.
//! - `shared-store`: the cost of one token read, one GCRA reservation and
//!   one lock in the memory, file and Redis stores, and reservations a
//!   second from several store instances at once.
//! - `export-check --file FILE --id FIELD`: every line is a JSON object with
//!   an id, and no id repeats.
//!
//! Profiling aids, no I/O beyond the sandbox: `decode-cost` (CPU a page of
//! each step from bytes to written line, kefu's way and the raw way) and
//! `transport-cost` (kefu's transport versus a bare reqwest GET).
//!
//! Every binary prints one JSON object on stdout, for the xtask to collect.

pub mod args;
pub mod cpu;
pub mod entry;
pub mod raw;
pub mod rss;
pub mod stats;

/// Errors of the bench tools: printed and turned into a failing exit code.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The result type of the bench tools.
pub type Result<T, E = BoxError> = std::result::Result<T, E>;
