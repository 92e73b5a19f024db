//! Reads and the one read-side write of exception groups: the filtered list, one group with its
//! recent occurrences in `logs`, resolving a group, and occurrences per type over time.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};

/// The columns of [`ExceptionGroup`], in `SELECT` order; free text cut to 4096 characters as in
/// every list view (`row::LIST_TEXT_MAX_CHARS`): the whole text is in the group's logs.
const GROUP_COLUMNS: &str = "id, fingerprint, service, left(exception_type, 4096) AS \
    exception_type, left(message, 4096) AS message, first_seen, last_seen, occurrences, resolved, \
    resolved_at, resolved_by, left(resolution_notes, 4096) AS resolution_notes, regression, \
    reopened_at";
/// The columns of [`Occurrence`], in `SELECT` order, the body cut as in every list view (the
/// whole record is at `/api/v1/logs/{id}`).
const OCCURRENCE_COLUMNS: &str =
    "id, ts, service, level, left(body, 4096) AS body, trace_id, span_id, user_id";
/// Exception types a pattern answer holds at most.
const PATTERN_TYPES: i64 = 20;

/// One exception group: occurrences of one service's exception with the same type, normalized
/// message and top stack frames.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ExceptionGroup {
    pub id: i64,
    pub fingerprint: String,
    pub service: String,
    pub exception_type: String,
    /// The message of the first occurrence.
    pub message: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub occurrences: i64,
    pub resolved: bool,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The token that resolved the group: `name (token id)`.
    pub resolved_by: Option<String>,
    pub resolution_notes: Option<String>,
    /// Whether the group occurred again after it was resolved.
    pub regression: bool,
    /// When the group last occurred again after it was resolved.
    pub reopened_at: Option<DateTime<Utc>>,
}

/// A group with its sample stack trace.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupWithSample {
    #[sqlx(flatten)]
    pub group: ExceptionGroup,
    pub sample_stacktrace: Option<String>,
}

/// One occurrence of a group: the log that carried the exception.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Occurrence {
    pub id: i64,
    pub ts: DateTime<Utc>,
    pub service: String,
    pub level: String,
    pub body: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub user_id: Option<String>,
}

/// One call path of a group: the application frames of the throwing exception, nearest the
/// throw first (`shop/orders.load < shop/orders.checkout`), with its occurrences.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CallPath {
    /// Empty when the traces had no application frames.
    pub path: String,
    pub occurrences: i64,
    pub last_seen: DateTime<Utc>,
}

/// The order of the group list; newest or most frequent first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GroupOrder {
    #[default]
    LastSeen,
    Count,
}

/// Which groups the list returns. `scope` comes from the caller's token, never the request.
#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    /// Any of these services (all when empty).
    pub services: Vec<String>,
    pub exception_type: Option<String>,
    pub resolved: Option<bool>,
    pub regression: Option<bool>,
    /// Inclusive lower bound on `last_seen`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `last_seen`.
    pub to: Option<DateTime<Utc>>,
    pub order: GroupOrder,
    pub limit: i64,
    pub offset: i64,
    /// The services the caller may read; `None` means every service.
    pub scope: Option<Vec<String>>,
}

/// Which exceptions of `logs` a pattern counts, in buckets of `interval` over `[from, to)`.
#[derive(Debug, Clone)]
pub struct PatternFilter {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub interval: Duration,
    /// Any of these services (all when empty).
    pub services: Vec<String>,
    pub exception_type: Option<String>,
    /// The services the caller may read; `None` means every service.
    pub scope: Option<Vec<String>>,
}

/// Occurrences of one exception type in one bucket.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PatternCount {
    pub exception_type: String,
    pub start: DateTime<Utc>,
    pub count: i64,
}

/// The groups matching the filter, in its order.
#[tracing::instrument(name = "read.exceptions.list", skip_all,
    fields(services = filter.services.len(), scoped = filter.scope.is_some(),
        typed = filter.exception_type.is_some(), order = ?filter.order, limit = filter.limit,
        offset = filter.offset, rows = tracing::field::Empty))]
