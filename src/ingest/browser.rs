//! What the receivers a web page sends to share (`/v1/logs`, `/v1/traces`, the Faro receiver):
//! browser keys ([`Ingest::authenticate_browser`]) and CORS ([`cors`]). A preflight carries no
//! key, so it is answered for an origin that `access.allowed_origins` or some live browser key
//! allows; the request itself is then held to its own key's origins and service.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Ingest;
use super::error::IngestError;
use crate::auth::{AuthError, Credentials};
use crate::metrics::{BrowserReceiver, OriginStage, Protocol};

/// How long a browser may cache a preflight's answer (Chromium caps it at two hours).
const MAX_AGE_SECONDS: &str = "7200";
/// The only method a browser sends to the receivers.
const METHODS: &str = "POST";
/// The request headers the OTLP exporters and the Faro SDK send.
const HEADERS: &str = "content-type, content-encoding, authorization, x-api-key, x-faro-session-id";

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
        let refused = |error: IngestError| {
            let origin_refused = matches!(
                error,
                IngestError::CrossOrigin(_) | IngestError::Auth(AuthError::OriginRefused(_))
            );
            if origin_refused {
                let browser = &self.metrics.browser;
                browser.observe_origin_refused(receiver, OriginStage::request);
            }
            self.refuse(protocol, error)
        };
        match (authorized, globally) {
            (Ok(Some(principal)), _) if principal.browser_service().is_some() => {
                Ok(principal.browser_service().map(str::to_owned))
            }
            (Err(error), _) => Err(refused(error.into())),
            (Ok(_), Err(cross_origin)) => Err(refused(cross_origin)),
            (Ok(_), Ok(())) => Ok(None),
        }
    }

    /// Whether a browser on `origin` may send here at all: `access.allowed_origins` or some
    /// live browser key allows it.
    async fn origin_allowed(&self, origin: &str) -> Result<bool, AuthError> {
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
    let allowed = ingest.origin_allowed(text).await;
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
                "the origin {text:?} is not allowed: no browser key lists it and it is not \
                 in access.allowed_origins"
            );
            (StatusCode::FORBIDDEN, message).into_response()
        }
        Err(error) => {
            let status = error.code().http_status();
            (status, [(header::RETRY_AFTER, "1")], error.to_string()).into_response()
        }
    }
}
