//! Reads of table `logs`: a filtered page newest first, one record, and a trace's records a page
//! at a time (the export is [`super::export`]).

use sqlx::{PgPool, Postgres, QueryBuilder};

use super::filter::LogFilter;
use super::row::{COLUMNS, FULL_COLUMNS, LogRow, Position};

/// Up to `limit` rows matching the filter, newest first, after `after` when given. Keyset
/// paging: rows inserted meanwhile never shift a page, so each row is returned at most once.
/// Read one day and one class partition at a time ([`super::page`]); long fields are cut.
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

/// One whole record by id, if it exists within the filter's scope.
#[tracing::instrument(name = "read.logs.by_id", skip_all,
    fields(filter = %filter.shape(), id = id, rows = tracing::field::Empty))]
pub async fn by_id(pool: &PgPool, filter: &LogFilter, id: i64) -> sqlx::Result<Option<LogRow>> {
    let mut sql = QueryBuilder::new(format!("SELECT {FULL_COLUMNS} FROM logs"));
    filter.push_where(&mut sql);
    sql.push(" AND id = ").push_bind(id);
    super::found(sql.build_query_as().fetch_optional(pool).await)
}

/// Up to `limit` records of a trace within the filter's scope, oldest first, after `after`
/// (in that order) when given; long fields are cut as in every list view.
#[tracing::instrument(name = "read.logs.trace", skip_all,
    fields(filter = %filter.shape(), after = after.is_some(), limit = limit,
        rows = tracing::field::Empty))]
pub async fn trace(
    pool: &PgPool,
    filter: &LogFilter,
    trace_id: &str,
    after: Option<Position>,
    limit: i64,
) -> sqlx::Result<Vec<LogRow>> {
    let mut sql = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM logs"));
    filter.push_where(&mut sql);
    sql.push(" AND trace_id = ").push_bind(trace_id.to_string());
    if let Some(after) = after {
        sql.push(" AND ts >= ").push_bind(after.ts);
        sql.push(" AND (ts, id) > (").push_bind(after.ts);
        sql.push(", ").push_bind(after.id).push(")");
    }
    sql.push(" ORDER BY ts, id LIMIT ").push_bind(limit);
    super::counted(fetch_generic(pool, sql).await)
}

/// Runs a prepared statement with its generic plan, made on the connection's first run and
/// reused. A trace has no time bound, so no partition can be pruned and the custom plans
/// PostgreSQL makes of the first five runs on each connection only cost planning every
/// partition of the table: 6 ms at 7 days, against 0.6 ms to reuse the plan (issue 21,
/// bench/RESULTS.md).
async fn fetch_generic(
    pool: &PgPool,
    mut sql: QueryBuilder<Postgres>,
) -> sqlx::Result<Vec<LogRow>> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
        .execute(&mut *transaction)
        .await?;
    let rows = sql.build_query_as().fetch_all(&mut *transaction).await?;
    transaction.commit().await?;
    Ok(rows)
}
