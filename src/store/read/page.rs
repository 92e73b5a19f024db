//! A page of `logs`, newest first: read in windows growing back from the newest row, one day at
//! a time (today and the days made ahead of it together), until the page is full, and within a
//! day one retention-class partition per branch of a `UNION ALL`, each branch with its own
//! `ORDER BY ... LIMIT`; partitions known to be empty are left out.
//!
//! Why: over partitions split by class, one statement for the whole range makes the planner
//! merge (`Merge Append`) every class partition's backward walk of its `ts` index, the filter
//! evaluated per row; a class with few or no matches (`q=timeout` among debug rows) is then
//! walked to the start of the range before the first row comes out. Planned on its own, each
//! class partition gets the plan its statistics call for: the walk where matches are dense,
//! the full-text index and a top-N sort where they are rare. Day by day, a misestimate costs
//! one day at most (issue 21, bench/RESULTS.md).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};

use super::days::{self, Day};
use super::filter::LogFilter;
use super::row::{COLUMNS, LogRow, Position};
use super::windows::Window;
use crate::store::substring_index;

/// Up to `limit` rows matching the filter, newest first, after `after` when given. The
/// statements share one snapshot, as a single statement would.
pub async fn page(
    pool: &PgPool,
    filter: &LogFilter,
    after: Option<Position>,
    limit: i64,
) -> sqlx::Result<Vec<LogRow>> {
    let mut transaction = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let rows = match days::list(&mut transaction).await? {
        Some(days) => {
            let order = Order::of(&mut transaction, filter).await?;
            let read = (filter, after, order);
            by_days(&mut transaction, read, &days, limit).await?
        }
        None => fetch(&mut transaction, whole_range("", filter, after, limit)).await?,
    };
    transaction.commit().await?;
    Ok(rows)
}

/// Reads the range newest first, statement by statement ([`days::reads`]), until `limit` rows
/// are found.
async fn by_days(
    connection: &mut PgConnection,
    (filter, after, order): (&LogFilter, Option<Position>, Order),
    days: &[Day],
    limit: i64,
) -> sqlx::Result<Vec<LogRow>> {
    let anchor = anchor(connection, days, filter, after).await?;
    let mut rows = Vec::new();
    for (group, window) in days::reads(days, filter, after, anchor) {
        let wanted = limit - rows.len() as i64;
        if wanted <= 0 {
            break;
        }
        let read = (filter, after, order);
        if let Some(statement) = some_days("", read, (&group, window), wanted) {
            rows.extend(fetch(connection, statement).await?);
        }
    }
    Ok(rows)
}

/// `EXPLAIN (ANALYZE, FORMAT JSON)` of each statement [`page`] may run for this request (of
/// every window of the range, where `page` stops once the page is full): for tests of the
/// plans' shape, with the rows each scan read.
pub async fn explain_page(
    pool: &PgPool,
    filter: &LogFilter,
    after: Option<Position>,
    limit: i64,
) -> sqlx::Result<Vec<Value>> {
    const EXPLAIN: &str = "EXPLAIN (ANALYZE, FORMAT JSON) ";
    let mut connection = pool.acquire().await?;
    let statements = match days::list(&mut connection).await? {
        Some(days) => {
            let anchor = anchor(&mut connection, &days, filter, after).await?;
            let order = Order::of(&mut connection, filter).await?;
            days::reads(&days, filter, after, anchor)
                .into_iter()
                .filter_map(|(group, window)| {
                    some_days(EXPLAIN, (filter, after, order), (&group, window), limit)
                })
                .collect()
        }
        None => vec![whole_range(EXPLAIN, filter, after, limit)],
    };
    let mut plans = Vec::new();
    for mut statement in statements {
        let query = statement.build().persistent(false);
        let row = query.fetch_one(&mut *connection).await?;
        plans.push(row.try_get::<Value, _>(0)?);
    }
    Ok(plans)
}

/// The same page in one statement over the whole range: what [`page`] falls back to, and the
/// reference its rows are tested against (slow over partitions split by class).
pub async fn page_in_one_statement(
    pool: &PgPool,
    filter: &LogFilter,
    after: Option<Position>,
    limit: i64,
) -> sqlx::Result<Vec<LogRow>> {
    let mut connection = pool.acquire().await?;
    fetch(&mut connection, whole_range("", filter, after, limit)).await
}

/// Where the windows start: the newest row of the range, or now when rows are dated ahead of
/// it (or there are none). Rows end before now when ingest paused or a database was restored:
/// windows growing back from now would then read hours of nothing before the first row.
/// Asked of one group of days at a time, newest first: one index probe per partition of the
/// newest group that holds rows. Not asked when the filter's rows are read a group at a time
/// ([`days::reads`]): windows need no anchor then.
async fn anchor(
    connection: &mut PgConnection,
    days: &[Day],
    filter: &LogFilter,
    after: Option<Position>,
) -> sqlx::Result<DateTime<Utc>> {
    const NEWEST: &str = "SELECT max(ts) FROM logs WHERE ts >= $1 AND ts < $2";
    let now = Utc::now();
    if filter.read_in_order_by_an_index() {
        return Ok(now);
    }
    for group in days::groups(days, filter, after, now) {
        let Some((start, end)) = days::bounds(&group, filter, after) else {
            continue;
        };
        let newest: Option<DateTime<Utc>> = sqlx::query_scalar(NEWEST)
            .bind(start)
            .bind(end)
            .fetch_one(&mut *connection)
            .await?;
        if let Some(newest) = newest {
            return Ok(newest.min(now));
        }
    }
    Ok(now)
}

