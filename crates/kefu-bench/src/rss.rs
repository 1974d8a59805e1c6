//! Wall time and peak resident memory of a child process.
//!
//! The peak comes from the kernel: `wait4` reaps the child and returns its
//! resource usage, whose `ru_maxrss` is the largest resident set the child
//! ever had (in KiB on Linux). Nothing is sampled, so no short peak is
//! missed.

use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::Result;

/// How a measured command ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measured {
    /// Wall time from spawn to exit, in seconds.
    pub wall_s: f64,
    /// Peak resident set size, in KiB.
    pub peak_rss_kib: u64,
    /// The exit code (`None` when killed by a signal).
    pub exit_code: Option<i32>,
    /// User CPU seconds.
    pub user_s: f64,
    /// System CPU seconds.
    pub sys_s: f64,
}

/// Runs `cmd` (its stdout and stderr as configured by the caller) and
/// measures it.
pub fn measure(mut cmd: Command) -> Result<Measured> {
    let started = Instant::now();
    let child = cmd.spawn()?;
    let pid = libc::pid_t::try_from(child.id())?;
    let (status, usage) = wait4(pid)?;
    let wall_s = started.elapsed().as_secs_f64();
    // The child is reaped: `child` must not be waited for again.
    drop(child);
    let exit_code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Measured {
        wall_s,
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        exit_code,
        user_s: seconds(usage.ru_utime),
        sys_s: seconds(usage.ru_stime),
    })
}

/// `wait4(pid, &status, 0, &rusage)`, retried on EINTR.
#[allow(unsafe_code)]
fn wait4(pid: libc::pid_t) -> Result<(libc::c_int, libc::rusage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live, writable locals of the right
        // types for the duration of the call; `pid` is our own child, not yet
        // reaped (std's Child is never waited for).
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_touches_memory_shows_it() {
        // `head -c` of /dev/zero into a shell variable holds ~16 MiB at once.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "x=$(head -c 16000000 /dev/zero | tr '\\0' a); exit 3"]);
        let m = measure(cmd).expect("runs");
        assert_eq!(m.exit_code, Some(3));
        assert!(m.peak_rss_kib > 15_000, "{m:?}");
        assert!(m.wall_s > 0.0);
    }
}
