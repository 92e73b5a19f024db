//! `access:`: what may reach the bridge besides bearer tokens: the browser origins the receivers
//! accept, the bearer token `/metrics` asks for, and how often unknown tokens are looked up.

use serde::{Deserialize, Serialize};

use super::Secret;

/// Access settings; the defaults refuse every browser origin, leave `/metrics` open (as
/// Prometheus expects) and look up at most 50 unseen tokens a second.
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
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            allowed_origins: Vec::new(),
            metrics_token: None,
            token_lookups_per_second: 50,
        }
    }
}
