//! The day partitions of `logs` as the catalogue lists them, with the retention classes each is
//! split by, and what a page of logs reads of them, statement by statement ([`super::page`]).

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{PgConnection, Row};

use super::filter::LogFilter;
use super::row::Position;
use super::windows::{Growth, Window};

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
    /// Of `classes`, those whose partitions are known to be empty (see [`LIST`]).
    pub empty: Vec<String>,
    /// Whether one of its partitions is the default one, for the values `classes` lacks.
    pub default: bool,
}

impl Day {
    /// The classes whose partitions may hold rows; `None` for a plain partition.
    pub fn filled_classes(&self) -> Option<Vec<String>> {
        let classes = self.classes.as_ref()?;
        let filled = classes.iter().filter(|class| !self.empty.contains(class));
        Some(filled.cloned().collect())
    }
}

/// The partitions of `logs` with their bounds (read back as `timestamptz` in the session's
/// own time zone) and, for those split by class, every value their partitions list, which of
/// those partitions are empty, and whether one is a default partition. A partition being
/// detached concurrently is left out, as the planner leaves it out. The bounds are printed
/// without their table (`pg_get_expr(..., 0)`: they hold only constants), so that listing takes
/// no lock and a partition locked by retention delays only reads of its day.
///
/// Empty means no page was ever written (`pg_relation_size` = 0: an insert extends the file
/// before it commits, and only `TRUNCATE` shrinks it to nothing), so no row of it is visible in
/// this snapshot. It is asked only of the days not yet over, which retention never touches,
/// because `pg_relation_size` takes a lock: the partitions made ahead, and today's of a class
/// nobody sent, are then not planned at all.
const LIST: &str = "\
    WITH days AS ( \
        SELECT c.oid, c.relkind = 'p' AS split, regexp_match(pg_get_expr(c.relpartbound, 0), \
               '^FOR VALUES FROM \\(''([^'']*)''\\) TO \\(''([^'']*)''\\)$') AS bounds \
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
        WHERE i.inhparent = 'logs'::regclass AND NOT i.inhdetachpending), \
    leaves AS ( \
        SELECT days.oid AS day, pg_get_expr(l.relpartbound, 0) AS bound, \
               CASE WHEN days.bounds[2]::timestamptz > now() \
                    THEN pg_relation_size(l.oid) = 0 ELSE false END AS empty \
        FROM days JOIN pg_inherits j ON j.inhparent = days.oid \
        JOIN pg_class l ON l.oid = j.inhrelid WHERE NOT j.inhdetachpending) \
    SELECT bounds[1]::timestamptz AS lower, bounds[2]::timestamptz AS upper, split, \
           ARRAY(SELECT m[1] FROM leaves, regexp_matches(bound, '''([^'']*)''', 'g') m \
                 WHERE leaves.day = days.oid ORDER BY 1) AS classes, \
           ARRAY(SELECT m[1] FROM leaves, regexp_matches(bound, '''([^'']*)''', 'g') m \
                 WHERE leaves.day = days.oid AND leaves.empty ORDER BY 1) AS empty, \
           EXISTS (SELECT FROM leaves WHERE leaves.day = days.oid AND bound = 'DEFAULT') \
               AS has_default \
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
        days.push(Day {
            from,
            to,
            classes: split.then(|| row.get("classes")),
            empty: row.get("empty"),
            default: row.get("has_default"),
        });
    }
    days.sort_by_key(|day| std::cmp::Reverse(day.from));
    Ok(Some(days))
}

/// What a page reads, newest first: the days of a group and a window of `ts` within them, in
/// windows growing back from `anchor` ([`windows`]) through every group; a group in one
/// window when an index gives the filter's rows newest first
/// ([`LogFilter::read_in_order_by_an_index`]): its walk stops at the page's last row, so
/// shorter windows would only add statements.
pub fn reads<'a>(
    days: &'a [Day],
    filter: &'a LogFilter,
    after: Option<Position>,
    anchor: DateTime<Utc>,
) -> Vec<(Vec<&'a Day>, Window)> {
    let mut growth = Growth::from(anchor);
    let mut reads = Vec::new();
    for group in groups(days, filter, after, anchor) {
        let Some((start, end)) = bounds(&group, filter, after) else {
            continue;
        };
        let windows = match filter.read_in_order_by_an_index() {
            true => vec![Window {
                from: start,
                to: end,
            }],
            false => growth.windows(start, end),
        };
        reads.extend(windows.into_iter().map(|window| (group.clone(), window)));
    }
    reads
}