pub async fn list(pool: &PgPool, filter: &GroupFilter) -> sqlx::Result<Vec<ExceptionGroup>> {
    let mut sql = QueryBuilder::new(format!(
        "SELECT {GROUP_COLUMNS} FROM exception_groups WHERE true"
    ));
    push_services(&mut sql, filter.scope.as_deref(), &filter.services);
    push_type(&mut sql, &filter.exception_type);
    if let Some(resolved) = filter.resolved {
        sql.push(" AND resolved = ").push_bind(resolved);
    }
    if let Some(regression) = filter.regression {
        sql.push(" AND regression = ").push_bind(regression);
    }
    if let Some(from) = filter.from {
        sql.push(" AND last_seen >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        sql.push(" AND last_seen < ").push_bind(to);
    }
    sql.push(match filter.order {
        GroupOrder::LastSeen => " ORDER BY last_seen DESC, id DESC",
        GroupOrder::Count => " ORDER BY occurrences DESC, last_seen DESC, id DESC",
    });
    sql.push(" LIMIT ").push_bind(filter.limit);
    sql.push(" OFFSET ").push_bind(filter.offset);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// One group with its sample stack trace, if it exists within `scope`.
#[tracing::instrument(name = "read.exceptions.by_id", skip_all,
    fields(id = id, scoped = scope.is_some(), rows = tracing::field::Empty))]
pub async fn by_id(
    pool: &PgPool,
    scope: Option<&[String]>,
    id: i64,
) -> sqlx::Result<Option<GroupWithSample>> {
    let mut sql = QueryBuilder::new(format!(
        "SELECT {GROUP_COLUMNS}, sample_stacktrace FROM exception_groups WHERE id = "
    ));
    sql.push_bind(id);
    push_services(&mut sql, scope, &[]);
    super::found(sql.build_query_as().fetch_optional(pool).await)
}

/// The `limit` newest logs of a group, within `scope`.
#[tracing::instrument(name = "read.exceptions.recent_occurrences", skip_all,
    fields(scoped = scope.is_some(), limit = limit, rows = tracing::field::Empty))]
pub async fn recent_occurrences(
    pool: &PgPool,
    scope: Option<&[String]>,
    fingerprint: &str,
    limit: i64,
) -> sqlx::Result<Vec<Occurrence>> {
    let mut sql = QueryBuilder::new(format!(
        "SELECT {OCCURRENCE_COLUMNS} FROM logs WHERE exception_fingerprint = "
    ));
    sql.push_bind(fingerprint.to_string());
    push_services(&mut sql, scope, &[]);
    sql.push(" ORDER BY ts DESC, id DESC LIMIT ")
        .push_bind(limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// The `limit` most frequent call paths of a group, most first (the group was found within the
/// caller's scope).
#[tracing::instrument(name = "read.exceptions.call_paths", skip_all,
    fields(limit = limit, rows = tracing::field::Empty))]
pub async fn call_paths(
    pool: &PgPool,
    fingerprint: &str,
    limit: i64,
) -> sqlx::Result<Vec<CallPath>> {
    let sql = "SELECT left(path, 4096) AS path, occurrences, last_seen FROM exception_group_paths
               WHERE fingerprint = $1 ORDER BY occurrences DESC, path LIMIT $2";
    let query = sqlx::query_as(sql).bind(fingerprint).bind(limit);
    super::counted(query.fetch_all(pool).await)
}

/// Marks a group within `scope` resolved now by `resolved_by` and clears its regression flag;
/// the group as it is then, or `None` when there is no such group.
#[tracing::instrument(name = "read.exceptions.resolve", skip_all,
    fields(id = id, scoped = scope.is_some(), rows = tracing::field::Empty))]
pub async fn resolve(
    pool: &PgPool,
    scope: Option<&[String]>,
    id: i64,
    resolved_by: &str,
    notes: Option<&str>,
) -> sqlx::Result<Option<ExceptionGroup>> {
    let mut sql = QueryBuilder::new(
        "UPDATE exception_groups SET resolved = true, resolved_at = now(), regression = false, \
         resolved_by = ",
    );
    sql.push_bind(resolved_by.to_string());
    sql.push(", resolution_notes = ")
        .push_bind(notes.map(String::from));
    sql.push(" WHERE id = ").push_bind(id);
    push_services(&mut sql, scope, &[]);
    sql.push(format_args!(" RETURNING {GROUP_COLUMNS}"));
    super::found(sql.build_query_as().fetch_optional(pool).await)
}

