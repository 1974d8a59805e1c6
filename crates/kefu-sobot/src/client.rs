//! The client, its builder and its settings.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use kefu_core::shared::{RateBudget, SharedStore};
use kefu_core::time::Zone;
use kefu_core::{
    Capabilities, Clock, Error, Operation, Provider, Result, Secret, SystemClock, Vendor, validate,
};
use kefu_http::settings::{Unparsed, reason, required, required_secret};
use kefu_http::{
    Effect, Pacer, Transport, TransportConfig, WireRequest, WireResponse, parse_base_url,
};

use crate::auth::{ReportSign, ReportSigner};

/// Where Sobot lives unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://www.sobot.com";

/// The default chatIndexPage pace: 20 calls per 61 s, one second of slack
/// under the documented "每分钟调用 20 次" so clock drift between us and
/// the vendor never tips a burst over the limit.
pub const DEFAULT_CHAT_PACE: (u32, Duration) = (20, Duration::from_secs(61));

/// getTenantList pages in flight once the first page told the page count,
/// by default. The document states no limit for getTenantList (only
/// chatIndexPage's 20 a minute); 4 is polite and hides most of the latency,
/// as for Easemob's sessions. `KEFU_SOBOT_PAGE_CONCURRENCY` sets it.
pub const DEFAULT_PAGE_CONCURRENCY: usize = 4;

/// The unit of `ts` on the report endpoints (tenantExportData,
/// getBatchAppKey, tenantStaffJobList).
///
/// The `/tenantpro/open` tables say milliseconds; the report examples show
/// 10-digit (second) values and give no unit, so it is a setting.
/// getStaffLogInfos and chatIndexPage always use milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TsUnit {
    /// Epoch milliseconds (default).
    #[default]
    Millis,
    /// Epoch seconds, as the report examples show.
    Seconds,
}

impl FromStr for TsUnit {
    type Err = Error;

    /// `ms` or `s` (also `millis`, `seconds`).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ms" | "millis" | "milliseconds" => Ok(Self::Millis),
            "s" | "sec" | "secs" | "seconds" => Ok(Self::Seconds),
            other => Err(Error::config(
                "KEFU_SOBOT_TS_UNIT",
                format!("must be `ms` or `s`, not {other:?}"),
            )),
        }
    }
}

/// Builds a [`SobotClient`]. Every setting has an environment variable
/// (see [`SobotBuilder::from_lookup`]); a missing one is an
/// [`Error::Config`] naming that variable.
#[derive(Clone, Default)]
pub struct SobotBuilder {
    base_url: Option<String>,
    union_code: Option<String>,
    union_key: Option<Secret>,
    email: Option<String>,
    customer_code: Option<String>,
    clock: Option<Arc<dyn Clock>>,
    zone: Option<Zone>,
    ts_unit: Option<TsUnit>,
    transport: Option<TransportConfig>,
    chat_pace: Option<(u32, Duration)>,
    shared_store: Option<Arc<dyn SharedStore>>,
    page_concurrency: Option<usize>,
    max_requests: Option<u64>,
    report_sign: Option<ReportSigner>,
    /// Settings from the environment that did not parse; `build` reports
    /// the first. Setting one by hand clears it.
    unparsed: Unparsed,
}

impl fmt::Debug for SobotBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SobotBuilder")
            .field("base_url", &self.base_url)
            .field("union_code", &self.union_code)
            .field("union_key", &self.union_key)
            .field("email", &self.email)
            .field("customer_code", &self.customer_code)
            .field("zone", &self.zone)
            .field("ts_unit", &self.ts_unit)
            .field("chat_pace", &self.chat_pace)
            .field(
                "shared_store",
                &self.shared_store.as_ref().map(|s| s.describe()),
            )
            .field("page_concurrency", &self.page_concurrency)
            .field("max_requests", &self.max_requests)
            .field("report_sign", &self.report_sign.as_ref().map(|_| "custom"))
            .finish_non_exhaustive()
    }
}