/// The part of the range and before the position a group of days holds, `[start, end)`.
pub fn bounds(
    group: &[&Day],
    filter: &LogFilter,
    after: Option<Position>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (newest, oldest) = (group.first()?, group.last()?);
    let start = filter
        .from
        .map_or(oldest.from, |from| from.max(oldest.from));
    // The position's own instant may hold rows of smaller ids.
    let after_end = after.map(|after| after.ts + TimeDelta::microseconds(1));
    let end = [filter.to, after_end]
        .into_iter()
        .flatten()
        .fold(newest.to, DateTime::min);
    Some((start, end))
}

/// The days of the range, newest first, in the groups a page reads them by: the day holding
/// `anchor` (the newest row) together with every day after it (partitions made ahead, empty
/// but for clock-skewed records: one statement for all of them instead of one each), then each
/// older day alone.
pub fn groups<'a>(
    days: &'a [Day],
    filter: &'a LogFilter,
    after: Option<Position>,
    anchor: DateTime<Utc>,
) -> Vec<Vec<&'a Day>> {
    let mut groups: Vec<Vec<&Day>> = Vec::new();
    for day in in_range(days, filter, after) {
        match groups.last_mut() {
            Some(group) if group.iter().all(|newer| newer.from > anchor) => group.push(day),
            _ => groups.push(vec![day]),
        }
    }
    groups
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
            empty: Vec::new(),
            default: false,
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

    #[test]
    fn the_anchor_day_and_the_days_after_it_are_read_together_and_older_days_alone() {
        let days = [day(5), day(4), day(3), day(2), day(1)];
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        let starts = |now| {
            groups(&days, &LogFilter::default(), None, now)
                .iter()
                .map(|group| group.iter().map(|day| day.from).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            starts(at(3, 12)),
            [
                vec![at(5, 0), at(4, 0), at(3, 0)],
                vec![at(2, 0)],
                vec![at(1, 0)]
            ]
        );
        assert_eq!(
            starts(at(6, 1)).len(),
            5,
            "every day is past: one group each"
        );
        let yesterday = LogFilter {
            to: Some(at(3, 0)),
            ..LogFilter::default()
        };
        let ranged = groups(&days, &yesterday, None, at(3, 12));
        assert_eq!(ranged.len(), 2, "a range before today: a day per group");
    }

    #[test]
    fn errors_of_one_service_are_read_a_group_at_a_time() {
        let days = [day(5), day(4), day(3)];
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        let errors = LogFilter {
            services: vec!["shop".into()],
            levels: vec![crate::model::Level::Error],
            ..LogFilter::default()
        };
        let read = reads(&days, &errors, None, at(4, 12));
        let windows: Vec<_> = read.iter().map(|(_, w)| (w.from, w.to)).collect();
        assert_eq!(windows, [(at(4, 0), at(6, 0)), (at(3, 0), at(4, 0))]);
        let warnings = LogFilter {
            levels: vec![crate::model::Level::Warn],
            ..errors
        };
        assert!(
            reads(&days, &warnings, None, at(4, 12)).len() > 2,
            "no index: windows"
        );
    }

    #[test]
    fn reads_start_at_the_anchor_and_grow_through_the_older_days() {
        let days = [day(5), day(4), day(3), day(2)];
        let at = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        let unbounded = LogFilter::default();
        let reads = reads(&days, &unbounded, None, at(3, 0, 5));
        let windows: Vec<_> = reads.iter().map(|(_, w)| (w.from, w.to)).collect();
        assert_eq!(
            windows[0],
            (at(3, 0, 0), at(6, 0, 0)),
            "the anchor's day and after"
        );
        assert_eq!(reads[0].0.len(), 3);
        assert_eq!(windows[1], (at(2, 23, 20), at(3, 0, 0)), "then 40 minutes");
        assert_eq!(windows.last().unwrap().0, at(2, 0, 0));
        let covered: i64 = windows.iter().map(|(f, t)| (*t - *f).num_minutes()).sum();
        assert_eq!(covered, 4 * 24 * 60, "every minute once");
    }
}
