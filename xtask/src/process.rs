//! Running cargo and other programs: where, how a command is shown, and
//! what a failure says.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Error, Result};

pub(crate) fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `cargo`, the same one that runs us when there is one.
pub(crate) fn cargo<I, S>(args: I) -> Command
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
pub(crate) fn show(cmd: &Command) -> String {
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
pub(crate) fn run(mut cmd: Command) -> Result {
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
pub(crate) fn output(mut cmd: Command) -> Result<String> {
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
pub(crate) fn cargo_has(args: &[&str]) -> bool {
    cargo(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Names the failing step, so a long CI log ends with what broke.
pub(crate) fn step(name: &str, result: Result) -> Result {
    result.map_err(|e| Error(format!("step `{name}` failed: {e}")))
}

/// Where cargo builds: `CARGO_TARGET_DIR` when set, else the workspace's.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| root().join("target"), |p| root().join(p))
}

/// Runs one of the facade's cross-vendor suites in release mode, with
/// `env` set: the same test CI runs quickly, here at full size.
pub(crate) fn suite(target: &str, env: &[(&str, String)]) -> Result {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_prints_env_and_cargo_by_name() {
        let mut cmd = Command::new("/home/x/.cargo/bin/cargo");
        cmd.args(["doc", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(show(&cmd), "RUSTDOCFLAGS=-D warnings cargo doc --no-deps");
    }
}
