use chrono::{DateTime, TimeZone, Utc};

/// How a sandbox seeds its data. Same config, same data: every list, id and
/// time is derived from `seed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedConfig {
    /// The random seed.
    pub seed: u64,
    /// Agents (Easemob) or staff per tenant (Sobot).
    pub agents: usize,
    /// Service sessions (Easemob) spread over the period.
    pub sessions: usize,
    /// Merchant tenants (Sobot).
    pub tenants: usize,
    /// Start of the seeded period.
    pub start: DateTime<Utc>,
    /// Length of the seeded period in days.
    pub days: u32,
}

impl Default for SeedConfig {
    /// 25 agents, 500 sessions and 12 tenants over May 2024 (UTC+8), seed 42.
    fn default() -> Self {
        Self {
            seed: 42,
            agents: 25,
            sessions: 500,
            tenants: 12,
            // 2024-05-01T00:00:00+08:00
            start: Utc
                .with_ymd_and_hms(2024, 4, 30, 16, 0, 0)
                .single()
                .unwrap_or_default(),
            days: 31,
        }
    }
}
