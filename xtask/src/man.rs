//! `cargo xtask man [DIR]`: the man pages of `kefu`.

use std::path::PathBuf;

use crate::process::{cargo, root, run};
use crate::{Error, Result};

/// `cargo xtask man [DIR]`: renders the pages with the CLI's own
/// definitions (the `kefu-man` binary of kefu-cli).
pub(crate) fn man(rest: &[String]) -> Result {
    let dir = match rest {
        [] => root().join("target").join("man"),
        [dir] => PathBuf::from(dir),
        _ => return Err(Error("`man` takes at most one argument, DIR".to_owned())),
    };
    let mut cmd = cargo(["run", "-q", "-p", "kefu-cli", "--bin", "kefu-man", "--"]);
    cmd.arg(&dir);
    run(cmd)
}

// ---------------------------------------------------------------- helpers --
