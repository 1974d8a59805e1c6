//! Sending a [`WireRequest`] with the shared timeout and retry policy.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kefu_core::{Error, Result, Vendor, VendorError};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::observe::Exchange;
use crate::policy::TransportConfig;
use crate::request::{WireRequest, WireResponse};

/// The most reserved up front for an answer's body, whatever its
/// Content-Length says (larger bodies still grow to the configured limit).
const PREALLOCATE_MAX: u64 = 1 << 20;

/// A vendor's HTTP transport: base URL, reqwest client, policy. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Transport {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    vendor: Vendor,
    base: Url,
    client: reqwest::Client,
    config: TransportConfig,
}

impl Transport {
    /// A transport to `base` for `vendor`. `base` must come from
    /// [`parse_base_url`](crate::parse_base_url).
    pub fn new(vendor: Vendor, base: Url, config: TransportConfig) -> Result<Self> {
        let mut builder = reqwest::Client::builder().user_agent(config.user_agent.clone());
        if let Some(t) = config.connect_timeout {
            builder = builder.connect_timeout(t);
        }
        if let Some(t) = config.request_timeout {
            builder = builder.timeout(t);
        } else {
            // The idle-connection sweep is a timer too.
            builder = builder.pool_idle_timeout(None);
        }
        let client = builder
            // Never follow a redirect: it could carry a signed body elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config("http_client", e.without_url().to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                vendor,
                base,
                client,
                config,
            }),
        })
    }

    /// The vendor this transport talks to.
    pub fn vendor(&self) -> Vendor {
        self.inner.vendor
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The policy in force.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// Sends `request`, decodes the answer with `decode`, and retries a
    /// failure when it may help and cannot duplicate a write:
    ///
    /// - the error says it is retryable ([`Error::is_retryable`]), and
    /// - the request is idempotent, or it provably never left this machine.
    ///
    /// Attempts, backoff and the total time are bounded by the
    /// [`RetryPolicy`](crate::RetryPolicy); the whole call by the operation timeout.
    pub async fn call<T>(
        &self,
        request: &WireRequest,
        decode: impl Fn(&WireResponse) -> Result<T>,
    ) -> Result<T> {
        // A body that could not be built is refused before anything is sent.
        request.check()?;
        let Some(deadline) = self.inner.config.operation_timeout else {
            return self.call_with_retries(request, &decode).await;
        };
        match tokio::time::timeout(deadline, self.call_with_retries(request, &decode)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                vendor: self.inner.vendor,
                message: format!("{} did not finish within {:?}", request.operation, deadline),
            }),
        }
    }

    async fn call_with_retries<T>(
        &self,
        request: &WireRequest,
        decode: &impl Fn(&WireResponse) -> Result<T>,
    ) -> Result<T> {
        let policy = &self.inner.config.retry;
        let started = Instant::now();
        let mut attempt = 1u32;
        loop {
            let span = tracing::debug_span!(
                "kefu.request",
                vendor = %self.inner.vendor,
                operation = %request.operation,
                method = %request.method,
                path = %request.path,
                attempt,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
                outcome = tracing::field::Empty,
            );
            let sent_at = Instant::now();
            let result = async {
                let response = self.send_observed(request, attempt).await?;
                tracing::Span::current().record("status", response.status);
                decode(&response)
            }
            .instrument(span.clone())
            .await;
            span.record("latency_ms", sent_at.elapsed().as_millis() as u64);

            let error = match result {
                Ok(value) => {
                    span.record("outcome", "ok");
                    return Ok(value);
                }
                // Scrubbed here, while the request's own secrets are alive,
                // before it is logged or returned.
                Err(error) => error.scrubbed(),
            };
            span.record("outcome", tracing::field::debug(error.kind()));
            // Safe to repeat: a read or idempotent write, a request that never
            // left (connect failed), or one refused with 429 before being
            // processed (RFC 6585).
            let safe_to_repeat = request.idempotent
                || matches!(error, Error::Transport { not_sent: true, .. })
                || matches!(&error, Error::RateLimited { error: v, .. } if v.http_status == Some(429));
            if attempt >= policy.max_attempts || !safe_to_repeat || !error.is_retryable() {
                return Err(error);
            }
            let mut delay = policy.delay(attempt, &mut rand::thread_rng());
            if let Error::RateLimited {
                retry_after: Some(wait),
                ..
            } = &error
            {
                delay = delay.max(*wait);
            }
            if started.elapsed() + delay > policy.max_elapsed {
                return Err(error);
            }
            tracing::debug!(parent: &span, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
            tokio::time::sleep(delay).await;
            if let Some(pacer) = &request.retry_pacer {
                pacer.acquire().await;
            }
            attempt += 1;
        }
    }

    /// [`Transport::send_once`] under the hooks: a held-back write in a dry
    /// run, or an exchange every observer is told about.
    async fn send_observed(&self, request: &WireRequest, attempt: u32) -> Result<WireResponse> {
        let hooks = &self.inner.config.hooks;
        if let Some(dry_run) = hooks.dry_run.as_ref().filter(|_| request.changes_state) {
            dry_run.exchange(&Exchange::held(self.inner.vendor, request));
            return Err(Error::DryRun {
                vendor: self.inner.vendor,
                operation: request.operation,
            });
        }
        if hooks.observers.is_empty() {
            return self.send_once(request).await;
        }
        let sent_at = Instant::now();
        let result = self.send_once(request).await;
        let elapsed = sent_at.elapsed();
        let exchange = if hooks.observers.iter().any(|o| o.wants_bodies()) {
            Exchange::observed(self.inner.vendor, request, attempt, &result, elapsed)
        } else {
            Exchange::observed_without_bodies(self.inner.vendor, request, attempt, &result, elapsed)
        };
        for observer in &hooks.observers {
            observer.exchange(&exchange);
        }
        result
    }

    async fn send_once(&self, request: &WireRequest) -> Result<WireResponse> {
        crate::meter::count();
        let vendor = self.inner.vendor;
        let mut url = self
            .inner
            .base
            .join(request.path.trim_start_matches('/'))
            .map_err(|e| Error::config("path", e.to_string()))?;
        // `join` drops the base path's last segment unless it ends in '/'.
        if !self.inner.base.path().ends_with('/') && self.inner.base.path() != "/" {
            url.set_path(&format!("{}{}", self.inner.base.path(), request.path));
        }
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &request.query {
                pairs.append_pair(name, value.expose());
            }
        }
        let mut builder = self.inner.client.request(request.method.clone(), url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.expose());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| transport_error(vendor, e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let limit = self.inner.config.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Error::decode(
                vendor,
                format!("body larger than {limit} bytes"),
                b"",
            ));
        }
        // Sized from Content-Length when there is one, so a page arriving in
        // many chunks is not copied again at every doubling; capped, so a
        // header alone cannot make us reserve much.
        let expected = response.content_length().unwrap_or(0).min(PREALLOCATE_MAX);
        let mut body = BytesMut::with_capacity(expected as usize);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(vendor, e))?
        {
            if body.len() + chunk.len() > limit {
                return Err(Error::decode(
                    vendor,
                    format!("body larger than {limit} bytes"),
                    &body,
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(WireResponse {
            status,
            headers,
            body: Bytes::from(body),
        })
    }
}

/// Converts a reqwest failure, dropping the URL (a GET may carry a signed
/// token in its query) before it can reach a message.
fn transport_error(vendor: Vendor, e: reqwest::Error) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        return Error::Timeout {
            vendor,
            message: "no answer within the request timeout".to_owned(),
        };
    }
    let not_sent = e.is_connect();
    let message = if not_sent {
        "could not connect".to_owned()
    } else if e.is_body() || e.is_decode() {
        "connection broke while reading the answer".to_owned()
    } else {
        "request failed".to_owned()
    };
    Error::Transport {
        vendor,
        message: format!("{message}: {}", source_chain(&e)),
        source: Some(Box::new(e)),
        not_sent,
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// The error for an answer whose body names no vendor code: by HTTP status,
/// honoring `Retry-After` on 429 and 503.
pub fn status_error(vendor: Vendor, response: &WireResponse) -> Error {
    let status = response.status;
    let message = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
        .to_owned();
    let error =
        VendorError::new(vendor, format!("HTTP {status}"), message).with_http_status(status);
    match status {
        401 | 403 => Error::Authentication(error),
        404 => Error::NotFound(error),
        429 => Error::RateLimited {
            error,
            retry_after: retry_after(response),
        },
        503 if retry_after(response).is_some() => Error::RateLimited {
            error,
            retry_after: retry_after(response),
        },
        _ => Error::Vendor(error),
    }
}

/// `Retry-After` in seconds (an HTTP date is treated as "soon": 1 s).
fn retry_after(response: &WireResponse) -> Option<Duration> {
    let value = response
        .headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    Some(match value.trim().parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs.min(3600)),
        Err(_) => Duration::from_secs(1),
    })
}

/// Whether a failed write may nevertheless have been carried out by the
/// vendor (timeout, broken connection after sending, server error, or an
/// answer we could not read), so it must be reconciled, not repeated.
pub fn is_ambiguous_write_failure(error: &Error) -> bool {
    match error {
        Error::Timeout { .. } | Error::Decode { .. } => true,
        Error::Transport { not_sent, .. } => !not_sent,
        Error::Vendor(e) => e.http_status.is_some_and(|s| s >= 500),
        _ => false,
    }
}
