//! `POST /api/v1/logs`: the JSON receiver's HTTP shell.

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::decode;
use crate::auth::Credentials;
use crate::ingest::error::{IngestError, JsonRejection};
use crate::ingest::{Accepted, Decoded, Ingest, RequestContext};
use crate::metrics::Protocol;

/// Query parameters of the JSON receiver.
#[derive(Debug, Deserialize)]
pub struct Params {
    /// Service of records that name none.
    service: Option<String>,
}

/// The content types of JSON and NDJSON; none is refused, as browsers send none cross-site.
const MEDIA_TYPES: &[&str] = &[
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
];

/// Handles `POST /api/v1/logs`; answers `{"accepted": n}` once every record is committed.
#[utoipa::path(post, path = "/api/v1/logs", operation_id = "ingest_json", tag = "ingest",
    description = "JSON logs: one object, an array, `{\"logs\": [...]}`, or NDJSON (one object \
        a line); gzip allowed. A batch with an invalid item is refused whole.",
    params(("service" = Option<String>, Query, description = "Service of records naming none")),
    request_body(content(
        (crate::ingest::openapi::JsonBatch = "application/json"),
        (String = "application/x-ndjson"), (String = "application/jsonl"),
        (String = "application/json-lines"))),
    responses((status = 200, description = "Committed: `{\"accepted\": n}`"),
        crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn ingest(
    State(ingest): State<Ingest>,
    Query(params): Query<Params>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, JsonRejection> {
    let received = receive(&ingest, params, &credentials, &headers, body).await;
    let accepted = received.map_err(|error| ingest.rejection(error))?;
    Ok(Json(json!({ "accepted": accepted.records })))
}

async fn receive(
    ingest: &Ingest,
    params: Params,
    credentials: &Credentials,
    headers: &HeaderMap,
    body: Body,
) -> Result<Accepted, IngestError> {
    let protocol = Protocol::json;
    ingest.check_cross_site(protocol, headers, MEDIA_TYPES)?;
    ingest.authenticate(protocol, credentials).await?;
    let raw = ingest.read(protocol, headers, body).await?;
    let service = params.service;
    let decode = |bytes: &[u8], context: &RequestContext| decode(bytes, context).map(Decoded::all);
    ingest.accept(protocol, raw, service, decode).await
}
