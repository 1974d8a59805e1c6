//! The client, its builder and its settings.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use kefu_core::time::Zone;
use kefu_core::{
    Capabilities, Clock, Error, Operation, Provider, Result, Secret, SystemClock, TenantAdmin,
    Vendor,
};
use kefu_http::settings::{Unparsed, reason, required, required_secret};
use kefu_http::{Effect, Transport, TransportConfig, WireRequest, WireResponse, parse_base_url};

use kefu_core::shared::{Fallback, SharedStore};

use crate::auth::shared::SharedTokenStore;
use crate::auth::{Credentials, MemoryTokenStore, TokenStore, Tokens};
use crate::error_map::TOKEN_INVALID;

/// `KEFU_EASEMOB_BASE_URL`: the API host (default [`DEFAULT_BASE_URL`]).
pub const ENV_BASE_URL: &str = "KEFU_EASEMOB_BASE_URL";
/// `KEFU_EASEMOB_TENANT_ID`: the tenant id (digits).
pub const ENV_TENANT_ID: &str = "KEFU_EASEMOB_TENANT_ID";
/// `KEFU_EASEMOB_CLIENT_ID`: the open platform's clientID.
pub const ENV_CLIENT_ID: &str = "KEFU_EASEMOB_CLIENT_ID";
/// `KEFU_EASEMOB_SECRET_ID`: the open platform's secretID.
pub const ENV_SECRET_ID: &str = "KEFU_EASEMOB_SECRET_ID";
/// `KEFU_EASEMOB_ZONE`: the tenant's UTC offset (default UTC+8).
pub const ENV_ZONE: &str = "KEFU_EASEMOB_ZONE";
/// `KEFU_EASEMOB_PAGE_CONCURRENCY`: session pages in flight (default 4).
pub const ENV_PAGE_CONCURRENCY: &str = "KEFU_EASEMOB_PAGE_CONCURRENCY";

/// The document's host.
pub const DEFAULT_BASE_URL: &str = "https://kefu.easemob.com";

/// Session pages fetched at once when exporting, by default. Each page is at
/// most 50 sessions (the vendor's `per_page` maximum), so 4 in flight keep
/// memory small while hiding most of the latency.
pub const DEFAULT_PAGE_CONCURRENCY: usize = 4;

/// The operations this client offers; everything else is `Unsupported`.
pub(crate) const SUPPORTED: &[Operation] = &[
    Operation::ListAgents,
    Operation::AddAgent,
    Operation::UpdateAgent,
    Operation::DeleteAgent,
    Operation::EnableAgent,
    Operation::DisableAgent,
    Operation::SetAgentPassword,
    Operation::ListRoles,
    Operation::ListSessions,
    // Derived from the session history (`reports.rs`): no report API.
    Operation::AgentStats,
];

/// A client of the Easemob Kefu (环信客服云) API open platform.
///
/// Cheap to clone; clones share the token and the connection pool. `Debug`
/// shows no secret.
///
/// ```no_run
/// # async fn run() -> kefu_core::Result<()> {
/// use kefu_core::AgentAdmin;
/// let client = kefu_easemob::EasemobClient::from_env()?;
/// client.disable_agent("leaver@example.com").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EasemobClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) transport: Transport,
    pub(crate) tenant_id: String,
    pub(crate) client_id: String,
    pub(crate) zone: Zone,
    pub(crate) page_concurrency: usize,
    pub(crate) tokens: Tokens,
}

impl fmt::Debug for EasemobClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("EasemobClient")
            .field("base_url", &i.transport.base_url().as_str())
            .field("tenant_id", &i.tenant_id)
            .field("client_id", &i.client_id)
            .field("zone", &i.zone)
            .field("page_concurrency", &i.page_concurrency)
            .field("tokens", &i.tokens)
            .finish_non_exhaustive()
    }
}

impl EasemobClient {
    /// A builder with no settings.
    pub fn builder() -> EasemobBuilder {
        EasemobBuilder::default()
    }

    /// A client from the `KEFU_EASEMOB_*` environment variables.
    pub fn from_env() -> Result<Self> {
        EasemobBuilder::from_lookup(|k| std::env::var(k).ok()).build()
    }

    /// The tenant this client acts for.
    pub fn tenant_id(&self) -> &str {
        &self.inner.tenant_id
    }

    /// The zone naive vendor times are read in.
    pub fn zone(&self) -> Zone {
        self.inner.zone
    }

