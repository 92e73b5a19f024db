//! Reads of table `spans`: one trace's spans a page at a time, the spans of several traces
//! ([`SpanRow`]), the trace search ([`search`]) and the catalogues behind the Jaeger API's
//! drop-downs and node graph ([`catalogue`]).

pub mod catalogue;
pub mod search;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};

pub use search::{SpanSearch, TraceHit, TraceSummary};

/// The columns of [`SpanRow`], in `SELECT` order.
const COLUMNS: &str = "trace_id, span_id, parent_span_id, name, kind, service, scope, start_ts, \
    duration_ns, status_code, status_message, attributes, resource, events, links";

/// One stored span as the read API returns it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SpanRow {
    pub trace_id: String,
    pub span_id: String,
    /// Null for a root span.
    pub parent_span_id: Option<String>,
    /// The operation name.
    pub name: String,
    /// `server`, `client`, `internal`, `producer`, `consumer` or `unspecified`.
    pub kind: String,
    pub service: String,
    /// The instrumentation scope.
    pub scope: Option<String>,
    /// When the span started.
    #[serde(rename = "start")]
    pub start_ts: DateTime<Utc>,
    pub duration_ns: i64,
    /// OTLP's status code: 0 unset, 1 ok, 2 error.
    pub status_code: i16,
    pub status_message: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Json<Value>,
    #[schema(value_type = Object)]
    pub resource: Json<Value>,
    /// `[{"name", "time", "attributes"}]`, `exception` events among them.
    #[schema(value_type = Vec<Object>)]
    pub events: Json<Value>,
    /// `[{"trace_id", "span_id", "attributes"}]`.
    #[schema(value_type = Vec<Object>)]
    pub links: Json<Value>,
}

/// A position in a trace's oldest-first order: the `(start_ts, span_id)` of the last span of
/// the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanPosition {
    pub start: DateTime<Utc>,
    pub span_id: String,
}

impl SpanRow {
    /// About how many bytes the span takes in an answer.
    pub fn approx_bytes(&self) -> usize {
        let texts = [&self.parent_span_id, &self.scope, &self.status_message];
        let optional: usize = texts
            .iter()
            .filter_map(|t| t.as_ref())
            .map(String::len)
            .sum();
        let objects = [&self.attributes, &self.resource, &self.events, &self.links]
            .iter()
            .map(|json| super::row::json_bytes(&json.0))
            .sum::<usize>();
        256 + self.name.len() + self.service.len() + optional + objects
    }

    /// Where the next page of the trace starts after this span.
    pub fn position(&self) -> SpanPosition {
        SpanPosition {
            start: self.start_ts,
            span_id: self.span_id.clone(),
        }
    }
}

/// `AND service = ANY($n)` when the caller is scoped.
fn push_scope(sql: &mut QueryBuilder<Postgres>, scope: &Option<Vec<String>>) {
    if let Some(scope) = scope {
        sql.push(" AND service = ANY(")
            .push_bind(scope.clone())
            .push(")");
    }
}

/// Up to `limit` spans of a trace within the scope, oldest first, after `after` when given.
#[tracing::instrument(name = "read.spans.trace", skip_all,
    fields(after = after.is_some(), limit = limit, rows = tracing::field::Empty))]
pub async fn trace(
    pool: &PgPool,
    scope: &Option<Vec<String>>,
    trace_id: &str,
    after: Option<&SpanPosition>,
    limit: i64,
) -> sqlx::Result<Vec<SpanRow>> {
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM spans WHERE trace_id = "));
    sql.push_bind(trace_id.to_string());
    push_scope(&mut sql, scope);
    if let Some(after) = after {
        sql.push(" AND start_ts >= ").push_bind(after.start);
        sql.push(" AND (start_ts, span_id) > (")
            .push_bind(after.start);
        sql.push(", ").push_bind(after.span_id.clone()).push(")");
    }
    sql.push(" ORDER BY start_ts, span_id LIMIT ")
        .push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// Up to `limit` spans of the given traces within the scope, trace by trace, each oldest first.
#[tracing::instrument(name = "read.spans.traces", skip_all,
    fields(traces = trace_ids.len(), limit = limit, rows = tracing::field::Empty))]
pub async fn traces(
    pool: &PgPool,
    scope: &Option<Vec<String>>,
    trace_ids: &[String],
    limit: i64,
) -> sqlx::Result<Vec<SpanRow>> {
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM spans WHERE trace_id = ANY("));
    sql.push_bind(trace_ids.to_vec()).push(")");
    push_scope(&mut sql, scope);
    sql.push(" ORDER BY trace_id, start_ts, span_id LIMIT ")
        .push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}
