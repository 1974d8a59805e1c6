//! An app written only against the kefu traits.
//!
//! It never names a vendor: the same source builds with
//! `cargo run -p kefu --example offboard --no-default-features --features sobot`
//! or `--features easemob`, and the vendor is picked at run time by
//! `KEFU_VENDOR` (try it against `kefu sandbox serve`, whose first line of
//! output gives the variables to export).
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use kefu::{AgentAdmin, Operation, Result};

/// Off-boards one agent: disable first where the vendor can (so the agent is
/// locked out even if the delete is refused), then delete.
async fn offboard(admin: Arc<dyn AgentAdmin>, email: &str) -> Result<()> {
    if admin.capabilities().supports(Operation::DisableAgent) {
        admin.disable_agent(email).await?;
    }
    admin.delete_agent(email).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let Some(email) = std::env::args().nth(1) else {
        eprintln!(
            "usage: offboard EMAIL   (with KEFU_VENDOR and its KEFU_* settings in the environment)"
        );
        return std::process::ExitCode::from(2);
    };
    let client = match kefu::Client::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kefu: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match offboard(client.agents(), &email).await {
        Ok(()) => {
            println!("{email} off-boarded on {}", client.vendor());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kefu: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
