//! Exit 3: each command a vendor does not offer is refused before anything
//! is sent, with a hint naming the vendor that offers it; with credentials
//! (against a tripwire), without them, and with --sandbox.

mod common;

use common::{Home, Tripwire, run, run_with, sandboxed};

const EASEMOB_LACKS: &[&[&str]] = &[
    &["tenants", "list"],
    &[
        "tenants",
        "add",
        "--customer-code",
        "C1",
        "--name",
        "Shop",
        "--email",
        "a@shop.example.com",
        "--password",
        "Secret-Pass-123",
        "--max-agents",
        "2",
    ],
    &[
        "tenants",
        "update",
        "--customer-code",
        "C1",
        "--name",
        "Shop",
        "--email",
        "a@shop.example.com",
        "--max-agents",
        "2",
    ],
    &["tenants", "app-keys"],
    &["chats", "list", "--partner-id", "partner-001"],
    &[
        "reports",
        "export",
        "--kind",
        "sessions",
        "--date",
        "2024-05-01",
    ],
    &[
        "reports",
        "agent-status",
        "--from",
        "2024-05-01",
        "--to",
        "2024-05-02",
    ],
];

const SOBOT_LACKS: &[&[&str]] = &[
    &["agents", "list"],
    &["agents", "enable", "--email", "a@shop.example.com"],
    &["agents", "disable", "--email", "a@shop.example.com"],
    &[
        "agents",
        "set-password",
        "--email",
        "a@shop.example.com",
        "--password",
        "Secret-Pass-123",
    ],
    &[
        "sessions",
        "export",
        "--from",
        "2024-05-01",
        "--to",
        "2024-05-31",
    ],
];

fn cases() -> Vec<(&'static str, &'static str, &'static [&'static str])> {
    let mut all = Vec::new();
    for args in EASEMOB_LACKS {
        all.push(("easemob", "sobot", *args));
    }
    for args in SOBOT_LACKS {
        all.push(("sobot", "easemob", *args));
    }
    all
}

fn check(stderr: &str, vendor: &str, other: &str) {
    assert!(
        stderr.starts_with(&format!("kefu: {vendor} does not support ")),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: ") && stderr.contains(&format!("--vendor {other}")),
        "{stderr}"
    );
}

#[test]
fn with_credentials_nothing_is_sent() {
    let home = Home::new();
    for (vendor, other, args) in cases() {
        let wire = Tripwire::new();
        let ran = run_with(&home, &wire.env(vendor), args);
        ran.assert_error(3);
        check(&ran.stderr, vendor, other);
        assert!(!wire.touched(), "{vendor} {args:?} opened a connection");
    }
}

#[test]
fn without_credentials_it_is_still_unsupported() {
    let home = Home::new();
    for (vendor, other, args) in cases() {
        let mut all = vec!["--vendor", vendor];
        all.extend_from_slice(args);
        let ran = run(&home, &[], &all);
        ran.assert_error(3);
        check(&ran.stderr, vendor, other);
    }
}

#[test]
fn in_the_sandbox() {
    let home = Home::new();
    for (vendor, other, args) in cases() {
        let ran = sandboxed(&home, vendor, args);
        ran.assert_error(3);
        check(&ran.stderr, vendor, other);
    }
}

#[test]
fn a_usage_error_is_reported_before_support() {
    let home = Home::new();
    let ran = run(
        &home,
        &[],
        &["--vendor", "easemob", "-o", "xml", "tenants", "list"],
    );
    ran.assert_error(2);
}
