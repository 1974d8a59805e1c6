//! The operators' toolkit of contract v2 against real sandboxes: roster
//! plan/apply, --dry-run, --password-stdin, JSON errors, --record and its
//! replay, --debug, and the bounded request log of `sandbox serve`.

mod common;

use std::path::Path;

use common::{Home, Ran, Served, run_with, sandboxed};
use serde_json::Value;

/// `kefu args` with `env` and `stdin`.
fn run_stdin(home: &Home, env: &[(String, String)], args: &[&str], stdin: &str) -> Ran {
    let mut cmd = home.kefu();
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ran::of(
        cmd.args(args)
            .write_stdin(stdin.to_owned())
            .output()
            .expect("run kefu"),
    )
}

/// Requests that changed something (not reads, not the token).
fn writes(served: &Served) -> Vec<String> {
    served
        .requests()
        .iter()
        .filter(|r| {
            r["method"] != "GET" && !r["path"].as_str().unwrap_or("").ends_with("/accessToken")
        })
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn write_file(home: &Home, name: &str, text: &str) -> String {
    let path = home.path().join(name);
    std::fs::write(&path, text).expect("write file");
    path.to_string_lossy().into_owned()
}

/// Every agent's email and whether it is enabled, in list order.
fn agents(served: &Served) -> Vec<(String, bool)> {
    let ran = run_with(
        home_of(served),
        &served.env_pairs(),
        &["-o", "json", "agents", "list"],
    );
    ran.assert_ok();
    ran.json()
        .as_array()
        .expect("array")
        .iter()
        .map(|a| {
            (
                a["email"].as_str().unwrap_or_default().to_owned(),
                a["enabled"].as_bool().unwrap_or(true),
            )
        })
        .collect()
}

// The HOME the helpers run in does not matter for a served sandbox.
fn home_of(_: &Served) -> &'static Home {
    static HOME: std::sync::OnceLock<Home> = std::sync::OnceLock::new();
    HOME.get_or_init(Home::new)
}

#[test]
fn roster_plan_then_apply_then_nothing_left_to_do() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--agents", "3"]);
    let env = served.env_pairs();
    let listed = agents(&served);
    let names: Vec<String> = listed.iter().map(|(e, _)| e.clone()).collect();
    // Flip the second agent's state, whatever the seed made it.
    let (was, want) = if listed[1].1 {
        ("yes", "no")
    } else {
        ("no", "yes")
    };
    let roster = write_file(
        &home,
        "roster.csv",
        &format!(
            "email,nickname,name,role,max_sessions,enabled\n\
             {},,,,,\n\
             {},Renamed,,,,{want}\n\
             fresh@shop.example,Fresh,Fresh One,agent,4,\n",
            names[0], names[1]
        ),
    );

    let plan = run_with(
        &home,
        &env,
        &["-o", "json", "agents", "plan", "--file", &roster, "--prune"],
    );
    plan.assert_ok();
    let rows = plan.json();
    let actions: Vec<(&str, &str)> = rows
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap_or(""),
                r["action"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            (names[0].as_str(), "none"),
            (names[1].as_str(), "update"),
            ("fresh@shop.example", "create"),
            (names[2].as_str(), "delete"),
        ]
    );
    assert_eq!(rows[1]["changes"]["nickname"][1], "Renamed");
    assert_eq!(
        rows[1]["changes"]["enabled"],
        serde_json::json!([was, want])
    );
    assert!(
        writes(&served).is_empty(),
        "plan wrote: {:?}",
        writes(&served)
    );

    // Not on a terminal, without --yes: refused, nothing sent.
    let refused = run_stdin(
        &home,
        &env,
        &["agents", "apply", "--file", &roster, "--password-stdin"],
        "Start-Pass-2024\n",
    );
    refused.assert_error(2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert!(writes(&served).is_empty());

    let applied = run_stdin(
        &home,
        &env,
        &[
            "-o",
            "json",
            "agents",
            "apply",
            "--file",
            &roster,
            "--yes",
            "--password-stdin",
        ],
        "Start-Pass-2024\n",
    );
    applied.assert_ok();
    let outcomes: Vec<String> = applied
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        outcomes,
        ["unchanged", "updated", "created"],
        "{}",
        applied.stdout
    );
    let after_first = writes(&served);
    assert_eq!(after_first.len(), 3, "{after_first:?}");

    // The same file again: every row unchanged, nothing written.
    let again = run_with(
        &home,
        &env,
        &["-o", "json", "agents", "apply", "--file", &roster, "--yes"],
    );
    again.assert_ok();
    assert!(
        again
            .json()
            .as_array()
            .expect("array")
            .iter()
            .all(|r| r["outcome"] == "unchanged"),
        "{}",
        again.stdout
    );
    assert_eq!(writes(&served), after_first);

    // The table shows every change whole.
    let table = run_with(
        &home,
        &env,
        &["agents", "plan", "--file", &roster, "--prune"],
    );
    table.assert_ok();
    assert!(table.stdout.starts_with("EMAIL"), "{}", table.stdout);
    assert!(table.stdout.contains("delete"), "{}", table.stdout);
}

