//! Reads of table `logs`: a filtered page newest first, one record, a trace, and a streamed
//! export.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt as _;
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};
use tokio::sync::mpsc;

use super::filter::LogFilter;

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

/// Up to `limit` rows matching the filter, newest first, after `after` when given. Keyset
/// paging: rows inserted meanwhile never shift a page, so each row is returned at most once.
/// Read one day and one class partition at a time ([`super::page`]).
#[tracing::instrument(name = "read.logs.page", skip_all,
    fields(filter = %filter.shape(), after = after.is_some(), limit = limit,
        rows = tracing::field::Empty))]
pub async fn page(
    pool: &PgPool,
    filter: &LogFilter,
    after: Option<Position>,
    limit: i64,
) -> sqlx::Result<Vec<LogRow>> {
    super::counted(super::page::page(pool, filter, after, limit).await)
}

/// One record by id, if it exists within the filter's scope.
#[tracing::instrument(name = "read.logs.by_id", skip_all,
    fields(filter = %filter.shape(), id = id, rows = tracing::field::Empty))]
pub async fn by_id(pool: &PgPool, filter: &LogFilter, id: i64) -> sqlx::Result<Option<LogRow>> {
    let mut sql = select(filter);
    sql.push(" AND id = ").push_bind(id);
    super::found(sql.build_query_as().fetch_optional(pool).await)
}

/// Every record of a trace within the filter's scope, oldest first.
#[tracing::instrument(name = "read.logs.trace", skip_all,
    fields(filter = %filter.shape(), rows = tracing::field::Empty))]
pub async fn trace(pool: &PgPool, filter: &LogFilter, trace_id: &str) -> sqlx::Result<Vec<LogRow>> {
    let mut sql = select(filter);
    sql.push(" AND trace_id = ").push_bind(trace_id.to_string());
    sql.push(" ORDER BY ts, id");
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// Streams every matching row, newest first, into `rows` until the receiver goes away; the
/// channel's bound keeps memory flat. Exports may outlast the read statement timeout.
/// Returns the number of rows sent.
#[tracing::instrument(name = "read.logs.export", skip_all,
    fields(filter = %filter.shape(), rows = tracing::field::Empty))]
pub async fn export(
    pool: &PgPool,
    filter: &LogFilter,
    rows: mpsc::Sender<LogRow>,
) -> sqlx::Result<u64> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *transaction)
        .await?;
    let mut sql = select(filter);
    sql.push(" ORDER BY ts DESC, id DESC");
    let mut stream = sql.build_query_as::<LogRow>().fetch(&mut *transaction);
    let mut sent = 0;
    while let Some(row) = stream.try_next().await? {
        if rows.send(row).await.is_err() {
            break;
        }
        sent += 1;
    }
    tracing::Span::current().record("rows", sent);
    Ok(sent)
}

fn select(filter: &LogFilter) -> QueryBuilder<Postgres> {
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM logs"));
    filter.push_where(&mut sql);
    sql
}
