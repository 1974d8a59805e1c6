//! A list that fails before its first record leaves stdout empty in every
//! format (no lone `[` or CSV header for a script to choke on), and a
//! vendor that echoes what it was sent gets no secret printed on stderr.

mod common;

use common::{Home, Served, run_with};

fn with(env: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = env.iter().filter(|(k, _)| k != key).cloned().collect();
    env.push((key.to_owned(), value.to_owned()));
    env
}

#[test]
fn a_list_failing_before_its_first_record_prints_nothing_on_stdout() {
    let home = Home::new();
    let easemob = Served::start(&home, "easemob", &["--agents", "3"]);
    let sobot = Served::start(&home, "sobot", &[]);
    let bad_easemob = with(
        &easemob.env_pairs(),
        "KEFU_EASEMOB_SECRET_ID",
        "wrong-secret-000000",
    );
    let bad_sobot = with(
        &sobot.env_pairs(),
        "KEFU_SOBOT_UNION_KEY",
        "wrong-union-key-0000",
    );
    for format in ["json", "csv", "jsonl", "table"] {
        // Bad credentials: exit 4.
        let ran = run_with(&home, &bad_easemob, &["-o", format, "agents", "list"]);
        ran.assert_failed_as(format, 4);
        let ran = run_with(&home, &bad_sobot, &["-o", format, "tenants", "list"]);
        ran.assert_failed_as(format, 4);
        // The vendor refuses every page: exit 5.
        easemob.control(
            "POST",
            "/__sandbox/chaos",
            Some(r#"{"fault":"status","status":400,"count":50}"#),
        );
        let ran = run_with(
            &home,
            &easemob.env_pairs(),
            &["-o", format, "agents", "list"],
        );
        assert!(ran.stdout.is_empty(), "{format}: {:?}", ran.stdout);
        assert_ne!(ran.code, 0, "{format}");
        easemob.control("DELETE", "/__sandbox/chaos", None);
    }
    // And the same list succeeding still prints a whole document.
    let ran = run_with(
        &home,
        &easemob.env_pairs(),
        &["-o", "json", "agents", "list"],
    );
    ran.assert_ok();
    assert_eq!(ran.json().as_array().map(Vec::len), Some(3));
}

#[test]
fn an_echoing_vendor_gets_no_password_or_credential_printed() {
    let home = Home::new();
    let easemob = Served::start(&home, "easemob", &[]);
    let password = "Cli-Echo-Passw0rd-55";
    easemob.control(
        "POST",
        "/__sandbox/chaos",
        Some(r#"{"fault":"echo","status":400,"json":true,"count":20}"#),
    );
    let ran = run_with(
        &home,
        &easemob.env_pairs(),
        &[
            "agents",
            "add",
            "--email",
            "echo@shop.example.com",
            "--nickname",
            "Echo",
            "--name",
            "Echo Agent",
            "--password",
            password,
            "--role",
            "agent",
            "--max-sessions",
            "5",
        ],
    );
    assert_ne!(ran.code, 0);
    assert!(ran.stderr.contains("bad request"), "{}", ran.stderr);
    assert!(ran.stderr.contains("***"), "{}", ran.stderr);
    let secret_id = easemob
        .env
        .get("KEFU_EASEMOB_SECRET_ID")
        .cloned()
        .unwrap_or_default();
    for secret in [password, secret_id.as_str()] {
        assert!(!secret.is_empty());
        assert!(
            !ran.stderr.contains(secret),
            "{secret} leaked: {}",
            ran.stderr
        );
    }
}