    /// `/api/tenants/{tenantId}/{rest}`: every call but the token's.
    pub(crate) fn tenant_path(&self, rest: &str) -> String {
        format!("/api/tenants/{}/{rest}", self.inner.tenant_id)
    }

    /// Sends `request` with a token and decodes the answer: the one way
    /// every call goes (the same shape as every vendor crate's `call`).
    ///
    /// A token the vendor refuses (`API_002`; the document warns one may die
    /// before its `expireTime`) is dropped, if it is still the cached one,
    /// and the call is made once more with a new token. The refusal means the
    /// call was not carried out, so repeating even a write is safe.
    pub(crate) async fn call<T>(
        &self,
        request: WireRequest,
        decode: impl Fn(&WireResponse) -> Result<T>,
    ) -> Result<T> {
        self.send(request, decode).await.map_err(Failed::into_error)
    }

    /// [`EasemobClient::call`] for a write the transport may not repeat: a
    /// failure that leaves its outcome open is settled by `lookup`, by the
    /// one policy of [`kefu_http::reconcile`]. A failure before the request
    /// went out (no token could be had) is returned as is.
    pub(crate) async fn write<T, F, Fut>(
        &self,
        request: WireRequest,
        decode: impl Fn(&WireResponse) -> Result<T>,
        lookup: Option<F>,
    ) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Effect<T>>>,
    {
        let op = request.operation;
        match self.send(request, decode).await {
            Ok(answer) => Ok(answer),
            Err(Failed::NotSent(e)) => Err(e),
            Err(Failed::Sent(e)) => kefu_http::settle(Vendor::Easemob, op, e, lookup).await,
        }
    }

    /// Sends `request` with a token, telling a failure before the request
    /// went out (getting a token failed) from one after: only the latter can
    /// leave a write's outcome open.
    async fn send<T>(
        &self,
        request: WireRequest,
        decode: impl Fn(&WireResponse) -> Result<T>,
    ) -> Result<T, Failed> {
        let op = request.operation;
        let tokens = &self.inner.tokens;
        let token = tokens.get(op).await.map_err(Failed::NotSent)?;
        let first = request
            .clone()
            .secret_header("Kefu-Token", token.value().clone());
        match self.inner.transport.call(&first, &decode).await {
            Err(e) if token_refused(&e) => {
                tracing::debug!(operation = %op, "easemob refused the token; fetching a new one");
                tokens.discard(&token).await.map_err(Failed::NotSent)?;
                let token = tokens.get(op).await.map_err(Failed::NotSent)?;
                let again = request.secret_header("Kefu-Token", token.value().clone());
                self.inner
                    .transport
                    .call(&again, &decode)
                    .await
                    .map_err(Failed::Sent)
            }
            other => other.map_err(Failed::Sent),
        }
    }
}

/// Why a call failed, and whether its request had gone out.
#[derive(Debug)]
enum Failed {
    /// No token could be had: the request was never sent.
    NotSent(Error),
    /// The request was sent (at least once): the vendor may have acted.
    Sent(Error),
}

impl Failed {
    fn into_error(self) -> Error {
        match self {
            Failed::NotSent(e) | Failed::Sent(e) => e,
        }
    }
}

/// `API_002`, or a bare 401 (a gateway in front may answer so without a code).
fn token_refused(error: &Error) -> bool {
    matches!(error, Error::Authentication(v) if v.code == TOKEN_INVALID || v.code == "HTTP 401")
}

impl Provider for EasemobClient {
    fn vendor(&self) -> Vendor {
        Vendor::Easemob
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(Vendor::Easemob, SUPPORTED)
    }
}

/// Easemob has no tenant administration: every method is `Unsupported`.
impl TenantAdmin for EasemobClient {}

/// Builds an [`EasemobClient`].
///
/// Missing or wrong settings fail [`EasemobBuilder::build`] with
/// [`Error::Config`] naming the environment variable that sets them
/// (`KEFU_EASEMOB_CLIENT_ID`), whether they came from the environment or a
/// builder method.
#[derive(Clone, Debug, Default)]
pub struct EasemobBuilder {
    base_url: Option<String>,
    tenant_id: Option<String>,
    client_id: Option<String>,
    secret_id: Option<Secret>,
    zone: Option<Zone>,
    transport: Option<TransportConfig>,
    token_store: Option<Arc<dyn TokenStore>>,
    shared_store: Option<Arc<dyn SharedStore>>,
    page_concurrency: Option<usize>,
    clock: Option<Arc<dyn Clock>>,
    /// Values read by [`EasemobBuilder::from_lookup`] that did not parse.
    unparsed: Unparsed,
}

