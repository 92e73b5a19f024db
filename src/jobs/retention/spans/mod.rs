//! Expiry of `spans` partitions, in the same run as those of `logs`: a day partition
//! (`spans_pYYYYMMDD`) past the days of the longest retention class of the spans it holds
//! ([`classes`]) is archived when an archive is configured, checked, and dropped whole.
//!
//! A day is marked (its comment: the day and class), detached `CONCURRENTLY` (never blocking a
//! `COPY` into `spans`), renamed (so that a late span for that day gets a new partition, not the
//! leaving one), archived and dropped. An archive that fails puts the day back (or, when a late
//! span took its place, keeps it detached for the next run) and drops nothing more of `spans`
//! in this run; a run that was interrupted between the steps is finished by the next one.

mod classes;

use chrono::NaiveDate;
use sqlx::{PgConnection, Row};

use crate::config::RetentionConfig;

use super::ddl::{attach_day, count_rows, drop_table, execute, literal, quoted};
use super::run::Run;
use super::{Archived, Dropped};
use crate::model::DEFAULT_RETENTION_CLASS;
use classes::{SpanClass, Takes, span_classes};

/// The comment of a `spans` partition being expired, followed by its day and class.
const MARK: &str = "logbridge retention: spans day expired";

const PARTITIONS: &str = "\
    SELECT c.relname::text AS name, i.inhdetachpending AS pending \
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
    WHERE i.inhparent = 'spans'::regclass ORDER BY c.relname";

const LEFTOVERS: &str = "\
    SELECT c.relname::text AS name, d.description FROM pg_class c \
    JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass \
    WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'spans'::regclass) \
      AND c.relkind = 'r' AND NOT c.relispartition AND d.description LIKE $1 \
    ORDER BY c.relname";

/// A day of `spans` leaving: its partition's name, day and the class that kept it longest.
struct SpanDay {
    name: String,
    day: NaiveDate,
    class: String,
}

/// The day of a partition named `spans_pYYYYMMDD` (or, detached, `spans_xYYYYMMDD_<run>`).
fn day_of(name: &str) -> Option<NaiveDate> {
    let digits = match name.strip_prefix("spans_x") {
        Some(rest) => rest.split_once('_')?.0,
        None => name.strip_prefix("spans_p")?,
    };
    (digits.len() == 8)
        .then(|| NaiveDate::parse_from_str(digits, "%Y%m%d").ok())
        .flatten()
}

/// The class a leftover's mark names (`<MARK> <day> <class>`); a mark of an older bridge names
/// none: `standard`.
fn class_of_mark(description: &str) -> String {
    let rest = description.strip_prefix(MARK).unwrap_or_default().trim();
    let class = rest.split_once(' ').map(|(_, class)| class);
    class.unwrap_or(DEFAULT_RETENTION_CLASS).to_string()
}

/// The days of `spans` a run would expire on `today`, as `(partition, day, class, days)`,
/// oldest first; read only.
pub(super) async fn due(
    connection: &mut PgConnection,
    config: &RetentionConfig,
    today: NaiveDate,
) -> Result<Vec<(String, NaiveDate, String, u32)>, sqlx::Error> {
    let classes = span_classes(config);
    let shortest = classes.iter().map(|c| c.days).min().unwrap_or(1);
    let rows = sqlx::query(PARTITIONS).fetch_all(&mut *connection).await?;
    let mut due = Vec::new();
    for row in rows.iter().filter(|row| !row.get::<bool, _>("pending")) {
        let name: String = row.get("name");
        let Some(day) = day_of(&name) else { continue };
        if !super::run::expired(day, shortest, today) {
            continue;
        }
        let class = longest_class(connection, &name, &classes).await?;
        if super::run::expired(day, class.days, today) {
            due.push((name, day, class.name.clone(), class.days));
        }
    }
    due.sort_by_key(|(_, day, _, _)| *day);
    Ok(due)
}

