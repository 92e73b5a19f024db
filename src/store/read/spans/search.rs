//! The trace search: the traces having a span that matches every condition, newest first by
//! their latest matching span (a keyset over `(last_start, trace_id)`), and a summary of each
//! trace found.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::push_scope;
use crate::model::SpanStatus;

/// Which spans make a trace match. Built by the read API from query parameters; `scope` comes
/// from the caller's token, never from the request.
#[derive(Debug, Clone, Default)]
pub struct SpanSearch {
    /// Inclusive lower bound on `start_ts`.
    pub from: DateTime<Utc>,
    /// Exclusive upper bound on `start_ts`.
    pub to: DateTime<Utc>,
    /// Exact service.
    pub service: Option<String>,
    /// Exact operation (span name).
    pub operation: Option<String>,
    /// Spans lasting at least this long, in nanoseconds.
    pub min_duration_ns: Option<i64>,
    /// Spans lasting at most this long, in nanoseconds.
    pub max_duration_ns: Option<i64>,
    /// Only spans with this status code (2 for error).
    pub status_code: Option<i16>,
    /// Attribute equality, `(key, value)`, on the span's attributes or its resource's; the
    /// value compared as text. Key `error` with `true` means an error status (Jaeger's tag).
    pub tags: Vec<(String, String)>,
    /// The services the caller may read; `None` means every service.
    pub scope: Option<Vec<String>>,
}

/// A trace found, with the start of its latest matching span (its place in the order).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TraceHit {
    pub trace_id: String,
    pub last_start: DateTime<Utc>,
}

/// What a search answer says of one trace, over the spans the caller may read.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TraceSummary {
    pub trace_id: String,
    /// Service of the root span (the earliest span when the root is not stored).
    pub root_service: String,
    /// Operation of that span.
    pub root_name: String,
    /// Start of the earliest span.
    pub start: DateTime<Utc>,
    /// From the earliest start to the latest end, in milliseconds.
    pub duration_ms: f64,
    pub spans: i64,
    /// Spans with an error status.
    pub errors: i64,
    pub services: Vec<String>,
}

impl SpanSearch {
    /// Appends ` WHERE ...` with every condition.
    fn push_where(&self, sql: &mut QueryBuilder<Postgres>) {
        sql.push(" WHERE start_ts >= ").push_bind(self.from);
        sql.push(" AND start_ts < ").push_bind(self.to);
        push_scope(sql, &self.scope);
        if let Some(service) = &self.service {
            sql.push(" AND service = ").push_bind(service.clone());
        }
        if let Some(operation) = &self.operation {
            sql.push(" AND name = ").push_bind(operation.clone());
        }
        if let Some(min) = self.min_duration_ns {
            sql.push(" AND duration_ns >= ").push_bind(min);
        }
        if let Some(max) = self.max_duration_ns {
            sql.push(" AND duration_ns <= ").push_bind(max);
        }
        if let Some(code) = self.status_code {
            sql.push(" AND status_code = ").push_bind(code);
        }
        for (key, value) in &self.tags {
            push_tag(sql, key, value);
        }
    }
}

/// One tag condition: Jaeger's `error=true` is the error status; any other key is matched on
/// the span's attributes, else its resource's.
fn push_tag(sql: &mut QueryBuilder<Postgres>, key: &str, value: &str) {
    if key == "error" && value == "true" {
        sql.push(" AND status_code = ").push_bind(SpanStatus::ERROR);
        return;
    }
    sql.push(" AND (attributes ->> ").push_bind(key.to_string());
    sql.push(" = ").push_bind(value.to_string());
    sql.push(" OR resource ->> ").push_bind(key.to_string());
    sql.push(" = ").push_bind(value.to_string()).push(")");
}

/// Up to `limit` traces matching the search, newest first by their latest matching span,
/// after `after` when given.
#[tracing::instrument(name = "read.spans.search", skip_all,
    fields(after = after.is_some(), limit = limit, rows = tracing::field::Empty))]
pub async fn find(
    pool: &PgPool,
    search: &SpanSearch,
    after: Option<&TraceHit>,
    limit: i64,
) -> sqlx::Result<Vec<TraceHit>> {
    let mut sql = QueryBuilder::new("SELECT trace_id, max(start_ts) AS last_start FROM spans");
    search.push_where(&mut sql);
    sql.push(" GROUP BY trace_id");
    if let Some(after) = after {
        sql.push(" HAVING (max(start_ts), trace_id) < (")
            .push_bind(after.last_start);
        sql.push(", ").push_bind(after.trace_id.clone()).push(")");
    }
    sql.push(" ORDER BY last_start DESC, trace_id DESC LIMIT ")
        .push_bind(limit);
    super::super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// The summary of each of the traces, over the spans within the scope, in no set order.
#[tracing::instrument(name = "read.spans.summaries", skip_all,
    fields(traces = trace_ids.len(), rows = tracing::field::Empty))]
pub async fn summaries(
    pool: &PgPool,
    scope: &Option<Vec<String>>,
    trace_ids: &[String],
) -> sqlx::Result<Vec<TraceSummary>> {
    let mut sql = QueryBuilder::new(
        "SELECT trace_id, \
         (array_agg(service ORDER BY parent_span_id IS NOT NULL, start_ts, span_id))[1] \
            AS root_service, \
         (array_agg(name ORDER BY parent_span_id IS NOT NULL, start_ts, span_id))[1] \
            AS root_name, \
         min(start_ts) AS start, \
         (extract(epoch FROM max(start_ts + make_interval(secs => duration_ns / 1e9))) \
            - extract(epoch FROM min(start_ts)))::float8 * 1000 AS duration_ms, \
         count(*) AS spans, \
         count(*) FILTER (WHERE status_code = 2) AS errors, \
         array_agg(DISTINCT service ORDER BY service) AS services \
         FROM spans WHERE trace_id = ANY(",
    );
    sql.push_bind(trace_ids.to_vec()).push(")");
    push_scope(&mut sql, scope);
    sql.push(" GROUP BY trace_id");
    super::super::counted(sql.build_query_as().fetch_all(pool).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_bound_never_spliced() {
        let search = SpanSearch {
            service: Some("x'; DROP TABLE spans; --".into()),
            tags: vec![
                ("k'ey".into(), "v'alue".into()),
                ("error".into(), "true".into()),
            ],
            scope: Some(vec!["a".into()]),
            ..SpanSearch::default()
        };
        let mut sql = QueryBuilder::new("SELECT 1 FROM spans");
        search.push_where(&mut sql);
        let text = sql.sql().as_str().to_string();
        assert!(!text.contains('\''), "{text}");
        assert!(
            text.contains("status_code = $"),
            "error=true is the status: {text}"
        );
    }
}
