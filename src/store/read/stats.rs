//! Aggregates over `logs` for `GET /api/v1/logs/stats`: rows per time bucket and level, the
//! busiest services and the most frequent errors, each within a [`LogFilter`].

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::filter::LogFilter;
use crate::model::Level;

/// The levels that count as errors.
pub const ERROR_LEVELS: [Level; 2] = [Level::Error, Level::Fatal];

/// The fingerprint of an error record: its exception group, else its body with every number
/// replaced by `?` (first 200 characters), hashed.
const ERROR_FINGERPRINT: &str = "coalesce(exception_fingerprint, \
    md5(left(regexp_replace(body, '[0-9]+', '?', 'g'), 200)))";

/// How many rows of one level fall in one time bucket.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LevelCount {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    pub level: String,
    pub count: i64,
}

/// Rows of one service.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ServiceCount {
    pub service: String,
    pub count: i64,
}

/// Error and fatal records of one service that share a fingerprint.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ErrorGroup {
    /// The exception group's fingerprint, or an MD5 of the body with numbers replaced by `?`.
    pub fingerprint: String,
    /// The exception message, else the body, of the latest occurrence.
    pub message: String,
    /// The exception type of the latest occurrence, if it had one.
    pub exception_type: Option<String>,
    pub service: String,
    pub count: i64,
    pub last_seen: DateTime<Utc>,
}

/// Rows per `(bucket, level)`, buckets being `width` wide from the Unix epoch; only pairs with
/// rows are returned, oldest bucket first.
pub async fn level_counts(
    pool: &PgPool,
    filter: &LogFilter,
    width: Duration,
) -> sqlx::Result<Vec<LevelCount>> {
    let mut sql = QueryBuilder::new("SELECT date_bin(");
    sql.push_bind(width);
    sql.push(", ts, 'epoch'::timestamptz) AS start, level, count(*) AS count FROM logs");
    filter.push_where(&mut sql);
    sql.push(" GROUP BY start, level ORDER BY start, level");
    sql.build_query_as().fetch_all(pool).await
}

/// The `limit` services with the most rows, most first.
pub async fn top_services(
    pool: &PgPool,
    filter: &LogFilter,
    limit: i64,
) -> sqlx::Result<Vec<ServiceCount>> {
    let mut sql = QueryBuilder::new("SELECT service, count(*) AS count FROM logs");
    filter.push_where(&mut sql);
    sql.push(" GROUP BY service ORDER BY count DESC, service LIMIT ");
    sql.push_bind(limit);
    sql.build_query_as().fetch_all(pool).await
}

/// The `limit` most frequent error groups among error and fatal records, grouped by service and
/// fingerprint; most first, then most recently seen.
pub async fn top_errors(
    pool: &PgPool,
    filter: &LogFilter,
    limit: i64,
) -> sqlx::Result<Vec<ErrorGroup>> {
    let mut sql = QueryBuilder::new(format!(
        "WITH errors AS (SELECT ts, service, exception_type, \
         coalesce(exception_message, body) AS message, {ERROR_FINGERPRINT} AS fingerprint \
         FROM logs"
    ));
    push_errors_where(&mut sql, filter);
    sql.push(
        "), groups AS (SELECT fingerprint, service, count(*) AS count, max(ts) AS last_seen \
         FROM errors GROUP BY fingerprint, service \
         ORDER BY count DESC, last_seen DESC, fingerprint, service LIMIT ",
    );
    sql.push_bind(limit);
    // The latest occurrence of each group gives its message and type.
    sql.push(
        ") SELECT DISTINCT ON (g.count, g.last_seen, g.fingerprint, g.service) \
         g.fingerprint, e.message, e.exception_type, g.service, g.count, g.last_seen \
         FROM groups g JOIN errors e \
         ON e.fingerprint = g.fingerprint AND e.service = g.service AND e.ts = g.last_seen \
         ORDER BY g.count DESC, g.last_seen DESC, g.fingerprint, g.service, e.message",
    );
    sql.build_query_as().fetch_all(pool).await
}

/// The filter's conditions, narrowed to error and fatal records.
fn push_errors_where(sql: &mut QueryBuilder<Postgres>, filter: &LogFilter) {
    filter.push_where(sql);
    let levels: Vec<&str> = ERROR_LEVELS.iter().map(|l| l.as_str()).collect();
    sql.push(" AND level = ANY(").push_bind(levels).push(")");
}
