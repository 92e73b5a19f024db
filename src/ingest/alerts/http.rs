//! `POST /api/v1/alerts/webhook`: the HTTP shell of the Alertmanager receiver.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::decode;
use crate::auth::{Authenticator, Credentials};
use crate::config::Config;
use crate::ingest::body;
use crate::ingest::cpu::CpuPool;
use crate::ingest::cross_site::{self, Origins};
use crate::ingest::error::{IngestError, JsonRejection};
use crate::store::alerts;

/// What the webhook needs; cheap to clone.
#[derive(Clone)]
pub struct AlertReceiver {
    pool: PgPool,
    auth: Authenticator,
    cpu: CpuPool,
    max_body_bytes: usize,
    retry_after_seconds: u64,
    origins: Origins,
}

impl AlertReceiver {
    /// A receiver writing to the bridge's (writer) pool, decoding on the ingest's CPU pool.
    pub fn new(pool: PgPool, auth: Authenticator, config: &Config, cpu: &CpuPool) -> Self {
        AlertReceiver {
            pool,
            auth,
            cpu: cpu.clone(),
            max_body_bytes: config.ingest.max_body_bytes,
            retry_after_seconds: config.ingest.retry_after_seconds,
            origins: Origins::from_config(&config.access),
        }
    }
}

/// Handles a notification; answers `{"alerts": n, "recorded": k}` once the `k` state changes
/// among its `n` alerts are committed (the rest repeat an alert's latest row).
#[utoipa::path(post, path = "/api/v1/alerts/webhook", operation_id = "alertmanager_webhook",
    tag = "alerts", description = "Alertmanager's webhook (payload version 4): every alert's \
        state change is recorded in `alert_history`. Needs an ingest token whenever ingest does.",
    request_body(content((super::Notification = "application/json"))),
    responses((status = 200, description = "Committed: `{\"alerts\": n, \"recorded\": k}`"),
        crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn webhook(
    State(receiver): State<AlertReceiver>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, JsonRejection> {
    let received = receive(&receiver, &credentials, &headers, body).await;
    let (alerts, recorded) = received.map_err(|error| JsonRejection {
        error,
        retry_after_seconds: receiver.retry_after_seconds,
    })?;
    Ok(Json(json!({ "alerts": alerts, "recorded": recorded })))
}

async fn receive(
    receiver: &AlertReceiver,
    credentials: &Credentials,
    headers: &HeaderMap,
    body: Body,
) -> Result<(usize, usize), IngestError> {
    let authorization = credentials.authorization();
    receiver.auth.authorize_ingest(authorization).await?;
    cross_site::require_media_type(headers, &["application/json"])?;
    receiver.origins.check(headers)?;
    let raw = body::read(headers, body, receiver.max_body_bytes).await?;
    let changes = receiver.cpu.run(|| decode(&raw.decompress()?)).await?;
    let recorded = alerts::record(&receiver.pool, &changes).await?;
    Ok((changes.len(), recorded))
}
