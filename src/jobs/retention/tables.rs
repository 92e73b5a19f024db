//! Retention of the tables beside `logs`: small enough that deleting old rows in batches (a
//! short statement each, never one long `DELETE`) is the right tool.

use chrono::{DateTime, Days, Utc};
use sqlx::PgConnection;

use crate::config::RetentionConfig;

/// Rows deleted per statement.
const BATCH_ROWS: i64 = 10_000;

/// A table pruned by age, the column its age is read from, and its horizon.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pruned {
    /// The table, also the label of `logbridge_retention_rows_deleted_total`.
    pub table: &'static str,
    column: &'static str,
    days: u32,
}

/// The tables pruned, with the days each keeps its rows.
pub(super) fn pruned(config: &RetentionConfig) -> [Pruned; 6] {
    let table = |table, column, days| Pruned {
        table,
        column,
        days,
    };
    [
        table("exception_groups", "last_seen", config.exceptions_days),
        table("audit_log", "at", config.audit_days),
        table("alert_history", "received_at", config.alert_history_days),
        table("log_counts", "minute", config.rollup_days()),
        table("error_counts", "minute", config.rollup_days()),
        table("scope_counts", "hour", config.rollup_days()),
    ]
}

impl Pruned {
    /// The rows older than the horizon, which [`Pruned::prune`] would delete now.
    pub async fn due(
        &self,
        connection: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<i64, sqlx::Error> {
        let cutoff = now - Days::new(u64::from(self.days));
        // Table and column are the constants above.
        let sql = format!(
            "SELECT count(*) FROM {table} WHERE {column} < $1",
            table = self.table,
            column = self.column
        );
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(cutoff)
            .fetch_one(connection)
            .await
    }

    /// Deletes the rows older than the horizon, a batch at a time; returns how many.
    pub async fn prune(
        &self,
        connection: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<u64, sqlx::Error> {
        let cutoff = now - Days::new(u64::from(self.days));
        // Table and column are the constants above.
        let sql = format!(
            "DELETE FROM {table} WHERE ctid = ANY (ARRAY(\
             SELECT ctid FROM {table} WHERE {column} < $1 LIMIT $2))",
            table = self.table,
            column = self.column
        );
        let mut deleted = 0;
        loop {
            let result = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(cutoff)
                .bind(BATCH_ROWS)
                .execute(&mut *connection)
                .await?;
            deleted += result.rows_affected();
            if result.rows_affected() < BATCH_ROWS as u64 {
                return Ok(deleted);
            }
        }
    }
}
