//! Monitoring views over `logs` for `GET /api/v1/monitoring/*`: slow requests, slow queries
//! grouped by fingerprint, and 5xx ratios per route, each within a [`LogFilter`]. Counts sum
//! `dedup_count` (a deduplicated row stands for several records); percentiles are over rows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, QueryBuilder};

use super::filter::LogFilter;

/// One request at least as slow as the threshold.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SlowRequest {
    pub id: i64,
    pub ts: DateTime<Utc>,
    pub service: String,
    pub method: Option<String>,
    /// Route template.
    pub route: Option<String>,
    pub status: Option<i16>,
    pub duration_ms: f64,
    pub trace_id: Option<String>,
}

/// Queries of one database system and fingerprint at least as slow as the threshold.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SlowQuery {
    /// The normalized statement: literals replaced by `?`.
    pub fingerprint: String,
    pub db_system: String,
    /// Such as `SELECT`.
    pub operation: Option<String>,
    pub count: i64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// The slowest occurrence.
    #[sqlx(flatten)]
    pub example: QueryExample,
}

/// One occurrence of a slow query: the record to open for details.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct QueryExample {
    pub id: i64,
    pub ts: DateTime<Utc>,
    pub service: String,
    pub trace_id: Option<String>,
}

/// Requests and 5xx answers of one route of one service.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RouteErrors {
    pub service: String,
    /// Route template.
    pub route: Option<String>,
    pub requests: i64,
    pub errors_5xx: i64,
    /// `errors_5xx / requests`.
    pub error_ratio: f64,
    /// The smallest id of the route's rows: the last tie-break of the order, so that a cursor
    /// names the route without holding its (possibly masked) text.
    #[serde(skip)]
    pub first_id: i64,
}

/// Up to `limit` requests taking at least `threshold_ms`, slowest first.
#[tracing::instrument(name = "read.monitoring.slow_requests", skip_all,
    fields(filter = %filter.shape(), threshold_ms = threshold_ms, limit = limit,
        rows = tracing::field::Empty))]
pub async fn slow_requests(
    pool: &PgPool,
    filter: &LogFilter,
    threshold_ms: f64,
    limit: i64,
) -> sqlx::Result<Vec<SlowRequest>> {
    let mut sql = QueryBuilder::new(
        "SELECT id, ts, service, http_method AS method, http_route AS route, \
         http_status AS status, http_duration_ms AS duration_ms, trace_id FROM logs",
    );
    filter.push_where(&mut sql);
    sql.push(" AND http_duration_ms >= ")
        .push_bind(threshold_ms);
    sql.push(" ORDER BY http_duration_ms DESC, ts DESC, id DESC LIMIT ");
    sql.push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// Up to `limit` groups of queries taking at least `threshold_ms`, by `(db_system, db_query)`;
/// most frequent first, then slowest.
#[tracing::instrument(name = "read.monitoring.slow_queries", skip_all,
    fields(filter = %filter.shape(), threshold_ms = threshold_ms, limit = limit,
        rows = tracing::field::Empty))]
pub async fn slow_queries(
    pool: &PgPool,
    filter: &LogFilter,
    threshold_ms: f64,
    limit: i64,
) -> sqlx::Result<Vec<SlowQuery>> {
    let mut sql = QueryBuilder::new(
        "WITH slow AS (SELECT id, ts, service, trace_id, db_system, db_query, db_operation, \
         db_duration_ms, dedup_count FROM logs",
    );
    filter.push_where(&mut sql);
    sql.push(" AND db_duration_ms >= ").push_bind(threshold_ms);
    sql.push(
        " AND db_system IS NOT NULL AND db_query IS NOT NULL), \
         groups AS (SELECT db_system, db_query, min(db_operation) AS operation, \
         sum(dedup_count) AS count, \
         percentile_cont(0.5) WITHIN GROUP (ORDER BY db_duration_ms) AS p50_ms, \
         percentile_cont(0.95) WITHIN GROUP (ORDER BY db_duration_ms) AS p95_ms, \
         max(db_duration_ms) AS max_ms FROM slow GROUP BY db_system, db_query \
         ORDER BY count DESC, max_ms DESC, db_system, db_query LIMIT ",
    );
    sql.push_bind(limit);
    // The slowest occurrence of each group is its example.
    sql.push(
        ") SELECT DISTINCT ON (g.count, g.max_ms, g.db_system, g.db_query) \
         left(g.db_query, 4096) AS fingerprint, g.db_system, g.operation, g.count, g.p50_ms, g.p95_ms, \
         g.max_ms, s.id, s.ts, s.service, s.trace_id \
         FROM groups g JOIN slow s ON s.db_system = g.db_system AND s.db_query = g.db_query \
         AND s.db_duration_ms = g.max_ms \
         ORDER BY g.count DESC, g.max_ms DESC, g.db_system, g.db_query, s.ts DESC, s.id DESC",
    );
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// Where a page of error rates continues: the order's key of the last route of the previous page.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RouteKey {
    pub error_ratio: f64,
    pub requests: i64,
    pub service: String,
    pub first_id: i64,
}

impl RouteErrors {
    /// Where the next page starts after this route.
    pub fn key(&self) -> RouteKey {
        RouteKey {
            error_ratio: self.error_ratio,
            requests: self.requests,
            service: self.service.clone(),
            first_id: self.first_id,
        }
    }
}

/// The order of the error rates as one ascending key: highest ratio first, then busiest, then
/// by service, then by the route's first row.
const ROUTE_ORDER: &str = "(-error_ratio, -requests, service, first_id)";

/// Up to `limit` of the requests and 5xx answers per `(service, route)` among records with an
/// HTTP status, for routes with at least `min_requests` requests, after `after` when given;
/// highest 5xx ratio first, then busiest.
#[tracing::instrument(name = "read.monitoring.error_rates", skip_all,
    fields(filter = %filter.shape(), min_requests = min_requests, after = after.is_some(),
        limit = limit, rows = tracing::field::Empty))]
pub async fn error_rates(
    pool: &PgPool,
    filter: &LogFilter,
    min_requests: i64,
    after: Option<&RouteKey>,
    limit: i64,
) -> sqlx::Result<Vec<RouteErrors>> {
    let mut sql = QueryBuilder::new(
        "SELECT * FROM (SELECT service, http_route AS route, min(id) AS first_id, \
         sum(dedup_count) AS requests, \
         coalesce(sum(dedup_count) FILTER (WHERE http_status >= 500), 0) AS errors_5xx, \
         coalesce(sum(dedup_count) FILTER (WHERE http_status >= 500), 0)::float8 \
         / sum(dedup_count) AS error_ratio FROM logs",
    );
    filter.push_where(&mut sql);
    sql.push(
        " AND http_status IS NOT NULL GROUP BY service, http_route HAVING sum(dedup_count) >= ",
    );
    sql.push_bind(min_requests);
    sql.push(") routes WHERE true");
    if let Some(after) = after {
        sql.push(format_args!(" AND {ROUTE_ORDER} > ("));
        sql.push_bind(-after.error_ratio);
        sql.push(", ").push_bind(-after.requests);
        sql.push(", ").push_bind(after.service.clone());
        sql.push(", ").push_bind(after.first_id);
        sql.push(")");
    }
    sql.push(format_args!(" ORDER BY {ROUTE_ORDER} LIMIT "));
    sql.push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}
