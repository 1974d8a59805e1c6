//! The shared stores behind kefu-core's [`SharedStore`]: where the tokens,
//! refresh locks and rate budgets of every process speaking for one vendor
//! account live.
//!
//! | spec | store | shared by |
//! |---|---|---|
//! | `memory` | [`MemoryStore`] | this process |
//! | `file:DIR` | [`FileStore`]: one file per key, mode 0600, OS file locks | processes on this machine |
//! | `redis://HOST:PORT[/DB]` | `RedisStore` (feature `redis`) | processes on every machine that names it |
//!
//! [`open`] turns a spec into a store; [`guarded`] wraps it so that a store
//! that fails falls back to process-local state instead of failing the
//! command (see `docs/shared-state.md`).

mod file;
#[cfg(feature = "redis")]
mod redis;
mod spec;

use std::sync::Arc;

pub use file::FileStore;
pub use kefu_core::shared::{
    Fallback, FallbackNotice, MemoryStore, RateBudget, SharedStore, StoreError, StoreResult,
};
#[cfg(feature = "redis")]
pub use redis::RedisStore;
pub use spec::{DEFAULT_PREFIX, StoreSpec};

/// Opens the store `spec` names. Redis is connected lazily (on first use),
/// so this fails only on what can be checked at once: an unusable
/// directory, a malformed URL.
pub fn open(spec: &StoreSpec) -> StoreResult<Arc<dyn SharedStore>> {
    match spec {
        StoreSpec::Memory => Ok(Arc::new(MemoryStore::new())),
        StoreSpec::File(dir) => Ok(Arc::new(FileStore::open(dir)?)),
        #[cfg(feature = "redis")]
        StoreSpec::Redis { url, prefix } => Ok(Arc::new(RedisStore::open(url, prefix)?)),
        #[cfg(not(feature = "redis"))]
        StoreSpec::Redis { url, .. } => Err(StoreError::new(
            spec::redacted_url(url),
            "this build has no Redis support (cargo feature `redis` of kefu-store)",
        )),
    }
}

/// [`open`], wrapped in a [`Fallback`]: if the store cannot be opened, or
/// fails later, the process goes on with process-local state and `notice`
/// is told once.
pub fn guarded(spec: &StoreSpec, notice: FallbackNotice) -> Arc<dyn SharedStore> {
    match open(spec) {
        Ok(store) => Arc::new(Fallback::new(store, notice)),
        Err(e) => Arc::new(Fallback::failed_from_start(e, notice)),
    }
}
