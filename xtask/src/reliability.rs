//! `cargo xtask reliability`: the fault matrix at full size.

use crate::Result;
use crate::process::{root, suite};

/// `cargo xtask reliability`: every operation of both vendors under every
/// fault, regenerating the table in docs/reliability.md.
pub(crate) fn reliability() -> Result {
    let doc = root().join("docs/reliability.md");
    suite(
        "reliability",
        &[("KEFU_RELIABILITY_REPORT", doc.display().to_string())],
    )?;
    println!("wrote the table in {}", doc.display());
    Ok(())
}
