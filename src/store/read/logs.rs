//! Reads of table `logs`: a filtered page newest first, one record, a trace, and a streamed
//! export.

use futures_util::TryStreamExt as _;
use sqlx::{PgPool, Postgres, QueryBuilder};
use tokio::sync::mpsc;

use super::filter::LogFilter;
use super::row::{COLUMNS, LogRow, Position};

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