#[test]
fn bad_roster_rows_are_all_named_and_nothing_is_sent() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--agents", "2"]);
    let roster = write_file(
        &home,
        "bad.csv",
        "email,nickname,max_sessions,enabled\n\
         ok@shop.example,Ok,1,yes\n\
         not-an-email,x,1,yes\n\
         b@shop.example,B,lots,yes\n\
         c@shop.example,C,1,perhaps\n",
    );
    let ran = run_with(
        &home,
        &served.env_pairs(),
        &["agents", "apply", "--file", &roster, "--yes"],
    );
    ran.assert_error(2);
    for line in ["line 3", "line 4", "line 5"] {
        assert!(ran.stderr.contains(line), "{line}: {}", ran.stderr);
    }
    assert!(served.requests().is_empty(), "something was sent");
    let unknown = write_file(&home, "unknown.csv", "email,password\na@shop.example,x\n");
    let ran = run_with(
        &home,
        &served.env_pairs(),
        &["agents", "plan", "--file", &unknown],
    );
    ran.assert_error(2);
    assert!(
        ran.stderr.contains("`password` is not a roster column"),
        "{}",
        ran.stderr
    );
}

#[test]
fn sobot_rosters_are_upserts_and_prune_is_unsupported() {
    let home = Home::new();
    let roster = write_file(
        &home,
        "sobot.csv",
        "email,nickname,name,role,max_sessions,phone\n\
         new.staff@shop.example,New,New Staff,online-agent,3,13100000000\n",
    );
    let ran = sandboxed(
        &home,
        "sobot",
        &[
            "agents", "plan", "--file", &roster, "--tenant", "M001", "--prune",
        ],
    );
    ran.assert_error(3);
    let ran = sandboxed(
        &home,
        "sobot",
        &[
            "-o", "json", "agents", "plan", "--file", &roster, "--tenant", "M001",
        ],
    );
    ran.assert_ok();
    assert_eq!(ran.json()[0]["action"], "create");
    let ran = run_stdin(
        &home,
        &[],
        &[
            "--sandbox",
            "--vendor",
            "sobot",
            "-o",
            "json",
            "agents",
            "apply",
            "--file",
            &roster,
            "--tenant",
            "M001",
            "--yes",
            "--password-stdin",
        ],
        "Start-Pass-2024\n",
    );
    ran.assert_ok();
    assert_eq!(ran.json()[0]["outcome"], "created", "{}", ran.stdout);
}

