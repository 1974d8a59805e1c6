//! The command line's surface: help with an example on every command,
//! completions, logs that never carry a secret.

mod common;

use common::{Home, Ran, Served, run, run_with};

const COMMANDS: &[&[&str]] = &[
    &[],
    &["tenants"],
    &["tenants", "list"],
    &["tenants", "add"],
    &["tenants", "update"],
    &["tenants", "app-keys"],
    &["agents"],
    &["agents", "list"],
    &["agents", "add"],
    &["agents", "update"],
    &["agents", "delete"],
    &["agents", "enable"],
    &["agents", "disable"],
    &["agents", "set-password"],
    &["roles"],
    &["roles", "list"],
    &["sessions"],
    &["sessions", "export"],
    &["chats"],
    &["chats", "list"],
    &["reports"],
    &["reports", "agent-stats"],
    &["reports", "export"],
    &["reports", "agent-status"],
    &["sandbox"],
    &["sandbox", "serve"],
    &["completions"],
];

#[test]
fn every_command_has_help_with_an_example() {
    let home = Home::new();
    for cmd in COMMANDS {
        let mut args = cmd.to_vec();
        args.push("--help");
        let ran = run(&home, &[], &args);
        ran.assert_ok();
        assert!(
            ran.stdout.contains("Example: kefu"),
            "{cmd:?}:\n{}",
            ran.stdout
        );
    }
}

#[test]
fn completions_for_each_shell() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish"] {
        let ran = run(&home, &[], &["completions", shell]);
        ran.assert_ok();
        assert!(
            ran.stdout.contains("kefu") && ran.stdout.contains("set-password"),
            "{shell}"
        );
    }
    run(&home, &[], &["completions", "powershell"]).assert_error(2);
}

#[test]
fn version() {
    let home = Home::new();
    let ran = run(&home, &[], &["--version"]);
    ran.assert_ok();
    assert!(ran.stdout.starts_with("kefu "), "{}", ran.stdout);
}

#[test]
fn trace_logs_never_carry_a_secret() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let secret = served
        .env
        .get("KEFU_EASEMOB_SECRET_ID")
        .expect("secret")
        .clone();
    let mut env = served.env_pairs();
    env.push(("KEFU_LOG".to_owned(), "trace".to_owned()));
    let ran = run_with(
        &home,
        &env,
        &[
            "agents",
            "add",
            "--email",
            "logged@shop.example.com",
            "--nickname",
            "L",
            "--name",
            "Logged",
            "--password",
            "Password-In-Logs-1",
            "--role",
            "agent",
            "--max-sessions",
            "3",
        ],
    );
    ran.assert_ok();
    assert!(!ran.stderr.is_empty(), "trace logging is on");
    for needle in [secret.as_str(), "Password-In-Logs-1"] {
        assert!(!ran.stderr.contains(needle), "a secret reached the logs");
        assert!(!ran.stdout.contains(needle), "a secret reached stdout");
    }
    // Without KEFU_LOG, stderr stays empty on success.
    let quiet = run_with(&home, &served.env_pairs(), &["roles", "list"]);
    quiet.assert_ok();
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let home = Home::new();
    let mut child = home
        .kefu_std()
        .args([
            "--sandbox",
            "--vendor",
            "easemob",
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-31",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Read one line, then hang up.
    {
        use std::io::BufRead;
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("line");
        assert!(line.starts_with('{'));
    }
    let out = child.wait_with_output().expect("wait");
    let ran = Ran::of(out);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
}
