//! What the Jaeger API's drop-downs and node graph list: the services that sent spans, a
//! service's operations, and the calls between services (parent span in one service, child
//! span in another).

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::push_scope;

/// Operations listed per service at most.
pub const OPERATIONS_MAX: i64 = 1000;
/// How far back a service's operations are looked for.
pub const OPERATIONS_LOOKBACK: TimeDelta = TimeDelta::days(7);
/// How much earlier than the window a parent span may start (or later, for a clock ahead)
/// and still be joined to its child.
const PARENT_SLACK: TimeDelta = TimeDelta::days(1);

/// Calls from one service to another.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Dependency {
    pub parent: String,
    pub child: String,
    pub call_count: i64,
}

/// Every service with stored spans within the scope, in order: a skip scan of the index on
/// `(service, start_ts)`, one probe per service rather than a scan of every span.
#[tracing::instrument(name = "read.spans.services", skip_all, fields(rows = tracing::field::Empty))]
pub async fn services(pool: &PgPool, scope: &Option<Vec<String>>) -> sqlx::Result<Vec<String>> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "WITH RECURSIVE s(service) AS ( \
            (SELECT service FROM spans WHERE true",
    );
    push_scope(&mut sql, scope);
    sql.push(
        " ORDER BY service LIMIT 1) \
         UNION ALL \
         SELECT (SELECT service FROM spans WHERE service > s.service",
    );
    push_scope(&mut sql, scope);
    sql.push(
        " ORDER BY service LIMIT 1) FROM s WHERE s.service IS NOT NULL) \
         SELECT service FROM s WHERE service IS NOT NULL",
    );
    super::super::counted(sql.build_query_scalar().fetch_all(pool).await)
}

/// The operations (span names) of a service seen since `since`, in order, at most
/// [`OPERATIONS_MAX`].
#[tracing::instrument(name = "read.spans.operations", skip_all, fields(rows = tracing::field::Empty))]
pub async fn operations(
    pool: &PgPool,
    service: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<String>> {
    let query = sqlx::query_scalar(
        "SELECT name FROM spans WHERE service = $1 AND start_ts >= $2 \
         GROUP BY name ORDER BY name LIMIT $3",
    )
    .bind(service)
    .bind(since)
    .bind(OPERATIONS_MAX);
    super::super::counted(query.fetch_all(pool).await)
}

/// Calls between services whose child span started in `[from, to)`, both sides within the
/// scope: pairs of a span and its parent of another service, counted per pair.
#[tracing::instrument(name = "read.spans.dependencies", skip_all, fields(rows = tracing::field::Empty))]
pub async fn dependencies(
    pool: &PgPool,
    scope: &Option<Vec<String>>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> sqlx::Result<Vec<Dependency>> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "SELECT p.service AS parent, c.service AS child, count(*) AS call_count \
         FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id \
         WHERE c.start_ts >= ",
    );
    sql.push_bind(from).push(" AND c.start_ts < ").push_bind(to);
    sql.push(" AND p.start_ts >= ")
        .push_bind(from - PARENT_SLACK);
    sql.push(" AND p.start_ts < ").push_bind(to + PARENT_SLACK);
    sql.push(" AND p.service <> c.service");
    if let Some(scope) = scope {
        sql.push(" AND c.service = ANY(").push_bind(scope.clone());
        sql.push(") AND p.service = ANY(")
            .push_bind(scope.clone())
            .push(")");
    }
    sql.push(" GROUP BY 1, 2 ORDER BY 1, 2");
    super::super::counted(sql.build_query_as().fetch_all(pool).await)
}