#[test]
fn a_dry_run_prints_the_writes_with_secrets_masked_and_sends_none() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--agents", "2"]);
    let env = served.env_pairs();
    let ran = run_stdin(
        &home,
        &env,
        &[
            "--dry-run",
            "-o",
            "jsonl",
            "agents",
            "add",
            "--email",
            "dry@shop.example",
            "--nickname",
            "Dry",
            "--name",
            "Dry Run",
            "--role",
            "agent",
            "--max-sessions",
            "3",
            "--password-stdin",
        ],
        "Very-Secret-Pass-1\n",
    );
    ran.assert_ok();
    let lines = ran.jsonl();
    assert_eq!(lines.len(), 1, "{}", ran.stdout);
    assert_eq!(lines[0]["method"], "POST");
    assert!(lines[0]["path"].as_str().unwrap_or("").ends_with("/agent"));
    assert_eq!(lines[0]["body"]["username"], "dry@shop.example");
    assert_eq!(lines[0]["body"]["password"], "***");
    assert!(!ran.stdout.contains("Very-Secret") && !ran.stderr.contains("Very-Secret"));
    assert!(writes(&served).is_empty(), "{:?}", writes(&served));

    // KEFU_DRY_RUN=1 does the same, as a table; bad input still fails first.
    let mut env2 = env.clone();
    env2.push(("KEFU_DRY_RUN".into(), "1".into()));
    let ran = run_with(
        &home,
        &env2,
        &["agents", "disable", "--email", "x@shop.example"],
    );
    ran.assert_ok();
    assert!(
        ran.stdout.starts_with("PUT /api/tenants/"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(r#"{"username":"x@shop.example"}"#),
        "{}",
        ran.stdout
    );
    let ran = run_with(
        &home,
        &env2,
        &["agents", "disable", "--email", "not-an-email"],
    );
    ran.assert_error(2);
    assert!(writes(&served).is_empty());
}

#[test]
fn passwords_come_from_stdin_or_with_a_warning_from_the_command_line() {
    let home = Home::new();
    let base = [
        "--sandbox",
        "--vendor",
        "easemob",
        "agents",
        "set-password",
        "--email",
    ];
    let email = "agent001@example.com";
    let mut both: Vec<&str> = base.to_vec();
    both.extend([email, "--password", "Pass-Word-123", "--password-stdin"]);
    run_stdin(&home, &[], &both, "Pass-Word-123\n").assert_error(2);
    let mut neither: Vec<&str> = base.to_vec();
    neither.push(email);
    run_stdin(&home, &[], &neither, "").assert_error(2);

    let mut stdin: Vec<&str> = base.to_vec();
    stdin.extend([email, "--password-stdin"]);
    let ran = run_stdin(&home, &[], &stdin, "Pass-Word-123\r\n");
    ran.assert_ok();
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
    let empty = run_stdin(&home, &[], &stdin, "\n");
    empty.assert_error(2);

    let mut flag: Vec<&str> = base.to_vec();
    flag.extend([email, "--password", "Pass-Word-123"]);
    let ran = run_stdin(&home, &[], &flag, "");
    ran.assert_ok();
    let warning: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(warning.len(), 1, "{}", ran.stderr);
    assert!(warning[0].starts_with("kefu: warning:") && warning[0].contains("--password-stdin"));
    assert!(!ran.stderr.contains("Pass-Word-123"));
}

#[test]
fn with_json_output_errors_are_one_json_object() {
    let home = Home::new();
    let ran = sandboxed(
        &home,
        "easemob",
        &[
            "-o",
            "json",
            "agents",
            "delete",
            "--email",
            "nobody@shop.example",
        ],
    );
    assert_eq!(ran.code, 5, "{}", ran.stderr);
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", ran.stderr);
    let e: Value = serde_json::from_str(lines[0]).expect("JSON");
    let keys: Vec<&String> = e["error"].as_object().expect("object").keys().collect();
    assert_eq!(keys, ["code", "exit", "kind", "message", "vendor"]);
    assert_eq!(e["error"]["exit"], 5);
    assert_eq!(e["error"]["kind"], "not_found");
    assert_eq!(e["error"]["vendor"], "easemob");
    assert!(
        e["error"]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("API_")),
        "{e}"
    );

    // Never a secret, even when the password was on the command line.
    let ran = sandboxed(
        &home,
        "easemob",
        &[
            "-o",
            "json",
            "agents",
            "add",
            "--email",
            "bad-email",
            "--nickname",
            "N",
            "--name",
            "N N",
            "--role",
            "agent",
            "--max-sessions",
            "2",
            "--password",
            "Hunter2-Hunter2",
        ],
    );
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(!ran.stderr.contains("Hunter2"), "{}", ran.stderr);
    let last: Value =
        serde_json::from_str(ran.stderr.lines().last().unwrap_or("")).expect("JSON last line");
    assert_eq!(last["error"]["kind"], "invalid_input");

    // Usage errors, found by clap or by kefu, and unsupported ones too.
    for (args, exit, kind) in [
        (
            vec!["-o", "jsonl", "agents", "list", "--serch", "x"],
            2,
            "usage",
        ),
        (
            vec![
                "-o",
                "json",
                "--vendor",
                "easemob",
                "--sandbox",
                "tenants",
                "list",
            ],
            3,
            "unsupported",
        ),
        (
            vec![
                "--output=json",
                "--sandbox",
                "--vendor",
                "easemob",
                "reports",
                "agent-stats",
                "--from",
                "2024-05-09",
                "--to",
                "2024-05-01",
            ],
            2,
            "invalid_input",
        ),
    ] {
        let ran = common::run(&home, &[], &args);
        assert_eq!(ran.code, exit, "{args:?}: {}", ran.stderr);
        assert!(ran.stdout.is_empty());
        let e: Value = serde_json::from_str(ran.stderr.trim())
            .unwrap_or_else(|_| panic!("{args:?}: {}", ran.stderr));
        assert_eq!(e["error"]["exit"], exit);
        assert_eq!(e["error"]["kind"], kind, "{e}");
    }
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    all.sort();
    all
}

