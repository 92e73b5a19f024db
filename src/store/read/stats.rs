//! Aggregates over `logs` for `GET /api/v1/logs/stats`: records per time bucket and level, the
//! busiest services and the most frequent errors, each within a [`LogFilter`]. A row stands for
//! `dedup_count` records (deduplication), so rows are summed, never counted.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::filter::LogFilter;
use crate::model::Level;

/// The levels that count as errors.
pub const ERROR_LEVELS: [Level; 2] = [Level::Error, Level::Fatal];

/// The error group of a raw row: `error_fingerprint` (set at ingest), else for rows stored
/// before it existed the exception group or a hash of the digit-normalized message.
const ERROR_FINGERPRINT: &str = "coalesce(error_fingerprint, exception_fingerprint, \
    left(md5(service || regexp_replace(body, '[0-9]+', '?', 'g')), 16))";

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

/// Rows per time bucket and level, oldest bucket first.
#[tracing::instrument(name = "read.stats.level_counts", skip_all,
    fields(filter = %filter.shape(), width_seconds = width.num_seconds(),
        rows = tracing::field::Empty))]
pub async fn level_counts(
    pool: &PgPool,
    filter: &LogFilter,
    width: Duration,
) -> sqlx::Result<Vec<LevelCount>> {
    let mut sql = QueryBuilder::new("SELECT start, level, sum(count)::bigint AS count FROM (");
    for_each_part(
        &mut sql,
        (filter, Table::LogCounts),
        |sql, part| match part {
            Part::Rollup(filter) => {
                sql.push("SELECT date_bin(").push_bind(width);
                sql.push(", minute, 'epoch'::timestamptz) AS start, level, count FROM log_counts");
                push_rollup_where(sql, filter, Table::LogCounts);
            }
            Part::Raw(filter) => {
                sql.push("SELECT date_bin(").push_bind(width);
                sql.push(
                    ", ts, 'epoch'::timestamptz) AS start, level, sum(dedup_count) AS count FROM logs",
                );
                filter.push_where(sql);
                sql.push(" GROUP BY 1, 2");
            }
        },
        Some(width),
    );
    sql.push(") parts GROUP BY start, level ORDER BY start, level");
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// The `limit` services with the most rows, most first.
#[tracing::instrument(name = "read.stats.top_services", skip_all,
    fields(filter = %filter.shape(), limit = limit, rows = tracing::field::Empty))]
pub async fn top_services(
    pool: &PgPool,
    filter: &LogFilter,
    limit: i64,
) -> sqlx::Result<Vec<ServiceCount>> {
    let mut sql = QueryBuilder::new("SELECT service, sum(count)::bigint AS count FROM (");
    for_each_part(
        &mut sql,
        (filter, Table::LogCounts),
        |sql, part| match part {
            Part::Rollup(filter) => {
                sql.push("SELECT service, count FROM log_counts");
                push_rollup_where(sql, filter, Table::LogCounts);
            }
            Part::Raw(filter) => {
                sql.push("SELECT service, sum(dedup_count) AS count FROM logs");
                filter.push_where(sql);
                sql.push(" GROUP BY 1");
            }
        },
        None,
    );
    sql.push(") parts GROUP BY service ORDER BY count DESC, service LIMIT ");
    sql.push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// The `limit` most frequent error groups (error and fatal rows) per service, most first;
/// message and type are those of the group's latest occurrence.
#[tracing::instrument(name = "read.stats.top_errors", skip_all,
    fields(filter = %filter.shape(), limit = limit, rows = tracing::field::Empty))]
