//! The access token's life: fetched lazily, cached in a [`TokenStore`],
//! refreshed ahead of its `expireTime`, fetched once however many calls are
//! waiting (single flight), and dropped when the vendor refuses it.

pub mod shared;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kefu_core::{Clock, Error, Operation, Result, Secret};
use kefu_http::{Transport, WireRequest};

use crate::auth::shared::{Turn, refresh_turn};
use crate::decode;
use crate::wire::TokenRequest;

/// How long before expiry a token is replaced: five minutes, or a tenth of
/// its lifetime when that is shorter (so a short-lived token is not replaced
/// on every call).
const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// The longest lifetime believed, whatever `expireTime` says: the document
/// promises two hours; a day leaves room for a tenant configured longer,
/// and a token kept too long only costs one refused call and a refetch.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// An Easemob access token (`accessToken`) and when it stops being valid.
///
/// `Debug` never shows the token. The parts are public through accessors so a
/// shared [`TokenStore`] (Redis, a database) can persist and rebuild it.
#[derive(Clone, Debug)]
pub struct AccessToken {
    value: Secret,
    obtained_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl AccessToken {
    /// A token obtained at `obtained_at`, valid for `lifetime` (`expireTime`),
    /// believed for at most [`MAX_TOKEN_LIFETIME`].
    pub fn new(value: Secret, obtained_at: DateTime<Utc>, lifetime: Duration) -> Self {
        let lifetime = lifetime.min(MAX_TOKEN_LIFETIME);
        Self::from_parts(
            value,
            obtained_at,
            kefu_core::time::saturating_add(obtained_at, lifetime),
        )
    }

    /// A token rebuilt from stored parts.
    pub fn from_parts(
        value: Secret,
        obtained_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            value,
            obtained_at,
            expires_at,
        }
    }

    /// The token itself, for the `Kefu-Token` header.
    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// When it was issued (by the client's clock).
    pub fn obtained_at(&self) -> DateTime<Utc> {
        self.obtained_at
    }

    /// When the vendor said it expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// Whether it is still worth using at `now`: not within the refresh
    /// margin of its expiry.
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        let lifetime = (self.expires_at - self.obtained_at)
            .to_std()
            .unwrap_or_default();
        let margin = REFRESH_AHEAD.min(lifetime / 10);
        kefu_core::time::saturating_add(now, margin) < self.expires_at
    }

    /// Whether it has not expired yet at `now` (it may be refreshed already).
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// Whether `other` is the same token (same value).
    pub fn same_token(&self, other: &AccessToken) -> bool {
        self.value.matches(other.value.expose())
    }
}

/// Where access tokens are kept between calls.
///
/// The default, [`MemoryTokenStore`], keeps them in this process. An app
/// running several instances can share one token through its own store; the
/// client still makes its own process single-flight, and the store decides
/// how instances coordinate.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The token stored under `key`, if any (expired or not).
    async fn load(&self, key: &str) -> Result<Option<AccessToken>>;

    /// Stores `token` under `key`, replacing any other.
    async fn save(&self, key: &str, token: &AccessToken) -> Result<()>;

    /// Removes the token under `key` only if it is still `stale`: another
    /// caller may already have stored a fresh one, which must survive.
    async fn discard(&self, key: &str, stale: &AccessToken) -> Result<()>;

    /// Takes the right to refresh the token under `key` across every
    /// process sharing this store, if free: `Some(lease)` to give back to
    /// [`TokenStore::unlock_refresh`], `None` while another holds it. A
    /// store of one process has nothing to take (the client's own lock
    /// suffices): the default always grants it.
    async fn try_lock_refresh(&self, key: &str) -> Result<Option<String>> {
        let _ = key;
        Ok(Some(String::new()))
    }

    /// Gives back a lease from [`TokenStore::try_lock_refresh`].
    async fn unlock_refresh(&self, key: &str, lease: &str) -> Result<()> {
        let _ = (key, lease);
        Ok(())
    }
}

/// A [`TokenStore`] in this process's memory.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<String, AccessToken>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, AccessToken>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self, key: &str) -> Result<Option<AccessToken>> {
        Ok(self.map().get(key).cloned())
    }

    async fn save(&self, key: &str, token: &AccessToken) -> Result<()> {
        self.map().insert(key.to_owned(), token.clone());
        Ok(())
    }

    async fn discard(&self, key: &str, stale: &AccessToken) -> Result<()> {
        let mut map = self.map();
        if map.get(key).is_some_and(|t| t.same_token(stale)) {
            map.remove(key);
        }
        Ok(())
    }
}

/// The credentials a token is fetched with.
pub(crate) struct Credentials {
    pub(crate) tenant_id: String,
    pub(crate) client_id: String,
    pub(crate) secret_id: Secret,
}

