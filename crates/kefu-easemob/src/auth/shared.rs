//! One Easemob token for every process that shares a store.
//!
//! [`SharedTokenStore`] keeps the token in a [`SharedStore`] (a file on this
//! machine, Redis across machines) under `token|easemob|BASE|TENANT|CLIENT`,
//! with a TTL that ends when the token does, and takes the store's lock
//! `lock|...` (a lease) around a refresh, so across all processes one
//! fetches while the others wait for its token ([`refresh_turn`]), with a
//! bound, instead of stampeding the token endpoint.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use kefu_core::shared::{SharedStore, StoreError, lock_owner};
use kefu_core::{Clock, Error, Result, Secret, SystemClock};
use serde::{Deserialize, Serialize};

use crate::auth::{AccessToken, TokenStore};

/// How long a refresh lease lasts: longer than a token fetch takes (its
/// retries included), short enough that a crashed holder blocks little.
pub const REFRESH_LEASE: Duration = Duration::from_secs(30);

/// How long a caller waits for another process's refresh before fetching a
/// token itself.
pub const REFRESH_WAIT: Duration = Duration::from_secs(10);

/// A [`TokenStore`] over a [`SharedStore`]: the token, its times, and the
/// refresh lock, shared by every process naming the store.
#[derive(Debug, Clone)]
pub struct SharedTokenStore {
    store: Arc<dyn SharedStore>,
    clock: Arc<dyn Clock>,
}

/// How a token is written in the store (the whole text is a secret).
#[derive(Serialize, Deserialize)]
struct Stored {
    token: String,
    obtained_at_ms: i64,
    expires_at_ms: i64,
}

impl SharedTokenStore {
    /// Tokens in `store`, their expiry judged by the system clock.
    pub fn new(store: Arc<dyn SharedStore>) -> Self {
        Self::with_clock(store, Arc::new(SystemClock))
    }

    /// Tokens in `store`, their expiry judged by `clock`.
    pub fn with_clock(store: Arc<dyn SharedStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    fn encode(token: &AccessToken) -> Secret {
        let stored = Stored {
            token: token.value().expose().to_owned(),
            obtained_at_ms: token.obtained_at().timestamp_millis(),
            expires_at_ms: token.expires_at().timestamp_millis(),
        };
        Secret::new(serde_json::to_string(&stored).unwrap_or_default())
    }

    fn decode(text: &Secret) -> Option<AccessToken> {
        let stored: Stored = serde_json::from_str(text.expose()).ok()?;
        let at = |ms: i64| Utc.timestamp_millis_opt(ms).single();
        Some(AccessToken::from_parts(
            Secret::new(stored.token),
            at(stored.obtained_at_ms)?,
            at(stored.expires_at_ms)?,
        ))
    }
}

/// 16 hex digits of MD5 over a domain tag and the secretID: tells secrets
/// apart in a store key without revealing them (a secretID is a random
/// UUID; 64 bits of a digest leave 2^58 candidates).
pub(crate) fn secret_fingerprint(secret: &Secret) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::new()
        .chain_update(b"kefu easemob token key\0")
        .chain_update(secret.expose().as_bytes())
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn token_key(key: &str) -> String {
    format!("token|{key}")
}

fn lock_key(key: &str) -> String {
    format!("lock|{key}")
}

/// A store failure as kefu's error (only seen with a store not wrapped in
/// [`Fallback`](kefu_core::shared::Fallback)); never carries a secret.
fn store_error(e: StoreError) -> Error {
    Error::config("KEFU_SHARED_STORE", e.to_string())
}

#[async_trait]
impl TokenStore for SharedTokenStore {
    async fn load(&self, key: &str) -> Result<Option<AccessToken>> {
        let text = self.store.get(&token_key(key)).await.map_err(store_error)?;
        // Unreadable content counts as no token: a fresh one replaces it.
        Ok(text.as_ref().and_then(Self::decode))
    }

    async fn save(&self, key: &str, token: &AccessToken) -> Result<()> {
        let now: DateTime<Utc> = self.clock.now();
        let ttl = (token.expires_at() - now)
            .to_std()
            .unwrap_or_default()
            .max(Duration::from_secs(1));
        self.store
            .put(&token_key(key), &Self::encode(token), ttl)
            .await
            .map_err(store_error)
    }

