//! The credentials a request carries: the `Authorization` value, read in one place for every
//! HTTP handler (an extractor) and every gRPC call (from its metadata).

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

/// The `Authorization` header's value, if any and if it is text; [`Authenticator`] checks it.
///
/// [`Authenticator`]: super::Authenticator
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials(Option<String>);

impl Credentials {
    /// The credentials of an HTTP request's headers.
    pub fn from_headers(headers: &HeaderMap) -> Credentials {
        let value = headers.get(header::AUTHORIZATION);
        Credentials(value.and_then(|v| v.to_str().ok()).map(str::to_owned))
    }

    /// The credentials of a gRPC call's metadata.
    pub fn from_metadata(metadata: &tonic::metadata::MetadataMap) -> Credentials {
        let value = metadata.get(header::AUTHORIZATION.as_str());
        Credentials(value.and_then(|v| v.to_str().ok()).map(str::to_owned))
    }

    /// These credentials, or when they hold none a bearer `key` (the Faro SDK's `x-api-key`
    /// header, or the app key of `/collect/{app_key}`).
    pub fn or_key(self, key: Option<&str>) -> Credentials {
        match (self.0, key) {
            (None, Some(key)) => Credentials(Some(format!("Bearer {key}"))),
            (authorization, _) => Credentials(authorization),
        }
    }

    /// The header value as sent.
    pub fn authorization(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Credentials {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Credentials::from_headers(&parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_metadata_read_alike() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer lb_x".parse().unwrap());
        let metadata = tonic::metadata::MetadataMap::from_headers(headers.clone());
        assert_eq!(
            Credentials::from_headers(&headers).authorization(),
            Some("Bearer lb_x")
        );
        assert_eq!(
            Credentials::from_metadata(&metadata),
            Credentials::from_headers(&headers)
        );
        assert_eq!(
            Credentials::from_headers(&HeaderMap::new()).authorization(),
            None
        );
    }
}
