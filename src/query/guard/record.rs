//! What the audit trail records of a request before its answer is known: the endpoint in
//! canonical form (the route with its parsed path values, so that `/logs/0001`, `/logs/+1` and
//! `/logs/%31` are one endpoint), the filters, the client's address and user agent; and the
//! per-source limit on auditing refused requests (401, 403, 429), so that a flood of them
//! cannot flood the audit log.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::header;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::Principal;
use crate::query::params;
use crate::store::audit::{AuditRecord, USER_AGENT_MAX_CHARS};

/// Refused requests audited per second per source address, after a burst of [`REFUSED_BURST`].
const REFUSED_PER_SECOND: u32 = 1;
const REFUSED_BURST: u32 = 20;

/// The audit entry of a request, before the caller and the answer are known.
pub async fn of_request(request: Request) -> (AuditRecord, Request) {
    let (mut parts, body) = request.into_parts();
    let endpoint = canonical_endpoint(&mut parts).await;
    let client_addr = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .map(|value| String::from_utf8_lossy(value.as_bytes()))
        .map(|agent| agent.chars().take(USER_AGENT_MAX_CHARS).collect());
    let record = AuditRecord {
        token_id: None,
        token_name: None,
        role: None,
        method: parts.method.to_string(),
        endpoint,
        filters: params::audit_filters(parts.uri.query()),
        status: 0,
        rows: None,
        client_addr,
        user_agent,
        stream: None,
    };
    (record, Request::from_parts(parts, body))
}

/// The entry with the caller filled in.
pub fn with_caller(mut record: AuditRecord, principal: &Principal) -> AuditRecord {
    record.token_id = Some(principal.token_id);
    record.token_name = Some(principal.name.clone());
    record.role = Some(principal.role.as_str().to_string());
    record
}

/// The matched route with each `{name}` replaced by its canonical value; the raw path when no
/// route matched.
async fn canonical_endpoint(parts: &mut axum::http::request::Parts) -> String {
    let Some(route) = parts.extensions.get::<MatchedPath>().cloned() else {
        return parts.uri.path().to_string();
    };
    let mut endpoint = route.as_str().to_string();
    if let Ok(values) = RawPathParams::from_request_parts(parts, &()).await {
        for (name, value) in &values {
            endpoint = endpoint.replace(&format!("{{{name}}}"), &canonical_value(value));
        }
    }
    endpoint
}

/// A path value as the handlers read it: an integer in decimal, hex digits in lower case,
/// anything else as decoded, a NUL character (which PostgreSQL text cannot hold, so the entry
/// could not be written) as U+FFFD.
fn canonical_value(value: &str) -> String {
    if let Ok(number) = value.parse::<i64>() {
        return number.to_string();
    }
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_hexdigit()) {
        return value.to_ascii_lowercase();
    }
    value.replace('\0', "\u{FFFD}")
}

/// The per-source budget of audited refusals.
pub struct RefusalBudget {
    limiter: DefaultKeyedRateLimiter<Option<IpAddr>>,
}

impl Default for RefusalBudget {
    fn default() -> Self {
        let rate = NonZeroU32::new(REFUSED_PER_SECOND).expect("positive");
        let burst = NonZeroU32::new(REFUSED_BURST).expect("positive");
        RefusalBudget {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        }
    }
}

impl RefusalBudget {
    /// Whether a refusal of a request from `source` is audited (else it is only counted in
    /// the bridge's log).
    pub fn admits(&self, source: Option<IpAddr>) -> bool {
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&source).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_value_are_one_value() {
        for spelling in ["1", "0001", "+1"] {
            assert_eq!(canonical_value(spelling), "1", "{spelling}");
        }
        assert_eq!(canonical_value("4BF92F35"), "4bf92f35");
        assert_eq!(canonical_value("-0"), "0");
        assert_eq!(canonical_value("abc/x"), "abc/x");
        assert_eq!(
            canonical_value("a\0b"),
            "a\u{FFFD}b",
            "a NUL cannot be stored"
        );
    }

    #[test]
    fn refusals_are_audited_up_to_a_burst_per_source() {
        let budget = RefusalBudget::default();
        let source = Some(IpAddr::from([10, 0, 0, 1]));
        let admitted = (0..100).filter(|_| budget.admits(source)).count();
        assert!(admitted <= REFUSED_BURST as usize + 2, "{admitted}");
        assert!(budget.admits(Some(IpAddr::from([10, 0, 0, 2]))));
    }
}
