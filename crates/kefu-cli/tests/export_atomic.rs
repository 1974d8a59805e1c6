//! `sessions export --out FILE` never leaves a half file under the real
//! name: not when the vendor fails mid-export, not on Ctrl-C.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Home, Ran, Served, out_dir};

const PAGES: &str = "serviceSessionHistorys";

/// Starts an export of May to `out` against `served`, slowed down so the
/// test can act between pages.
fn start_export(home: &Home, served: &Served, out: &Path) -> std::process::Child {
    served.control("POST", "/__sandbox/chaos", Some(r#"{"latency_ms": 300}"#));
    let mut cmd = home.kefu_std();
    cmd.envs(served.env.iter())
        .args([
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-31",
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("spawn export")
}

fn finish(child: std::process::Child) -> Ran {
    let deadline = Instant::now() + Duration::from_secs(40);
    let out = child.wait_with_output().expect("wait");
    assert!(Instant::now() < deadline);
    Ran::of(out)
}

#[test]
fn a_failure_mid_export_leaves_no_file() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let dir = out_dir(&home);
    let out = dir.join("may.jsonl");
    let child = start_export(&home, &served, &out);
    served.wait_for_request(PAGES, Duration::from_secs(20));
    // Every later page is refused.
    served.control(
        "POST",
        "/__sandbox/chaos",
        Some(r#"{"fault": "status", "status": 400, "count": 100}"#),
    );
    let ran = finish(child);
    assert!(
        ran.code == 5 || ran.code == 6,
        "exit {}: {}",
        ran.code,
        ran.stderr
    );
    ran.assert_error(ran.code);
    assert!(!out.exists(), "the real name never holds a half file");
    assert!(
        Home::files_in(&dir).is_empty(),
        "no temporary file remains: {:?}",
        Home::files_in(&dir)
    );
}

#[test]
fn a_failure_keeps_an_older_file_untouched() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let dir = out_dir(&home);
    let out = dir.join("may.jsonl");
    std::fs::write(&out, "previous export\n").expect("old file");
    let child = start_export(&home, &served, &out);
    served.wait_for_request(PAGES, Duration::from_secs(20));
    served.control(
        "POST",
        "/__sandbox/chaos",
        Some(r#"{"fault": "status", "status": 400, "count": 100}"#),
    );
    let ran = finish(child);
    assert_ne!(ran.code, 0);
    assert_eq!(
        std::fs::read_to_string(&out).expect("old file"),
        "previous export\n"
    );
    assert_eq!(Home::files_in(&dir), ["may.jsonl"]);
}

#[test]
fn ctrl_c_mid_export_leaves_no_file() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let dir = out_dir(&home);
    let out = dir.join("may.jsonl");
    let child = start_export(&home, &served, &out);
    served.wait_for_request(PAGES, Duration::from_secs(20));
    let pid = child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let ran = finish(child);
    ran.assert_error(130);
    assert_eq!(ran.stderr.trim(), "kefu: interrupted");
    assert!(!out.exists());
    assert!(
        Home::files_in(&dir).is_empty(),
        "{:?}",
        Home::files_in(&dir)
    );
}
