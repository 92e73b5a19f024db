//! The partitions of `logs` as the catalogue lists them (`pg_inherits`, `pg_class`), read from
//! the names the bridge gives them: `logs_pYYYYMMDD` per day, `logs_pYYYYMMDD_<class>` per
//! class of a day, and `logs_xYYYYMMDD_<class>_<run>` for a partition retention detached.

use chrono::NaiveDate;
use sqlx::{PgConnection, Row};

use crate::config::retention::LEGACY_CLASS;

/// What retention writes as the comment of a table it detaches, so that an interrupted run's
/// leftovers are recognised (and nothing else is ever dropped).
pub(super) const MARK: &str = "logbridge retention: expired";

/// A partition that holds rows: one day's rows of one class, or (made before retention
/// classes) all of a day's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Leaf {
    /// Its table name.
    pub name: String,
    pub day: NaiveDate,
    /// Its class; [`LEGACY_CLASS`] for a plain day partition.
    pub class: String,
}

impl Leaf {
    /// The leaf of `day` and `class` under the name the bridge gives it.
    pub fn named(day: NaiveDate, class: &str) -> Leaf {
        let name = if class == LEGACY_CLASS {
            day_name(day)
        } else {
            format!("{}_{class}", day_name(day))
        };
        Leaf {
            name,
            day,
            class: class.to_string(),
        }
    }

    /// Whether it is a plain day partition made before retention classes, a partition of
    /// `logs` itself rather than of a day.
    pub fn is_legacy(&self) -> bool {
        self.class == LEGACY_CLASS
    }

    /// The name of the day partition it belongs to (itself when legacy).
    pub fn day_name(&self) -> String {
        day_name(self.day)
    }

    /// The name it gets once detached by run `run`.
    pub fn expired_name(&self, run: i64) -> String {
        format!("logs_x{}_{}_{run}", self.day.format("%Y%m%d"), self.class)
    }
}

/// The partitions of `logs`.
#[derive(Debug, Default)]
pub(super) struct Catalog {
    /// Partitions holding rows, oldest day first.
    pub leaves: Vec<Leaf>,
    /// Day partitions split by class that have no partition left.
    pub empty_days: Vec<NaiveDate>,
    /// Partitions of `logs` whose `DETACH ... CONCURRENTLY` was interrupted.
    pub pending: Vec<String>,
}

/// `logs_pYYYYMMDD`.
pub(super) fn day_name(day: NaiveDate) -> String {
    format!("logs_p{}", day.format("%Y%m%d"))
}

/// The day of `logs_pYYYYMMDD...` and what follows the date.
fn parse_day(name: &str) -> Option<(NaiveDate, &str)> {
    let rest = name.strip_prefix("logs_p")?;
    let digits = rest.get(..8)?;
    let day = NaiveDate::parse_from_str(digits, "%Y%m%d").ok()?;
    Some((day, &rest[8..]))
}

const LIST: &str = "\
    SELECT c.relname::text AS name, c.relkind::text AS kind, p.relname::text AS parent, \
           i.inhdetachpending AS pending, \
           (SELECT count(*) FROM pg_inherits g WHERE g.inhparent = c.oid) AS children \
    FROM pg_inherits i \
    JOIN pg_class c ON c.oid = i.inhrelid \
    JOIN pg_class p ON p.oid = i.inhparent \
    WHERE i.inhparent = 'logs'::regclass \
       OR i.inhparent IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'logs'::regclass) \
    ORDER BY c.relname";

/// Lists the partitions of `logs`; tables named otherwise (made by hand) are left out.
pub(super) async fn list(connection: &mut PgConnection) -> Result<Catalog, sqlx::Error> {
    let rows = sqlx::query(LIST).fetch_all(connection).await?;
    let mut catalog = Catalog::default();
    for row in rows {
        let name: String = row.get("name");
        let kind: String = row.get("kind");
        let parent: String = row.get("parent");
        if row.get::<bool, _>("pending") {
            catalog.pending.push(name);
            continue;
        }
        let Some((day, rest)) = parse_day(&name) else {
            continue;
        };
        match (parent == "logs", kind.as_str(), rest) {
            (true, "p", "") if row.get::<i64, _>("children") == 0 => catalog.empty_days.push(day),
            (true, "r", "") => catalog.leaves.push(Leaf {
                name,
                day,
                class: LEGACY_CLASS.to_string(),
            }),
            (false, "r", _) => {
                let Some(class) = rest.strip_prefix('_') else {
                    continue;
                };
                let class = class.to_string();
                if parent == day_name(day) {
                    catalog.leaves.push(Leaf { name, day, class });
                }
            }
            _ => {}
        }
    }
    catalog
        .leaves
        .sort_by(|a, b| (a.day, &a.class).cmp(&(b.day, &b.class)));
    Ok(catalog)
}

/// A table an interrupted run detached but neither archived nor dropped.
#[derive(Debug)]
pub(super) struct Leftover {
    /// Its current name.
    pub name: String,
    /// Whether it is a day partition split by class (no rows of its own).
    pub partitioned: bool,
    /// The partition it was, from its comment (`<day> <class>`), under its original name.
    pub leaf: Option<Leaf>,
}

const LEFTOVERS: &str = "\
    SELECT c.relname::text AS name, c.relkind::text AS kind, d.description \
    FROM pg_class c JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass \
    WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'logs'::regclass) \
      AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND d.description LIKE $1 \
    ORDER BY c.relname";

/// The tables retention marked and detached that are still there.
pub(super) async fn leftovers(connection: &mut PgConnection) -> Result<Vec<Leftover>, sqlx::Error> {
    let rows = sqlx::query(LEFTOVERS)
        .bind(format!("{MARK}%"))
        .fetch_all(connection)
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let description: String = row.get("description");
            Leftover {
                name: row.get("name"),
                partitioned: row.get::<String, _>("kind") == "p",
                leaf: parse_mark(&description),
            }
        })
        .collect())
}

/// The comment marking a leaf as expired: `<MARK> <day> <class>`.
pub(super) fn mark(leaf: &Leaf) -> String {
    format!("{MARK} {} {}", leaf.day, leaf.class)
}

fn parse_mark(description: &str) -> Option<Leaf> {
    let rest = description.strip_prefix(MARK)?.trim();
    let (day, class) = rest.split_once(' ')?;
    Some(Leaf::named(day.parse().ok()?, class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_days_and_classes() {
        let (day, rest) = parse_day("logs_p20261122_debug").unwrap();
        assert_eq!((day.to_string().as_str(), rest), ("2026-11-22", "_debug"));
        assert!(parse_day("logs_p2026112").is_none());
        assert!(parse_day("logs_p20261340").is_none());
        assert!(parse_day("other").is_none());
        let leaf = Leaf {
            name: "logs_p20261122_debug".into(),
            day,
            class: "debug".into(),
        };
        assert_eq!(leaf.expired_name(7), "logs_x20261122_debug_7");
        assert_eq!(leaf.day_name(), "logs_p20261122");
        assert_eq!(parse_mark(&mark(&leaf)), Some(leaf));
        assert!(parse_mark("a comment of someone else").is_none());
        assert_eq!(Leaf::named(day, "all").name, "logs_p20261122");
    }
}
