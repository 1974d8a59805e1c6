//! `cargo xtask fuzz [CASES]`: the decoder fuzz suite at length.

use crate::process::suite;
use crate::{Error, Result};

/// than CI's quick pass (default 20,000 per property).
pub(crate) fn fuzz(rest: &[String]) -> Result {
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
