//! Daily partitions of `logs`: created ahead of time, and on demand for late or early records.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{Days, NaiveDate, Utc};
use sqlx::PgPool;

/// The partitions known to exist, so that a `COPY` needs no catalogue lookups.
#[derive(Clone)]
pub(super) struct Partitions {
    pool: PgPool,
    known: Arc<Mutex<HashSet<NaiveDate>>>,
    ahead_days: u32,
}

impl Partitions {
    pub fn new(pool: PgPool, ahead_days: u32) -> Partitions {
        Partitions {
            pool,
            known: Arc::default(),
            ahead_days,
        }
    }

    /// Creates the partitions from yesterday to `ahead_days` after today.
    pub async fn ensure_ahead(&self) -> Result<(), sqlx::Error> {
        let today = Utc::now().date_naive();
        let first = today - Days::new(1);
        let days = first
            .iter_days()
            .take(self.ahead_days as usize + 2)
            .collect();
        self.ensure(&days).await
    }

    /// Creates whichever of `days` are not known to exist.
    pub async fn ensure(&self, days: &BTreeSet<NaiveDate>) -> Result<(), sqlx::Error> {
        let missing: Vec<NaiveDate> = {
            let known = self.known.lock().expect("partition cache lock");
            days.iter()
                .filter(|d| !known.contains(d))
                .copied()
                .collect()
        };
        for day in missing {
            sqlx::query("SELECT logbridge_ensure_logs_partition($1)")
                .bind(day)
                .execute(&self.pool)
                .await?;
            self.known.lock().expect("partition cache lock").insert(day);
        }
        Ok(())
    }

    /// Forgets what is known, after a partition may have been dropped by someone else.
    pub fn forget(&self) {
        self.known.lock().expect("partition cache lock").clear();
    }
}
