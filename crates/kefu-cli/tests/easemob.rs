//! Every Easemob command of the contract, from the built binary, against the
//! embedded sandbox (`--sandbox`) and a `kefu sandbox serve` child.

mod common;

use chrono::{DateTime, Utc};
use common::{Home, Served, out_dir, run_with, sandboxed};
use kefu::time::{Zone, parse_naive};
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::easemob::EasemobEmulator;
use serde_json::Value;

/// The seeded data `--sandbox` serves, read straight from the emulator.
fn seeded() -> std::sync::Arc<EasemobEmulator> {
    EasemobEmulator::new(SeedConfig::default())
}

/// Seeded sessions whose stop time lies in `[from, to]`.
fn sessions_stopped_between(from: &str, to: &str) -> usize {
    let from: DateTime<Utc> = from.parse().expect("from");
    let to: DateTime<Utc> = to.parse().expect("to");
    let emu = seeded();
    (0..emu.session_count())
        .filter_map(|i| emu.session(i))
        .filter_map(|s| {
            s["stopDateTime"]
                .as_str()
                .and_then(|t| parse_naive(t, Zone::CHINA))
        })
        .filter(|t| (from..=to).contains(t))
        .count()
}

#[test]
fn agents_list_in_every_format() {
    let home = Home::new();
    let expected = seeded().usernames();
    assert!(expected.len() > 20, "the default seed has agents");

    let json = sandboxed(&home, "easemob", &["-o", "json", "agents", "list"]);
    json.assert_ok();
    let list = json.json();
    let list = list.as_array().expect("a JSON array");
    assert_eq!(list.len(), expected.len());
    for a in list {
        assert!(a["email"].is_string() && a["id"].is_string(), "{a}");
        assert!(expected.contains(&a["email"].as_str().unwrap_or_default().to_owned()));
    }

    let jsonl = sandboxed(&home, "easemob", &["-o", "jsonl", "agents", "list"]);
    jsonl.assert_ok();
    assert_eq!(jsonl.jsonl().len(), expected.len());

    let csv = sandboxed(&home, "easemob", &["-o", "csv", "agents", "list"]);
    csv.assert_ok();
    let (headers, rows) = csv.csv();
    assert_eq!(headers.first().map(String::as_str), Some("id"));
    assert!(
        headers.iter().any(|h| h == "extra") && headers.iter().any(|h| h == "created_at"),
        "{headers:?}"
    );
    assert_eq!(rows.len(), expected.len());
    let created = headers
        .iter()
        .position(|h| h == "created_at")
        .expect("created_at");
    assert!(
        rows.iter()
            .all(|r| r[created].is_empty() || r[created].parse::<DateTime<Utc>>().is_ok()),
        "RFC 3339 times"
    );

    let table = sandboxed(&home, "easemob", &["agents", "list"]);
    table.assert_ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("EMAIL"), "{}", table.stdout);
    assert_eq!(lines.len(), expected.len() + 1);
    assert!(table.stderr.is_empty(), "{}", table.stderr);
}

#[test]
fn agents_list_searches() {
    let home = Home::new();
    let target = seeded().usernames().pop().expect("an agent");
    let ran = sandboxed(
        &home,
        "easemob",
        &["-o", "json", "agents", "list", "--search", &target],
    );
    ran.assert_ok();
    let found = ran.json();
    let emails: Vec<&str> = found
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["email"].as_str())
        .collect();
    assert_eq!(emails, [target.as_str()]);
}

#[test]
fn roles_list() {
    let home = Home::new();
    let ran = sandboxed(&home, "easemob", &["-o", "json", "roles", "list"]);
    ran.assert_ok();
    let roles = ran.json();
    let ids: Vec<&str> = roles
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4"], "role ids are strings");
    assert_eq!(roles[0]["name"], "admin");
    let table = sandboxed(&home, "easemob", &["roles", "list"]);
    table.assert_ok();
    assert_eq!(table.stdout.lines().count(), 5);
}

