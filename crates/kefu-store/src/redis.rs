//! The Redis store: processes on many machines share one server.
//!
//! Every key is `PREFIX` + the caller's key (values `PREFIX` `v:` key, locks
//! `l:`, budgets `r:`), and every key has a TTL: a token lives until its
//! expiry, a lock until its lease ends, a budget until its state no longer
//! matters. Compare-and-delete and GCRA run as Lua scripts, so each is one
//! atomic step on the server; GCRA reads the server's clock (`TIME`), so
//! machines with skewed clocks still share one budget.

use std::time::Duration;

use async_trait::async_trait;
use kefu_core::Secret;
use kefu_core::shared::{RateBudget, SharedStore, StoreError, StoreResult};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script};
use tokio::sync::OnceCell;

use crate::spec::redacted_url;

/// How long connecting or one command may take before the store counts as
/// down (and the command falls back to process-local state).
const TIMEOUT: Duration = Duration::from_secs(2);

/// Deletes KEYS[1] only if it still holds ARGV[1].
const COMPARE_AND_DELETE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// GCRA over KEYS[1] (the theoretical arrival time, epoch ms) with
/// ARGV[1] = interval ms and ARGV[2] = tolerance ms; returns the wait in ms.
/// The same arithmetic as `kefu_core::shared::gcra_reserve`, horizon included.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local horizon = math.max(interval * 1000, 3600000)
if tat < now or tat - now > horizon then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', new_tat - now + 1000)
return wait
";

/// A [`SharedStore`] on a Redis server. Connects on first use.
pub struct RedisStore {
    client: redis::Client,
    describe: String,
    prefix: String,
    connection: OnceCell<MultiplexedConnection>,
    compare_and_delete: Script,
    gcra: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.describe)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// The store at `url` (`redis://[user:password@]HOST:PORT[/DB]`), keys
    /// under `prefix`. Nothing is sent until first use.
    pub fn open(url: &str, prefix: &str) -> StoreResult<Self> {
        let describe = redacted_url(url);
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::new(&describe, format!("not a Redis URL: {:?}", e.kind())))?;
        Ok(Self {
            client,
            describe,
            prefix: prefix.to_owned(),
            connection: OnceCell::new(),
            compare_and_delete: Script::new(COMPARE_AND_DELETE),
            gcra: Script::new(GCRA),
        })
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn error(&self, e: &redis::RedisError) -> StoreError {
        // The error's text may quote a command; its kind and category never
        // carry a value.
        StoreError::new(&self.describe, format!("{} ({:?})", e.category(), e.kind()))
    }

    async fn connection(&self) -> StoreResult<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        self.connection
            .get_or_try_init(|| async {
                self.client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map_err(|e| self.error(&e))
            })
            .await
            .cloned()
    }

    fn key(&self, kind: &str, key: &str) -> String {
        format!("{}{kind}:{key}", self.prefix)
    }

    /// Deletes every key under this store's prefix (for tests and for
    /// retiring a fleet's state); returns how many.
    pub async fn clear_prefix(&self) -> StoreResult<usize> {
        let mut con = self.connection().await?;
        let pattern = format!("{}*", escape_glob(&self.prefix));
        let mut deleted = 0;
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut con)
                .await
                .map_err(|e| self.error(&e))?;
            if !keys.is_empty() {
                let n: usize = redis::cmd("DEL")
                    .arg(&keys)
                    .query_async(&mut con)
                    .await
                    .map_err(|e| self.error(&e))?;
                deleted += n;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }
}

/// `text` with Redis glob characters escaped.
fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A TTL Redis accepts: at least 1 ms, at most ten years (a vendor's
/// overflowing expiry must not turn into a refused `SET`).
fn ttl_ms(ttl: Duration) -> u64 {
    const TEN_YEARS_MS: u64 = 10 * 365 * 24 * 3600 * 1000;
    u64::try_from(ttl.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, TEN_YEARS_MS)
}

#[async_trait]
impl SharedStore for RedisStore {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Secret>> {
        let mut con = self.connection().await?;
        let value: Option<String> = redis::cmd("GET")
            .arg(self.key("v", key))
            .query_async(&mut con)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(value.map(Secret::new))
    }

    async fn put(&self, key: &str, value: &Secret, ttl: Duration) -> StoreResult<()> {
        let mut con = self.connection().await?;
        redis::cmd("SET")
            .arg(self.key("v", key))
            .arg(value.expose())
            .arg("PX")
            .arg(ttl_ms(ttl))
            .query_async::<()>(&mut con)
            .await
            .map_err(|e| self.error(&e))
    }

    async fn expire_if(&self, key: &str, expected: &Secret) -> StoreResult<bool> {
        let mut con = self.connection().await?;
        let n: i64 = self
            .compare_and_delete
            .key(self.key("v", key))
            .arg(expected.expose())
            .invoke_async(&mut con)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(n > 0)
    }

    async fn try_lock(&self, key: &str, owner: &str, ttl: Duration) -> StoreResult<bool> {
        let mut con = self.connection().await?;
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key("l", key))
            .arg(owner)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms(ttl))
            .query_async(&mut con)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(set.is_some())
    }

    async fn unlock(&self, key: &str, owner: &str) -> StoreResult<bool> {
        let mut con = self.connection().await?;
        let n: i64 = self
            .compare_and_delete
            .key(self.key("l", key))
            .arg(owner)
            .invoke_async(&mut con)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(n > 0)
    }

    async fn reserve(&self, key: &str, budget: &RateBudget) -> StoreResult<Duration> {
        let mut con = self.connection().await?;
        let wait: i64 = self
            .gcra
            .key(self.key("r", key))
            .arg(budget.interval_ms())
            .arg(budget.tolerance_ms())
            .invoke_async(&mut con)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(Duration::from_millis(wait.max(0) as u64))
    }
}