/// One client's view of its token: the store, the key, and the lock that
/// makes a refresh single-flight.
pub(crate) struct Tokens {
    store: Arc<dyn TokenStore>,
    key: String,
    credentials: Credentials,
    clock: Arc<dyn Clock>,
    transport: Transport,
    refresh: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("store", &self.store)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    pub(crate) fn new(
        store: Arc<dyn TokenStore>,
        credentials: Credentials,
        clock: Arc<dyn Clock>,
        transport: Transport,
    ) -> Self {
        // Not secret, and distinct per endpoint, tenant and client, so one
        // shared store can hold the tokens of several; the secret's
        // fingerprint keeps a process with another secretID from riding on
        // a token it could not have fetched.
        let key = format!(
            "easemob|{}|{}|{}|{}",
            transport.base_url(),
            credentials.tenant_id,
            credentials.client_id,
            crate::auth::shared::secret_fingerprint(&credentials.secret_id)
        );
        Self {
            store,
            key,
            credentials,
            clock,
            transport,
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// A fresh token: the cached one, or one fetched now. `op` is the
    /// operation waiting for it (for tracing).
    pub(crate) async fn get(&self, op: Operation) -> Result<AccessToken> {
        if let Some(token) = self.store.load(&self.key).await?
            && token.is_fresh(self.clock.now())
        {
            return Ok(token);
        }
        let _refreshing = self.refresh.lock().await;
        // Whoever held the lock before us may have fetched one already.
        if let Some(token) = self.store.load(&self.key).await?
            && token.is_fresh(self.clock.now())
        {
            return Ok(token);
        }
        // Other processes sharing the store: one refreshes, the rest wait.
        let lease = match refresh_turn(&*self.store, &self.key, &*self.clock).await? {
            Turn::Use(token) => return Ok(token),
            Turn::Refresh(lease) => lease,
        };
        let refreshed = self.refresh_holding_lease(op).await;
        if let Some(lease) = lease {
            // A lease not given back runs out by itself.
            let _ = self.store.unlock_refresh(&self.key, &lease).await;
        }
        refreshed
    }

    /// Fetches and stores a token, holding the refresh lease.
    async fn refresh_holding_lease(&self, op: Operation) -> Result<AccessToken> {
        // Re-check: the previous holder may have stored one just before.
        let cached = self.store.load(&self.key).await?;
        let now = self.clock.now();
        if let Some(token) = &cached
            && token.is_fresh(now)
        {
            return Ok(token.clone());
        }
        match self.fetch(op).await {
            Ok(token) => {
                self.store.save(&self.key, &token).await?;
                Ok(token)
            }
            // Refreshing ahead failed for a passing reason: the old token
            // still has a few minutes, use them.
            Err(e) if e.is_retryable() => match cached {
                Some(token) if token.is_usable(now) => {
                    tracing::warn!(error = %e, "easemob token refresh failed; using the current token until it expires");
                    Ok(token)
                }
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Forgets `stale` unless another caller has replaced it already.
    pub(crate) async fn discard(&self, stale: &AccessToken) -> Result<()> {
        self.store.discard(&self.key, stale).await
    }

    async fn fetch(&self, op: Operation) -> Result<AccessToken> {
        let c = &self.credentials;
        let tenant: u64 = c
            .tenant_id
            .parse()
            .map_err(|_| Error::config("KEFU_EASEMOB_TENANT_ID", "must be digits"))?;
        // The document's Request body carries tenantId (typed int) beside
        // clientId/secretId, while its curl example puts it only in the
        // path; sending both satisfies either reading.
        let body = TokenRequest {
            tenant_id: tenant,
            client_id: &c.client_id,
            secret_id: c.secret_id.expose(),
        };
        // Asking for a token twice only yields a second token: safe to retry.
        let request = WireRequest::post(op, format!("/api/tenant/{}/accessToken", c.tenant_id))
            .json(&body)
            .idempotent(true)
            // A credential for the call, not a change: a dry run may fetch it.
            .changes_state(false);
        let obtained_at = self.clock.now();
        let grant = self.transport.call(&request, decode::access_token).await?;
        tracing::debug!(
            expires_in_secs = grant.expires_in.as_secs(),
            "easemob access token issued"
        );
        Ok(AccessToken::new(grant.token, obtained_at, grant.expires_in))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn refreshed_five_minutes_ahead_or_a_tenth_of_a_short_life() {
        let t = AccessToken::new(Secret::new("a"), at(0), Duration::from_secs(7200));
        assert!(t.is_fresh(at(7200 - 301)));
        assert!(!t.is_fresh(at(7200 - 299)));
        assert!(t.is_usable(at(7199)));
        assert!(!t.is_usable(at(7200)));

        let short = AccessToken::new(Secret::new("b"), at(0), Duration::from_secs(60));
        assert!(short.is_fresh(at(53)));
        assert!(!short.is_fresh(at(54)));
    }

    #[test]
    fn an_absurd_expire_time_is_capped_not_a_panic() {
        for secs in [10u64.pow(13), u64::MAX] {
            let t = AccessToken::new(Secret::new("c"), at(0), Duration::from_secs(secs));
            assert_eq!(
                t.expires_at(),
                at(MAX_TOKEN_LIFETIME.as_secs() as i64),
                "{secs}"
            );
            assert!(t.is_fresh(at(3600)));
        }
        // A stored token with an expiry at the end of time is not a panic either.
        let t = AccessToken::from_parts(Secret::new("d"), at(0), DateTime::<Utc>::MAX_UTC);
        assert!(!t.is_fresh(DateTime::<Utc>::MAX_UTC - chrono::TimeDelta::seconds(1)));
        assert!(t.is_usable(at(0)));
    }

    #[tokio::test]
    async fn discard_spares_a_token_that_replaced_the_stale_one() {
        let store = MemoryTokenStore::new();
        let old = AccessToken::new(Secret::new("old"), at(0), Duration::from_secs(7200));
        let new = AccessToken::new(Secret::new("new"), at(1), Duration::from_secs(7200));
        store.save("k", &new).await.unwrap();
        store.discard("k", &old).await.unwrap();
        assert!(
            store
                .load("k")
                .await
                .unwrap()
                .is_some_and(|t| t.same_token(&new))
        );
        store.discard("k", &new).await.unwrap();
        assert!(store.load("k").await.unwrap().is_none());
    }

    #[test]
    fn debug_hides_the_token() {
        let t = AccessToken::new(
            Secret::new("4313913457bfd684"),
            at(0),
            Duration::from_secs(1),
        );
        assert!(!format!("{t:?}").contains("4313913457bfd684"));
    }
}