impl SobotBuilder {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Settings from `lookup` (an environment): `KEFU_SOBOT_BASE_URL`
    /// (default `https://www.sobot.com`), `KEFU_SOBOT_UNION_CODE`,
    /// `KEFU_SOBOT_UNION_KEY`, `KEFU_SOBOT_EMAIL` (the platform super-admin),
    /// optional `KEFU_SOBOT_CUSTOMER_CODE` (the merchant staff operations act
    /// on), `KEFU_SOBOT_TS_UNIT` (`ms` default, or `s`),
    /// `KEFU_SOBOT_ZONE` (default `UTC+8`) and `KEFU_SOBOT_PAGE_CONCURRENCY`
    /// (default 4). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let mut b = Self::new();
        b.base_url = get("KEFU_SOBOT_BASE_URL");
        b.union_code = get("KEFU_SOBOT_UNION_CODE");
        b.union_key = get("KEFU_SOBOT_UNION_KEY").map(Secret::new);
        b.email = get("KEFU_SOBOT_EMAIL");
        b.customer_code = get("KEFU_SOBOT_CUSTOMER_CODE");
        let u = &mut b.unparsed;
        b.ts_unit = u.read("KEFU_SOBOT_TS_UNIT", get("KEFU_SOBOT_TS_UNIT"), |t| {
            t.parse::<TsUnit>().map_err(|e| reason(&e))
        });
        b.zone = u.read("KEFU_SOBOT_ZONE", get("KEFU_SOBOT_ZONE"), |t| {
            t.parse::<Zone>().map_err(|e| reason(&e))
        });
        b.chat_pace = u.read(
            "KEFU_SOBOT_CHAT_PACE",
            get("KEFU_SOBOT_CHAT_PACE"),
            crate::pacing::parse_pace,
        );
        b.page_concurrency = u.read(
            "KEFU_SOBOT_PAGE_CONCURRENCY",
            get("KEFU_SOBOT_PAGE_CONCURRENCY"),
            |t| {
                kefu_core::paging::parse_concurrency("KEFU_SOBOT_PAGE_CONCURRENCY", t)
                    .map_err(|e| reason(&e))
            },
        );
        b.max_requests = u.read(
            validate::ENV_MAX_REQUESTS,
            get(validate::ENV_MAX_REQUESTS),
            |t| validate::parse_max_requests(validate::ENV_MAX_REQUESTS, t).map_err(|e| reason(&e)),
        );
        b
    }

    /// Applies a setting given by hand: the last setting of `key` wins, so
    /// an unparsable environment value it replaces no longer fails `build`.
    fn set(mut self, key: &'static str, f: impl FnOnce(&mut Self)) -> Self {
        self.unparsed.forget(key);
        f(&mut self);
        self
    }

    /// getTenantList pages in flight once the first page told the page
    /// count (default [`DEFAULT_PAGE_CONCURRENCY`], 1 to
    /// [`kefu_core::paging::MAX_PAGE_CONCURRENCY`]).
    pub fn page_concurrency(self, pages: usize) -> Self {
        self.set("KEFU_SOBOT_PAGE_CONCURRENCY", |b| {
            b.page_concurrency = Some(pages.clamp(1, kefu_core::paging::MAX_PAGE_CONCURRENCY));
        })
    }

    /// The most requests one call may send when their number is known up
    /// front (getStaffLogInfos: one a week); default
    /// [`validate::DEFAULT_MAX_REQUESTS`], `KEFU_MAX_REQUESTS` sets it.
    pub fn max_requests(self, n: u64) -> Self {
        self.set(validate::ENV_MAX_REQUESTS, |b| {
            b.max_requests = Some(n.max(1));
        })
    }

    /// The base URL (`https://`, or `http://` to a loopback host only).
    pub fn base_url(mut self, url: &str) -> Self {
        self.base_url = Some(url.to_owned());
        self
    }

    /// The platform's unionCode (智齿提供).
    pub fn union_code(mut self, code: impl Into<String>) -> Self {
        self.union_code = Some(code.into());
        self
    }

    /// The platform's private unionKey.
    pub fn union_key(mut self, key: impl Into<Secret>) -> Self {
        self.union_key = Some(key.into());
        self
    }

    /// The platform super-admin email getTenantList signs with.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The merchant (its customerCode) staff operations act on by default.
    pub fn customer_code(mut self, code: impl Into<String>) -> Self {
        self.customer_code = Some(code.into());
        self
    }

    /// Where `ts` comes from (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The zone vendor times without an offset are read in (default UTC+8).
    pub fn zone(self, zone: Zone) -> Self {
        self.set("KEFU_SOBOT_ZONE", |b| b.zone = Some(zone))
    }

    /// The `ts` unit of the report endpoints (default milliseconds).
    pub fn ts_unit(self, unit: TsUnit) -> Self {
        self.set("KEFU_SOBOT_TS_UNIT", |b| b.ts_unit = Some(unit))
    }

    /// Timeouts and retries (default [`TransportConfig::default`]).
    pub fn transport(mut self, config: TransportConfig) -> Self {
        self.transport = Some(config);
        self
    }

    /// At most `calls` chatIndexPage calls per `per`, shared by every clone
    /// of the client (default [`DEFAULT_CHAT_PACE`], 20 per 61 s;
    /// `KEFU_SOBOT_CHAT_PACE` such as `20/61s`).
    pub fn chat_pace(self, calls: u32, per: Duration) -> Self {
        self.set("KEFU_SOBOT_CHAT_PACE", |b| b.chat_pace = Some((calls, per)))
    }

    /// Where rate budgets are shared with other processes speaking for this
    /// platform account (default: none, this client paces itself). With a
    /// store, chatIndexPage is paced with GCRA across every process naming
    /// it (see [`crate::pacing`]).
    pub fn shared_store(mut self, store: Arc<dyn SharedStore>) -> Self {
        self.shared_store = Some(Arc::new(kefu_core::shared::Fallback::new(
            store,
            Arc::new(
                |e| tracing::warn!(error = %e, "shared store failed; sobot pacing is kept in this process"),
            ),
        )));
        self
    }

    /// Replaces the report endpoints' `sign` formula (default
    /// [`default_report_sign`](crate::auth::default_report_sign),
    /// `MD5(unionCode+ts+unionKey)`), for when Sobot tells you another.
    pub fn report_sign(mut self, signer: ReportSigner) -> Self {
        self.report_sign = Some(signer);
        self
    }

    /// The client, or the first missing or bad setting.
    pub fn build(self) -> Result<SobotClient> {
        self.unparsed.check()?;
        let base = parse_base_url(
            "KEFU_SOBOT_BASE_URL",
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
        )?;
        let union_code = required("KEFU_SOBOT_UNION_CODE", self.union_code)?;
        let union_key = required_secret("KEFU_SOBOT_UNION_KEY", self.union_key)?;
        let email = required("KEFU_SOBOT_EMAIL", self.email)?;
        validate::email("KEFU_SOBOT_EMAIL", &email)
            .map_err(|e| Error::config("KEFU_SOBOT_EMAIL", reason(&e)))?;
        let chat_budget = match self.chat_pace {
            Some((calls, per)) => RateBudget::new(calls, per, crate::pacing::DEFAULT_CHAT_BURST),
            None => crate::pacing::CHAT_BUDGET,
        };
        let chat_pacer = crate::pacing::pacer(
            Operation::ListChats,
            chat_budget,
            self.shared_store.as_ref(),
            base.as_str(),
            &union_code,
        );
        let transport = Transport::new(Vendor::Sobot, base, self.transport.unwrap_or_default())?;
        Ok(SobotClient {
            shared: Arc::new(Shared {
                transport,
                chat_pacer,
                chat_budget,
                page_concurrency: self.page_concurrency.unwrap_or(DEFAULT_PAGE_CONCURRENCY),
                max_requests: self.max_requests.unwrap_or(validate::DEFAULT_MAX_REQUESTS),
                union_code,
                union_key,
                email,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                zone: self.zone.unwrap_or_default(),
                ts_unit: self.ts_unit.unwrap_or_default(),
                report_sign: ReportSign(self.report_sign),
            }),
            customer_code: self.customer_code.filter(|c| !c.trim().is_empty()),
        })
    }
}

