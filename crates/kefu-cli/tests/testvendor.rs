//! A third vendor the CLI was never told about: `kefu-testvendor`, registered
//! by the facade's `testvendor` feature that only this crate's
//! dev-dependencies enable. The real `kefu` binary drives it end to end over
//! its loopback sandbox with no CLI change: listing, refusing what it does
//! not offer (exit 3, nothing sent), bad credentials (exit 4), missing ones
//! (exit 2). It is never visible in help, and never in the shipped build.

mod common;

use common::{Home, Ran, run};
use kefu_testvendor::sandbox::{TOKEN, TestVendorSandbox};

/// A sandbox on its own runtime, serving while the binary runs.
struct Served {
    sandbox: TestVendorSandbox,
    _rt: tokio::runtime::Runtime,
}

impl Served {
    fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let sandbox = rt.block_on(TestVendorSandbox::start()).expect("sandbox");
        Self { sandbox, _rt: rt }
    }

    fn env(&self) -> Vec<(String, String)> {
        self.sandbox.env()
    }

    fn run(&self, home: &Home, extra: &[(&str, &str)], args: &[&str]) -> Ran {
        let env = self.env();
        let mut all: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.extend_from_slice(extra);
        run(home, &all, args)
    }
}

#[test]
fn agents_and_roles_are_listed_through_the_registry() {
    let served = Served::start();
    let home = Home::new();

    let agents = served.run(&home, &[], &["agents", "list", "-o", "jsonl"]);
    agents.assert_ok();
    let emails: Vec<String> = agents
        .jsonl()
        .iter()
        .map(|a| a["email"].as_str().expect("email").to_owned())
        .collect();
    assert_eq!(emails, ["ann@example.com", "bo@example.com"]);
    assert_eq!(agents.jsonl()[0]["nickname"], "Ann");

    // Picked by the flag as well as by KEFU_VENDOR.
    let roles = served.run(
        &home,
        &[("KEFU_VENDOR", "")],
        &["--vendor", "testvendor", "roles", "list", "-o", "json"],
    );
    roles.assert_ok();
    let roles = roles.json();
    assert_eq!(roles[0]["id"], "r1");
    assert_eq!(roles[0]["name"], "admin");
    assert_eq!(served.sandbox.requests(), 2);
}

#[test]
fn what_it_does_not_offer_is_exit_3_and_nothing_is_sent() {
    let served = Served::start();
    let home = Home::new();
    for args in [
        &["tenants", "list"][..],
        &["chats", "list", "--partner-id", "p1"],
        &["agents", "disable", "--email", "ann@example.com"],
    ] {
        let ran = served.run(&home, &[], args);
        ran.assert_error(3);
        assert!(
            ran.stderr.contains("testvendor does not support"),
            "{args:?}: {}",
            ran.stderr
        );
    }
    // Without credentials too: capabilities come from the descriptor.
    let bare = run(
        &home,
        &[("KEFU_VENDOR", "testvendor")],
        &["tenants", "list"],
    );
    bare.assert_error(3);
    assert!(
        bare.stderr
            .contains("hint: `tenants.list` is offered with --vendor sobot"),
        "{}",
        bare.stderr
    );
    assert_eq!(served.sandbox.requests(), 0);
}

