//! `access:`: what may reach the bridge besides bearer tokens: the browser origins the receivers
//! accept, the bearer token `/metrics` asks for, and how often unknown tokens are looked up.

use serde::{Deserialize, Serialize};

use super::Secret;

/// Access settings; the defaults refuse every browser origin, leave `/metrics` open (as
/// Prometheus expects), look up at most 50 unseen tokens a second and let one client address
/// send 20 requests a second with browser keys (bursts of 100).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// Browser origins (`https://app.example.com`, compared without a trailing `/` and
    /// case-insensitively) whose requests the receivers (OTLP/HTTP, JSON, the alert webhook)
    /// accept; a request carrying any other `Origin` header is refused with 403. `*` allows
    /// every origin. Empty by default: browsers cannot post logs or alerts cross-site.
    pub allowed_origins: Vec<String>,
    /// When set, `GET /metrics` answers only `Authorization: Bearer <this token>` (Prometheus'
    /// `authorization: {credentials: ...}`) and 401 otherwise; unset, it is open.
    pub metrics_token: Option<Secret>,
    /// Database lookups per second of bearer tokens not seen in the last seconds, for all
    /// requests together (a burst of twice as many is allowed); past it such a request answers
    /// 429 without touching the database. Known tokens are cached and never wait for it.
    pub token_lookups_per_second: u32,
    /// Requests per second a browser key is used with from one client address (a token bucket,
    /// over every browser key); beyond it 429 + Retry-After. The client address is the socket's
    /// peer, or the `X-Forwarded-For` address when the peer is one of `trusted_proxies`.
    pub browser_client_requests_per_second: u32,
    /// Requests one client address may send with browser keys in one burst above its rate.
    pub browser_client_burst: u32,
    /// Client addresses whose buckets are kept at most; past it idle ones are forgotten, and
    /// when every one is busy all are (the memory stays bounded; the forgotten start full).
    pub browser_clients_max: usize,
    /// Proxies (`10.0.0.1`, `10.0.0.0/8`, `::1`) whose `X-Forwarded-For` header names the
    /// client: the address right of the last trusted hop counts. Empty by default: the socket's
    /// peer is the client, and `X-Forwarded-For` is ignored.
    pub trusted_proxies: Vec<String>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            allowed_origins: Vec::new(),
            metrics_token: None,
            token_lookups_per_second: 50,
            browser_client_requests_per_second: 20,
            browser_client_burst: 100,
            browser_clients_max: 100_000,
            trusted_proxies: Vec::new(),
        }
    }
}
