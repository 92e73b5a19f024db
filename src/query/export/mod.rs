//! `GET /api/v1/logs/export`: every row matching the log filters, streamed as NDJSON, a JSON
//! array, CSV (RFC 4180, header row) or plain text. Rows flow from the database through a
//! channel bounded in bytes (`store::read::export`), so memory stays flat whatever the number
//! and size of the rows; the export has its own statement timeout and idle bound, and its audit
//! entry is completed with how it ended.

mod encode;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures_util::stream;
use serde::Deserialize;
use tokio::sync::oneshot;

use super::error::{ApiError, ErrorBody};
use super::filters::LogParams;
use super::guard::{Rows, RowsSlot};
use super::params::Query;
use super::{Caller, QueryState, filters};
use crate::store::audit::StreamEnd;
use crate::store::read::export::{self, ExportLimits};
use encode::Encoder;

/// Bytes of rows in flight between the database and the encoder, about.
const CHANNEL_BYTES: u32 = 4 * 1024 * 1024;

/// The parameters of an export besides its filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    #[param(ignore)]
    filter: LogParams,
    /// ndjson (default), json, csv or txt
    #[param(value_type = Option<String>)]
    format: Option<Format>,
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(super) enum Format {
    Ndjson,
    Json,
    Csv,
    Txt,
}

impl TryFrom<String> for Format {
    type Error = String;

    fn try_from(text: String) -> Result<Format, String> {
        match text.as_str() {
            "ndjson" => Ok(Format::Ndjson),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "txt" => Ok(Format::Txt),
            _ => Err(format!("{text:?} is not one of ndjson, json, csv, txt")),
        }
    }
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Ndjson => "application/x-ndjson",
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::Txt => "text/plain; charset=utf-8",
        }
    }
}

/// Streams every matching log, newest first.
#[utoipa::path(get, path = "/api/v1/logs/export", operation_id = "export_logs", tag = "logs",
    params(LogParams, ExportParams),
    responses((status = 200, description = "The rows, streamed", content_type = "application/x-ndjson"),
              (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let filter = filters::log_filter(params.filter, &caller, Utc::now())?;
    let format = params.format.unwrap_or(Format::Ndjson);
    let slot = state.exports.clone().try_acquire_owned();
    let slot = slot.map_err(|_| ApiError::busy("export capacity (half the read pool)"))?;
    // The connection before the answer: a busy pool is a 503, not a cut-off 200.
    let connection = state.pool.acquire().await?;
    let (rows, received) = export::row_channel(CHANNEL_BYTES);
    let bounds = &state.bounds;
    let limits = ExportLimits {
        timeout: Duration::from_secs(bounds.export_timeout_seconds),
        idle: Duration::from_secs(bounds.export_idle_seconds),
    };
    let (ended, count) = oneshot::channel();
    let ended = Ending(Arc::new(Mutex::new(Some(ended))));
    let query = {
        let ended = ended.clone();
        tokio::spawn(async move {
            let (end, sent) = export::export(connection, &filter, rows, limits).await;
            drop(slot);
            // A complete export is reported by the encoder once the client has had every
            // row; one that ended early is reported now, read by its client or not.
            if end != StreamEnd::Complete {
                ended.report(end, sent);
            }
            end
        })
    };
    let encoder = Encoder::new(format, caller.0, received, query, ended);
    let body = Body::from_stream(stream::unfold(encoder, |mut encoder| async move {
        let chunk = encoder.next_chunk().await?;
        Some((chunk, encoder))
    }));
    let disposition = format!("attachment; filename=\"logs.{}\"", extension(format));
    let mut response = (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response();
    response
        .extensions_mut()
        .insert(RowsSlot::new(Rows::Streamed(count)));
    Ok(response)
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Ndjson => "ndjson",
        Format::Json => "json",
        Format::Csv => "csv",
        Format::Txt => "txt",
    }
}

/// How the export ended and the rows it sent, reported once to the audit trail: by the query
/// when it ended early, else by the encoder (complete, or its client gone).
#[derive(Clone)]
pub(super) struct Ending(Arc<Mutex<Option<EndSender>>>);

/// Where the end of an export is reported: to the guard, which completes the audit entry.
type EndSender = oneshot::Sender<(StreamEnd, u64)>;

impl Ending {
    /// Reports the end, unless it was reported already.
    pub(super) fn report(&self, end: StreamEnd, rows: u64) {
        if let Some(sender) = self.0.lock().expect("ending lock").take() {
            let _ = sender.send((end, rows));
        }
    }
}
