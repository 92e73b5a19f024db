//! The credentials a request carries: the `Authorization` value, read in one place for every
//! HTTP handler (an extractor) and every gRPC call (from its metadata); for the receivers a web
//! page uses, also a browser key given in the URL and the address the request came from.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, header};

/// The `Authorization` header's value, if any and if it is text; [`Authenticator`] checks it.
///
/// [`Authenticator`]: super::Authenticator
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    authorization: Option<String>,
    /// The URL's `key` query parameter, which only the browser receivers read.
    query_key: Option<String>,
    /// Whether `authorization` came from a key in the URL (a browser key's only way in a
    /// `navigator.sendBeacon`, which can set no header).
    key_in_url: bool,
    client: ClientAddress,
}

/// Where a request came from: the socket's peer and the `X-Forwarded-For` header, which counts
/// only when the peer is a trusted proxy (see [`super::clients`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAddress {
    pub peer: Option<IpAddr>,
    pub forwarded_for: Option<String>,
}

impl Credentials {
    /// The credentials of an HTTP request's headers.
    pub fn from_headers(headers: &HeaderMap) -> Credentials {
        let value = headers.get(header::AUTHORIZATION);
        let authorization = value.and_then(|v| v.to_str().ok()).map(str::to_owned);
        Credentials {
            authorization,
            ..Credentials::default()
        }
    }

    /// The credentials of a gRPC call's metadata.
    pub fn from_metadata(metadata: &tonic::metadata::MetadataMap) -> Credentials {
        let value = metadata.get(header::AUTHORIZATION.as_str());
        let authorization = value.and_then(|v| v.to_str().ok()).map(str::to_owned);
        Credentials {
            authorization,
            ..Credentials::default()
        }
    }

    /// These credentials, or when they hold none a bearer `key` (the Faro SDK's `x-api-key`
    /// header).
    pub fn or_key(self, key: Option<&str>) -> Credentials {
        match (&self.authorization, key) {
            (None, Some(key)) => Credentials {
                authorization: Some(format!("Bearer {key}")),
                ..self
            },
            _ => self,
        }
    }

    /// These credentials, or when they hold none a `key` from the URL (the app key of
    /// `/collect/{app_key}`), which must then be a browser key.
    pub fn or_url_key(self, key: Option<&str>) -> Credentials {
        let from_url = self.authorization.is_none() && key.is_some();
        Credentials {
            key_in_url: from_url,
            ..self.or_key(key)
        }
    }

    /// These credentials, or when they hold none the URL's `?key=`, which must then be a
    /// browser key.
    pub fn or_query_key(self) -> Credentials {
        let key = self.query_key.clone();
        self.or_url_key(key.as_deref())
    }

    /// The header value as sent (or made of a key in the URL).
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }

    /// Whether the credentials are a key given in the URL.
    pub fn key_in_url(&self) -> bool {
        self.key_in_url
    }

    /// Where the request came from.
    pub fn client(&self) -> &ClientAddress {
        &self.client
    }
}

/// The `key` query parameter of `uri`, if any.
pub fn query_key(uri: &Uri) -> Option<String> {
    let query = uri.query()?;
    let mut pairs = form_urlencoded::parse(query.as_bytes());
    let (_, key) = pairs.find(|(name, _)| name == "key")?;
    Some(key.into_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for Credentials {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        let forwarded_for = parts.headers.get("x-forwarded-for");
        let client = ClientAddress {
            peer: peer.map(|ConnectInfo(address)| address.ip()),
            forwarded_for: forwarded_for
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        Ok(Credentials {
            query_key: query_key(&parts.uri),
            client,
            ..Credentials::from_headers(&parts.headers)
        })
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

    #[test]
    fn a_key_in_the_url_counts_only_without_a_header_and_is_marked() {
        let uri: Uri = "/v1/logs?x=1&key=lb_a%2Bb".parse().unwrap();
        assert_eq!(query_key(&uri).as_deref(), Some("lb_a+b"));
        assert_eq!(query_key(&"/v1/logs".parse().unwrap()), None);
        let from_url = Credentials::default().or_url_key(Some("lb_k"));
        assert_eq!(from_url.authorization(), Some("Bearer lb_k"));
        assert!(from_url.key_in_url());
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer lb_h".parse().unwrap());
        let header_wins = Credentials::from_headers(&headers).or_url_key(Some("lb_k"));
        assert_eq!(header_wins.authorization(), Some("Bearer lb_h"));
        assert!(!header_wins.key_in_url());
        let api_key = Credentials::default().or_key(Some("lb_k"));
        assert!(!api_key.key_in_url());
    }
}
