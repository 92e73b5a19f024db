//! The rows named by the live tail's notices ([`crate::store::tail`]), each with which of the
//! open tails' filters it matches: one query for all the notices gathered and every tail.

use sqlx::{PgPool, Postgres, QueryBuilder};

use super::filter::LogFilter;
use super::row::{COLUMNS, LogRow};
use crate::store::copy::TimeRange;
use crate::store::tail::Notice;

/// A row and, for each filter asked about (in order), whether it matches.
#[derive(Debug, sqlx::FromRow)]
pub struct TailRow {
    #[sqlx(flatten)]
    pub row: LogRow,
    pub matches: Vec<bool>,
}

/// The rows the notices name, oldest first, matched against each filter (long fields cut as in
/// every list view). The rows are found through the `ts` index: the notices' time range, then
/// the committing transactions' ids.
#[tracing::instrument(name = "read.tail", skip_all,
    fields(notices = notices.len(), filters = filters.len(), rows = tracing::field::Empty))]
pub async fn rows(
    pool: &PgPool,
    notices: &[Notice],
    filters: &[&LogFilter],
) -> sqlx::Result<Vec<TailRow>> {
    let Some(times) = TimeRange::union(notices.iter().map(|n| n.times)) else {
        return Ok(Vec::new());
    };
    let xids: Vec<String> = notices.iter().map(|n| n.xid.to_string()).collect();
    let mut sql = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS}, ARRAY["));
    for (n, filter) in filters.iter().enumerate() {
        sql.push(if n == 0 { "coalesce(" } else { ", coalesce(" });
        filter.push_conditions(&mut sql);
        sql.push(", false)");
    }
    sql.push("]::boolean[] AS matches FROM logs WHERE ts >= ")
        .push_bind(times.first);
    sql.push(" AND ts <= ").push_bind(times.last);
    sql.push(" AND xmin = ANY(")
        .push_bind(xids)
        .push("::text[]::xid[])");
    sql.push(" ORDER BY ts, id");
    super::counted(sql.build_query_as().fetch_all(pool).await)
}