#[test]
fn the_agent_lifecycle_against_a_served_sandbox() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &[]);
    let env = served.env_pairs();
    let email = "cli.newcomer@shop.example.com";

    let added = run_with(
        &home,
        &env,
        &[
            "-o",
            "json",
            "agents",
            "add",
            "--email",
            email,
            "--nickname",
            "Newcomer",
            "--name",
            "新 同事",
            "--password",
            "Secret-Pass-123",
            "--role",
            "agent",
            "--max-sessions",
            "7",
            "--phone",
            "13100000000",
        ],
    );
    added.assert_ok();
    assert!(!added.stdout.contains("Secret-Pass-123") && !added.stderr.contains("Secret-Pass-123"));
    let record = added.json();
    assert!(record.is_object(), "one record is an object: {record}");

    let listed = run_with(
        &home,
        &env,
        &["-o", "json", "agents", "list", "--search", email],
    );
    listed.assert_ok();
    let agent = listed.json()[0].clone();
    assert_eq!(agent["email"], email);
    assert_eq!(agent["max_sessions"], 7);

    let steps: &[&[&str]] = &[
        &[
            "agents",
            "update",
            "--email",
            email,
            "--max-sessions",
            "9",
            "--nickname",
            "Renamed",
        ],
        &["agents", "disable", "--email", email],
        &["agents", "enable", "--email", email],
        &[
            "agents",
            "set-password",
            "--email",
            email,
            "--password",
            "Another-Pass-456",
        ],
    ];
    for step in steps {
        let mut args = vec!["-o", "json"];
        args.extend_from_slice(step);
        let ran = run_with(&home, &env, &args);
        ran.assert_ok();
        let outcome = ran.json();
        assert_eq!(outcome["target"], email, "{step:?}: {outcome}");
        assert_eq!(outcome["result"], "ok");
        assert!(!ran.stdout.contains("Another-Pass-456"));
    }
    let listed = run_with(
        &home,
        &env,
        &["-o", "json", "agents", "list", "--search", email],
    );
    assert_eq!(listed.json()[0]["max_sessions"], 9);
    assert_eq!(listed.json()[0]["nickname"], "Renamed");

    let deleted = run_with(&home, &env, &["agents", "delete", "--email", email]);
    deleted.assert_ok();
    assert!(
        deleted.stdout.contains("agents.delete") && deleted.stdout.contains(email),
        "{}",
        deleted.stdout
    );
    let listed = run_with(
        &home,
        &env,
        &["-o", "json", "agents", "list", "--search", email],
    );
    assert_eq!(listed.json(), serde_json::json!([]));

    // The calls reached the sandbox as the document spells them.
    let routes: Vec<String> = served
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        routes
            .iter()
            .any(|r| r.starts_with("POST /api/tenant/") && r.ends_with("/accessToken")),
        "{routes:?}"
    );
    assert!(
        routes
            .iter()
            .any(|r| r.starts_with("DELETE ") && r.ends_with("/agent")),
        "{routes:?}"
    );
}

#[test]
fn deleting_an_agent_that_does_not_exist_is_a_vendor_refusal() {
    let home = Home::new();
    let ran = sandboxed(
        &home,
        "easemob",
        &["agents", "delete", "--email", "nobody@nowhere.example.com"],
    );
    ran.assert_error(5);
    assert!(
        ran.stderr.contains("easemob refused with code API_"),
        "{}",
        ran.stderr
    );
}

#[test]
fn sessions_export_to_stdout_streams_jsonl() {
    let home = Home::new();
    let ran = sandboxed(
        &home,
        "easemob",
        &[
            "sessions",
            "export",
            "--from",
            "2024-05-10",
            "--to",
            "2024-05-12",
        ],
    );
    ran.assert_ok();
    let lines = ran.jsonl();
    let expected = sessions_stopped_between("2024-05-09T16:00:00Z", "2024-05-12T15:59:59.999Z");
    assert!(expected > 0);
    assert_eq!(lines.len(), expected);
    let mut ids: Vec<&str> = lines.iter().filter_map(|s| s["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), expected, "each session once, ids as strings");
    assert!(lines.iter().all(|s| {
        s["stopped_at"]
            .as_str()
            .is_some_and(|t| t.parse::<DateTime<Utc>>().is_ok())
    }));
}

#[test]
fn sessions_export_a_month_to_a_file() {
    let home = Home::new();
    let dir = out_dir(&home);
    let out = dir.join("sessions-2024-05.jsonl");
    let ran = sandboxed(
        &home,
        "easemob",
        &[
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-31",
            "--out",
            &common::arg(&out),
        ],
    );
    ran.assert_ok();
    assert!(
        ran.stdout.is_empty(),
        "data goes to the file: {}",
        ran.stdout
    );
    let text = std::fs::read_to_string(&out).expect("the file");
    let expected = sessions_stopped_between("2024-04-30T16:00:00Z", "2024-05-31T15:59:59.999Z");
    assert!(
        expected > 400,
        "most of the 500 seeded sessions end in May: {expected}"
    );
    assert_eq!(text.lines().count(), expected);
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        assert!(v["id"].is_string());
    }
    assert_eq!(
        Home::files_in(&dir),
        ["sessions-2024-05.jsonl"],
        "no temporary file left"
    );
}

#[test]
fn sessions_export_filters_and_formats() {
    let home = Home::new();
    let all = sandboxed(
        &home,
        "easemob",
        &[
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-03",
        ],
    );
    let weixin = sandboxed(
        &home,
        "easemob",
        &[
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-03",
            "--channel",
            "weixin",
        ],
    );
    weixin.assert_ok();
    let picked = weixin.jsonl();
    assert!(picked.len() < all.jsonl().len());
    assert!(picked.iter().all(|s| {
        s["channels"]
            .as_array()
            .is_some_and(|c| c.iter().any(|x| x == "weixin"))
    }));

    let by_create = sandboxed(
        &home,
        "easemob",
        &[
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-03",
            "--by",
            "create",
        ],
    );
    by_create.assert_ok();

    let csv = sandboxed(
        &home,
        "easemob",
        &[
            "-o",
            "csv",
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-01",
        ],
    );
    csv.assert_ok();
    let (headers, rows) = csv.csv();
    assert_eq!(headers.first().map(String::as_str), Some("id"));
    assert!(!rows.is_empty());

    let json = sandboxed(
        &home,
        "easemob",
        &[
            "-o",
            "json",
            "sessions",
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-01",
        ],
    );
    json.assert_ok();
    assert_eq!(json.json().as_array().map(Vec::len), Some(rows.len()));
}