impl EasemobBuilder {
    /// A builder pre-filled from `lookup` (variable name → value):
    /// `KEFU_EASEMOB_BASE_URL`, `KEFU_EASEMOB_TENANT_ID`,
    /// `KEFU_EASEMOB_CLIENT_ID`, `KEFU_EASEMOB_SECRET_ID`, and optionally
    /// `KEFU_EASEMOB_ZONE` and `KEFU_EASEMOB_PAGE_CONCURRENCY`. Empty values
    /// count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let mut b = Self {
            base_url: get(ENV_BASE_URL),
            tenant_id: get(ENV_TENANT_ID),
            client_id: get(ENV_CLIENT_ID),
            secret_id: get(ENV_SECRET_ID).map(Secret::new),
            ..Self::default()
        };
        let u = &mut b.unparsed;
        b.zone = u.read(ENV_ZONE, get(ENV_ZONE), |text| {
            text.parse::<Zone>()
                .map_err(|_| format!("{text:?} is not a UTC offset like UTC+8"))
        });
        b.page_concurrency = u.read(ENV_PAGE_CONCURRENCY, get(ENV_PAGE_CONCURRENCY), |text| {
            kefu_core::paging::parse_concurrency(ENV_PAGE_CONCURRENCY, text).map_err(|e| reason(&e))
        });
        b
    }

    /// Applies a setting given by hand: the last setting of `key` wins, so
    /// an unparsable environment value it replaces no longer fails `build`.
    fn set(mut self, key: &'static str, f: impl FnOnce(&mut Self)) -> Self {
        self.unparsed.forget(key);
        f(&mut self);
        self
    }

    /// The API host (default `https://kefu.easemob.com`); plain `http://` only
    /// for a loopback host.
    pub fn base_url(self, url: &str) -> Self {
        let url = url.to_owned();
        self.set(ENV_BASE_URL, |b| b.base_url = Some(url))
    }

    /// The tenant id (digits; the document types it int).
    pub fn tenant_id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.set(ENV_TENANT_ID, |b| b.tenant_id = Some(id))
    }

    /// The clientID Easemob issued for the tenant.
    pub fn client_id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.set(ENV_CLIENT_ID, |b| b.client_id = Some(id))
    }

    /// The secretID Easemob issued for the tenant.
    pub fn secret_id(self, secret: impl Into<Secret>) -> Self {
        let secret = secret.into();
        self.set(ENV_SECRET_ID, |b| b.secret_id = Some(secret))
    }

    /// The tenant's UTC offset, in which the vendor's naive times are read
    /// (default UTC+8).
    pub fn zone(self, zone: Zone) -> Self {
        self.set(ENV_ZONE, |b| b.zone = Some(zone))
    }

    /// Timeouts and retries (default [`TransportConfig::default`]).
    pub fn transport(mut self, config: TransportConfig) -> Self {
        self.transport = Some(config);
        self
    }

    /// Where tokens are kept (default: a [`MemoryTokenStore`] of this client).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Shares the token with every process that names the same `store`: one
    /// token per (base URL, tenant, client id) among them, refreshed by one
    /// while the others wait (see [`SharedTokenStore`]). If the store fails,
    /// this client goes on with a token of its own (logged once).
    /// It replaces any [`EasemobBuilder::token_store`].
    pub fn shared_store(mut self, store: Arc<dyn SharedStore>) -> Self {
        self.shared_store = Some(store);
        self
    }

    /// Session pages in flight while exporting (default 4, 1 to
    /// [`kefu_core::paging::MAX_PAGE_CONCURRENCY`]). A page holds at most
    /// 50 sessions, the vendor's `per_page` maximum.
    pub fn page_concurrency(self, pages: usize) -> Self {
        self.set(ENV_PAGE_CONCURRENCY, |b| {
            b.page_concurrency = Some(pages.clamp(1, kefu_core::paging::MAX_PAGE_CONCURRENCY))
        })
    }

    /// The clock token expiry is judged by (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The client, or [`Error::Config`] naming the setting that is missing or wrong.
    pub fn build(self) -> Result<EasemobClient> {
        self.unparsed.check()?;
        let base = parse_base_url(
            ENV_BASE_URL,
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
        )?;
        let tenant_id = required(ENV_TENANT_ID, self.tenant_id)?;
        if !tenant_id.bytes().all(|b| b.is_ascii_digit()) || tenant_id.parse::<u64>().is_err() {
            return Err(Error::config(
                ENV_TENANT_ID,
                format!("{tenant_id:?} is not a tenant id (digits)"),
            ));
        }
        let client_id = required(ENV_CLIENT_ID, self.client_id)?;
        let secret_id = required_secret(ENV_SECRET_ID, self.secret_id)?;
        let transport = Transport::new(Vendor::Easemob, base, self.transport.unwrap_or_default())?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let store: Arc<dyn TokenStore> = match (self.shared_store, self.token_store) {
            (Some(shared), _) => {
                let shared = Arc::new(Fallback::new(
                    shared,
                    Arc::new(
                        |e| tracing::warn!(error = %e, "shared store failed; easemob tokens are kept in this process"),
                    ),
                ));
                Arc::new(SharedTokenStore::with_clock(shared, clock.clone()))
            }
            (None, Some(store)) => store,
            (None, None) => Arc::new(MemoryTokenStore::new()),
        };
        let credentials = Credentials {
            tenant_id: tenant_id.clone(),
            client_id: client_id.clone(),
            secret_id,
        };
        let tokens = Tokens::new(store, credentials, clock, transport.clone());
        Ok(EasemobClient {
            inner: Arc::new(Inner {
                transport,
                tenant_id,
                client_id,
                zone: self.zone.unwrap_or_default(),
                page_concurrency: self.page_concurrency.unwrap_or(DEFAULT_PAGE_CONCURRENCY),
                tokens,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const ALL: &[(&str, &str)] = &[
        (ENV_TENANT_ID, "1"),
        (ENV_CLIENT_ID, "client"),
        (ENV_SECRET_ID, "test-secret-id-value"),
    ];

    fn key_of(e: Error) -> String {
        match e {
            Error::Config { key, .. } => key.into_owned(),
            other => format!("not a config error: {other}"),
        }
    }

    #[test]
    fn every_missing_setting_names_its_variable() {
        for missing in [ENV_TENANT_ID, ENV_CLIENT_ID, ENV_SECRET_ID] {
            let pairs: Vec<_> = ALL.iter().copied().filter(|(k, _)| *k != missing).collect();
            let e = EasemobBuilder::from_lookup(lookup(&pairs))
                .build()
                .unwrap_err();
            assert_eq!(key_of(e), missing);
        }
        let b = EasemobBuilder::from_lookup(lookup(&[
            (ENV_TENANT_ID, "1"),
            (ENV_CLIENT_ID, " "),
            (ENV_SECRET_ID, "s"),
        ]));
        assert_eq!(key_of(b.build().unwrap_err()), ENV_CLIENT_ID);
    }

    #[test]
    fn wrong_settings_name_their_variable() {
        let cases = [
            (ENV_TENANT_ID, "tenant-1"),
            (ENV_BASE_URL, "http://kefu.easemob.com"),
            (ENV_ZONE, "Asia/Shanghai"),
            (ENV_PAGE_CONCURRENCY, "0"),
            (ENV_PAGE_CONCURRENCY, "many"),
            (ENV_PAGE_CONCURRENCY, "1000000"),
        ];
        for (key, value) in cases {
            let mut pairs = ALL.to_vec();
            pairs.push((key, value));
            let e = EasemobBuilder::from_lookup(lookup(&pairs))
                .build()
                .unwrap_err();
            assert_eq!(key_of(e), key, "{value}");
        }
    }

    #[test]
    fn defaults_and_overrides() {
        let c = EasemobBuilder::from_lookup(lookup(ALL))
            .build()
            .expect("client");
        assert_eq!(
            c.inner.transport.base_url().as_str(),
            "https://kefu.easemob.com/"
        );
        assert_eq!(c.zone(), Zone::CHINA);
        assert_eq!(c.inner.page_concurrency, DEFAULT_PAGE_CONCURRENCY);
        let mut pairs = ALL.to_vec();
        pairs.extend([(ENV_ZONE, "UTC"), (ENV_PAGE_CONCURRENCY, "x")]);
        // A builder method replaces a value the lookup could not read.
        let c = EasemobBuilder::from_lookup(lookup(&pairs))
            .page_concurrency(2)
            .build()
            .expect("client");
        assert_eq!(c.zone(), Zone::UTC);
        assert_eq!(c.inner.page_concurrency, 2);
        assert_eq!(c.tenant_path("agents"), "/api/tenants/1/agents");
    }
}