impl Run<'_> {
    /// Finishes what an interrupted run left, then archives and drops the expired days of
    /// `spans`.
    pub(super) async fn expire_spans(&mut self) -> Result<(), sqlx::Error> {
        if !self.recover_spans().await? {
            return Ok(());
        }
        let classes = span_classes(&self.retention.config);
        let shortest = classes.iter().map(|c| c.days).min().unwrap_or(1);
        let rows = sqlx::query(PARTITIONS)
            .fetch_all(&mut self.connection)
            .await?;
        for row in rows.iter().filter(|row| !row.get::<bool, _>("pending")) {
            let name: String = row.get("name");
            let Some(day) = day_of(&name) else { continue };
            if !self.expired(day, shortest) || self.stopping() {
                continue;
            }
            let kept = longest_class(&mut self.connection, &name, &classes).await;
            let Some(class) = self.settle(&name, "classify", kept)? else {
                continue;
            };
            if !self.expired(day, class.days) {
                continue;
            }
            let leaving = SpanDay {
                name,
                day,
                class: class.name.clone(),
            };
            let detached = detach(&mut self.connection, &leaving, self.report.id).await;
            let Some(detached) = self.settle(&leaving.name, "detach", detached)? else {
                continue;
            };
            if !self.archive_and_drop_spans(&leaving, &detached).await? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Completes interrupted detaches of `spans` partitions, and archives and drops the marked
    /// tables an interrupted run detached; false when an archive failed.
    async fn recover_spans(&mut self) -> Result<bool, sqlx::Error> {
        let rows = sqlx::query(PARTITIONS)
            .fetch_all(&mut self.connection)
            .await?;
        for row in rows.iter().filter(|row| row.get::<bool, _>("pending")) {
            let name: String = row.get("name");
            let sql = format!(
                "ALTER TABLE spans DETACH PARTITION {} FINALIZE",
                quoted(&name)
            );
            let finalized = execute(&mut self.connection, sql).await;
            self.settle(&name, "finalize", finalized)?;
        }
        let leftovers = sqlx::query(LEFTOVERS).bind(format!("{MARK}%"));
        for row in leftovers.fetch_all(&mut self.connection).await? {
            let name: String = row.get("name");
            let Some(day) = day_of(&name) else { continue };
            let class = class_of_mark(&row.get::<String, _>("description"));
            let original = format!("spans_p{}", day.format("%Y%m%d"));
            let leaving = SpanDay {
                name: original,
                day,
                class,
            };
            if self.stopping() || !self.archive_and_drop_spans(&leaving, &name).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Archives (when configured) and drops a detached day; false when its archive failed, in
    /// which case the day is put back when its place is free.
    async fn archive_and_drop_spans(
        &mut self,
        leaving: &SpanDay,
        detached: &str,
    ) -> Result<bool, sqlx::Error> {
        let archived = self.archive_spans(leaving, detached).await?;
        if archived == Some(false) {
            let attached = reattach(&mut self.connection, leaving, detached).await;
            if self.settle(&leaving.name, "reattach", attached)? == Some(false) {
                let reason = format!(
                    "kept detached as {detached}: its place is taken; the next run retries"
                );
                self.report.fail(&leaving.name, "reattach", reason);
            }
            return Ok(false);
        }
        let dropped = drop_table(&mut self.connection, detached).await;
        if self.settle(&leaving.name, "drop", dropped)?.is_some() {
            self.report.dropped.push(Dropped {
                partition: leaving.name.clone(),
                day: leaving.day,
                class: leaving.class.clone(),
                archived: archived == Some(true),
            });
        }
        Ok(true)
    }

    /// Archives a detached day and checks that the archive holds every row it has: `None` when
    /// no archive is configured, else whether it succeeded.
    async fn archive_spans(
        &mut self,
        leaving: &SpanDay,
        detached: &str,
    ) -> Result<Option<bool>, sqlx::Error> {
        let retention = self.retention;
        let Some(archive) = &retention.archive else {
            return Ok(None);
        };
        let (day, class) = (leaving.day, &leaving.class);
        let written = archive
            .archive_spans_table(&retention.pool, detached, day, class)
            .await;
        let manifest = match written {
            Ok(manifest) => manifest,
            Err(error) => {
                tracing::warn!(partition = %leaving.name, %error, "retention: archive failed");
                self.report
                    .fail(&leaving.name, "archive", error.to_string());
                return Ok(Some(false));
            }
        };
        let counted = count_rows(&mut self.connection, detached).await;
        let Some(rows) = self.settle(&leaving.name, "verify", counted)? else {
            return Ok(Some(false));
        };
        if u64::try_from(rows).ok() != Some(manifest.rows) {
            let error = format!(
                "the archive holds {} rows, the partition {rows}",
                manifest.rows
            );
            self.report.fail(&leaving.name, "verify", error);
            return Ok(Some(false));
        }
        self.report.archived.push(Archived {
            partition: leaving.name.clone(),
            day,
            class: class.clone(),
            rows: manifest.rows,
            file: manifest.file,
        });
        Ok(Some(true))
    }
}

/// Of the classes, the one with the most days among those of the spans the partition holds;
/// `standard` for an empty one. One indexed probe per class (`service`, `start_ts` index).
async fn longest_class<'c>(
    connection: &mut PgConnection,
    table: &str,
    classes: &'c [SpanClass],
) -> Result<&'c SpanClass, sqlx::Error> {
    let mut by_days: Vec<&SpanClass> = classes.iter().collect();
    by_days.sort_by_key(|class| std::cmp::Reverse(class.days));
    for class in &by_days {
        let (condition, services) = match &class.takes {
            Takes::Services(services) => ("service = ANY($1)", services),
            Takes::AllBut(services) => ("service <> ALL($1)", services),
        };
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE {condition})",
            quoted(table)
        );
        let holds: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(services)
            .fetch_one(&mut *connection)
            .await?;
        if holds {
            return Ok(class);
        }
    }
    let standard = classes.last().expect("`standard` is always a span class");
    Ok(standard)
}

