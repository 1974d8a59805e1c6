//! Waiting for Ctrl-C or SIGTERM, so that servers stop cleanly and exports
//! remove their temporary file.

/// Resolves when the process is asked to stop (Ctrl-C, or SIGTERM on unix).
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                () = ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    ctrl_c().await;
}

/// Ctrl-C; if no handler can be installed, never (rather than at once).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
