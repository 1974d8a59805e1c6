//! `kefu-man [DIR]`: the man pages of `kefu` and each of its subcommands,
//! rendered from the clap definitions (`cargo xtask man` runs it). Default
//! DIR: `target/man`.
//!
//! One page per command: `kefu.1`, `kefu-agents.1`, `kefu-agents-plan.1`,
//! ... Each is written under a temporary name and renamed, so a page is
//! never half there.

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

// The same definitions as the `kefu` binary: the pages cannot drift from it.
#[allow(dead_code)]
#[path = "../cli.rs"]
mod cli;

use clap::CommandFactory;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/man"), PathBuf::from);
    match write_all(&dir) {
        Ok(pages) => {
            println!("{} man pages in {}", pages.len(), dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kefu-man: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes every page into `dir`; returns their file names.
fn write_all(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut root = cli::Cli::command();
    root.build();
    let mut pages = Vec::new();
    walk(&root, "kefu", dir, &mut pages)?;
    Ok(pages)
}

fn walk(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    pages: &mut Vec<String>,
) -> std::io::Result<()> {
    // clap names are `&'static str` without its `string` feature; a page
    // name lives as long as this short run anyway.
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let page = cmd.clone().name(name).display_name(name);
    let mut text = Vec::new();
    clap_mangen::Man::new(page).render(&mut text)?;
    let file = format!("{name}.1");
    let tmp = dir.join(format!(".{file}.tmp"));
    std::fs::write(&tmp, &text)?;
    std::fs::rename(&tmp, dir.join(&file))?;
    pages.push(file);
    for sub in cmd
        .get_subcommands()
        .filter(|s| s.get_name() != "help" && !s.is_hide_set())
    {
        walk(sub, &format!("{name}-{}", sub.get_name()), dir, pages)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_gets_a_page_with_its_options() {
        let dir = std::env::temp_dir().join(format!("kefu-man-{}", std::process::id()));
        let pages = write_all(&dir).expect("pages");
        for want in [
            "kefu.1",
            "kefu-agents.1",
            "kefu-agents-plan.1",
            "kefu-agents-apply.1",
            "kefu-sandbox-serve.1",
            "kefu-reports-agent-stats.1",
        ] {
            assert!(pages.iter().any(|p| p == want), "{want} missing: {pages:?}");
        }
        let apply = std::fs::read_to_string(dir.join("kefu-agents-apply.1")).expect("page");
        assert!(apply.contains("password\\-stdin"), "{apply}");
        assert!(apply.contains("dry\\-run"), "global options appear too");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
