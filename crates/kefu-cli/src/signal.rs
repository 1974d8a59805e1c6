//! Waiting for Ctrl-C or SIGTERM, so that servers stop cleanly and exports
//! remove their temporary file.
//!
//! The handlers are installed when [`Stop::listen`] is called, not when the
//! wait begins: `sandbox serve` installs them before it announces itself, so
//! a SIGTERM sent right after the announcement is never the default (fatal)
//! action.

/// Ctrl-C and SIGTERM, listened for from creation on.
#[derive(Debug)]
pub struct Stop {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Stop {
    /// Installs the handlers now.
    pub fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = signal(SignalKind::interrupt())
                .and_then(|int| signal(SignalKind::terminate()).map(|term| (int, term)))
                .ok();
            Self { signals }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Resolves when the process is asked to stop.
    pub async fn requested(&mut self) {
        #[cfg(unix)]
        if let Some((int, term)) = &mut self.signals {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        // No handler could be installed: fall back to tokio's Ctrl-C, and
        // if even that fails, never (rather than at once).
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
