//! `POST /api/v1/logs`: the JSON receiver's HTTP shell.

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::decode;
use crate::ingest::error::IngestError;
use crate::ingest::{Ingest, body};
use crate::metrics::Protocol;

/// Query parameters of the JSON receiver.
#[derive(Debug, Deserialize)]
pub struct Params {
    /// Service of records that name none.
    service: Option<String>,
}

const MEDIA_TYPES: [&str; 5] = [
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "",
];

/// Handles `POST /api/v1/logs`; answers `{"accepted": n}` once every record is committed.
pub async fn ingest(
    State(ingest): State<Ingest>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let media_type = body::media_type(&headers);
    let decoded = if MEDIA_TYPES.contains(&media_type.as_str()) {
        read_and_decode(&ingest, &headers, body, params.service.as_deref()).await
    } else {
        Err((IngestError::UnsupportedMediaType(media_type), 0))
    };
    let records = match decoded {
        Ok(records) => records,
        Err((error, items)) => {
            ingest.observe_failure(Protocol::json, &error, items);
            return failure(&ingest, &error);
        }
    };
    let accepted = records.len();
    match ingest.accept(Protocol::json, records).await {
        Ok(()) => Json(json!({ "accepted": accepted })).into_response(),
        Err(error) => failure(&ingest, &error),
    }
}

async fn read_and_decode(
    ingest: &Ingest,
    headers: &HeaderMap,
    body: Body,
    service: Option<&str>,
) -> Result<Vec<crate::model::LogRecord>, (IngestError, usize)> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    ingest.authorize(authorization).await.map_err(|e| (e, 0))?;
    let bytes = body::read(headers, body, ingest.max_body_bytes())
        .await
        .map_err(|e| (e, 0))?;
    let observed_ts = Utc::now();
    decode(
        &bytes,
        service,
        ingest.fields(),
        observed_ts,
        ingest.bounds(),
    )
    .map_err(|error| {
        let items = match &error {
            IngestError::InvalidBatch { total, .. } => *total,
            _ => 0,
        };
        (error, items)
    })
}

fn failure(ingest: &Ingest, error: &IngestError) -> Response {
    error.json_response(ingest.retry_after_seconds())
}
