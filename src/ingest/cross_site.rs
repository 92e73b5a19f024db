//! Cross-site writes: a web page can make a browser POST without a CORS preflight only with no
//! content type or a "simple" one (`text/plain`, form encodings), and the browser always names
//! the page's origin in `Origin`. So the receivers decode only the JSON and protobuf content
//! types they name (415 otherwise, see [`require_media_type`]), and refuse a request whose
//! `Origin` is not in `access.allowed_origins` (403, [`Origins::check`]).

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::ORIGIN;

use super::body;
use super::error::IngestError;
use crate::config::AccessConfig;

/// What `navigator.sendBeacon` sends a string as (`text/plain;charset=UTF-8`). The receivers a
/// page uses take it as JSON only from a request whose browser key is in its URL, the only
/// credentials a beacon can carry (and such a request is held to the key's origins).
pub const BEACON_MEDIA_TYPE: &str = "text/plain";

/// The browser origins the receivers accept; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Lower-cased, without a trailing `/`.
    allowed: Arc<[String]>,
    any: bool,
}

impl Origins {
    /// The configured `access.allowed_origins`.
    pub fn from_config(config: &AccessConfig) -> Origins {
        let allowed: Vec<String> = config.allowed_origins.iter().map(|o| normal(o)).collect();
        Origins {
            any: allowed.iter().any(|origin| origin == "*"),
            allowed: allowed.into(),
        }
    }

    /// Refuses a request whose `Origin` header (sent by browsers, not by SDKs or shippers) names
    /// an origin that is not allowed.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), IngestError> {
        let Some(origin) = headers.get(ORIGIN) else {
            return Ok(());
        };
        let origin = String::from_utf8_lossy(origin.as_bytes());
        if self.any || self.allowed.contains(&normal(&origin)) {
            return Ok(());
        }
        Err(IngestError::CrossOrigin(origin.into_owned()))
    }
}

/// An `access.allowed_origins` entry that can never match a browser's `Origin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "access.allowed_origins[{index}]: {origin:?} is not an origin \
     (scheme://host or scheme://host:port, without a path) or *"
)]
pub struct InvalidOrigin {
    pub index: usize,
    pub origin: String,
}

/// Checks `access.allowed_origins`: each entry `*` or `scheme://host[:port]`.
pub fn check(config: &AccessConfig) -> Result<(), InvalidOrigin> {
    let valid = |origin: &str| {
        let origin = normal(origin);
        let Some((scheme, host)) = origin.split_once("://") else {
            return origin == "*";
        };
        let scheme_ok = !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric());
        scheme_ok && !host.is_empty() && !host.contains(['/', '?', '#', ' '])
    };
    let invalid = config.allowed_origins.iter().position(|o| !valid(o));
    invalid.map_or(Ok(()), |index| {
        Err(InvalidOrigin {
            index,
            origin: config.allowed_origins[index].clone(),
        })
    })
}

fn normal(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// The request's media type when it is one of `expected`, else 415 naming them; a missing
/// content type is refused like any other, as a browser sends none cross-site.
pub fn require_media_type(
    headers: &HeaderMap,
    expected: &'static [&'static str],
) -> Result<String, IngestError> {
    let found = body::media_type(headers);
    if expected.contains(&found.as_str()) {
        return Ok(found);
    }
    Err(IngestError::UnsupportedMediaType {
        found,
        expected: expected.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use axum::http::header::CONTENT_TYPE;

    use super::*;

    fn headers(pairs: &[(axum::http::HeaderName, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(name.clone(), value.parse().unwrap());
        }
        headers
    }

    fn origins(allowed: &[&str]) -> Origins {
        let config = AccessConfig {
            allowed_origins: allowed.iter().map(|o| o.to_string()).collect(),
            ..AccessConfig::default()
        };
        Origins::from_config(&config)
    }

    #[test]
    fn only_allowed_origins_pass() {
        let from = |origin: &str| headers(&[(ORIGIN, origin)]);
        assert!(origins(&[]).check(&HeaderMap::new()).is_ok());
        let error = origins(&[])
            .check(&from("https://evil.example"))
            .unwrap_err();
        assert_eq!(error.http_status(), 403);
        assert!(
            error.to_string().contains("https://evil.example"),
            "{error}"
        );
        let allowed = origins(&["https://App.example.com/"]);
        assert!(allowed.check(&from("https://app.example.com")).is_ok());
        assert!(
            allowed
                .check(&from("https://app.example.com.evil"))
                .is_err()
        );
        assert!(allowed.check(&from("null")).is_err());
        assert!(origins(&["*"]).check(&from("null")).is_ok());
    }

    #[test]
    fn allowed_origins_must_be_origins() {
        let config = |origins: &[&str]| AccessConfig {
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            ..AccessConfig::default()
        };
        assert_eq!(
            check(&config(&["*", "https://a.example:8443/", "null"])).map_err(|e| e.index),
            Err(2)
        );
        assert!(check(&config(&["https://a.example", "http://localhost:3000"])).is_ok());
        let error = check(&config(&["https://a.example/app"])).unwrap_err();
        assert!(
            error.to_string().starts_with("access.allowed_origins[0]"),
            "{error}"
        );
        assert!(check(&config(&["example.com"])).is_err());
    }

    #[test]
    fn a_missing_or_simple_content_type_is_refused_naming_the_expected_ones() {
        const JSON: &[&str] = &["application/json"];
        for content_type in ["", "text/plain", "application/x-www-form-urlencoded"] {
            let request = headers(&[(CONTENT_TYPE, content_type)]);
            let error = require_media_type(&request, JSON).unwrap_err();
            assert_eq!(error.http_status(), 415);
            assert!(error.to_string().contains("application/json"), "{error}");
        }
        let json = headers(&[(CONTENT_TYPE, "application/json; charset=utf-8")]);
        assert_eq!(require_media_type(&json, JSON).unwrap(), "application/json");
    }
}
