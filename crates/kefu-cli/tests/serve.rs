//! `kefu sandbox serve` as other programs use it: the first stdout line,
//! the control endpoints, stopping on SIGTERM; and the exit codes that need
//! a real server: 4 (wrong credentials) and 6 (nothing listening).

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{Home, Ran, Served, run_with};

#[test]
fn the_first_line_tells_where_and_how() {
    let home = Home::new();
    for (vendor, key) in [
        ("easemob", "KEFU_EASEMOB_BASE_URL"),
        ("sobot", "KEFU_SOBOT_BASE_URL"),
    ] {
        let served = Served::start(&home, vendor, &[]);
        assert_eq!(served.vendor, vendor);
        assert!(
            served.base_url.starts_with("http://127.0.0.1:"),
            "{}",
            served.base_url
        );
        assert_eq!(
            served.env.get("KEFU_VENDOR").map(String::as_str),
            Some(vendor)
        );
        assert_eq!(served.env.get(key), Some(&served.base_url));
        assert!(
            served.first_line_raw.starts_with(r#"{"vendor":"#),
            "{}",
            served.first_line_raw
        );
        assert!(
            served.first_line_raw.ends_with('\n') && served.first_line_raw.lines().count() == 1
        );
        let keys: Vec<&str> = served
            .first_line
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["base_url", "env", "vendor"], "exactly these three");
    }
}

#[test]
fn its_env_points_kefu_at_it_and_the_log_shows_the_calls() {
    let home = Home::new();
    let served = Served::start(
        &home,
        "sobot",
        &["--tenants", "3", "--agents", "4", "--seed", "7"],
    );
    let ran = run_with(
        &home,
        &served.env_pairs(),
        &["-o", "json", "tenants", "list"],
    );
    ran.assert_ok();
    assert_eq!(
        ran.json().as_array().map(Vec::len),
        Some(3),
        "--tenants sizes the seed"
    );
    let log = served.requests();
    assert!(
        log.iter().any(|r| r["path"]
            .as_str()
            .is_some_and(|p| p.contains("getTenantList"))),
        "{log:?}"
    );
    served.control("POST", "/__sandbox/reset", None);
    assert!(served.requests().is_empty());
}

#[test]
fn an_explicit_port_and_a_port_in_use() {
    let home = Home::new();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let ran = Ran::of(
        home.kefu()
            .args([
                "sandbox",
                "serve",
                "--vendor",
                "easemob",
                "--port",
                &port.to_string(),
            ])
            .output()
            .expect("run"),
    );
    ran.assert_error(2);
    drop(taken);
    let served = Served::start(&home, "easemob", &["--port", &port.to_string()]);
    assert_eq!(served.base_url, format!("http://127.0.0.1:{port}"));
}

#[test]
fn serve_needs_a_vendor() {
    let home = Home::new();
    let ran = Ran::of(
        home.kefu()
            .args(["sandbox", "serve"])
            .output()
            .expect("run"),
    );
    ran.assert_error(2);
}

#[test]
fn sigterm_stops_it_cleanly() {
    let home = Home::new();
    let mut served = Served::start(&home, "easemob", &[]);
    let pid = served.child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = served.child.try_wait().expect("wait") {
            assert!(status.success(), "exit {status:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn wrong_credentials_are_exit_4_with_a_hint() {
    let home = Home::new();
    for (vendor, key, args, hint) in [
        (
            "easemob",
            "KEFU_EASEMOB_SECRET_ID",
            &["agents", "list"][..],
            "KEFU_EASEMOB_CLIENT_ID",
        ),
        (
            "sobot",
            "KEFU_SOBOT_UNION_KEY",
            &["tenants", "list"][..],
            "KEFU_SOBOT_UNION_KEY",
        ),
    ] {
        let served = Served::start(&home, vendor, &[]);
        let mut env = served.env_pairs();
        for (k, v) in &mut env {
            if k == key {
                *v = "definitely-wrong-credential".to_owned();
            }
        }
        let ran = run_with(&home, &env, args);
        ran.assert_error(4);
        assert!(
            ran.stderr.contains("hint: check ") && ran.stderr.contains(hint),
            "{}",
            ran.stderr
        );
        assert!(
            !ran.stderr.contains("definitely-wrong-credential"),
            "{}",
            ran.stderr
        );
    }
}

#[test]
fn a_closed_port_is_exit_6() {
    let home = Home::new();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let env: Vec<(String, String)> = [
        ("KEFU_VENDOR", "easemob"),
        ("KEFU_EASEMOB_BASE_URL", url.as_str()),
        ("KEFU_EASEMOB_TENANT_ID", "1"),
        ("KEFU_EASEMOB_CLIENT_ID", "client"),
        ("KEFU_EASEMOB_SECRET_ID", "secret-never-printed"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let ran = run_with(&home, &env, &["roles", "list"]);
    ran.assert_error(6);
    assert!(
        ran.stderr.contains("hint: check KEFU_EASEMOB_BASE_URL"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("secret-never-printed"));
}
