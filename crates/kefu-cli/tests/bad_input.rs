//! Exit 2: every bad-input and usage case of the contract is refused with
//! one line on stderr, a clean stdout, and nothing sent (the vendor's base
//! URL is a tripwire port that records any connection).

mod common;

use common::{Home, Ran, Tripwire, run, run_with};

const ADD_AGENT: &[&str] = &[
    "agents",
    "add",
    "--email",
    "new.agent@shop.example.com",
    "--nickname",
    "New",
    "--name",
    "New Agent",
    "--password",
    "Secret-Pass-123",
    "--role",
    "agent",
    "--max-sessions",
    "5",
];

/// Runs `args` against `vendor`'s tripwire; must be exit 2 with nothing sent.
fn refused(vendor: &str, args: &[&str]) -> Ran {
    let home = Home::new();
    let wire = Tripwire::new();
    let ran = run_with(&home, &wire.env(vendor), args);
    ran.assert_error(2);
    assert!(!wire.touched(), "{vendor} {args:?} opened a connection");
    ran
}

#[test]
fn an_unknown_output_format() {
    let ran = refused("easemob", &["-o", "xml", "roles", "list"]);
    assert!(ran.stderr.contains("'xml'"), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("hint: possible values: table, json, jsonl, csv"),
        "{}",
        ran.stderr
    );
}

#[test]
fn missing_required_flags() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "easemob",
            &["sessions", "export", "--from", "2024-05-01"],
            "--to",
        ),
        (
            "easemob",
            &["agents", "add", "--email", "a@b.example.com"],
            "--nickname",
        ),
        (
            "easemob",
            &["agents", "set-password", "--email", "a@b.example.com"],
            "--password",
        ),
        ("easemob", &["agents", "delete"], "--email"),
        (
            "sobot",
            &["tenants", "add", "--name", "Shop"],
            "--customer-code",
        ),
        (
            "sobot",
            &["tenants", "update", "--customer-code", "M001"],
            "--max-agents",
        ),
        ("sobot", &["chats", "list"], "--partner-id"),
        (
            "sobot",
            &["reports", "export", "--date", "2024-05-01"],
            "--kind",
        ),
        (
            "sobot",
            &["reports", "agent-stats", "--from", "2024-05-01"],
            "--to",
        ),
    ];
    for (vendor, args, flag) in cases {
        let ran = refused(vendor, args);
        assert!(
            ran.stderr.lines().next().is_some_and(|l| l.contains(flag)),
            "{args:?}: {}",
            ran.stderr
        );
    }
}

#[test]
fn a_bad_date_or_time_names_its_flag() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "easemob",
            &[
                "sessions",
                "export",
                "--from",
                "May 1",
                "--to",
                "2024-05-31",
            ],
            "`--from`",
        ),
        (
            "easemob",
            &[
                "sessions",
                "export",
                "--from",
                "2024-05-01",
                "--to",
                "2024-05-32",
            ],
            "`--to`",
        ),
        (
            "sobot",
            &["tenants", "list", "--from", "2024-13-01"],
            "`--from`",
        ),
        (
            "sobot",
            &[
                "reports",
                "agent-stats",
                "--from",
                "2024-05-01",
                "--to",
                "tomorrow",
            ],
            "`--to`",
        ),
        (
            "sobot",
            &[
                "reports",
                "export",
                "--kind",
                "sessions",
                "--date",
                "05/01/2024",
            ],
            "`--date`",
        ),
        (
            "sobot",
            &[
                "reports",
                "agent-status",
                "--from",
                "2024-05-01T25:00:00Z",
                "--to",
                "2024-05-02",
            ],
            "`--from`",
        ),
    ];
    for (vendor, args, field) in cases {
        let ran = refused(vendor, args);
        assert!(ran.stderr.contains(field), "{args:?}: {}", ran.stderr);
    }
}

