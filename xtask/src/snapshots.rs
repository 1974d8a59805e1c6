//! `cargo xtask snapshots`: review insta snapshots; never accepts anything.

use std::path::{Path, PathBuf};

use crate::process::{cargo, cargo_has, root, run};
use crate::{Error, Result};

pub(crate) fn snapshots() -> Result {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