/// A Sobot e-commerce platform client.
///
/// Cheap to clone; clones share the transport and the chatIndexPage pacer
/// (the vendor's 20-a-minute limit is per platform, so per client).
/// [`SobotClient::for_tenant`] gives a clone whose staff operations act on
/// another merchant.
#[derive(Clone)]
pub struct SobotClient {
    pub(crate) shared: Arc<Shared>,
    customer_code: Option<String>,
}

pub(crate) struct Shared {
    pub(crate) transport: Transport,
    pub(crate) chat_pacer: Pacer,
    /// What `chat_pacer` enforces (a refused call waits its interval).
    pub(crate) chat_budget: RateBudget,
    pub(crate) page_concurrency: usize,
    pub(crate) max_requests: u64,
    pub(crate) union_code: String,
    pub(crate) union_key: Secret,
    pub(crate) email: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) zone: Zone,
    pub(crate) ts_unit: TsUnit,
    pub(crate) report_sign: ReportSign,
}

impl fmt::Debug for SobotClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.shared;
        f.debug_struct("SobotClient")
            .field("base_url", &s.transport.base_url().as_str())
            .field("union_code", &s.union_code)
            .field("union_key", &s.union_key)
            .field("email", &s.email)
            .field("customer_code", &self.customer_code)
            .field("zone", &s.zone)
            .field("ts_unit", &s.ts_unit)
            .field("chat_pace", &s.chat_pacer.limit())
            .field("page_concurrency", &s.page_concurrency)
            .field("max_requests", &s.max_requests)
            .field("report_sign", &s.report_sign)
            .finish()
    }
}

