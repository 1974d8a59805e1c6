//! Every Sobot command of the contract, from the built binary, against the
//! embedded sandbox (`--sandbox`) and a `kefu sandbox serve` child.

mod common;

use chrono::{DateTime, Utc};
use common::{Home, Served, run_with, sandboxed};
use kefu::time::Zone;
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::sobot::SobotEmulator;

fn seeded() -> std::sync::Arc<SobotEmulator> {
    SobotEmulator::new(SeedConfig::default())
}

#[test]
fn tenants_list_in_every_format() {
    let home = Home::new();
    let expected = seeded().tenants();
    assert_eq!(expected.len(), 12);

    let table = sandboxed(&home, "sobot", &["tenants", "list"]);
    table.assert_ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("COMPANY_ID"), "{}", table.stdout);
    assert_eq!(lines.len(), 13);
    // Chinese names are double width: the columns after them still line up.
    let width = |text: &str| unicode_width::UnicodeWidthStr::width(text);
    let email_col = lines[0]
        .find("EMAIL")
        .map(|i| width(&lines[0][..i]))
        .expect("EMAIL column");
    for line in &lines[1..] {
        let pos = line.find("admin@m").expect("email in row");
        assert_eq!(width(&line[..pos]), email_col, "{line}");
    }

    let json = sandboxed(&home, "sobot", &["-o", "json", "tenants", "list"]);
    json.assert_ok();
    let list = json.json();
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 12);
    let codes: Vec<&str> = list
        .iter()
        .filter_map(|t| t["customer_code"].as_str())
        .collect();
    assert!(
        codes.contains(&"M001") && codes.contains(&"M012"),
        "{codes:?}"
    );
    assert!(list.iter().all(|t| t["company_id"].is_string()));

    assert_eq!(
        sandboxed(&home, "sobot", &["-o", "jsonl", "tenants", "list"])
            .jsonl()
            .len(),
        12
    );
    let (headers, rows) = sandboxed(&home, "sobot", &["-o", "csv", "tenants", "list"]).csv();
    assert_eq!(headers.first().map(String::as_str), Some("company_id"));
    assert_eq!(rows.len(), 12);
}

#[test]
fn tenants_list_filters() {
    let home = Home::new();
    let open = sandboxed(
        &home,
        "sobot",
        &["-o", "json", "tenants", "list", "--status", "open"],
    );
    open.assert_ok();
    let expected_open = seeded().tenants().iter().filter(|t| t.open).count();
    assert_eq!(open.json().as_array().map(Vec::len), Some(expected_open));

    let by_code = sandboxed(
        &home,
        "sobot",
        &["-o", "json", "tenants", "list", "--external-id", "M003"],
    );
    by_code.assert_ok();
    let found = by_code.json();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["customer_code"], "M003");

    let dated = sandboxed(
        &home,
        "sobot",
        &[
            "-o",
            "json",
            "tenants",
            "list",
            "--from",
            "2024-05-02",
            "--to",
            "2024-05-04",
        ],
    );
    dated.assert_ok();
    assert_eq!(dated.json().as_array().map(Vec::len), Some(3));
}

#[test]
fn tenants_add_update_and_app_keys_against_a_served_sandbox() {
    let home = Home::new();
    let served = Served::start(&home, "sobot", &[]);
    let env = served.env_pairs();
    let added = run_with(
        &home,
        &env,
        &[
            "-o",
            "json",
            "tenants",
            "add",
            "--customer-code",
            "CLI-01",
            "--name",
            "命令行商户",
            "--email",
            "admin@cli01.example.com",
            "--password",
            "Secret-Pass-123",
            "--max-agents",
            "3",
            "--contact-name",
            "张三",
        ],
    );
    added.assert_ok();
    assert!(!added.stdout.contains("Secret-Pass-123"));
    assert!(added.json()["company_id"].is_string(), "{}", added.stdout);

    let again = run_with(
        &home,
        &env,
        &[
            "tenants",
            "add",
            "--customer-code",
            "CLI-01",
            "--name",
            "x",
            "--email",
            "other@cli01.example.com",
            "--password",
            "Secret-Pass-123",
            "--max-agents",
            "3",
        ],
    );
    again.assert_error(5);
    assert!(again.stderr.contains("999999"), "{}", again.stderr);
    assert!(!again.stderr.contains("Secret-Pass-123"));

    let updated = run_with(
        &home,
        &env,
        &[
            "-o",
            "json",
            "tenants",
            "update",
            "--customer-code",
            "CLI-01",
            "--name",
            "改名商户",
            "--email",
            "admin@cli01.example.com",
            "--max-agents",
            "4",
        ],
    );
    updated.assert_ok();
    assert_eq!(updated.json()["operation"], "tenants.update");

    let listed = run_with(
        &home,
        &env,
        &["-o", "json", "tenants", "list", "--external-id", "CLI-01"],
    );
    assert_eq!(listed.json()[0]["name"], "改名商户");
    assert_eq!(listed.json()[0]["max_agents"], 4);

    let keys = run_with(&home, &env, &["-o", "json", "tenants", "app-keys"]);
    keys.assert_ok();
    let keys = keys.json();
    assert_eq!(keys.as_array().map(Vec::len), Some(13), "{keys}");
    assert!(keys.as_array().is_some_and(|k| {
        k.iter()
            .all(|x| x["app_key"].is_string() && x["company_id"].is_string())
    }));
}

