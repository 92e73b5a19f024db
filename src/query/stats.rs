//! `GET /api/v1/logs/stats`: rows per time bucket and level, the busiest services and the most
//! frequent errors among the logs matching the log filters (default: the last hour).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::filters::{self, LogParams};
use super::params::{Interval, Query, window};
use super::{Caller, QueryState, mask, with_rows};
use crate::store::read::stats::{self, ERROR_LEVELS, ErrorGroup, LevelCount, ServiceCount};

/// Entries of `top_services` and of `top_errors`, at most.
pub const TOP: i64 = 10;

/// The parameters of the stats besides their filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    #[param(ignore)]
    filter: LogParams,
    /// Bucket width like 1m or 1h, or `auto` (default): at most 120 buckets
    #[param(value_type = Option<String>)]
    interval: Option<Interval>,
}

/// Log statistics over `[from, to)`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Width of each bucket.
    pub interval_seconds: i64,
    /// Only buckets holding rows, oldest first. Buckets start at multiples of the interval
    /// since the Unix epoch, so the first may start before `from`.
    pub buckets: Vec<Bucket>,
    /// The 10 services with the most rows, most first.
    pub top_services: Vec<ServiceCount>,
    /// The 10 most frequent groups of error and fatal records, most first.
    pub top_errors: Vec<ErrorGroup>,
    /// Rows matching the filters.
    pub total: i64,
    /// Of which error or fatal.
    pub errors: i64,
    /// `errors / total`, 0 when there are no rows.
    pub error_ratio: f64,
}

/// Rows of one time bucket.
#[derive(Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    /// Rows per level; levels without rows are left out.
    pub counts: BTreeMap<String, i64>,
}

/// Counts per time bucket and level, top services and top errors.
#[utoipa::path(get, path = "/api/v1/logs/stats", tag = "logs",
    params(LogParams, StatsParams),
    responses((status = 200, body = Stats), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stats(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<StatsParams>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let (from, to) = window(
        params.filter.from,
        params.filter.to,
        now,
        Duration::hours(1),
    )?;
    let mut filter = filters::log_filter(params.filter, &caller, now)?;
    let width = Interval::width(params.interval, from, to)?;
    (filter.from, filter.to) = (Some(from), Some(to));
    let pool = &state.pool;
    let (counts, top_services, mut top_errors) = tokio::try_join!(
        stats::level_counts(pool, &filter, width),
        stats::top_services(pool, &filter, TOP),
        stats::top_errors(pool, &filter, TOP),
    )?;
    if caller.masks_personal_data() {
        top_errors
            .iter_mut()
            .for_each(|e| mask::text(&mut e.message));
    }
    let buckets = buckets(counts);
    let (total, errors) = totals(&buckets);
    let rows = buckets.len() + top_services.len() + top_errors.len();
    let answer = Stats {
        from,
        to,
        interval_seconds: width.num_seconds(),
        buckets,
        top_services,
        top_errors,
        total,
        errors,
        error_ratio: ratio(errors, total),
    };
    Ok(with_rows(Json(answer), rows))
}

/// Folds `(start, level, count)` rows, ordered by start, into one bucket per start.
fn buckets(counts: Vec<LevelCount>) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = Vec::new();
    for LevelCount {
        start,
        level,
        count,
    } in counts
    {
        match buckets.last_mut() {
            Some(last) if last.start == start => {
                *last.counts.entry(level).or_default() += count;
            }
            _ => buckets.push(Bucket {
                start,
                counts: BTreeMap::from([(level, count)]),
            }),
        }
    }
    buckets
}

/// All rows, and error or fatal rows, of the buckets.
fn totals(buckets: &[Bucket]) -> (i64, i64) {
    let error_levels = ERROR_LEVELS.map(|level| level.as_str());
    let mut totals = (0, 0);
    for (level, count) in buckets.iter().flat_map(|b| &b.counts) {
        totals.0 += count;
        if error_levels.contains(&level.as_str()) {
            totals.1 += count;
        }
    }
    totals
}

/// `part / whole`, 0 when `whole` is 0.
fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 / whole as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn count(start: i64, level: &str, count: i64) -> LevelCount {
        LevelCount {
            start: at(start),
            level: level.into(),
            count,
        }
    }

    #[test]
    fn rows_of_one_start_make_one_bucket() {
        let folded = buckets(vec![
            count(0, "error", 2),
            count(0, "info", 5),
            count(60, "fatal", 1),
        ]);
        assert_eq!(folded.len(), 2);
        assert_eq!(folded[0].start, at(0));
        assert_eq!(
            folded[0].counts,
            BTreeMap::from([("error".into(), 2), ("info".into(), 5)])
        );
        assert_eq!(folded[1].counts, BTreeMap::from([("fatal".into(), 1)]));
        assert_eq!(totals(&folded), (8, 3));
    }

    #[test]
    fn no_rows_make_no_buckets_and_a_zero_ratio() {
        let folded = buckets(Vec::new());
        assert!(folded.is_empty());
        assert_eq!(totals(&folded), (0, 0));
        assert_eq!(ratio(0, 0), 0.0);
        assert_eq!(ratio(1, 4), 0.25);
    }
}
