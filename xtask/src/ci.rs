//! `cargo xtask ci`: everything CI checks, in order, stopping at the
//! first failure.

use crate::process::{cargo, cargo_has, output, run, step};
use crate::{Error, Result, VENDORS};

pub(crate) fn ci() -> Result {
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

    // The stores build without Redis too (feature `redis` of kefu-store).
    step(
        "kefu-store without `redis`",
        run(cargo([
            "check",
            "-p",
            "kefu-store",
            "--no-default-features",
        ])),
    )?;

    // The test kit builds without any of its parts, and with the
    // emulators alone, which is all the CLI takes.
    step(
        "kefu-testkit without features",
        run(cargo([
            "check",
            "-p",
            "kefu-testkit",
            "--no-default-features",
        ])),
    )?;
    step(
        "kefu-testkit with only `sandbox`",
        run(cargo([
            "check",
            "-p",
            "kefu-testkit",
            "--no-default-features",
            "--features",
            "sandbox",
        ])),
    )?;

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
    // Opted out: say so where the run's result is read (nextest hides the
    // SKIPPED lines of tests that pass).
    for (var, server) in [
        ("KEFU_SKIP_REDIS", "Redis"),
        ("KEFU_SKIP_POSTGRES", "PostgreSQL"),
    ] {
        if std::env::var(var).is_ok_and(|v| v == "1") {
            println!("\nci: {var}=1: the tests that need {server} were skipped");
        }
    }
    step("README's first command", readme_first_command())?;
    println!("\nci: all steps passed");
    Ok(())
}

/// Runs the first command of README.md as written, but without
/// `--release` (the tests built the debug binary already), in a directory
/// of its own under `target/`, inside the workspace so that `cargo run -p`
/// finds it. From f7fb88c on, `kefu-man` beside `kefu` made that command
/// fail ("could not determine which binary to run") and nothing noticed.
fn readme_first_command() -> Result {
    let root = crate::process::root();
    let readme = std::fs::read_to_string(root.join("README.md"))
        .map_err(|e| Error(format!("README.md: {e}")))?;
    let line =
        first_command(&readme).ok_or_else(|| Error("README.md has no ```sh block".into()))?;
    let line = line.replace(" --release", "");
    let dir = root.join("target").join("readme-first-command");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error(format!("{}: {e}", dir.display())))?;
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &line]).current_dir(&dir);
    let done = run(sh);
    let _ = std::fs::remove_dir_all(&dir);
    done
}

/// The first line of the first ```sh block of `readme`.
fn first_command(readme: &str) -> Option<&str> {
    let mut lines = readme.lines().skip_while(|l| l.trim() != "```sh");
    lines.next()?;
    lines
        .next()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "```")
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

    // The shipped binary carries the sandboxes (feature `sandbox` of
    // kefu-testkit), never the kit's test-only mocks and snapshot helpers.
    let cli = output(cargo([
        "tree", "-p", "kefu-cli", "-e", "normal", "--prefix", "none",
    ]))?;
    let found = crates_named(&cli, TEST_ONLY);
    if !found.is_empty() {
        return Err(Error(format!(
            "the kefu binary must not carry test-only crates, but kefu-cli's tree has: {}",
            found.join(", ")
        )));
    }
    Ok(())
}

/// Crates only tests may link: kefu-testkit's `mock` and `snapshot` parts.
const TEST_ONLY: &[&str] = &["mockall", "insta"];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_command_is_the_first_line_of_the_first_sh_block() {
        let readme = "# x\n\ntext\n\n```rust\nfn main() {}\n```\n\n```sh\ncargo run -p a -- b\nsecond\n```\n\n```sh\nother\n```\n";
        assert_eq!(first_command(readme), Some("cargo run -p a -- b"));
        assert_eq!(first_command("no block"), None);
        assert_eq!(first_command("```sh\n```\n"), None);
        let ours =
            std::fs::read_to_string(crate::process::root().join("README.md")).expect("README");
        assert!(
            first_command(&ours)
                .is_some_and(|c| c.starts_with("cargo run ") && c.contains("sync status"))
        );
    }

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
    fn test_only_crates_are_found_in_a_tree() {
        let tree = "kefu-cli v0.1.0 (/w/crates/kefu-cli)
                    kefu-testkit v0.1.0 (/w/crates/kefu-testkit)
                    mockall v0.13.1
                    mockall_derive v0.13.1 (proc-macro)
                    instant v0.1.0
                    insta v1.41.0
";
        // `mockall_derive` is not a `mockall-` companion; `mockall` itself
        // is enough to fail the check.
        assert_eq!(crates_named(tree, TEST_ONLY), ["insta", "mockall"]);
        assert!(
            crates_named(
                "kefu-cli v0.1.0
axum v0.8.9
",
                TEST_ONLY
            )
            .is_empty()
        );
    }
}