/// Marks, detaches and renames one day partition of `spans`; gives its new name.
async fn detach(
    connection: &mut PgConnection,
    leaving: &SpanDay,
    run: i64,
) -> Result<String, sqlx::Error> {
    let expired = format!("spans_x{}_{run}", leaving.day.format("%Y%m%d"));
    let table = quoted(&leaving.name);
    let mark = literal(&format!("{MARK} {} {}", leaving.day, leaving.class));
    execute(connection, format!("COMMENT ON TABLE {table} IS {mark}")).await?;
    let detach = format!("ALTER TABLE spans DETACH PARTITION {table} CONCURRENTLY");
    execute(connection, detach).await?;
    let rename = format!("ALTER TABLE {table} RENAME TO {}", quoted(&expired));
    execute(connection, rename).await?;
    Ok(expired)
}

/// Puts a detached day back under its old name; `Ok(false)` when its place is taken (a late
/// span made a new partition for its day).
async fn reattach(
    connection: &mut PgConnection,
    leaving: &SpanDay,
    detached: &str,
) -> Result<bool, sqlx::Error> {
    let free: bool = sqlx::query_scalar("SELECT to_regclass(quote_ident($1)) IS NULL")
        .bind(&leaving.name)
        .fetch_one(&mut *connection)
        .await?;
    if !free {
        return Ok(false);
    }
    let table = quoted(&leaving.name);
    let mut transaction = sqlx::Acquire::begin(&mut *connection).await?;
    let rename = format!("ALTER TABLE {} RENAME TO {table}", quoted(detached));
    execute(&mut transaction, rename).await?;
    attach_day(&mut transaction, "spans", &table, leaving.day).await?;
    transaction.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_day_partition_names_give_days() {
        assert_eq!(
            day_of("spans_p20261122").map(|d| d.to_string()).as_deref(),
            Some("2026-11-22")
        );
        assert_eq!(day_of("spans_p2026112"), None);
        assert_eq!(day_of("spans_p20261122_x"), None);
        assert_eq!(
            day_of("spans_x20261122_7")
                .map(|d| d.to_string())
                .as_deref(),
            Some("2026-11-22")
        );
        assert_eq!(day_of("logs_p20261122"), None);
    }

    #[test]
    fn a_mark_names_the_class_and_an_old_mark_means_standard() {
        assert_eq!(class_of_mark(&format!("{MARK} 2026-11-22 audit")), "audit");
        assert_eq!(class_of_mark(MARK), "standard");
    }
}
