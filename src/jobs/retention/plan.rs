//! `retention run --dry-run`: the partitions of `logs` a run would expire now, with their class,
//! the days kept and the rows PostgreSQL estimates they hold; nothing is locked or changed.

use chrono::{NaiveDate, Utc};

use super::catalog::{self, Leaf};
use super::expire::days_of;
use super::run::expired;
use super::{Retention, RetentionError};

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

impl Retention {
    /// What a run would expire today, oldest first; whether it would be archived is
    /// [`Retention::archives`].
    pub async fn plan(&self) -> Result<Vec<Planned>, RetentionError> {
        let mut connection = self.pool.acquire().await?;
        let catalog = catalog::list(&mut connection).await?;
        let today = Utc::now().date_naive();
        let due: Vec<(Leaf, u32)> = catalog
            .leaves
            .into_iter()
            .map(|leaf| {
                let days = days_of(&self.config, &leaf);
                (leaf, days)
            })
            .filter(|(leaf, days)| expired(leaf.day, *days, today))
            .collect();
        let mut planned = Vec::with_capacity(due.len());
        for (leaf, days) in due {
            let estimated_rows: i64 = sqlx::query_scalar(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = $1 AND relkind = 'r'",
            )
            .bind(&leaf.name)
            .fetch_optional(&mut *connection)
            .await?
            .unwrap_or(0);
            planned.push(Planned {
                partition: leaf.name,
                day: leaf.day,
                class: leaf.class,
                days,
                estimated_rows,
            });
        }
        Ok(planned)
    }

    /// Whether expired partitions are archived before they are dropped.
    pub fn archives(&self) -> bool {
        self.archive.is_some()
    }
}
