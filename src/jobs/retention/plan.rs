//! `retention run --dry-run`: what a run would expire now (the partitions of `logs` and the
//! days of `spans`, with their class, the days kept and the rows PostgreSQL estimates they
//! hold) and the old rows it would delete from the tables beside them; nothing is locked or
//! changed.

use chrono::{NaiveDate, Utc};
use sqlx::PgConnection;

use super::catalog::{self, Leaf};
use super::expire::days_of;
use super::run::expired;
use super::{Retention, RetentionError, spans, tables};

/// A partition a run would expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub partition: String,
    pub day: NaiveDate,
    pub class: String,
    /// The days its class keeps.
    pub days: u32,
    /// PostgreSQL's estimate of its rows (`pg_class.reltuples`; -1 before its first analyze).
    pub estimated_rows: i64,
}

/// What a run would do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Partitions of `logs`, oldest first.
    pub logs: Vec<Planned>,
    /// Day partitions of `spans`, oldest first (the class is the longest-kept one it holds).
    pub spans: Vec<Planned>,
    /// The tables beside them, with the rows a run would delete from each.
    pub deleted: Vec<(&'static str, i64)>,
    /// Whether expired partitions are archived before they are dropped.
    pub archives: bool,
}

impl Retention {
    /// What a run would do today.
    pub async fn plan(&self) -> Result<Plan, RetentionError> {
        let mut connection = self.pool.acquire().await?;
        let today = Utc::now().date_naive();
        let catalog = catalog::list(&mut connection).await?;
        let due_logs = catalog.leaves.into_iter().filter_map(|leaf: Leaf| {
            let days = days_of(&self.config, &leaf);
            expired(leaf.day, days, today).then_some((leaf.name, leaf.day, leaf.class, days))
        });
        let due_logs: Vec<_> = due_logs.collect();
        let due_spans = spans::due(&mut connection, &self.config, today).await?;
        let mut deleted = Vec::new();
        for table in tables::pruned(&self.config) {
            let rows = table.due(&mut connection, Utc::now()).await?;
            deleted.push((table.table, rows));
        }
        Ok(Plan {
            logs: estimated(&mut connection, due_logs).await?,
            spans: estimated(&mut connection, due_spans).await?,
            deleted,
            archives: self.archives(),
        })
    }

    /// Whether expired partitions are archived before they are dropped.
    pub fn archives(&self) -> bool {
        self.archive.is_some()
    }
}

/// The planned partitions `(name, day, class, days)` with their estimated rows.
async fn estimated(
    connection: &mut PgConnection,
    due: Vec<(String, NaiveDate, String, u32)>,
) -> Result<Vec<Planned>, sqlx::Error> {
    let mut planned = Vec::with_capacity(due.len());
    for (partition, day, class, days) in due {
        let estimated_rows: i64 = sqlx::query_scalar(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = $1 AND relkind = 'r'",
        )
        .bind(&partition)
        .fetch_optional(&mut *connection)
        .await?
        .unwrap_or(0);
        planned.push(Planned {
            partition,
            day,
            class,
            days,
            estimated_rows,
        });
    }
    Ok(planned)
}
