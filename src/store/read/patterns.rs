//! The bounded sample of message bodies behind `GET /api/v1/logs/patterns`: the window is cut
//! into equal slices and each gives at most its share of the sample, newest first (an index
//! scan on `(service, ts)` per slice, so the cost follows the sample, not the rows in the
//! window); and the records of each slice from the `log_counts` rollup, by which each sampled
//! row is weighed.

use chrono::{DateTime, Duration, DurationRound, Utc};
use sqlx::{PgPool, QueryBuilder};

use super::filter::LogFilter;

/// Bytes of a body that are read for its template; its whole size is counted all the same.
pub const BODY_PREFIX_CHARS: i32 = 2048;

/// One sampled row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SampledBody {
    /// The slice of the window it was sampled from.
    pub slice: i32,
    /// The first [`BODY_PREFIX_CHARS`] characters of the body.
    pub body: String,
    /// The whole body's size in bytes.
    pub bytes: i64,
    /// Records the row stands for (deduplication).
    pub records: i64,
}

/// The window `[from, to)` cut into `count` slices of whole minutes (so that the rollup,
/// counted per minute, counts each slice exactly when the window starts on a minute).
#[derive(Debug, Clone, Copy)]
pub struct Slices {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub width: Duration,
    pub count: i32,
}

impl Slices {
    /// At most `wanted` slices of whole minutes covering the window, the first starting on the
    /// minute of `from`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, wanted: i32) -> Slices {
        let start = from.duration_trunc(Duration::minutes(1)).unwrap_or(from);
        let seconds = (to - start).num_seconds().max(1);
        let minutes = (seconds + 59) / 60;
        let per_slice = (minutes + i64::from(wanted) - 1) / i64::from(wanted);
        let width = Duration::minutes(per_slice.max(1));
        let count = (seconds + width.num_seconds() - 1) / width.num_seconds();
        Slices {
            from,
            to,
            width,
            count: count.max(1) as i32,
        }
    }

    /// The start of slice `i` (the first one starts on the minute of `from`).
    fn start(&self, i: i32) -> DateTime<Utc> {
        let first = self
            .from
            .duration_trunc(Duration::minutes(1))
            .unwrap_or(self.from);
        first + self.width * i
    }

    /// Slice `i` within the window.
    fn bounds(&self, i: i32) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.start(i).max(self.from);
        let end = (self.start(i) + self.width).min(self.to);
        (start, end)
    }
}

/// At most `per_slice` rows of each slice, newest first, of the rows `filter` selects (its
/// window is the slices').
#[tracing::instrument(name = "read.patterns.sample", skip_all,
    fields(filter = %filter.shape(), slices = slices.count, per_slice, rows = tracing::field::Empty))]
pub async fn sample(
    pool: &PgPool,
    filter: &LogFilter,
    slices: &Slices,
    per_slice: i64,
) -> sqlx::Result<Vec<SampledBody>> {
    let mut sql = QueryBuilder::new("");
    for i in 0..slices.count {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        let (from, to) = slices.bounds(i);
        let slice = LogFilter {
            from: Some(from),
            to: Some(to),
            ..filter.clone()
        };
        sql.push("(SELECT ")
            .push_bind(i)
            .push("::int4 AS slice, left(body, ");
        sql.push_bind(BODY_PREFIX_CHARS).push(") AS body, ");
        sql.push("octet_length(body)::int8 AS bytes, dedup_count::int8 AS records FROM logs");
        slice.push_where(&mut sql);
        sql.push(" ORDER BY ts DESC LIMIT ")
            .push_bind(per_slice)
            .push(")");
    }
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

/// Records per slice from the rollup (slice index, records), for the filter's services.
#[tracing::instrument(name = "read.patterns.slice_records", skip_all,
    fields(filter = %filter.shape(), rows = tracing::field::Empty))]
pub async fn slice_records(
    pool: &PgPool,
    filter: &LogFilter,
    slices: &Slices,
) -> sqlx::Result<Vec<(i32, i64)>> {
    let origin = slices.start(0);
    let mut sql = QueryBuilder::new("SELECT (floor(extract(epoch FROM minute - ");
    sql.push_bind(origin)
        .push(") / ")
        .push_bind(slices.width.num_seconds() as f64);
    sql.push("))::int4 AS slice, sum(count)::int8 AS records FROM log_counts WHERE minute >= ");
    sql.push_bind(origin)
        .push(" AND minute < ")
        .push_bind(slices.to);
    filter.push_scope(&mut sql);
    if !filter.services.is_empty() {
        sql.push(" AND service = ANY(")
            .push_bind(filter.services.clone());
        sql.push(")");
    }
    sql.push(" GROUP BY 1 ORDER BY 1");
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_day_is_cut_into_hours_and_the_slices_cover_the_window() {
        let slices = Slices::new(at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z"), 24);
        assert_eq!((slices.count, slices.width), (24, Duration::hours(1)));
        assert_eq!(slices.bounds(0).0, at("2026-01-01T00:00:00Z"));
        assert_eq!(slices.bounds(23).1, at("2026-01-02T00:00:00Z"));
    }

    #[test]
    fn a_day_off_the_minute_is_covered_to_its_end() {
        let (from, to) = (at("2026-01-01T00:00:30Z"), at("2026-01-02T00:00:30Z"));
        let slices = Slices::new(from, to, 24);
        assert!(slices.count <= 24);
        assert_eq!(slices.bounds(0).0, from);
        assert_eq!(slices.bounds(slices.count - 1).1, to);
    }

    #[test]
    fn a_short_window_off_the_minute_has_minute_slices_clipped_to_it() {
        let slices = Slices::new(at("2026-01-01T00:00:30Z"), at("2026-01-01T00:02:10Z"), 24);
        assert_eq!((slices.count, slices.width), (3, Duration::minutes(1)));
        assert_eq!(
            slices.bounds(0),
            (at("2026-01-01T00:00:30Z"), at("2026-01-01T00:01:00Z"))
        );
        assert_eq!(
            slices.bounds(2),
            (at("2026-01-01T00:02:00Z"), at("2026-01-01T00:02:10Z"))
        );
    }
}