#[test]
fn from_after_to() {
    let cases: &[(&str, &[&str])] = &[
        (
            "easemob",
            &[
                "sessions",
                "export",
                "--from",
                "2024-06-01",
                "--to",
                "2024-05-01",
            ],
        ),
        (
            "easemob",
            &[
                "sessions",
                "export",
                "--from",
                "2024-05-01T12:00:00Z",
                "--to",
                "2024-05-01T11:00:00Z",
            ],
        ),
        (
            "sobot",
            &[
                "tenants",
                "list",
                "--from",
                "2024-06-01",
                "--to",
                "2024-05-01",
            ],
        ),
        (
            "sobot",
            &[
                "reports",
                "agent-stats",
                "--from",
                "2024-05-07",
                "--to",
                "2024-05-01",
            ],
        ),
        (
            "sobot",
            &[
                "reports",
                "agent-status",
                "--from",
                "2024-05-07",
                "--to",
                "2024-05-01",
            ],
        ),
    ];
    for (vendor, args) in cases {
        let ran = refused(vendor, args);
        assert!(
            ran.stderr.contains("is after --to"),
            "{args:?}: {}",
            ran.stderr
        );
    }
}

#[test]
fn values_outside_the_choices() {
    refused(
        "easemob",
        &[
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-02",
            "--channel",
            "fax",
        ],
    );
    refused(
        "easemob",
        &[
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-02",
            "--by",
            "end",
        ],
    );
    refused("sobot", &["tenants", "list", "--status", "paused"]);
    refused(
        "sobot",
        &[
            "reports",
            "export",
            "--kind",
            "weekly",
            "--date",
            "2024-05-01",
        ],
    );
    let mut args = ADD_AGENT.to_vec();
    let last = args.len() - 1;
    args[last] = "ten";
    refused("easemob", &args);
}

#[test]
fn one_tenant_search_at_a_time() {
    refused(
        "sobot",
        &["tenants", "list", "--name", "a", "--phone", "138"],
    );
}

#[test]
fn input_the_vendor_refuses_before_sending() {
    let mut args = ADD_AGENT.to_vec();
    args[3] = "not-an-email";
    let ran = refused("easemob", &args);
    assert!(!ran.stderr.contains("Secret-Pass-123"), "{}", ran.stderr);
}

#[test]
fn sobot_agents_need_a_merchant() {
    let home = Home::new();
    let wire = Tripwire::new();
    let env: Vec<(String, String)> = wire
        .env("sobot")
        .into_iter()
        .filter(|(k, _)| k != "KEFU_SOBOT_CUSTOMER_CODE")
        .collect();
    let mut args = ADD_AGENT.to_vec();
    args[11] = "online-agent";
    let ran = run_with(&home, &env, &args);
    ran.assert_error(2);
    assert!(ran.stderr.contains("--tenant"), "{}", ran.stderr);
    let ran = run_with(
        &home,
        &env,
        &["agents", "delete", "--email", "a@b.example.com"],
    );
    ran.assert_error(2);
    assert!(!wire.touched());
}

#[test]
fn an_http_base_url_that_is_not_loopback() {
    let home = Home::new();
    for (vendor, key) in [
        ("easemob", "KEFU_EASEMOB_BASE_URL"),
        ("sobot", "KEFU_SOBOT_BASE_URL"),
    ] {
        let wire = Tripwire::new();
        let mut env = wire.env(vendor);
        for (k, v) in &mut env {
            if k == key {
                *v = "http://kefu.example.com".to_owned();
            }
        }
        let args: &[&str] = if vendor == "sobot" {
            &["tenants", "list"]
        } else {
            &["agents", "list"]
        };
        let ran = run_with(&home, &env, args);
        ran.assert_error(2);
        assert!(ran.stderr.contains(key), "{}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!("hint: check {key}")),
            "{}",
            ran.stderr
        );
    }
}

#[test]
fn a_missing_credential_names_its_variable() {
    let home = Home::new();
    let ran = run(
        &home,
        &[
            ("KEFU_EASEMOB_TENANT_ID", "1"),
            ("KEFU_EASEMOB_SECRET_ID", "s"),
        ],
        &["--vendor", "easemob", "agents", "list"],
    );
    ran.assert_error(2);
    assert!(
        ran.stderr.contains("hint: check KEFU_EASEMOB_CLIENT_ID"),
        "{}",
        ran.stderr
    );
}

#[test]
fn no_vendor_or_an_unknown_one() {
    let home = Home::new();
    let ran = run(&home, &[], &["roles", "list"]);
    ran.assert_error(2);
    assert!(
        ran.stderr.contains("KEFU_VENDOR") && ran.stderr.contains("hint: pass --vendor"),
        "{}",
        ran.stderr
    );
    run(&home, &[("KEFU_VENDOR", "zendesk")], &["roles", "list"]).assert_error(2);
    run(&home, &[], &["--vendor", "zendesk", "roles", "list"]).assert_error(2);
    // Set but empty counts as unset.
    let ran = run(&home, &[("KEFU_VENDOR", "")], &["roles", "list"]);
    ran.assert_error(2);
    assert!(ran.stderr.contains("is not set"), "{}", ran.stderr);
}

