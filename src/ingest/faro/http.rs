//! `POST /faro/collect` and `POST /collect/{app_key}` (the path Alloy's `faro.receiver`
//! serves): the Faro receiver's HTTP shell. The key is the `Authorization` header, else the
//! SDK's `x-api-key` header, else the path's app key (a browser key, which may then come in a
//! beacon's `text/plain`); answers 202 once every record is committed, and a request whose
//! `Idempotency-Key` was committed lately 202 without storing it again ([`idempotency`]).
//! A request counts once in `logbridge_ingest_requests_total`, spans and records together.
//!
//! [`idempotency`]: crate::ingest::idempotency

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{ahead::ahead, decode_symbolicated};
use crate::auth::Credentials;
use crate::ingest::body::Raw;
use crate::ingest::error::{IngestError, JsonRejection};
use crate::ingest::idempotency::Claim;
use crate::ingest::{Ingest, RequestContext, cross_site};
use crate::metrics::{BrowserReceiver, Protocol};

const PROTOCOL: Protocol = Protocol::faro;
/// What the Faro SDK's fetch transport sends.
const MEDIA_TYPES: &[&str] = &["application/json"];
/// With the key in the path, also what `navigator.sendBeacon` sends.
const BEACON_MEDIA_TYPES: &[&str] = &["application/json", cross_site::BEACON_MEDIA_TYPE];

/// Handles `POST /faro/collect`.
#[utoipa::path(post, path = "/faro/collect", operation_id = "faro_collect", tag = "ingest",
    description = "Grafana Faro Web SDK payloads from browsers (CORS; browser keys): `meta`, and \
        `logs`, `exceptions`, `measurements`, `events`, `traces`.",
    request_body(content((serde_json::Value = "application/json"))),
    responses((status = 202, description = "Committed: `{\"status\": \"ok\", \"accepted\": n}`"),
        crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("faro_key" = [])))]
pub async fn collect(
    State(ingest): State<Ingest>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), JsonRejection> {
    answer(&ingest, credentials, None, &headers, body).await
}

/// Handles `POST /collect/{app_key}`.
#[utoipa::path(post, path = "/collect/{app_key}", operation_id = "faro_collect_with_key",
    tag = "ingest", description = "The path Alloy's `faro.receiver` serves; the app key is the \
        browser key when no `Authorization` or `x-api-key` header names one.",
    params(("app_key" = String, Path, description = "A browser key")),
    request_body(content((serde_json::Value = "application/json"), (String = "text/plain"))),
    responses((status = 202, description = "Committed: `{\"status\": \"ok\", \"accepted\": n}`"),
        crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("faro_key" = [])))]
pub async fn collect_with_key(
    State(ingest): State<Ingest>,
    Path(app_key): Path<String>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), JsonRejection> {
    answer(&ingest, credentials, Some(app_key), &headers, body).await
}

async fn answer(
    ingest: &Ingest,
    credentials: Credentials,
    app_key: Option<String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), JsonRejection> {
    let api_key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let credentials = credentials.or_key(api_key).or_url_key(app_key.as_deref());
    let idempotency_key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let claim = ingest
        .idempotency()
        .claim(credentials.authorization(), idempotency_key);
    let Claim::Fresh(claimed) = claim.await else {
        let body = json!({"status": "ok", "accepted": 0, "duplicate": true});
        return Ok((StatusCode::ACCEPTED, Json(body)));
    };
    let received = receive(ingest, &credentials, headers, body).await;
    claimed.finish(received.is_ok());
    let accepted = received.map_err(|error| ingest.rejection(error))?;
    let body = json!({"status": "ok", "accepted": accepted});
    Ok((StatusCode::ACCEPTED, Json(body)))
}

async fn receive(
    ingest: &Ingest,
    credentials: &Credentials,
    headers: &HeaderMap,
    body: Body,
) -> Result<usize, IngestError> {
    let media_types = match credentials.key_in_url() {
        true => BEACON_MEDIA_TYPES,
        false => MEDIA_TYPES,
    };
    cross_site::require_media_type(headers, media_types)
        .map_err(|error| ingest.refuse(PROTOCOL, error))?;
    let receiver = BrowserReceiver::faro;
    let scope = ingest
        .authenticate_browser(PROTOCOL, receiver, credentials, headers)
        .await?;
    let raw = ingest.read(PROTOCOL, headers, body).await?.scoped_to(scope);
    let accepted = accept_parts(ingest, raw).await;
    ingest.count_request(PROTOCOL, &accepted);
    accepted
}

/// Commits the payload's spans, then its records; the request is counted once, by the caller.
async fn accept_parts(ingest: &Ingest, raw: Raw) -> Result<usize, IngestError> {
    // Records whose `meta.app` names no service are the browser key's.
    let service = raw.service_scope().map(str::to_owned);
    let (maps, spans) = ahead(ingest, &raw).await?;
    let decode =
        move |body: &[u8], context: &RequestContext<'_>| decode_symbolicated(body, context, &maps);
    let accepted = ingest.accept_part(PROTOCOL, raw, service, decode).await?;
    Ok(accepted.records + spans)
}