#[test]
fn the_staff_lifecycle_against_a_served_sandbox() {
    let home = Home::new();
    let served = Served::start(&home, "sobot", &[]);
    let env = served.env_pairs();
    let email = "cli.staff@m002.example.com";
    let add = run_with(
        &home,
        &env,
        &[
            "-o",
            "json",
            "agents",
            "add",
            "--tenant",
            "M002",
            "--email",
            email,
            "--nickname",
            "小新",
            "--name",
            "新员工",
            "--password",
            "Secret-Pass-123",
            "--role",
            "online-agent",
            "--max-sessions",
            "8",
            "--phone",
            "13912345678",
        ],
    );
    add.assert_ok();
    let staff = served_staff(&served, "M002", email);
    assert_eq!(
        staff["role_id"], "1111",
        "the well-known role name reached the vendor as its id"
    );

    let update = run_with(
        &home,
        &env,
        &[
            "agents",
            "update",
            "--tenant",
            "M002",
            "--email",
            email,
            "--nickname",
            "小新",
            "--name",
            "新员工",
            "--phone",
            "13912345678",
            "--max-sessions",
            "12",
        ],
    );
    update.assert_ok();
    assert!(update.stdout.contains("agents.update"), "{}", update.stdout);
    assert_eq!(served_staff(&served, "M002", email)["max_accept_num"], 12);

    // updateServiceInfoConfim.json has no role: asking for one is refused before sending.
    let before = served.requests().len();
    let role = run_with(
        &home,
        &env,
        &[
            "agents",
            "update",
            "--tenant",
            "M002",
            "--email",
            email,
            "--nickname",
            "小新",
            "--name",
            "新员工",
            "--phone",
            "13912345678",
            "--max-sessions",
            "12",
            "--role",
            "online-admin",
        ],
    );
    role.assert_error(2);
    assert_eq!(served.requests().len(), before, "nothing sent");

    let delete = run_with(
        &home,
        &env,
        &["agents", "delete", "--tenant", "M002", "--email", email],
    );
    delete.assert_ok();
    assert!(served_staff_missing(&served, "M002", email));

    let again = run_with(
        &home,
        &env,
        &["agents", "delete", "--tenant", "M002", "--email", email],
    );
    again.assert_error(5);
    assert!(
        again.stderr.contains("sobot refused with code"),
        "{}",
        again.stderr
    );
}

/// A staff record from the served sandbox's state dump.
fn served_staff(served: &Served, code: &str, email: &str) -> serde_json::Value {
    find_staff(served, code, email).unwrap_or_else(|| panic!("{email} not in {code}"))
}

fn served_staff_missing(served: &Served, code: &str, email: &str) -> bool {
    find_staff(served, code, email).is_none()
}

fn find_staff(served: &Served, code: &str, email: &str) -> Option<serde_json::Value> {
    let state: serde_json::Value =
        serde_json::from_str(&served.control("GET", "/__sandbox/state", None)).expect("state");
    let tenants = state["tenants"].as_array()?;
    let tenant = tenants.iter().find(|t| t["customer_code"] == code)?;
    tenant["staff"]
        .as_array()?
        .iter()
        .find(|s| s["email"] == email)
        .cloned()
}

