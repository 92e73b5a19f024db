//! The day partitions of `logs` as the catalogue lists them, with the retention classes each is
//! split by, so that a page of logs is read one day and one class partition at a time
//! ([`super::page`]).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::filter::LogFilter;
use super::row::Position;

/// One partition of `logs`: a range of `ts`, split by retention class or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// Inclusive lower bound of `ts`.
    pub from: DateTime<Utc>,
    /// Exclusive upper bound of `ts`.
    pub to: DateTime<Utc>,
    /// The values of `retention_class` its partitions are listed for; `None` for a plain
    /// partition (made before retention classes) that holds every class.
    pub classes: Option<Vec<String>>,
}

/// The partitions of `logs` with their bounds (read back as `timestamptz` in the session's
/// own time zone) and, for those split by class, every value their partitions list. A
/// partition being detached concurrently is left out, as the planner leaves it out. The bounds
/// are printed without their table (`pg_get_expr(..., 0)`: they hold only constants), so that
/// listing takes no lock and a partition locked by retention delays only reads of its day.
const LIST: &str = "\
    WITH days AS ( \
        SELECT c.oid, c.relkind = 'p' AS split, regexp_match(pg_get_expr(c.relpartbound, 0), \
               '^FOR VALUES FROM \\(''([^'']*)''\\) TO \\(''([^'']*)''\\)$') AS bounds \
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
        WHERE i.inhparent = 'logs'::regclass AND NOT i.inhdetachpending) \
    SELECT bounds[1]::timestamptz AS lower, bounds[2]::timestamptz AS upper, split, \
           ARRAY(SELECT m[1] FROM pg_inherits j JOIN pg_class l ON l.oid = j.inhrelid, \
                 regexp_matches(pg_get_expr(l.relpartbound, 0), '''([^'']*)''', 'g') m \
                 WHERE j.inhparent = days.oid ORDER BY 1) AS classes \
    FROM days";

/// The partitions of `logs`, newest first; `None` when one of them is not a range between two
/// timestamps (a default partition, `MINVALUE`): then only a statement over the whole range
/// reads every row.
pub async fn list(connection: &mut PgConnection) -> sqlx::Result<Option<Vec<Day>>> {
    let rows = sqlx::query(LIST).fetch_all(connection).await?;
    let mut days = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(from), Some(to)) = (row.get("lower"), row.get("upper")) else {
            return Ok(None);
        };
        let split: bool = row.get("split");
        let classes = split.then(|| row.get("classes"));
        days.push(Day { from, to, classes });
    }
    days.sort_by_key(|day| std::cmp::Reverse(day.from));
    Ok(Some(days))
}

/// The days holding rows the filter and the position may return, newest first.
pub fn in_range<'a>(
    days: &'a [Day],
    filter: &'a LogFilter,
    after: Option<Position>,
) -> impl Iterator<Item = &'a Day> + 'a {
    days.iter().filter(move |day| {
        filter.from.is_none_or(|from| day.to > from)
            && filter.to.is_none_or(|to| day.from < to)
            && after.is_none_or(|after| day.from <= after.ts)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> Day {
        Day {
            from: Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 12, d + 1, 0, 0, 0).unwrap(),
            classes: None,
        }
    }

    #[test]
    fn days_overlapping_the_range_and_before_the_position() {
        let days = [day(4), day(3), day(2), day(1)];
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        let filter = LogFilter {
            from: Some(at(2, 0)),
            to: Some(at(4, 0)),
            ..LogFilter::default()
        };
        let picked = |after| {
            in_range(&days, &filter, after)
                .map(|d| d.from)
                .collect::<Vec<_>>()
        };
        assert_eq!(picked(None), [at(3, 0), at(2, 0)]);
        let after = Position {
            ts: at(2, 23),
            id: 7,
        };
        assert_eq!(picked(Some(after)), [at(2, 0)]);
        let unbounded = LogFilter::default();
        assert_eq!(in_range(&days, &unbounded, None).count(), 4);
    }
}