pub async fn top_errors(
    pool: &PgPool,
    filter: &LogFilter,
    limit: i64,
) -> sqlx::Result<Vec<ErrorGroup>> {
    let mut sql = QueryBuilder::new(
        "SELECT fingerprint, \
        (array_agg(message ORDER BY last_seen DESC))[1] AS message, \
        (array_agg(exception_type ORDER BY last_seen DESC))[1] AS exception_type, \
        service, sum(count)::bigint AS count, max(last_seen) AS last_seen FROM (",
    );
    for_each_part(
        &mut sql,
        (filter, Table::ErrorCounts),
        |sql, part| match part {
            Part::Rollup(filter) => {
                sql.push(
                    "SELECT fingerprint, message, exception_type, service, count, last_seen \
                FROM error_counts",
                );
                push_rollup_where(sql, filter, Table::ErrorCounts);
            }
            Part::Raw(filter) => {
                sql.push(format!(
                    "SELECT DISTINCT ON (fingerprint, service) fingerprint, message, \
                exception_type, service, sum(dedup_count) OVER w AS count, \
                max(last_seen) OVER w AS last_seen \
                FROM (SELECT {ERROR_FINGERPRINT} AS fingerprint, \
                coalesce(exception_message, body) AS message, exception_type, service, ts, \
                dedup_count, coalesce(last_seen, ts) AS last_seen FROM logs"
                ));
                push_errors_where(sql, filter);
                sql.push(
                    ") errors WINDOW w AS (PARTITION BY fingerprint, service) \
                ORDER BY fingerprint, service, ts DESC",
                );
            }
        },
        None,
    );
    sql.push(
        ") parts GROUP BY fingerprint, service \
        ORDER BY count DESC, last_seen DESC, fingerprint, service LIMIT ",
    );
    sql.push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// Where a part of a stats query reads: the per-minute rollups for whole minutes, or `logs`.
enum Part<'a> {
    Rollup(&'a LogFilter),
    Raw(&'a LogFilter),
}

/// Pushes the parts of a stats query joined by `UNION ALL`. When the filter only names time,
/// services and levels, whole minutes come from the rollups and the partial minutes at either
/// end from `logs`, so the answer is exact; any other filter reads `logs` alone. With a bucket
/// `width`, the rollups serve only whole-minute widths.
fn for_each_part(
    sql: &mut QueryBuilder<Postgres>,
    (filter, table): (&LogFilter, Table),
    mut push: impl FnMut(&mut QueryBuilder<Postgres>, Part<'_>),
    width: Option<Duration>,
) {
    let whole_minutes = width.is_none_or(|w| w.num_seconds() % 60 == 0);
    let serves = whole_minutes && rollup_serves(filter, table);
    let split = split_at_minutes(filter).filter(|_| serves);
    let Some((head, inner, tail)) = split else {
        push(sql, Part::Raw(filter));
        return;
    };
    // Each part in parentheses: a part may end in its own ORDER BY.
    sql.push("(");
    push(sql, Part::Rollup(&inner));
    sql.push(")");
    for edge in [head, tail].into_iter().flatten() {
        sql.push(" UNION ALL (");
        push(sql, Part::Raw(&edge));
        sql.push(")");
    }
}

/// Whether the rollups hold what the filter asks: only time, services, levels and scope (the
/// error rollup has no level: it serves only filters that keep both error levels).
fn rollup_serves(filter: &LogFilter, table: Table) -> bool {
    // Destructured in full, so that a new filter field must be decided on here.
    let LogFilter {
        from: _,
        to: _,
        services: _,
        levels,
        trace_id,
        span_id,
        user_id,
        route,
        status,
        text,
        contains,
        attributes,
        scope: _,
    } = filter;
    let levels_kept = match table {
        Table::LogCounts => true,
        Table::ErrorCounts => {
            levels.is_empty() || ERROR_LEVELS.iter().all(|level| levels.contains(level))
        }
    };
    let only_ids = [trace_id, span_id, user_id, route, text, contains];
    levels_kept && only_ids.iter().all(|v| v.is_none()) && status.is_none() && attributes.is_empty()
}

/// The rollup table a stats query reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    LogCounts,
    ErrorCounts,
}

type Split = (Option<LogFilter>, LogFilter, Option<LogFilter>);

/// The filter's range cut into a partial minute before, whole minutes, and a partial minute
/// after; `None` when the range holds no whole minute.
fn split_at_minutes(filter: &LogFilter) -> Option<Split> {
    let (from, to) = (filter.from?, filter.to?);
    let minute = Duration::minutes(1);
    let floor = |t: DateTime<Utc>| t.duration_trunc(minute).ok();
    let inner_from = floor(from).map(|f| if f == from { f } else { f + minute })?;
    let inner_to = floor(to)?;
    if inner_from >= inner_to {
        return None;
    }
    let range = |from: DateTime<Utc>, to: DateTime<Utc>| LogFilter {
        from: Some(from),
        to: Some(to),
        ..filter.clone()
    };
    let head = (from < inner_from).then(|| range(from, inner_from));
    let tail = (inner_to < to).then(|| range(inner_to, to));
    Some((head, range(inner_from, inner_to), tail))
}

/// The rollup tables' `WHERE`: the minute range, services, scope and (`log_counts` only) levels.
fn push_rollup_where(sql: &mut QueryBuilder<Postgres>, filter: &LogFilter, table: Table) {
    sql.push(" WHERE minute >= ").push_bind(filter.from);
    sql.push(" AND minute < ").push_bind(filter.to);
    filter.push_scope(sql);
    if !filter.services.is_empty() {
        sql.push(" AND service = ANY(")
            .push_bind(filter.services.clone())
            .push(")");
    }
    if table == Table::LogCounts && !filter.levels.is_empty() {
        let levels: Vec<&str> = filter.levels.iter().map(|l| l.as_str()).collect();
        sql.push(" AND level = ANY(").push_bind(levels).push(")");
    }
}

/// The filter's conditions, narrowed to error and fatal records.
fn push_errors_where(sql: &mut QueryBuilder<Postgres>, filter: &LogFilter) {
    filter.push_where(sql);
    let levels: Vec<&str> = ERROR_LEVELS.iter().map(|l| l.as_str()).collect();
    sql.push(" AND level = ANY(").push_bind(levels).push(")");
}
