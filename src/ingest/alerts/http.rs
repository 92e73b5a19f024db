//! `POST /api/v1/alerts/webhook`: the HTTP shell of the Alertmanager receiver.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::PgPool;

use super::decode;
use crate::auth::Authenticator;
use crate::config::Config;
use crate::ingest::body;
use crate::ingest::error::IngestError;
use crate::store::alerts;

/// What the webhook needs; cheap to clone.
#[derive(Clone)]
pub struct AlertReceiver {
    pool: PgPool,
    auth: Authenticator,
    max_body_bytes: usize,
    retry_after_seconds: u64,
}

impl AlertReceiver {
    /// A receiver writing to the bridge's (writer) pool.
    pub fn new(pool: PgPool, auth: Authenticator, config: &Config) -> AlertReceiver {
        AlertReceiver {
            pool,
            auth,
            max_body_bytes: config.ingest.max_body_bytes,
            retry_after_seconds: config.ingest.retry_after_seconds,
        }
    }
}

/// Handles a notification; answers `{"alerts": n, "recorded": k}` once the `k` state changes
/// among its `n` alerts are committed (the rest repeat an alert's latest row).
pub async fn webhook(
    State(receiver): State<AlertReceiver>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match receive(&receiver, &headers, body).await {
        Ok((alerts, recorded)) => {
            Json(json!({ "alerts": alerts, "recorded": recorded })).into_response()
        }
        Err(error) => failure(&receiver, &error),
    }
}

async fn receive(
    receiver: &AlertReceiver,
    headers: &HeaderMap,
    body: Body,
) -> Result<(usize, usize), IngestError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    receiver.auth.authorize_ingest(authorization).await?;
    let media_type = body::media_type(headers);
    if !matches!(media_type.as_str(), "application/json" | "") {
        return Err(IngestError::UnsupportedMediaType(media_type));
    }
    let bytes = body::read(headers, body, receiver.max_body_bytes).await?;
    let changes = decode(&bytes)?;
    let recorded = alerts::record(&receiver.pool, &changes).await?;
    Ok((changes.len(), recorded))
}

fn failure(receiver: &AlertReceiver, error: &IngestError) -> Response {
    error.json_response(receiver.retry_after_seconds)
}
