//! The machine the figures come from, and what a process costs, from
//! Linux's /proc.

use std::process::Command;
use std::thread;

use crate::process::root;

/// User and system CPU seconds of a process so far, from /proc/PID/stat
/// (Linux; clock ticks taken as 100 a second, Linux's USER_HZ).
pub(super) fn proc_cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(stat_cpu_s(&stat, false)?.1)
}

/// A /proc/PID/stat line's command name and CPU-seconds: its own user and
/// system time, and with `children` its reaped children's as well.
pub(super) fn stat_cpu_s(stat: &str, children: bool) -> Option<(&str, f64)> {
    // The command name is in parentheses and may itself hold some.
    let (head, rest) = stat.rsplit_once(')')?;
    let name = &head[head.find('(')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime, stime, cutime, cstime are fields 14 to 17 of the whole line:
    // 12 to 15 after the name.
    let last = if children { 15 } else { 13 };
    let mut ticks = 0.0;
    for i in 11..last {
        ticks += fields.get(i)?.parse::<f64>().ok()?;
    }
    Some((name, ticks / 100.0))
}

/// A field of /proc/PID/status, in KiB (Linux; `None` elsewhere).
pub(super) fn proc_status_kib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The machine the figures come from.
pub(super) fn machine() -> Vec<(String, String)> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let meminfo = read("/proc/meminfo");
    let mem = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(
            || "unknown".into(),
            |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        );
    let cores =
        thread::available_parallelism().map_or_else(|_| "unknown".into(), |n| n.to_string());
    let load = read("/proc/loadavg");
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    vec![
        ("date (UTC)".into(), utc_now()),
        ("cores (nproc)".into(), cores),
        ("CPU".into(), model),
        ("memory".into(), mem),
        ("kernel".into(), kernel),
        ("load average at start (1, 5, 15 min)".into(), load),
        ("rustc".into(), rustc),
        ("commit".into(), commit),
    ]
}

/// Now as `YYYY-MM-DD HH:MM`, in UTC.
pub(super) fn utc_now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_now_is_a_minute_in_utc() {
        let now = utc_now();
        assert_eq!(now.len(), "2024-05-01 00:00".len(), "{now}");
        assert!(now.starts_with("20"), "{now}");
        let parsed = chrono::NaiveDateTime::parse_from_str(&now, "%Y-%m-%d %H:%M").expect(&now);
        let drift = chrono::Utc::now().naive_utc() - parsed;
        assert!(
            drift.num_seconds() >= 0 && drift.num_seconds() < 120,
            "{now}"
        );
    }
}