/// What this client offers: the twelve operations of the document.
pub(crate) const SUPPORTED: &[Operation] = &[
    Operation::ListTenants,
    Operation::AddTenant,
    Operation::UpdateTenant,
    Operation::ListAppKeys,
    Operation::AddAgent,
    Operation::UpdateAgent,
    Operation::DeleteAgent,
    Operation::ListRoles,
    Operation::ListChats,
    Operation::AgentStats,
    Operation::ExportReport,
    Operation::AgentStatusLog,
];

impl Provider for SobotClient {
    fn vendor(&self) -> Vendor {
        Vendor::Sobot
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(Vendor::Sobot, SUPPORTED)
    }
}

impl SobotClient {
    /// A builder with nothing set.
    pub fn builder() -> SobotBuilder {
        SobotBuilder::new()
    }

    /// A client from the process environment (see [`SobotBuilder::from_lookup`]).
    pub fn from_env() -> Result<SobotClient> {
        SobotBuilder::from_lookup(|key| std::env::var(key).ok()).build()
    }

    /// A clone whose staff operations act on the merchant `customer_code`;
    /// it shares this client's transport and chat pacer.
    pub fn for_tenant(&self, customer_code: impl Into<String>) -> SobotClient {
        SobotClient {
            shared: self.shared.clone(),
            customer_code: Some(customer_code.into()),
        }
    }

    /// The merchant staff operations act on, if any.
    pub fn tenant(&self) -> Option<&str> {
        self.customer_code.as_deref()
    }

    /// The platform's unionCode.
    pub fn union_code(&self) -> &str {
        &self.shared.union_code
    }

