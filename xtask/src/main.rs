//! Contributor tasks: `cargo xtask <command>`. See `cargo xtask help`.
//!
//! std only, so that running a task never waits on a dependency build.
#![allow(clippy::print_stdout)]

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::Duration;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  ci                  everything CI checks, in order, stopping at the first failure:
                      fmt, clippy, tests (nextest if installed) and doctests, rustdoc,
                      each vendor feature of `kefu` alone, examples per vendor, and
                      dependency hygiene (no HTTP/runtime in kefu-core; no cross-vendor
                      dependency in the facade)
  snapshots           review insta snapshots (`cargo insta review`; without cargo-insta,
                      writes .snap.new files and lists them); never accepts anything
  sandbox [--vendor V] [ARGS...]
                      serve the vendor sandboxes (`kefu sandbox serve`); both vendors
                      unless --vendor is given (repeatable); other ARGS are passed on;
                      stop with Ctrl-C
  bench               run the benchmark suite (kefu-testkit test `bench`, release)
  reliability         every operation of both vendors under every sandbox fault (release);
                      rewrites the table in docs/reliability.md
  fuzz [CASES]        fuzz every response decoder (release), 20000 cases per property
                      by default (CI runs 96)
  help                this message
";

const VENDORS: [&str; 2] = ["sobot", "easemob"];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    let result = match cmd.as_str() {
        "ci" => no_args(&cmd, &rest).and_then(|()| ci()),
        "snapshots" => no_args(&cmd, &rest).and_then(|()| snapshots()),
        "sandbox" => sandbox(&rest),
        "bench" => Err(Error(
            "the benchmark runner is being written (issue 7): see docs/benchmarks.md".to_owned(),
        )),
        "reliability" => no_args(&cmd, &rest).and_then(|()| reliability()),
        "fuzz" => fuzz(&rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(Error(format!("unknown command `{other}`\n\n{USAGE}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {cmd}: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A failure, already worded for the person at the terminal.
#[derive(Debug)]
struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

fn no_args(cmd: &str, rest: &[String]) -> Result {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(Error(format!("`{cmd}` takes no arguments, got `{arg}`"))),
    }
}

// ---------------------------------------------------------------- helpers --

/// The workspace root, whatever directory `cargo xtask` was started from.
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `cargo`, the same one that runs us when there is one.
fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(root());
    cmd.args(args.into_iter().map(Into::into));
    cmd
}

/// How a command reads on a shell line, for the log and error messages.
fn show(cmd: &Command) -> String {
    let mut line = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            line.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    let program = Path::new(cmd.get_program());
    // `$CARGO` is an absolute path; `cargo` is what a person would type.
    let name = program
        .file_stem()
        .filter(|stem| *stem == "cargo")
        .map_or_else(|| program.to_string_lossy(), |stem| stem.to_string_lossy());
    line.push_str(&name);
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `cmd` with the terminal attached; a non-zero exit is an error.
fn run(mut cmd: Command) -> Result {
    let line = show(&cmd);
    println!("$ {line}");
    let status = cmd
        .status()
        .map_err(|e| Error(format!("could not start `{line}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error(format!("`{line}` failed ({status})")))
    }
}

/// Runs `cmd` and returns its stdout; stderr goes to the terminal.
fn output(mut cmd: Command) -> Result<String> {
    let line = show(&cmd);
    println!("$ {line}");
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error(format!("could not start `{line}`: {e}")))?;
    if !out.status.success() {
        return Err(Error(format!("`{line}` failed ({})", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `cargo <args>` runs at all (an installed subcommand), quietly.
fn cargo_has(args: &[&str]) -> bool {
    cargo(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Names the failing step, so a long CI log ends with what broke.
fn step(name: &str, result: Result) -> Result {
    result.map_err(|e| Error(format!("step `{name}` failed: {e}")))
}

// --------------------------------------------------------------------- ci --

fn ci() -> Result {
    step("format", run(cargo(["fmt", "--all", "--check"])))?;
    step(
        "clippy",
        run(cargo([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    )?;

    let mut doc = cargo(["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    step("docs", run(doc))?;

    // Each vendor must build without the other, and the core without any.
    for vendor in VENDORS {
        step(
            &format!("facade with only `{vendor}`"),
            run(cargo([
                "check",
                "-p",
                "kefu",
                "--no-default-features",
                "--features",
                vendor,
            ])),
        )?;
    }
    step(
        "facade with no vendor",
        run(cargo(["check", "-p", "kefu", "--no-default-features"])),
    )?;
    for vendor in VENDORS {
        step(
            &format!("examples with only `{vendor}`"),
            run(cargo([
                "check",
                "-p",
                "kefu",
                "--examples",
                "--no-default-features",
                "--features",
                vendor,
            ])),
        )?;
    }

    step("dependency hygiene", hygiene())?;

    // Tests last: they take longest, and their summary closes the log.
    if cargo_has(&["nextest", "--version"]) {
        step("tests", run(cargo(["nextest", "run", "--workspace"])))?;
        // nextest does not run doctests.
        step("doctests", run(cargo(["test", "--workspace", "--doc"])))?;
    } else {
        println!("(cargo-nextest not installed: using cargo test)");
        step("tests", run(cargo(["test", "--workspace"])))?;
    }
    println!("\nci: all steps passed");
    Ok(())
}

/// The core must stay free of HTTP clients and runtimes, and picking one
/// vendor must not pull in the other.
fn hygiene() -> Result {
    let core = output(cargo([
        "tree",
        "-p",
        "kefu-core",
        "-e",
        "normal",
        "--prefix",
        "none",
    ]))?;
    let found = crates_named(&core, &["reqwest", "tokio", "hyper"]);
    if !found.is_empty() {
        return Err(Error(format!(
            "kefu-core must not depend on an HTTP client or async runtime, but its tree has: {}",
            found.join(", ")
        )));
    }

    for (vendor, other) in [("sobot", "kefu-easemob"), ("easemob", "kefu-sobot")] {
        let tree = output(cargo([
            "tree",
            "-p",
            "kefu",
            "-e",
            "normal",
            "--no-default-features",
            "--features",
            vendor,
            "--prefix",
            "none",
        ]))?;
        if !crates_named(&tree, &[other]).is_empty() {
            return Err(Error(format!(
                "`kefu --features {vendor}` must not depend on {other}"
            )));
        }
    }
    Ok(())
}

/// Crates in a `cargo tree --prefix none` listing whose name is one of
/// `names` or a `name-...` companion (`tokio-macros`, `hyper-util`).
fn crates_named(tree: &str, names: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|krate| {
            names.iter().any(|name| {
                *krate == *name
                    || krate
                        .strip_prefix(name)
                        .is_some_and(|rest| rest.starts_with('-'))
            })
        })
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

// -------------------------------------------------------------- snapshots --

fn snapshots() -> Result {
    if cargo_has(&["insta", "--version"]) {
        // Interactive: the reviewer accepts or rejects each snapshot.
        return run(cargo(["insta", "review"]));
    }

    println!(
        "cargo-insta is not installed; install it with `cargo install cargo-insta` \
         for an interactive review.\nFalling back: writing new snapshots as .snap.new files \
         (nothing is accepted)."
    );
    let mut test = cargo(["test", "--workspace", "--no-fail-fast"]);
    test.env("INSTA_UPDATE", "new");
    // Tests whose snapshot changed fail by design here; what matters is
    // whether they left something to review.
    let tests = run(test);

    let mut pending = Vec::new();
    find_pending(&root(), &mut pending);
    pending.sort();
    if pending.is_empty() {
        return match tests {
            Ok(()) => {
                println!("no pending snapshots");
                Ok(())
            }
            Err(e) => Err(Error(format!(
                "tests failed but left no snapshot to review: {e}"
            ))),
        };
    }

    println!("\npending snapshots ({}):", pending.len());
    for path in &pending {
        let shown = path.strip_prefix(root()).unwrap_or(path);
        println!("  {}", shown.display());
    }
    println!(
        "\nReview each one against its .snap: to accept, rename `X.snap.new` to `X.snap`; \
         to reject, delete the .snap.new (inline snapshots: `.pending-snap`, needs cargo-insta)."
    );
    Err(Error(format!(
        "{} snapshot(s) wait for review",
        pending.len()
    )))
}

/// `.snap.new` and `.pending-snap` files under `dir`, skipping build output.
fn find_pending(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != "target" && !name.starts_with('.') {
                find_pending(&path, found);
            }
        } else if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            found.push(path);
        }
    }
}

// ---------------------------------------------------------------- sandbox --

fn sandbox(args: &[String]) -> Result {
    let mut vendors = Vec::new();
    let mut passthrough = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--vendor" {
            let v = it
                .next()
                .ok_or_else(|| Error("`--vendor` needs a value".into()))?;
            vendors.push(v.clone());
        } else if let Some(v) = arg.strip_prefix("--vendor=") {
            vendors.push(v.to_owned());
        } else {
            passthrough.push(arg.clone());
        }
    }
    if vendors.is_empty() {
        vendors = VENDORS.iter().map(|v| (*v).to_owned()).collect();
    }

    // Build once, so two `cargo run`s do not race for the build lock.
    run(cargo(["build", "-p", "kefu-cli"]))?;

    let mut children: Vec<(String, Child)> = Vec::new();
    for vendor in &vendors {
        let mut cmd = cargo(["run", "-q", "-p", "kefu-cli", "--", "sandbox", "serve"]);
        cmd.args(["--vendor", vendor]).args(&passthrough);
        println!("$ {}", show(&cmd));
        match cmd.spawn() {
            Ok(child) => children.push((vendor.clone(), child)),
            Err(e) => {
                stop_all(&mut children);
                return Err(Error(format!("could not start the {vendor} sandbox: {e}")));
            }
        }
    }
    println!(
        "sandbox: serving {}; press Ctrl-C to stop",
        vendors.join(" and ")
    );

    // Ctrl-C reaches the children too (same process group); we just wait.
    // If one sandbox dies on its own, the others are stopped with it.
    while !children.is_empty() {
        let mut i = 0;
        while i < children.len() {
            let (vendor, child) = &mut children[i];
            match child.try_wait() {
                Ok(None) => i += 1,
                Ok(Some(status)) => {
                    let vendor = vendor.clone();
                    children.remove(i);
                    if !status.success() {
                        stop_all(&mut children);
                        return Err(Error(format!("the {vendor} sandbox exited ({status})")));
                    }
                }
                Err(e) => {
                    let vendor = vendor.clone();
                    children.remove(i);
                    stop_all(&mut children);
                    return Err(Error(format!("lost the {vendor} sandbox: {e}")));
                }
            }
        }
        thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Stops the sandboxes this task started (by their handles, nothing else).
fn stop_all(children: &mut Vec<(String, Child)>) {
    for (vendor, child) in children.iter_mut() {
        if let Err(e) = child.kill() {
            eprintln!("could not stop the {vendor} sandbox: {e}");
        }
        let _ = child.wait();
    }
    children.clear();
}

// ------------------------------------------ bench / reliability / fuzz --

/// Runs the `#[ignore]`d, release-mode test target `target` of kefu-testkit,
/// where the long-running suites live.
/// Runs one of the facade's cross-vendor suites in release mode, with
/// `env` set: the same test CI runs quickly, here at full size.
fn suite(target: &str, env: &[(&str, String)]) -> Result {
    let mut cmd = cargo([
        "test",
        "--release",
        "-p",
        "kefu",
        "--test",
        target,
        "--",
        "--nocapture",
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd)
}

/// `cargo xtask reliability`: every operation of both vendors under every
/// fault, regenerating the table in docs/reliability.md.
fn reliability() -> Result {
    let doc = root().join("docs/reliability.md");
    suite(
        "reliability",
        &[("KEFU_RELIABILITY_REPORT", doc.display().to_string())],
    )?;
    println!("wrote the table in {}", doc.display());
    Ok(())
}

/// `cargo xtask fuzz [CASES]`: the decoder fuzz suite with many more cases
/// than CI's quick pass (default 20,000 per property).
fn fuzz(rest: &[String]) -> Result {
    let cases = match rest.first() {
        None => "20000".to_owned(),
        Some(n) if n.parse::<u32>().is_ok() => n.clone(),
        Some(other) => {
            return Err(Error(format!(
                "fuzz takes a number of cases, not `{other}`"
            )));
        }
    };
    suite("fuzz", &[("KEFU_FUZZ_CASES", cases)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_named_matches_whole_names_and_companions_only() {
        let tree = "kefu-core v0.1.0 (/w/crates/kefu-core)\n\
                    async-trait v0.1.92 (proc-macro)\n\
                    tokio-macros v2.5.0 (proc-macro)\n\
                    hyperloglog v1.0.0\n\
                    tokio v1.44.0\n\
                    tokio v1.44.0 (*)\n";
        assert_eq!(
            crates_named(tree, &["reqwest", "tokio", "hyper"]),
            ["tokio", "tokio-macros"]
        );
        assert!(crates_named(tree, &["kefu-easemob"]).is_empty());
    }

    #[test]
    fn find_pending_skips_target_and_hidden_dirs() {
        let dir = std::env::temp_dir().join(format!("xtask-pending-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in [
            "crates/a/tests/snapshots",
            "crates/a/src",
            "target/x",
            ".git",
        ] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        for file in [
            "crates/a/tests/snapshots/t__one.snap",
            "crates/a/tests/snapshots/t__one.snap.new",
            "crates/a/src/.lib.rs.pending-snap",
            "target/x/t__two.snap.new",
            ".git/t__three.snap.new",
        ] {
            std::fs::write(dir.join(file), "").expect("write");
        }
        let mut found = Vec::new();
        find_pending(&dir, &mut found);
        found.sort();
        let found: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(&dir).expect("under dir"))
            .collect();
        assert_eq!(
            found,
            [
                Path::new("crates/a/src/.lib.rs.pending-snap"),
                Path::new("crates/a/tests/snapshots/t__one.snap.new"),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn show_prints_env_and_cargo_by_name() {
        let mut cmd = Command::new("/home/x/.cargo/bin/cargo");
        cmd.args(["doc", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(show(&cmd), "RUSTDOCFLAGS=-D warnings cargo doc --no-deps");
    }
}
