//! Settings from a config file with profiles, layered under the
//! environment; and `--sandbox` ignoring both.

mod common;

use std::fmt::Write as _;

use common::{Home, Served, Tripwire, run, run_with, sandboxed};

/// A config file with `served`'s settings as profile `name`.
fn profile(served: &Served, name: &str, overrides: &[(&str, &str)]) -> String {
    let mut text = format!("[profiles.{name}]\n");
    for (k, v) in &served.env {
        let v = overrides
            .iter()
            .find(|(ok, _)| ok == k)
            .map_or(v.as_str(), |(_, ov)| *ov);
        let _ = writeln!(text, "{k} = {v:?}");
    }
    text
}

#[test]
fn a_named_profile_supplies_vendor_and_credentials() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let file = home.path().join("kefu.toml");
    std::fs::write(&file, profile(&served, "staging", &[])).expect("write");
    let ran = run(
        &home,
        &[],
        &[
            "--config",
            &common::arg(&file),
            "--profile",
            "staging",
            "-o",
            "json",
            "roles",
            "list",
        ],
    );
    ran.assert_ok();
    assert_eq!(ran.json().as_array().map(Vec::len), Some(4));
    // The same through KEFU_CONFIG / KEFU_PROFILE.
    let ran = run(
        &home,
        &[
            ("KEFU_CONFIG", &common::arg(&file)),
            ("KEFU_PROFILE", "staging"),
        ],
        &["roles", "list"],
    );
    ran.assert_ok();
}

#[test]
fn the_default_file_and_default_profile() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let dir = home.path().join(".config").join("kefu");
    std::fs::create_dir_all(&dir).expect("dir");
    let text = format!(
        "default_profile = \"mine\"\n{}",
        profile(&served, "mine", &[])
    );
    std::fs::write(dir.join("config.toml"), text).expect("write");
    run(&home, &[], &["roles", "list"]).assert_ok();
}

#[test]
fn the_environment_wins_over_the_file() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let secret = served
        .env
        .get("KEFU_EASEMOB_SECRET_ID")
        .expect("secret")
        .clone();
    let file = home.path().join("kefu.toml");

    std::fs::write(
        &file,
        profile(&served, "p", &[("KEFU_EASEMOB_SECRET_ID", "wrong-in-file")]),
    )
    .expect("write");
    let cfg = common::arg(&file);
    let args = ["--config", cfg.as_str(), "--profile", "p", "roles", "list"];
    run(&home, &[("KEFU_EASEMOB_SECRET_ID", &secret)], &args).assert_ok();

    std::fs::write(&file, profile(&served, "p", &[])).expect("write");
    let ran = run(&home, &[("KEFU_EASEMOB_SECRET_ID", "wrong-in-env")], &args);
    ran.assert_error(4);
    assert!(
        !ran.stderr.contains("wrong-in-env") && !ran.stderr.contains(&secret),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_bad_file_is_exit_2_without_quoting_it() {
    let home = Home::new();
    let file = home.path().join("kefu.toml");
    std::fs::write(
        &file,
        "[profiles.p]\nKEFU_EASEMOB_SECRET_ID = \"unterminated-secret\n",
    )
    .expect("write");
    let ran = run(
        &home,
        &[],
        &[
            "--config",
            &common::arg(&file),
            "--vendor",
            "easemob",
            "roles",
            "list",
        ],
    );
    ran.assert_error(2);
    assert!(
        ran.stderr.contains("line 2") && !ran.stderr.contains("unterminated-secret"),
        "{}",
        ran.stderr
    );
}

#[test]
fn sandbox_ignores_the_environment_and_the_file() {
    let home = Home::new();
    let wire = Tripwire::new();
    let ran = run_with(
        &home,
        &wire.env("easemob"),
        &["--sandbox", "-o", "json", "roles", "list"],
    );
    ran.assert_ok();
    assert!(
        !wire.touched(),
        "a --sandbox run reached the configured vendor"
    );
    // KEFU_SANDBOX=1 does the same.
    let mut env = wire.env("easemob");
    env.push(("KEFU_SANDBOX".to_owned(), "1".to_owned()));
    run_with(&home, &env, &["roles", "list"]).assert_ok();
    assert!(!wire.touched());
    sandboxed(&home, "easemob", &["roles", "list"]).assert_ok();
}