    /// The merchant for a staff operation, or `InvalidInput` naming
    /// `customerCode` (nothing is sent).
    pub(crate) fn require_tenant(&self) -> Result<&str> {
        match self.customer_code.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => Ok(code),
            _ => Err(Error::invalid(
                "customerCode",
                "staff operations need a merchant: set KEFU_SOBOT_CUSTOMER_CODE or use for_tenant",
            )),
        }
    }

    /// `ts` in epoch milliseconds, as the `/tenantpro/open` tables say.
    pub(crate) fn ts_millis(&self) -> i64 {
        self.shared.clock.now_millis()
    }

    /// `ts` of the report endpoints, in the configured unit, as a string
    /// (their tables type it String).
    pub(crate) fn report_ts(&self) -> String {
        let ms = self.ts_millis();
        match self.shared.ts_unit {
            TsUnit::Millis => ms.to_string(),
            TsUnit::Seconds => ms.div_euclid(1000).to_string(),
        }
    }

    /// Sends `request` and decodes the answer: the one way every call goes
    /// (the same shape as every vendor crate's `call`). `decode` reads the
    /// body once Sobot's envelope (`ret_code`/`status`) said success.
    pub(crate) async fn call<T>(
        &self,
        request: WireRequest,
        decode: impl Fn(&[u8]) -> Result<T>,
    ) -> Result<T> {
        self.shared
            .transport
            .call(&request, |response: &WireResponse| {
                crate::wire::answer(response, &decode)
            })
            .await
    }

    /// [`SobotClient::call`] for a write the transport may not repeat: a
    /// failure that leaves its outcome open is settled by `lookup` (`None`
    /// where Sobot has no way to look the effect up), by the one policy of
    /// [`kefu_http::reconcile`].
    pub(crate) async fn write<T, F, Fut>(
        &self,
        request: WireRequest,
        decode: impl Fn(&[u8]) -> Result<T>,
        lookup: Option<F>,
    ) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Effect<T>>>,
    {
        let op = request.operation;
        match self.call(request, decode).await {
            Ok(answer) => Ok(answer),
            Err(e) => kefu_http::settle(Vendor::Sobot, op, e, lookup).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const FULL: &[(&str, &str)] = &[
        ("KEFU_SOBOT_UNION_CODE", "10004"),
        ("KEFU_SOBOT_UNION_KEY", "k3y-s3cr3t"),
        ("KEFU_SOBOT_EMAIL", "admin@platform.example.com"),
    ];

    #[test]
    fn defaults_from_a_minimal_environment() {
        let c = SobotBuilder::from_lookup(env(FULL)).build().unwrap();
        assert_eq!(
            c.shared.transport.base_url().as_str(),
            "https://www.sobot.com/"
        );
        assert_eq!(c.shared.ts_unit, TsUnit::Millis);
        assert_eq!(c.shared.zone, Zone::CHINA);
        assert_eq!(c.tenant(), None);
        assert_eq!(c.shared.chat_pacer.limit(), (20, Duration::from_secs(61)));
    }

    #[test]
    fn every_missing_setting_names_its_variable() {
        for missing in [
            "KEFU_SOBOT_UNION_CODE",
            "KEFU_SOBOT_UNION_KEY",
            "KEFU_SOBOT_EMAIL",
        ] {
            let pairs: Vec<(&str, &str)> = FULL
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            let e = SobotBuilder::from_lookup(env(&pairs)).build().unwrap_err();
            assert!(
                matches!(&e, Error::Config { key, .. } if key == missing),
                "{missing}: {e}"
            );
            // Empty is the same as missing.
            let mut pairs = pairs.clone();
            pairs.push((missing, " "));
            let e = SobotBuilder::from_lookup(env(&pairs)).build().unwrap_err();
            assert!(
                matches!(&e, Error::Config { key, .. } if key == missing),
                "{missing}: {e}"
            );
        }
    }

    #[test]
    fn bad_settings_are_refused_with_their_variable() {
        let cases = [
            ("KEFU_SOBOT_BASE_URL", "http://www.sobot.com"),
            ("KEFU_SOBOT_TS_UNIT", "minutes"),
            ("KEFU_SOBOT_ZONE", "Asia/Shanghai"),
            ("KEFU_SOBOT_EMAIL", "not-an-email"),
            ("KEFU_SOBOT_PAGE_CONCURRENCY", "0"),
            ("KEFU_SOBOT_PAGE_CONCURRENCY", "many"),
            ("KEFU_SOBOT_PAGE_CONCURRENCY", "1000000"),
            ("KEFU_MAX_REQUESTS", "0"),
        ];
        for (key, value) in cases {
            let mut pairs = FULL.to_vec();
            pairs.push((key, value));
            let e = SobotBuilder::from_lookup(env(&pairs)).build().unwrap_err();
            assert!(
                matches!(&e, Error::Config { key: k, .. } if k == key),
                "{key}: {e}"
            );
        }
    }

    #[test]
    fn the_last_setting_wins_and_every_bad_one_surfaces() {
        let mut pairs = FULL.to_vec();
        pairs.extend([
            ("KEFU_SOBOT_TS_UNIT", "minutes"),
            ("KEFU_SOBOT_ZONE", "Asia/Shanghai"),
        ]);
        let key_of = |b: SobotBuilder| match b.build().unwrap_err() {
            Error::Config { key, .. } => key,
            e => panic!("{e}"),
        };
        // The first bad one read is reported, not the last.
        assert_eq!(
            key_of(SobotBuilder::from_lookup(env(&pairs))),
            "KEFU_SOBOT_TS_UNIT"
        );
        // Set by hand, it no longer fails; the other one still does.
        let fixed = SobotBuilder::from_lookup(env(&pairs)).ts_unit(TsUnit::Seconds);
        assert_eq!(key_of(fixed), "KEFU_SOBOT_ZONE");
        let zone: Zone = "UTC+9".parse().unwrap();
        let client = SobotBuilder::from_lookup(env(&pairs))
            .zone(zone)
            .ts_unit(TsUnit::Seconds)
            .build()
            .unwrap();
        assert_eq!(client.shared.zone, zone);
        // The same for the numeric settings.
        let mut pairs = FULL.to_vec();
        pairs.extend([
            ("KEFU_SOBOT_PAGE_CONCURRENCY", "many"),
            ("KEFU_SOBOT_CHAT_PACE", "often"),
        ]);
        SobotBuilder::from_lookup(env(&pairs))
            .page_concurrency(2)
            .chat_pace(10, Duration::from_secs(60))
            .build()
            .unwrap();
    }

    #[test]
    fn optional_settings_are_read() {
        let mut pairs = FULL.to_vec();
        pairs.extend([
            ("KEFU_SOBOT_BASE_URL", "http://127.0.0.1:9"),
            ("KEFU_SOBOT_CUSTOMER_CODE", "M01"),
            ("KEFU_SOBOT_TS_UNIT", "s"),
            ("KEFU_SOBOT_ZONE", "UTC"),
            ("KEFU_SOBOT_PAGE_CONCURRENCY", "2"),
        ]);
        let c = SobotBuilder::from_lookup(env(&pairs)).build().unwrap();
        assert_eq!(c.shared.page_concurrency, 2);
        assert_eq!(
            SobotBuilder::from_lookup(env(FULL))
                .build()
                .unwrap()
                .shared
                .page_concurrency,
            DEFAULT_PAGE_CONCURRENCY
        );
        assert_eq!(c.tenant(), Some("M01"));
        assert_eq!(c.shared.ts_unit, TsUnit::Seconds);
        assert_eq!(c.shared.zone, Zone::UTC);
        let other = c.for_tenant("M02");
        assert_eq!(other.tenant(), Some("M02"));
        assert!(Arc::ptr_eq(&c.shared, &other.shared));
    }

    #[test]
    fn report_ts_follows_the_unit() {
        let clock = Arc::new(kefu_core::FixedClock::at_millis(1_715_000_000_123));
        let b = SobotBuilder::from_lookup(env(FULL)).clock(clock);
        assert_eq!(b.clone().build().unwrap().report_ts(), "1715000000123");
        assert_eq!(
            b.ts_unit(TsUnit::Seconds).build().unwrap().report_ts(),
            "1715000000"
        );
    }
}
