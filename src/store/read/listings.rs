//! What is stored, listed from the rollups (`log_counts` per minute, `scope_counts` per hour)
//! rather than from `logs`, so that a listing costs the same at 10 M rows as at 10: services
//! with their records, errors and last record; scopes (logger/module names) per service; and
//! records per level.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::filter::LogFilter;

/// One service in a window.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ServiceSummary {
    pub service: String,
    /// Records in the window.
    pub records: i64,
    /// Error and fatal records in the window.
    pub errors: i64,
    /// Event time of its latest record in the hours the window touches.
    pub last_seen: Option<DateTime<Utc>>,
}

/// One scope (logger or module name) of a service in a window.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ScopeSummary {
    pub service: String,
    /// Null for records without a scope.
    pub scope: Option<String>,
    /// Records in the hours the window touches.
    pub records: i64,
    pub last_seen: DateTime<Utc>,
}

/// Records of one level in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LevelSummary {
    pub level: String,
    pub records: i64,
}

/// The services with records in the filter's window, most records first, at most `limit`.
#[tracing::instrument(name = "read.listings.services", skip_all,
    fields(filter = %filter.shape(), rows = tracing::field::Empty))]
pub async fn services(
    pool: &PgPool,
    filter: &LogFilter,
    limit: i64,
) -> sqlx::Result<Vec<ServiceSummary>> {
    let mut sql = QueryBuilder::new(
        "WITH counted AS (SELECT service, sum(count)::bigint AS records, \
         coalesce(sum(count) FILTER (WHERE level IN ('error', 'fatal')), 0)::bigint AS errors \
         FROM log_counts",
    );
    push_window(&mut sql, filter, "minute", "minute");
    sql.push(" GROUP BY service), seen AS (SELECT service, max(last_seen) AS last_seen FROM scope_counts");
    push_window(&mut sql, filter, "hour", "hour");
    sql.push(
        " GROUP BY service) SELECT c.service, c.records, c.errors, s.last_seen \
         FROM counted c LEFT JOIN seen s USING (service) ORDER BY c.records DESC, c.service LIMIT ",
    );
    sql.push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// The scopes with records in the hours the filter's window touches, most records first, at
/// most `limit`.
#[tracing::instrument(name = "read.listings.scopes", skip_all,
    fields(filter = %filter.shape(), rows = tracing::field::Empty))]
pub async fn scopes(
    pool: &PgPool,
    filter: &LogFilter,
    limit: i64,
) -> sqlx::Result<Vec<ScopeSummary>> {
    let mut sql = QueryBuilder::new(
        "SELECT service, nullif(scope, '') AS scope, sum(count)::bigint AS records, \
         max(last_seen) AS last_seen FROM scope_counts",
    );
    push_window(&mut sql, filter, "hour", "hour");
    sql.push(" GROUP BY service, scope ORDER BY records DESC, service, scope LIMIT ");
    sql.push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// Records per level in the filter's window (levels without records left out).
#[tracing::instrument(name = "read.listings.levels", skip_all,
    fields(filter = %filter.shape(), rows = tracing::field::Empty))]
pub async fn levels(pool: &PgPool, filter: &LogFilter) -> sqlx::Result<Vec<LevelSummary>> {
    let mut sql = QueryBuilder::new("SELECT level, sum(count)::bigint AS records FROM log_counts");
    push_window(&mut sql, filter, "minute", "minute");
    sql.push(" GROUP BY level");
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// ` WHERE` the bucket column lies in the filter's window (its start truncated to the bucket),
/// the requested services and the caller's scope.
fn push_window(
    sql: &mut QueryBuilder<Postgres>,
    filter: &LogFilter,
    column: &'static str,
    bucket: &'static str,
) {
    sql.push(format_args!(" WHERE {column} >= date_trunc('{bucket}', "));
    sql.push_bind(filter.from).push("::timestamptz)");
    sql.push(format_args!(" AND {column} < "))
        .push_bind(filter.to);
    filter.push_scope(sql);
    if !filter.services.is_empty() {
        sql.push(" AND service = ANY(")
            .push_bind(filter.services.clone())
            .push(")");
    }
}
