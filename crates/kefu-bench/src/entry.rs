//! What every bench binary's `main` does around its `run`: build the tokio
//! runtime it measures under, and turn a failure into one line on stderr
//! named after the binary (the caller picks the exit code).

use std::future::Future;

use crate::Result;

/// The runtime a bench runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// One thread: CPU figures without scheduling noise.
    CurrentThread,
    /// As the CLI runs: multi-threaded, two workers.
    MultiThread,
    /// One thread under tokio's paused clock: minutes of virtual time pass
    /// in milliseconds.
    Paused,
}

/// Runs `run` to completion on a fresh `runtime`. `None` when it (or
/// building the runtime) failed; the error is then on stderr as
/// `NAME: error`.
pub fn block_on<T, F>(name: &str, runtime: Runtime, run: impl FnOnce() -> F) -> Option<T>
where
    F: Future<Output = Result<T>>,
{
    let built = match runtime {
        Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Runtime::MultiThread => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        Runtime::Paused => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build(),
    };
    report(
        name,
        built.map_err(Into::into).and_then(|rt| rt.block_on(run())),
    )
}

/// The value, or `None` with `NAME: error` on stderr.
pub fn report<T>(name: &str, result: Result<T>) -> Option<T> {
    result.map_err(|e| eprintln!("{name}: {e}")).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_result_or_none() {
        for runtime in [Runtime::CurrentThread, Runtime::MultiThread] {
            assert_eq!(block_on("t", runtime, || async { Ok(7) }), Some(7));
            let failed: Option<()> = block_on("t", runtime, || async { Err("no".into()) });
            assert_eq!(failed, None);
        }
        assert_eq!(report("t", Ok("x")), Some("x"));
    }

    #[test]
    fn the_paused_runtime_skips_time() {
        let slept = block_on("t", Runtime::Paused, || async {
            let start = tokio::time::Instant::now();
            let wall = std::time::Instant::now();
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok((start.elapsed(), wall.elapsed()))
        });
        let (virtual_time, wall) = slept.unwrap();
        assert!(virtual_time >= Duration::from_secs(3600));
        assert!(wall < Duration::from_secs(60), "{wall:?}");
    }
}