    /// Compares by token, not by the stored text (another version of kefu
    /// may have written the same token differently), then deletes exactly
    /// the text it read, so a token stored meanwhile survives.
    async fn discard(&self, key: &str, stale: &AccessToken) -> Result<()> {
        let key = token_key(key);
        let Some(raw) = self.store.get(&key).await.map_err(store_error)? else {
            return Ok(());
        };
        if Self::decode(&raw).is_some_and(|current| !current.same_token(stale)) {
            return Ok(()); // already replaced
        }
        self.store
            .expire_if(&key, &raw)
            .await
            .map(drop)
            .map_err(store_error)
    }

    async fn try_lock_refresh(&self, key: &str) -> Result<Option<String>> {
        let owner = lock_owner(&*self.clock);
        let taken = self
            .store
            .try_lock(&lock_key(key), &owner, REFRESH_LEASE)
            .await
            .map_err(store_error)?;
        Ok(taken.then_some(owner))
    }

    async fn unlock_refresh(&self, key: &str, lease: &str) -> Result<()> {
        self.store
            .unlock(&lock_key(key), lease)
            .await
            .map(drop)
            .map_err(store_error)
    }
}

/// What a caller that needs a new token does.
pub(crate) enum Turn {
    /// Another process refreshed (or holds a still-usable token): use it.
    Use(AccessToken),
    /// Refresh: with the lease when it was taken, without it after waiting
    /// [`REFRESH_WAIT`] in vain.
    Refresh(Option<String>),
}

/// Takes the right to refresh `key`, or waits (at most [`REFRESH_WAIT`])
/// for the process that holds it, serving a token that is still usable in
/// the meantime.
pub(crate) async fn refresh_turn(
    store: &dyn TokenStore,
    key: &str,
    clock: &dyn Clock,
) -> Result<Turn> {
    let deadline = tokio::time::Instant::now() + REFRESH_WAIT;
    let mut pause = Duration::from_millis(5);
    loop {
        // A fresh token (the holder's, just stored) needs no lock at all. A
        // merely usable one does not stop us from renewing it ahead.
        let current = store.load(key).await?;
        if let Some(token) = &current
            && token.is_fresh(clock.now())
        {
            return Ok(Turn::Use(token.clone()));
        }
        if let Some(lease) = store.try_lock_refresh(key).await? {
            return Ok(Turn::Refresh(Some(lease)));
        }
        // Someone else is refreshing. The token they are replacing ahead of
        // its expiry serves meanwhile.
        if let Some(token) = current
            && token.is_usable(clock.now())
        {
            return Ok(Turn::Use(token));
        }
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(
                wait_secs = REFRESH_WAIT.as_secs(),
                "another process has held the easemob token refresh too long; fetching a token here"
            );
            return Ok(Turn::Refresh(None));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use kefu_core::shared::MemoryStore;

    use super::*;

    fn token(value: &str) -> AccessToken {
        let at = Utc
            .timestamp_millis_opt(1_700_000_000_123)
            .single()
            .unwrap();
        AccessToken::new(Secret::new(value), at, Duration::from_secs(7200))
    }

    #[tokio::test]
    async fn a_token_round_trips_and_is_discarded_only_while_it_is_the_stored_one() {
        let clock = Arc::new(kefu_core::FixedClock::at_millis(1_700_000_000_123));
        let shared: Arc<dyn SharedStore> = Arc::new(MemoryStore::with_clock(clock.clone()));
        let a = SharedTokenStore::with_clock(shared.clone(), clock.clone());
        let b = SharedTokenStore::with_clock(shared, clock);
        let old = token("old-token");
        a.save("k", &old).await.unwrap();
        let loaded = b.load("k").await.unwrap().unwrap();
        assert!(loaded.same_token(&old));
        assert_eq!(loaded.expires_at(), old.expires_at());
        assert_eq!(loaded.obtained_at(), old.obtained_at());
        let new = token("new-token");
        b.save("k", &new).await.unwrap();
        a.discard("k", &loaded).await.unwrap();
        assert!(a.load("k").await.unwrap().unwrap().same_token(&new));
        a.discard("k", &new).await.unwrap();
        assert!(b.load("k").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_refused_token_written_in_another_form_is_still_expired() {
        let shared: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
        let s = SharedTokenStore::new(shared.clone());
        let t = AccessToken::new(Secret::new("tok"), Utc::now(), Duration::from_secs(7200));
        // The same token as another writer might lay it out.
        let other_form = format!(
            "{{ \"expires_at_ms\": {}, \"token\": \"tok\", \"obtained_at_ms\": {} }}",
            t.expires_at().timestamp_millis(),
            t.obtained_at().timestamp_millis()
        );
        shared
            .put("token|k", &Secret::new(other_form), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(s.load("k").await.unwrap().is_some_and(|l| l.same_token(&t)));
        s.discard("k", &t).await.unwrap();
        assert!(s.load("k").await.unwrap().is_none());
        // Garbage under the key is cleared too; a different token is not.
        shared
            .put("token|k", &Secret::new("not json"), Duration::from_secs(60))
            .await
            .unwrap();
        s.discard("k", &t).await.unwrap();
        assert!(shared.get("token|k").await.unwrap().is_none());
        let other = AccessToken::new(Secret::new("other"), Utc::now(), Duration::from_secs(7200));
        s.save("k", &other).await.unwrap();
        s.discard("k", &t).await.unwrap();
        assert!(
            s.load("k")
                .await
                .unwrap()
                .is_some_and(|l| l.same_token(&other))
        );
    }

    #[tokio::test]
    async fn the_refresh_lock_has_one_holder_and_a_waiter_takes_the_new_token() {
        let shared: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
        let a = SharedTokenStore::new(shared.clone());
        let b = SharedTokenStore::new(shared);
        let lease = a.try_lock_refresh("k").await.unwrap().expect("free");
        assert!(b.try_lock_refresh("k").await.unwrap().is_none());
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move { refresh_turn(&b, "k", &SystemClock).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let fresh = AccessToken::new(Secret::new("fresh"), Utc::now(), Duration::from_secs(7200));
        a.save("k", &fresh).await.unwrap();
        a.unlock_refresh("k", &lease).await.unwrap();
        match waiter.await.unwrap().unwrap() {
            Turn::Use(t) => assert!(t.same_token(&fresh)),
            Turn::Refresh(_) => panic!("the waiter must take the holder's token"),
        }
    }

    /// Refresh ahead: while one process renews a token that is near its
    /// expiry, the others keep using it instead of waiting or fetching.
    #[tokio::test]
    async fn near_expiry_one_refreshes_and_the_others_use_the_current_token() {
        use kefu_core::AgentAdmin;
        use kefu_testkit::sandbox::{SeedConfig, easemob};

        let sb = easemob::start(SeedConfig::default()).await.unwrap();
        let env = sb.env();
        let shared: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
        let clock = Arc::new(kefu_core::FixedClock::new(Utc::now()));
        let client = crate::EasemobBuilder::from_lookup(|k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
        .shared_store(shared.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
        client.list_roles().await.unwrap();
        assert_eq!(sb.token_requests(), 1);

        // Four minutes before expiry: no longer fresh, still usable.
        clock.advance(chrono::Duration::seconds(7200 - 240));
        let key = format!(
            "easemob|{}/|{}|{}|{}",
            sb.base_url().trim_end_matches('/'),
            easemob::TENANT_ID,
            easemob::CLIENT_ID,
            secret_fingerprint(&Secret::new(easemob::SECRET_ID))
        );
        let other = SharedTokenStore::with_clock(shared, clock.clone());
        assert!(
            other.load(&key).await.unwrap().is_some(),
            "the test's key must be the client's"
        );
        // Another process is renewing it.
        let lease = other.try_lock_refresh(&key).await.unwrap().expect("free");
        let started = std::time::Instant::now();
        client.list_roles().await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "it did not wait"
        );
        assert_eq!(sb.token_requests(), 1, "it used the current token");
        // The renewal is abandoned: the next call renews it itself.
        other.unlock_refresh(&key, &lease).await.unwrap();
        client.list_roles().await.unwrap();
        assert_eq!(sb.token_requests(), 2);
    }

    #[test]
    fn fingerprints_tell_secrets_apart_without_showing_them() {
        let a = secret_fingerprint(&Secret::new("ca906984-80f1-41b0-a272-6000df3f76c4"));
        let b = secret_fingerprint(&Secret::new("ca906984-80f1-41b0-a272-6000df3f76c5"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert!(!a.contains("ca906984"));
    }

    #[test]
    fn the_stored_form_is_not_in_debug() {
        let store = SharedTokenStore::new(Arc::new(MemoryStore::new()));
        let _ = SharedTokenStore::encode(&token("4313913457bfd684"));
        assert!(!format!("{store:?}").contains("4313913457bfd684"));
        assert!(
            !format!("{:?}", SharedTokenStore::encode(&token("4313913457bfd684"))).contains("4313")
        );
    }
}
