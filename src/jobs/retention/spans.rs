//! Expiry of `spans` partitions, in the same run as those of `logs`: a day partition
//! (`spans_pYYYYMMDD`) is dropped whole once past the days of the default retention class
//! (`standard`), since spans have no level or category to pick another class by. Spans are not
//! archived.
//!
//! A day is marked (its comment), detached `CONCURRENTLY` (never blocking a `COPY` into `spans`),
//! renamed (so that a late span for that day gets a new partition, not the leaving one) and
//! dropped; a run that was interrupted between those steps is finished by the next one.

use chrono::NaiveDate;
use sqlx::{PgConnection, Row};

use super::Dropped;
use super::ddl::quoted;
use super::run::Run;
use crate::model::DEFAULT_RETENTION_CLASS;

/// The comment of a `spans` partition being expired.
const MARK: &str = "logbridge retention: spans day expired";

const PARTITIONS: &str = "\
    SELECT c.relname::text AS name, i.inhdetachpending AS pending \
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
    WHERE i.inhparent = 'spans'::regclass ORDER BY c.relname";

const LEFTOVERS: &str = "\
    SELECT c.relname::text AS name FROM pg_class c \
    JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass \
    WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'spans'::regclass) \
      AND c.relkind = 'r' AND NOT c.relispartition AND d.description = $1 \
    ORDER BY c.relname";

/// The day of a partition named `spans_pYYYYMMDD`.
fn day_of(name: &str) -> Option<NaiveDate> {
    let digits = name.strip_prefix("spans_p")?;
    (digits.len() == 8)
        .then(|| NaiveDate::parse_from_str(digits, "%Y%m%d").ok())
        .flatten()
}

async fn execute(connection: &mut PgConnection, sql: String) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(connection)
        .await?;
    Ok(())
}

impl Run<'_> {
    /// Finishes what an interrupted run left, then drops the expired days of `spans`.
    pub(super) async fn expire_spans(&mut self) -> Result<(), sqlx::Error> {
        self.recover_spans().await?;
        let days = (self.retention.config.classes.iter())
            .find(|class| class.name == DEFAULT_RETENTION_CLASS)
            .map_or_else(|| self.retention.config.longest_class_days(), |c| c.days);
        let rows = sqlx::query(PARTITIONS)
            .fetch_all(&mut self.connection)
            .await?;
        for row in rows {
            let name: String = row.get("name");
            let Some(day) = day_of(&name) else { continue };
            if !self.expired(day, days) || self.stopping() {
                continue;
            }
            let dropped = expire(&mut self.connection, &name, day, self.report.id).await;
            if self.settle(&name, "drop", dropped)?.is_some() {
                self.report.dropped.push(Dropped {
                    partition: name,
                    day,
                    class: DEFAULT_RETENTION_CLASS.to_string(),
                    archived: false,
                });
            }
        }
        Ok(())
    }

    /// Completes interrupted detaches of `spans` partitions, and drops the marked tables an
    /// interrupted run detached.
    async fn recover_spans(&mut self) -> Result<(), sqlx::Error> {
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
        let leftovers = sqlx::query_scalar::<_, String>(LEFTOVERS).bind(MARK);
        for name in leftovers.fetch_all(&mut self.connection).await? {
            let dropped = execute(
                &mut self.connection,
                format!("DROP TABLE {}", quoted(&name)),
            )
            .await;
            self.settle(&name, "drop", dropped)?;
        }
        Ok(())
    }
}

/// Marks, detaches, renames and drops one day partition of `spans`.
async fn expire(
    connection: &mut PgConnection,
    name: &str,
    day: NaiveDate,
    run: i64,
) -> Result<(), sqlx::Error> {
    let expired = format!("spans_x{}_{run}", day.format("%Y%m%d"));
    let (table, expired) = (quoted(name), quoted(&expired));
    let mark = format!("COMMENT ON TABLE {table} IS '{MARK}'");
    execute(connection, mark).await?;
    let detach = format!("ALTER TABLE spans DETACH PARTITION {table} CONCURRENTLY");
    execute(connection, detach).await?;
    execute(
        connection,
        format!("ALTER TABLE {table} RENAME TO {expired}"),
    )
    .await?;
    execute(connection, format!("DROP TABLE {expired}")).await
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
        assert_eq!(day_of("spans_x20261122_7"), None);
        assert_eq!(day_of("logs_p20261122"), None);
    }
}
