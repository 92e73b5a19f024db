//! What the receivers a web page sends to share (`/v1/logs`, `/v1/traces`, the Faro receiver):
//! browser keys ([`Ingest::authenticate_browser`]) and CORS ([`cors`]). A preflight carries no
//! header but the URL: when the URL names a browser key (`/collect/{key}`, `?key=`) it is
//! answered for that key's origins, else for an origin that `access.allowed_origins` or some
//! live browser key allows; the request itself is then held to its own key's origins, service
//! and per-client-address rate. A key in the URL must be a browser key: it is how a
//! `navigator.sendBeacon`, which sets no header, carries one.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Ingest;
use super::error::IngestError;
use crate::auth::{AuthError, Credentials, origins, query_key};
use crate::metrics::{BrowserReceiver, OriginStage, Protocol};

/// How long a browser may cache a preflight's answer (Chromium caps it at two hours).
const MAX_AGE_SECONDS: &str = "7200";
/// The only method a browser sends to the receivers.
const METHODS: &str = "POST";
/// The request headers the OTLP exporters and the Faro SDK send (Faro 2.x sends an
/// `Idempotency-Key` with every request).
const HEADERS: &str =
    "content-type, content-encoding, authorization, x-api-key, x-faro-session-id, idempotency-key";

impl Ingest {
    /// Checks the credentials and origin of a request to a browser receiver: an origin in
    /// `access.allowed_origins` with any ingest credentials, or a browser key used from one of
    /// its origins. Gives the service a browser key is limited to. Refusals are counted.
    pub async fn authenticate_browser(
        &self,
        protocol: Protocol,
        receiver: BrowserReceiver,
        credentials: &Credentials,
        headers: &HeaderMap,
    ) -> Result<Option<String>, IngestError> {
        let origin = headers
            .get(header::ORIGIN)
            .map(|o| o.to_str().unwrap_or("?"));
        let globally = self.origins.check(headers);
        let authorized = self
            .auth
            .authorize_browser_ingest(credentials.authorization(), origin)
            .await;
        let refused = |error: IngestError| self.refuse_browser(protocol, receiver, error);
        match (authorized, globally) {
            (Ok(Some(principal)), _) if principal.browser_service().is_some() => {
                let client = self.auth.check_browser_client(credentials.client());
                client.map_err(|error| refused(error.into()))?;
                Ok(principal.browser_service().map(str::to_owned))
            }
            (Err(error), _) => Err(refused(error.into())),
            (Ok(_), _) if credentials.key_in_url() => {
                Err(refused(AuthError::UrlKeyNotBrowser.into()))
            }
            (Ok(_), Err(cross_origin)) => Err(refused(cross_origin)),
            (Ok(_), Ok(())) => Ok(None),
        }
    }

    /// Counts a refusal, and an origin refused for the browser receivers besides.
    fn refuse_browser(
        &self,
        protocol: Protocol,
        receiver: BrowserReceiver,
        error: IngestError,
    ) -> IngestError {
        let origin_refused = matches!(
            error,
            IngestError::CrossOrigin(_) | IngestError::Auth(AuthError::OriginRefused(_))
        );
        if origin_refused {
            let browser = &self.metrics.browser;
            browser.observe_origin_refused(receiver, OriginStage::request);
        }
        self.refuse(protocol, error)
    }

    /// Whether a browser on `origin` may send here at all: the origins of the browser key the
    /// URL names, else `access.allowed_origins` or some live browser key allows it.
    async fn origin_allowed(&self, origin: &str, url_key: Option<&str>) -> Result<bool, AuthError> {
        if let Some(key) = url_key
            && let Some(allowed) = self.auth.browser_key_origins(key).await?
        {
            return Ok(origins::allows(&allowed, origin));
        }
        let mut headers = HeaderMap::new();
        let Ok(value) = HeaderValue::from_str(origin) else {
            return Ok(false);
        };
        headers.insert(header::ORIGIN, value);
        if self.origins.check(&headers).is_ok() {
            return Ok(true);
        }
        self.auth.browser_key_allows(origin).await
    }
}

/// The CORS middleware of a browser receiver: answers preflights (204 with the origin, the
/// method, the headers and `Access-Control-Max-Age`, or 403 counted), and lets a page read the
/// answer of a request from an allowed origin.
pub async fn cors(
    State((ingest, receiver)): State<(Ingest, BrowserReceiver)>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let Some(origin) = origin.filter(|o| o.to_str().is_ok()) else {
        return next.run(request).await;
    };
    let text = origin.to_str().unwrap_or_default();
    let key = url_key(request.uri());
    let allowed = ingest.origin_allowed(text, key.as_deref()).await;
    if request.method() == Method::OPTIONS {
        return preflight(&ingest, receiver, origin, allowed);
    }
    let mut response = next.run(request).await;
    if allowed == Ok(true) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after"),
        );
    }
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("origin"));
    response
}

/// The key a URL names: the app key of `/collect/{key}`, else `?key=`.
fn url_key(uri: &Uri) -> Option<String> {
    let in_path = uri.path().strip_prefix("/collect/");
    let in_path = in_path.filter(|key| !key.is_empty() && !key.contains('/'));
    in_path.map(str::to_owned).or_else(|| query_key(uri))
}

fn preflight(
    ingest: &Ingest,
    receiver: BrowserReceiver,
    origin: HeaderValue,
    allowed: Result<bool, AuthError>,
) -> Response {
    match allowed {
        Ok(true) => {
            let headers = [
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
                (
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static(METHODS),
                ),
                (
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static(HEADERS),
                ),
                (
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static(MAX_AGE_SECONDS),
                ),
                (header::VARY, HeaderValue::from_static("origin")),
            ];
            (StatusCode::NO_CONTENT, headers).into_response()
        }
        Ok(false) => {
            let browser = &ingest.metrics.browser;
            browser.observe_origin_refused(receiver, OriginStage::preflight);
            let text = origin.to_str().unwrap_or_default();
            let message = format!(
                "the origin {text:?} is not allowed: the browser key in the URL does not list \
                 it, or without one no browser key lists it and it is not in \
                 access.allowed_origins"
            );
            (StatusCode::FORBIDDEN, message).into_response()
        }
        Err(error) => {
            let status = error.code().http_status();
            (status, [(header::RETRY_AFTER, "1")], error.to_string()).into_response()
        }
    }
}
