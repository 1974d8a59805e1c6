//! Every Sobot operation against the Sobot sandbox on loopback: one test
//! binary (one link) with a module per concern.

// As clippy.toml allows in test functions: helpers here unwrap too, since a
// panic in a test is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chats;
mod common;
mod examples;
mod faults;
mod input;
mod pacing;
mod reports;
mod robustness;
mod secrets;
mod snapshots;
mod staff;
mod staff_log;
mod tenants;