#[test]
fn a_recorded_run_replays_to_the_same_output_with_no_secret_recorded() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--agents", "4", "--sessions", "60"]);
    let env = served.env_pairs();
    let secret = served.env["KEFU_EASEMOB_SECRET_ID"].clone();
    let dir = home.path().join("cassette");
    let dir_arg = dir.to_string_lossy().into_owned();
    let commands: [&[&str]; 3] = [
        &["-o", "json", "agents", "list"],
        &[
            "-o",
            "json",
            "reports",
            "agent-stats",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-03",
        ],
        &[
            "-o",
            "json",
            "agents",
            "set-password",
            "--email",
            "agent001@example.com",
            "--password-stdin",
        ],
    ];
    let mut originals = Vec::new();
    for args in commands {
        let mut all = vec!["--record", dir_arg.as_str()];
        all.extend_from_slice(args);
        let ran = run_stdin(&home, &env, &all, "Recorded-Pass-77\n");
        ran.assert_ok();
        originals.push(ran.stdout);
    }
    let recorded = files(&dir);
    assert!(recorded.len() >= 5, "{recorded:?}");
    for file in &recorded {
        let text = std::fs::read_to_string(file).expect("read");
        let json: Value = serde_json::from_str(&text).expect("whole JSON file");
        for key in [
            "method",
            "path",
            "query",
            "body",
            "status",
            "answer",
            "elapsed_ms",
        ] {
            assert!(
                json.get(key).is_some(),
                "{key} missing in {}",
                file.display()
            );
        }
        assert!(!text.contains(&secret), "secretId in {}", file.display());
        assert!(
            !text.contains("Recorded-Pass-77"),
            "password in {}",
            file.display()
        );
        // The token the vendor handed out is masked, and so every later use.
        if json["path"]
            .as_str()
            .unwrap_or("")
            .ends_with("/accessToken")
        {
            let answer = json["answer"].to_string();
            assert!(answer.contains("***"), "{answer}");
        }
    }

    // Replay the folder with no sandbox at all: same output.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let replay = kefu_testkit::sandbox::replay::Replay::load(&dir).expect("load");
    let server = rt
        .block_on(kefu_testkit::sandbox::Sandbox::start(replay.clone()))
        .expect("replay server");
    let replay_env: Vec<(String, String)> = server.env();
    drop(served);
    for (args, original) in commands.iter().zip(&originals) {
        let ran = run_stdin(&home, &replay_env, args, "Recorded-Pass-77\n");
        ran.assert_ok();
        assert_eq!(&ran.stdout, original, "{args:?}");
    }
    assert!(replay.misses().is_empty(), "{:?}", replay.misses());
    rt.block_on(server.stop());
}

