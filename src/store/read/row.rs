//! One stored log record as the reads of `logs` return it ([`LogRow`]), the columns they select,
//! and the keyset position pages continue from.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

/// The columns of [`LogRow`], in `SELECT` order.
pub(super) const COLUMNS: &str = "id, ts, observed_ts, service, level, severity_number, severity_text, \
    body, trace_id, span_id, scope, user_id, http_method, http_route, http_status, \
    http_duration_ms, db_system, db_operation, db_query, db_duration_ms, exception_type, \
    exception_message, exception_stacktrace, exception_fingerprint, attributes, resource, \
    dedup_count, coalesce(first_seen, ts) AS first_seen, coalesce(last_seen, ts) AS last_seen";

/// One stored log record as the read API returns it: the CONTRACT columns, `id`, the derived
/// request, query and exception columns, and how many identical records the row stands for.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LogRow {
    pub id: i64,
    pub ts: DateTime<Utc>,
    pub observed_ts: DateTime<Utc>,
    pub service: String,
    pub level: String,
    pub severity_number: i16,
    pub severity_text: Option<String>,
    pub body: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub scope: Option<String>,
    pub user_id: Option<String>,
    pub http_method: Option<String>,
    pub http_route: Option<String>,
    pub http_status: Option<i16>,
    pub http_duration_ms: Option<f64>,
    pub db_system: Option<String>,
    pub db_operation: Option<String>,
    pub db_query: Option<String>,
    pub db_duration_ms: Option<f64>,
    pub exception_type: Option<String>,
    pub exception_message: Option<String>,
    pub exception_stacktrace: Option<String>,
    pub exception_fingerprint: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Json<Value>,
    #[schema(value_type = Object)]
    pub resource: Json<Value>,
    /// Records this row stands for: more than 1 when identical records were deduplicated.
    pub dedup_count: i32,
    /// Event time of the earliest of those records (`ts` for a single record).
    pub first_seen: DateTime<Utc>,
    /// Event time of the latest of those records (`ts` for a single record).
    pub last_seen: DateTime<Utc>,
}

/// A position in the newest-first order: the `(ts, id)` of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub ts: DateTime<Utc>,
    pub id: i64,
}

impl LogRow {
    /// Where the next page starts after this row.
    pub fn position(&self) -> Position {
        Position {
            ts: self.ts,
            id: self.id,
        }
    }
}