#[test]
fn unknown_commands_and_flags() {
    let home = Home::new();
    run(
        &home,
        &[],
        &["--vendor", "easemob", "agents", "fire", "--email", "a@b.c"],
    )
    .assert_error(2);
    let ran = run(
        &home,
        &[],
        &["--vendor", "easemob", "agents", "list", "--serch", "x"],
    );
    ran.assert_error(2);
    assert!(
        ran.stderr.contains("--search"),
        "the tip names the right flag: {}",
        ran.stderr
    );
}

#[test]
fn a_missing_config_file_or_profile() {
    let home = Home::new();
    let wire = Tripwire::new();
    let missing = home.path().join("nope.toml");
    let ran = run_with(
        &home,
        &wire.env("easemob"),
        &["--config", &common::arg(&missing), "agents", "list"],
    );
    ran.assert_error(2);
    assert!(ran.stderr.contains("nope.toml"), "{}", ran.stderr);
    let ran = run_with(
        &home,
        &wire.env("easemob"),
        &["--profile", "prod", "agents", "list"],
    );
    ran.assert_error(2);
    assert!(ran.stderr.contains("\"prod\""), "{}", ran.stderr);
    assert!(!wire.touched());
}

#[test]
fn an_output_file_that_cannot_be_written() {
    let home = Home::new();
    let wire = Tripwire::new();
    let out = home.path().join("no-such-dir").join("x.jsonl");
    let ran = run_with(
        &home,
        &wire.env("easemob"),
        &[
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-02",
            "--out",
            &common::arg(&out),
        ],
    );
    ran.assert_error(2);
    assert!(!wire.touched());
}

#[test]
fn lengths_the_standards_bound_are_refused_before_sending() {
    let long_email = format!("{}@shop.example.com", "a".repeat(10_000));
    let long_local = format!("{}@shop.example.com", "a".repeat(65));
    for (vendor, role) in [("easemob", "agent"), ("sobot", "online-agent")] {
        for email in [&long_email, &long_local] {
            let mut args = ADD_AGENT.to_vec();
            args[3] = email;
            args[11] = role;
            let ran = refused(vendor, &args);
            assert!(
                ran.stderr.contains("username") || ran.stderr.contains("email"),
                "{vendor}: {}",
                ran.stderr
            );
            assert!(
                ran.stderr.len() < 400,
                "{vendor}: {} bytes",
                ran.stderr.len()
            );
        }
        // A phone number longer than E.164 allows.
        let mut args = ADD_AGENT.to_vec();
        args[11] = role;
        args.extend(["--phone", "1234567890123456"]);
        let ran = refused(vendor, &args);
        assert!(ran.stderr.contains("E.164"), "{vendor}: {}", ran.stderr);
    }
    // Sobot tenants too.
    let long = long_email.as_str();
    let ran = refused(
        "sobot",
        &[
            "tenants",
            "add",
            "--customer-code",
            "C9",
            "--name",
            "Shop",
            "--email",
            long,
            "--password",
            "Secret-Pass-123",
            "--max-agents",
            "3",
        ],
    );
    assert!(ran.stderr.contains("254"), "{}", ran.stderr);
}

#[test]
fn a_range_needing_too_many_requests_is_refused_before_sending() {
    let ran = refused(
        "sobot",
        &[
            "reports",
            "agent-status",
            "--from",
            "1900-01-01",
            "--to",
            "9999-12-31",
        ],
    );
    assert!(
        ran.stderr.contains("422638 requests") && ran.stderr.contains("KEFU_MAX_REQUESTS"),
        "{}",
        ran.stderr
    );
    // A bad limit is a configuration error naming the variable.
    let home = Home::new();
    let wire = Tripwire::new();
    let mut env = wire.env("sobot");
    env.push(("KEFU_MAX_REQUESTS".into(), "none".into()));
    let ran = run_with(
        &home,
        &env,
        &[
            "reports",
            "agent-status",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-02",
        ],
    );
    ran.assert_error(2);
    assert!(ran.stderr.contains("KEFU_MAX_REQUESTS"), "{}", ran.stderr);
    assert!(!wire.touched());
}