#[test]
fn debug_prints_one_line_per_exchange_without_secrets() {
    let home = Home::new();
    let ran = sandboxed(&home, "easemob", &["--debug", "agents", "list"]);
    ran.assert_ok();
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert!(lines.len() >= 2, "{}", ran.stderr);
    assert!(
        lines[0].starts_with("kefu: debug: easemob POST /api/tenant/"),
        "{}",
        lines[0]
    );
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("kefu: debug: ") && l.ends_with("ms")),
        "{}",
        ran.stderr
    );
    assert!(
        lines[1].contains("GET /api/tenants/") && lines[1].contains(" 200 "),
        "{}",
        lines[1]
    );
    assert!(
        !ran.stderr.contains("?"),
        "a query (signature) in {}",
        ran.stderr
    );
}

#[test]
fn the_served_request_log_is_bounded() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--log-limit", "3"]);
    for _ in 0..3 {
        run_with(&home, &served.env_pairs(), &["roles", "list"]).assert_ok();
    }
    let log = served.requests();
    assert_eq!(log.len(), 3, "{log:?}");
    // The oldest were dropped: the last request is the last roles call.
    assert!(log[2]["path"].as_str().unwrap_or("").ends_with("/roles"));
}

#[test]
fn sobot_writes_dry_run_and_record_without_keys_signatures_or_passwords() {
    let home = Home::new();
    let served = Served::start(&home, "sobot", &["--tenants", "2"]);
    let env = served.env_pairs();
    let union_key = served.env["KEFU_SOBOT_UNION_KEY"].clone();
    let add = [
        "tenants",
        "add",
        "--customer-code",
        "shop-dry",
        "--name",
        "Dry Shop",
        "--email",
        "admin@dry.example",
        "--max-agents",
        "2",
        "--password-stdin",
    ];
    let mut dry = vec!["--dry-run", "-o", "json"];
    dry.extend_from_slice(&add);
    let ran = run_stdin(&home, &env, &dry, "Tenant-Pass-99\n");
    ran.assert_ok();
    let held = ran.json();
    assert_eq!(held.as_array().map(Vec::len), Some(1), "{}", ran.stdout);
    assert_eq!(held[0]["body"]["customerCode"], "shop-dry");
    assert_eq!(held[0]["body"]["token"], "***", "the signature");
    assert_eq!(held[0]["body"]["password"], "***");
    assert!(!ran.stdout.contains(&union_key) && !ran.stdout.contains("Tenant-Pass-99"));
    assert!(writes(&served).is_empty(), "{:?}", writes(&served));

    // A list under --dry-run is just the list: one JSON document.
    let ran = run_with(&home, &env, &["--dry-run", "-o", "json", "tenants", "list"]);
    ran.assert_ok();
    assert_eq!(ran.json().as_array().map(Vec::len), Some(2));

    let dir = home.path().join("sobot-cassette");
    let dir_arg = dir.to_string_lossy().into_owned();
    let mut rec = vec!["--record", dir_arg.as_str()];
    rec.extend_from_slice(&add);
    run_stdin(&home, &env, &rec, "Tenant-Pass-99\n").assert_ok();
    run_with(&home, &env, &["--record", &dir_arg, "tenants", "app-keys"]).assert_ok();
    let recorded = files(&dir);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    for file in recorded {
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(!text.contains(&union_key), "unionKey in {}", file.display());
        assert!(
            !text.contains("Tenant-Pass-99"),
            "password in {}",
            file.display()
        );
        let json: Value = serde_json::from_str(&text).expect("json");
        let all = json.to_string();
        for (key, _) in [("\"token\":", ()), ("\"appKey\":", ())] {
            for (i, _) in all.match_indices(key) {
                let rest = &all[i + key.len()..];
                assert!(
                    rest.starts_with("\"***\"") || rest.starts_with("null"),
                    "{key} unmasked in {}: {}",
                    file.display(),
                    &rest[..rest.len().min(40)]
                );
            }
        }
    }

    // Sobot signs every call with a fresh ts and token: a replay still matches.
    let list_dir = home.path().join("sobot-list");
    let list_arg = list_dir.to_string_lossy().into_owned();
    let original = run_with(
        &home,
        &env,
        &["--record", &list_arg, "-o", "json", "tenants", "list"],
    );
    original.assert_ok();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let replay = kefu_testkit::sandbox::replay::Replay::load(&list_dir).expect("load");
    let server = rt
        .block_on(kefu_testkit::sandbox::Sandbox::start(replay.clone()))
        .expect("replay server");
    let replayed = run_with(&home, &server.env(), &["-o", "json", "tenants", "list"]);
    replayed.assert_ok();
    // The same, but for the app keys: a credential, masked in the recording.
    let mut want = original.json();
    for tenant in want.as_array_mut().expect("array") {
        assert!(tenant["app_key"].as_str().is_some_and(|k| !k.is_empty()));
        tenant["app_key"] = Value::String("***".into());
    }
    assert_eq!(replayed.json(), want);
    assert!(replay.misses().is_empty(), "{:?}", replay.misses());
    rt.block_on(server.stop());
}