#[test]
fn deleting_staff_that_does_not_exist_is_a_vendor_refusal() {
    let home = Home::new();
    let ran = sandboxed(
        &home,
        "sobot",
        &[
            "agents",
            "delete",
            "--tenant",
            "M001",
            "--email",
            "nobody@m001.example.com",
        ],
    );
    ran.assert_error(5);
    assert!(
        ran.stderr.contains("sobot refused with code 999999"),
        "{}",
        ran.stderr
    );
}

#[test]
fn roles_list_is_the_four_fixed_roles() {
    let home = Home::new();
    let ran = sandboxed(&home, "sobot", &["-o", "json", "roles", "list"]);
    ran.assert_ok();
    let ids: Vec<String> = ran
        .json()
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids, ["1111", "2222", "5555", "8888"]);
}

#[test]
fn chats_list() {
    let home = Home::new();
    let emu = seeded();
    let partner = emu.partner_ids().into_iter().next().expect("a partner");
    let expected = emu.chats_of(&partner).len();
    let ran = sandboxed(
        &home,
        "sobot",
        &["-o", "json", "chats", "list", "--partner-id", &partner],
    );
    ran.assert_ok();
    let chats = ran.json();
    assert_eq!(chats.as_array().map(Vec::len), Some(expected), "{chats}");
    assert!(
        chats
            .as_array()
            .is_some_and(|c| c.iter().all(|x| x["company_id"].is_string()))
    );
    let table = sandboxed(&home, "sobot", &["chats", "list", "--partner-id", &partner]);
    table.assert_ok();
    assert_eq!(table.stdout.lines().count(), expected + 1);
}

#[test]
fn reports_agent_stats() {
    let home = Home::new();
    let day = chrono::NaiveDate::from_ymd_opt(2024, 5, 2).expect("date");
    let expected = seeded()
        .job_stats()
        .iter()
        .filter(|s| s.date == day)
        .count();
    assert!(expected > 0);
    let ran = sandboxed(
        &home,
        "sobot",
        &[
            "-o",
            "json",
            "reports",
            "agent-stats",
            "--from",
            "2024-05-02",
            "--to",
            "2024-05-02",
        ],
    );
    ran.assert_ok();
    let stats = ran.json();
    assert_eq!(stats.as_array().map(Vec::len), Some(expected));
    assert!(stats[0]["agent_id"].is_string() && stats[0]["company_id"].is_string());
    let csv = sandboxed(
        &home,
        "sobot",
        &[
            "-o",
            "csv",
            "reports",
            "agent-stats",
            "--from",
            "2024-05-02",
            "--to",
            "2024-05-02",
        ],
    );
    assert_eq!(csv.csv().1.len(), expected);
}

#[test]
fn reports_export_both_kinds() {
    let home = Home::new();
    for kind in ["sessions", "response-times"] {
        let ran = sandboxed(
            &home,
            "sobot",
            &[
                "-o",
                "json",
                "reports",
                "export",
                "--kind",
                kind,
                "--date",
                "2024-05-03",
            ],
        );
        ran.assert_ok();
        let report = ran.json();
        assert!(report.is_object(), "{report}");
        assert_eq!(report["kind"], kind);
        assert!(report["file_url"].is_string(), "{report}");
    }
}

#[test]
fn reports_agent_status_over_more_than_a_week() {
    let home = Home::new();
    let from = Zone::CHINA.start_of(chrono::NaiveDate::from_ymd_opt(2024, 5, 1).expect("d"));
    let to = Zone::CHINA.start_of(chrono::NaiveDate::from_ymd_opt(2024, 5, 21).expect("d"));
    let expected = seeded()
        .status_logs_between(from.timestamp_millis(), to.timestamp_millis())
        .len();
    let ran = sandboxed(
        &home,
        "sobot",
        &[
            "-o",
            "jsonl",
            "reports",
            "agent-status",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-20",
        ],
    );
    ran.assert_ok();
    let logs = ran.jsonl();
    assert_eq!(
        logs.len(),
        expected,
        "three weeks, fetched a week at a time"
    );
    assert!(logs.iter().all(|l| {
        l["at"]
            .as_str()
            .is_some_and(|t| t.parse::<DateTime<Utc>>().is_ok())
    }));
}