/// Reopens a group within `scope` by hand: no longer resolved (and not a regression, which is
/// a reopening by a new occurrence), with `notes` (the resolution's notes when `None`); who
/// resolved it and when stay. The group as it is then, or `None` when there is no such group.
#[tracing::instrument(name = "read.exceptions.reopen", skip_all,
    fields(id = id, scoped = scope.is_some(), rows = tracing::field::Empty))]
pub async fn reopen(
    pool: &PgPool,
    scope: Option<&[String]>,
    id: i64,
    notes: Option<&str>,
) -> sqlx::Result<Option<ExceptionGroup>> {
    let mut sql = QueryBuilder::new(
        "UPDATE exception_groups SET resolved = false, regression = false, \
         resolution_notes = coalesce(",
    );
    sql.push_bind(notes.map(String::from));
    sql.push(", resolution_notes) WHERE id = ").push_bind(id);
    push_services(&mut sql, scope, &[]);
    sql.push(format_args!(" RETURNING {GROUP_COLUMNS}"));
    super::found(sql.build_query_as().fetch_optional(pool).await)
}

/// Occurrences per exception type and bucket (empty buckets left out), for the
/// [`PATTERN_TYPES`] types with most occurrences: by total descending, then bucket start.
/// Buckets are aligned on multiples of the interval since the Unix epoch.
#[tracing::instrument(name = "read.exceptions.patterns", skip_all,
    fields(services = filter.services.len(), scoped = filter.scope.is_some(),
        typed = filter.exception_type.is_some(), interval_seconds = filter.interval.num_seconds(),
        rows = tracing::field::Empty))]
pub async fn patterns(pool: &PgPool, filter: &PatternFilter) -> sqlx::Result<Vec<PatternCount>> {
    let mut sql = QueryBuilder::new(
        "WITH counted AS (SELECT exception_type, \
         date_bin(make_interval(secs => ",
    );
    sql.push_bind(filter.interval.num_seconds() as f64);
    sql.push("), ts, timestamptz '1970-01-01 00:00:00+00') AS start, sum(dedup_count) AS count");
    sql.push(" FROM logs WHERE exception_type IS NOT NULL AND ts >= ")
        .push_bind(filter.from);
    sql.push(" AND ts < ").push_bind(filter.to);
    push_services(&mut sql, filter.scope.as_deref(), &filter.services);
    push_type(&mut sql, &filter.exception_type);
    sql.push(
        " GROUP BY 1, 2), top AS (SELECT exception_type, sum(count) AS total FROM counted \
         GROUP BY 1 ORDER BY total DESC, exception_type LIMIT ",
    );
    sql.push_bind(PATTERN_TYPES);
    sql.push(
        ") SELECT c.exception_type, c.start, c.count FROM counted c JOIN top t \
         USING (exception_type) ORDER BY t.total DESC, c.exception_type, c.start",
    );
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// The caller's scope, then the requested services, on column `service`.
fn push_services(sql: &mut QueryBuilder<Postgres>, scope: Option<&[String]>, services: &[String]) {
    if let Some(scope) = scope {
        sql.push(" AND service = ANY(").push_bind(scope.to_vec());
        sql.push(")");
    }
    if !services.is_empty() {
        sql.push(" AND service = ANY(").push_bind(services.to_vec());
        sql.push(")");
    }
}

fn push_type(sql: &mut QueryBuilder<Postgres>, exception_type: &Option<String>) {
    if let Some(exception_type) = exception_type {
        sql.push(" AND exception_type = ")
            .push_bind(exception_type.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_bound_never_spliced() {
        let filter = GroupFilter {
            services: vec!["x'; DROP TABLE logs; --".into()],
            exception_type: Some("'".into()),
            scope: Some(vec!["a'".into()]),
            ..GroupFilter::default()
        };
        let mut sql = QueryBuilder::new("SELECT 1 FROM exception_groups WHERE true");
        push_services(&mut sql, filter.scope.as_deref(), &filter.services);
        push_type(&mut sql, &filter.exception_type);
        let text = sql.sql().as_str().to_string();
        assert!(!text.contains('\''), "{text}");
        assert!(text.contains("$3"), "{text}");
    }
}