/// `kefu args` on a pseudo-terminal (util-linux `script`), typing `answer`.
fn on_terminal(home: &Home, env: &[(String, String)], args: &[&str], answer: &str) -> Option<Ran> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED (no `script` to make a terminal): on_a_terminal_apply_asks_first");
        return None;
    }
    let kefu = assert_cmd::cargo::cargo_bin("kefu");
    let mut line = kefu.to_string_lossy().into_owned();
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(answer.as_bytes())
        .expect("type");
    Some(Ran::of(child.wait_with_output().expect("wait")))
}

#[test]
fn on_a_terminal_apply_asks_first() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--agents", "2"]);
    let env = served.env_pairs();
    let name = agents(&served)[0].0.clone();
    let roster = write_file(
        &home,
        "one.csv",
        &format!("email,nickname\n{name},Asked First\n"),
    );
    let Some(no) = on_terminal(&home, &env, &["agents", "apply", "--file", &roster], "n\n") else {
        return;
    };
    assert_eq!(no.code, 1, "{}", no.stdout);
    assert!(
        no.stdout.contains("Apply 1 change(s) to easemob? [y/N]"),
        "{}",
        no.stdout
    );
    assert!(writes(&served).is_empty(), "a declined apply wrote");
    let yes =
        on_terminal(&home, &env, &["agents", "apply", "--file", &roster], "y\n").expect("script");
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    assert!(yes.stdout.contains("updated"), "{}", yes.stdout);
    assert_eq!(writes(&served).len(), 1);
}

#[test]
fn a_recording_folder_that_cannot_be_made_is_exit_2_before_anything_is_sent() {
    let home = Home::new();
    let served = Served::start(&home, "easemob", &["--agents", "2"]);
    let blocker = write_file(&home, "a-file", "not a folder");
    let dir = format!("{blocker}/rec");
    let ran = run_with(
        &home,
        &served.env_pairs(),
        &["--record", &dir, "agents", "list"],
    );
    ran.assert_error(2);
    assert!(ran.stderr.contains("record"), "{}", ran.stderr);
    assert!(served.requests().is_empty(), "something was sent");
}