#[test]
fn a_wrong_token_is_exit_4_naming_the_setting_not_the_value() {
    let served = Served::start();
    let home = Home::new();
    let ran = served.run(
        &home,
        &[("KEFU_TESTVENDOR_TOKEN", "wrong-token-value")],
        &["agents", "list"],
    );
    ran.assert_error(4);
    assert!(
        ran.stderr.contains("hint: check KEFU_TESTVENDOR_TOKEN"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("wrong-token-value"), "{}", ran.stderr);
    assert!(!ran.stderr.contains(TOKEN), "{}", ran.stderr);
    assert_eq!(served.sandbox.requests(), 1);
}

#[test]
fn a_missing_token_is_exit_2_naming_its_key_and_nothing_is_sent() {
    let served = Served::start();
    let home = Home::new();
    let ran = served.run(&home, &[("KEFU_TESTVENDOR_TOKEN", "")], &["roles", "list"]);
    ran.assert_error(2);
    assert!(
        ran.stderr.contains("KEFU_TESTVENDOR_TOKEN"),
        "{}",
        ran.stderr
    );
    assert_eq!(served.sandbox.requests(), 0);
}

#[test]
fn help_and_errors_never_show_the_test_vendor() {
    let home = Home::new();
    let help = run(&home, &[], &["--help"]);
    help.assert_ok();
    assert!(help.stdout.contains("- sobot:"), "{}", help.stdout);
    assert!(!help.stdout.contains("testvendor"), "{}", help.stdout);

    let bogus = run(&home, &[], &["--vendor", "bogus", "roles", "list"]);
    bogus.assert_error(2);
    assert!(
        bogus.stderr.contains("possible values: sobot, easemob"),
        "{}",
        bogus.stderr
    );
    assert!(!bogus.stderr.contains("testvendor"), "{}", bogus.stderr);

    let unset = run(&home, &[("KEFU_VENDOR", "bogus")], &["roles", "list"]);
    unset.assert_error(2);
    assert!(
        unset
            .stderr
            .contains("must be `sobot` or `easemob`, not \"bogus\""),
        "{}",
        unset.stderr
    );
    assert!(
        unset.stderr.contains("hint: pass --vendor sobot|easemob"),
        "{}",
        unset.stderr
    );
}

/// The feature is switched on by dev-dependencies only: the build `cargo
/// build`/`cargo install` makes of the binary has no test vendor.
#[test]
fn the_shipped_binary_does_not_contain_the_test_vendor() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "kefu-cli",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-f",
            "{p} [{f}]",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("kefu-sobot"), "{tree}");
    assert!(!tree.contains("kefu-testvendor"), "{tree}");
    assert!(!tree.contains("testvendor]"), "{tree}");
    let facade = tree
        .lines()
        .find(|l| l.starts_with("kefu v"))
        .expect("the facade is a dependency");
    assert!(!facade.contains("testvendor"), "{facade}");
}

/// `--sandbox` asks testkit for the vendor's emulator; a vendor without one
/// is a usage error, and nothing is started or sent.
#[test]
fn a_vendor_without_an_emulator_has_no_sandbox() {
    let home = Home::new();
    let ran = run(
        &home,
        &[],
        &["--sandbox", "--vendor", "testvendor", "roles", "list"],
    );
    ran.assert_error(2);
    assert!(
        ran.stderr.contains("kefu: no sandbox for testvendor"),
        "{}",
        ran.stderr
    );
}

/// A vendor answering garbage, wrong types or overflowing numbers: a typed
/// error (exit 6), never a panic, and no half-printed list.
#[test]
fn garbage_answers_are_a_decode_error_not_a_panic() {
    let served = Served::start();
    let home = Home::new();
    for body in [
        "<html>oops</html>",
        r#"{"agents": [{"email": 18446744073709551616}]}"#,
        r#"{"agents": "many"}"#,
        r#"{"roles": [{"id": null}]}"#,
    ] {
        served.sandbox.answer_with(body);
        for args in [&["agents", "list"][..], &["roles", "list"]] {
            let ran = served.run(&home, &[], args);
            if ran.code == 0 {
                // A body that is valid for the other endpoint's shape.
                continue;
            }
            ran.assert_error(6);
            assert!(ran.stderr.starts_with("kefu: "), "{body}: {}", ran.stderr);
            assert!(!ran.stderr.contains("panicked"), "{body}: {}", ran.stderr);
            assert!(ran.stdout.is_empty(), "{body}: {}", ran.stdout);
        }
    }
}
