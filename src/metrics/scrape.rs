//! Who may scrape `/metrics`: anyone (the default, as Prometheus expects), or, with
//! `access.metrics_token` set, only requests bearing that token, since the labels name every
//! service's routes, query fingerprints and exception types.

use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::config::Secret;

/// The scrape token, kept as its SHA-256 so that comparing takes the same time for any guess.
#[derive(Debug, Clone, Default)]
pub struct ScrapeAccess {
    token: Option<[u8; 32]>,
}

impl ScrapeAccess {
    /// Open without a token.
    pub fn new(token: Option<&Secret>) -> ScrapeAccess {
        ScrapeAccess {
            token: token.map(|secret| digest(secret.expose())),
        }
    }

    /// Whether the request may scrape: always when open, else with `Bearer <token>`.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        let given = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let bearer = given.and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        bearer.is_some_and(|token| digest(token) == *expected)
    }
}

/// The answer to a scrape without the token: 401 with a bearer challenge.
pub fn refused() -> Response {
    let message = "GET /metrics needs Authorization: Bearer <access.metrics_token>\n";
    let challenge = [(WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")];
    (StatusCode::UNAUTHORIZED, challenge, message).into_response()
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization.parse().unwrap());
        headers
    }

    #[test]
    fn open_without_a_token() {
        assert!(ScrapeAccess::new(None).allows(&HeaderMap::new()));
    }

    #[test]
    fn with_a_token_only_that_bearer_token_scrapes() {
        let access = ScrapeAccess::new(Some(&Secret::from("s3cret")));
        assert!(access.allows(&with("Bearer s3cret")));
        assert!(access.allows(&with("bearer  s3cret ")));
        assert!(!access.allows(&HeaderMap::new()));
        assert!(!access.allows(&with("Bearer wrong")));
        assert!(!access.allows(&with("Basic s3cret")));
        assert_eq!(refused().status(), 401);
    }
}
