//! `GET /api/v1/logs/export`: every row matching the log filters, streamed as NDJSON, a JSON
//! array, CSV (RFC 4180, header row) or plain text. Rows flow from the database through a
//! bounded channel, so memory stays flat however many rows are exported.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use futures_util::stream;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::error::{ApiError, ErrorBody};
use super::filters::LogParams;
use super::params::Query;
use super::{Caller, QueryState, Rows, RowsSlot, filters, mask};
use crate::auth::Principal;
use crate::store::read::{self, LogRow};

/// Rows in flight between the database and the encoder.
const CHANNEL_ROWS: usize = 1024;
/// Bytes per body chunk, about.
const CHUNK_BYTES: usize = 64 * 1024;

/// The CSV header: the columns of [`csv_record`], in order.
const CSV_HEADER: [&str; 29] = [
    "id",
    "ts",
    "observed_ts",
    "service",
    "level",
    "severity_number",
    "severity_text",
    "body",
    "trace_id",
    "span_id",
    "scope",
    "user_id",
    "http_method",
    "http_route",
    "http_status",
    "http_duration_ms",
    "db_system",
    "db_operation",
    "db_query",
    "db_duration_ms",
    "exception_type",
    "exception_message",
    "exception_stacktrace",
    "exception_fingerprint",
    "attributes",
    "resource",
    "dedup_count",
    "first_seen",
    "last_seen",
];

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
enum Format {
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
    let (rows, received) = mpsc::channel(CHANNEL_ROWS);
    let pool = state.pool.clone();
    let query = tokio::spawn(async move { read::logs::export(&pool, &filter, rows).await });
    let (counted, count) = oneshot::channel();
    let encoder = Encoder {
        format,
        caller: caller.0,
        received,
        query: Some(query),
        counted: Some(counted),
        rows: 0,
        started: false,
    };
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

/// Turns received rows into body chunks; ends the body with an error if the query failed, so
/// that a client never mistakes a cut-off export for a complete one.
struct Encoder {
    format: Format,
    caller: Principal,
    received: mpsc::Receiver<LogRow>,
    query: Option<JoinHandle<sqlx::Result<u64>>>,
    counted: Option<oneshot::Sender<u64>>,
    rows: u64,
    started: bool,
}

impl Encoder {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 4096);
        if !self.started {
            self.started = true;
            self.begin(&mut chunk);
        }
        let mut rows_in_chunk = 0;
        while chunk.len() < CHUNK_BYTES {
            // Wait for the chunk's first row; then take only what has already arrived.
            let row = if rows_in_chunk == 0 {
                self.received.recv().await
            } else {
                match self.received.try_recv() {
                    Ok(row) => Some(row),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                }
            };
            let Some(mut row) = row else {
                return self.finish(chunk).await;
            };
            if self.caller.masks_personal_data() {
                mask::row(&mut row);
            }
            self.encode(&mut chunk, &row);
            self.rows += 1;
            rows_in_chunk += 1;
        }
        Some(Ok(Bytes::from(chunk)))
    }

    /// The end of the rows: the closing bytes, or the query's error.
    async fn finish(&mut self, mut chunk: Vec<u8>) -> Option<Result<Bytes, std::io::Error>> {
        let query = self.query.take()?;
        if let Some(counted) = self.counted.take() {
            let _ = counted.send(self.rows);
        }
        match query.await {
            Ok(Ok(_)) => {
                if self.format == Format::Json {
                    chunk.extend_from_slice(b"]\n");
                }
                Some(Ok(Bytes::from(chunk)))
            }
            Ok(Err(error)) => {
                tracing::error!(%error, rows = self.rows, "export query failed");
                Some(Err(std::io::Error::other("export query failed")))
            }
            Err(error) => Some(Err(std::io::Error::other(error.to_string()))),
        }
    }

    fn begin(&self, out: &mut Vec<u8>) {
        match self.format {
            Format::Json => out.push(b'['),
            Format::Csv => write_csv(out, CSV_HEADER.map(String::from)),
            Format::Ndjson | Format::Txt => {}
        }
    }

    fn encode(&self, out: &mut Vec<u8>, row: &LogRow) {
        match self.format {
            Format::Ndjson => {
                serde_json::to_writer(&mut *out, row).expect("rows serialize");
                out.push(b'\n');
            }
            Format::Json => {
                if self.rows > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, row).expect("rows serialize");
            }
            Format::Csv => write_csv(out, csv_record(row)),
            Format::Txt => {
                let ts = row.ts.to_rfc3339_opts(SecondsFormat::Micros, true);
                let repeated = match row.dedup_count {
                    1 => String::new(),
                    count => format!(" ({count} times)"),
                };
                let line = format!(
                    "{ts} {:<5} {} {}{repeated}\n",
                    row.level.to_uppercase(),
                    row.service,
                    row.body
                );
                out.extend_from_slice(line.as_bytes());
            }
        }
    }
}

fn write_csv<const N: usize>(out: &mut Vec<u8>, record: [String; N]) {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(&record).expect("CSV into memory");
    writer.flush().expect("CSV into memory");
}

/// A row as CSV fields, in [`CSV_HEADER`] order.
fn csv_record(row: &LogRow) -> [String; 29] {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let number = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
    let ts = |t: &chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    [
        row.id.to_string(),
        ts(&row.ts),
        ts(&row.observed_ts),
        row.service.clone(),
        row.level.clone(),
        row.severity_number.to_string(),
        text(&row.severity_text),
        row.body.clone(),
        text(&row.trace_id),
        text(&row.span_id),
        text(&row.scope),
        text(&row.user_id),
        text(&row.http_method),
        text(&row.http_route),
        row.http_status.map(|s| s.to_string()).unwrap_or_default(),
        number(row.http_duration_ms),
        text(&row.db_system),
        text(&row.db_operation),
        text(&row.db_query),
        number(row.db_duration_ms),
        text(&row.exception_type),
        text(&row.exception_message),
        text(&row.exception_stacktrace),
        text(&row.exception_fingerprint),
        row.attributes.0.to_string(),
        row.resource.0.to_string(),
        row.dedup_count.to_string(),
        ts(&row.first_seen),
        ts(&row.last_seen),
    ]
}