/// Runs a statement unprepared, so that each run is planned for its own values (a generic
/// plan would know neither the day nor the class, nor how rare the words are).
async fn fetch(
    connection: &mut PgConnection,
    mut statement: QueryBuilder<Postgres>,
) -> sqlx::Result<Vec<LogRow>> {
    let query = statement.build_query_as::<LogRow>().persistent(false);
    query.fetch_all(connection).await
}

/// The rows of a window within some days: a branch per day and class partition that may hold
/// rows of the window, merged newest first. `None` when no partition may.
fn some_days(
    prefix: &str,
    (filter, after, order): (&LogFilter, Option<Position>, Order),
    (days, window): (&[&Day], Window),
    limit: i64,
) -> Option<QueryBuilder<Postgres>> {
    let branches: Vec<(&Day, Branch)> = days
        .iter()
        .filter(|day| window.overlaps(day.from, day.to))
        .flat_map(|day| branches(day).into_iter().map(move |class| (*day, class)))
        .collect();
    if branches.is_empty() {
        return None;
    }
    let mut sql = QueryBuilder::new(format!("{prefix}SELECT * FROM ("));
    for (index, (day, class)) in branches.into_iter().enumerate() {
        if index > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("(");
        push_select(&mut sql, filter, after);
        sql.push(" AND ts >= ").push_bind(day.from.max(window.from));
        sql.push(" AND ts < ").push_bind(day.to.min(window.to));
        class.push(&mut sql);
        sql.push(order.sql()).push_bind(limit).push(")");
    }
    sql.push(") page ORDER BY ts DESC, id DESC LIMIT ")
        .push_bind(limit);
    Some(sql)
}

/// The order of a branch, up to its `LIMIT`.
#[derive(Debug, Clone, Copy)]
enum Order {
    /// Newest first along the `ts` index, the filter evaluated per row until the branch has
    /// its rows.
    Walk,
    /// By an expression the `ts` index cannot give: the planner then finds the matches through
    /// the full-text (or trigram) index and keeps the newest (a top-N sort), and never walks a
    /// window by `ts` evaluating the match per row, which it chooses when it takes a rare word
    /// for a common one (a word missing from a partition's statistics: 1.1 s for an order
    /// number at 30 M rows; a substring estimated at 1% of the rows that is in 0.1%,
    /// bench/RESULTS.md). The sort stays small: a common word fills the page in the first,
    /// short windows, and a longer window is read only after the shorter ones found fewer
    /// matches than the page holds.
    TopN,
}

impl Order {
    /// Top-N for full text, and for a substring when `storage.substring_index` has made the
    /// trigram index and the substring has trigrams to look up.
    async fn of(connection: &mut PgConnection, filter: &LogFilter) -> sqlx::Result<Order> {
        if filter.text.is_some() {
            return Ok(Order::TopN);
        }
        if filter.contains_has_trigrams() && substring_index::exists(connection).await? {
            return Ok(Order::TopN);
        }
        Ok(Order::Walk)
    }

    fn sql(self) -> &'static str {
        match self {
            Order::Walk => " ORDER BY ts DESC, id DESC LIMIT ",
            Order::TopN => " ORDER BY ts + interval '0 seconds' DESC, id DESC LIMIT ",
        }
    }
}

/// The statement over the whole range, for a partition layout [`days::list`] cannot read.
fn whole_range(
    prefix: &str,
    filter: &LogFilter,
    after: Option<Position>,
    limit: i64,
) -> QueryBuilder<Postgres> {
    let mut sql = QueryBuilder::new(prefix);
    push_select(&mut sql, filter, after);
    sql.push(" ORDER BY ts DESC, id DESC LIMIT ")
        .push_bind(limit);
    sql
}

/// `SELECT <columns> FROM logs WHERE <filter>`, after the position when given.
fn push_select(sql: &mut QueryBuilder<Postgres>, filter: &LogFilter, after: Option<Position>) {
    sql.push(format_args!("SELECT {COLUMNS} FROM logs"));
    filter.push_where(sql);
    if let Some(after) = after {
        // `ts <= ...` alone can use the index on ts; the row comparison breaks ties by id.
        sql.push(" AND ts <= ").push_bind(after.ts);
        sql.push(" AND (ts, id) < (").push_bind(after.ts);
        sql.push(", ").push_bind(after.id).push(")");
    }
}

/// The class condition of one branch of a day.
enum Branch {
    /// The partition of one class: pruned to it.
    Class(String),
    /// The default partition: any value the catalogue did not list.
    Others(Vec<String>),
    /// A plain day partition: every row.
    All,
}

impl Branch {
    fn push(self, sql: &mut QueryBuilder<Postgres>) {
        match self {
            Branch::Class(class) => {
                sql.push(" AND retention_class = ").push_bind(class);
            }
            Branch::Others(classes) => {
                sql.push(" AND retention_class <> ALL(")
                    .push_bind(classes)
                    .push(")");
            }
            Branch::All => {}
        }
    }
}

/// The branches of a day: one per class whose partition may hold rows, and one for the default
/// partition when there is one.
fn branches(day: &Day) -> Vec<Branch> {
    let (Some(classes), Some(filled)) = (&day.classes, day.filled_classes()) else {
        return vec![Branch::All];
    };
    let mut branches: Vec<Branch> = filled.into_iter().map(Branch::Class).collect();
    if day.default {
        branches.push(Branch::Others(classes.clone()));
    }
    branches
}
