//! Partitions of `logs`: one per UTC day, itself split by retention class
//! (`logs_p20261122_debug`), created ahead of time for every configured class and on demand for
//! late or early records.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{Days, NaiveDate, Utc};
use sqlx::PgPool;

/// A day and a retention class: one leaf partition of `logs`.
pub(super) type PartitionKey = (NaiveDate, Arc<str>);

/// The partitions known to exist, so that a `COPY` needs no catalogue lookups.
#[derive(Clone)]
pub(super) struct Partitions {
    pool: PgPool,
    known: Arc<Mutex<HashSet<PartitionKey>>>,
    ahead_days: u32,
    classes: Arc<[Arc<str>]>,
}

impl Partitions {
    /// `classes` are the configured retention classes, whose partitions are made ahead.
    pub fn new(pool: PgPool, ahead_days: u32, classes: Vec<Arc<str>>) -> Partitions {
        Partitions {
            pool,
            known: Arc::default(),
            ahead_days,
            classes: classes.into(),
        }
    }

    /// Creates the partitions of every class from yesterday to `ahead_days` after today.
    pub async fn ensure_ahead(&self) -> Result<(), sqlx::Error> {
        let today = Utc::now().date_naive();
        let first = today - Days::new(1);
        let days = first.iter_days().take(self.ahead_days as usize + 2);
        let keys: Vec<PartitionKey> = days
            .flat_map(|day| self.classes.iter().map(move |class| (day, class.clone())))
            .collect();
        self.ensure(keys.iter()).await
    }

    /// Creates whichever of `keys` are not known to exist.
    pub async fn ensure(
        &self,
        keys: impl Iterator<Item = &PartitionKey>,
    ) -> Result<(), sqlx::Error> {
        let missing: Vec<PartitionKey> = {
            let known = self.known.lock().expect("partition cache lock");
            keys.filter(|key| !known.contains(*key)).cloned().collect()
        };
        for (day, class) in missing {
            sqlx::query("SELECT logbridge_ensure_logs_partition($1, $2)")
                .bind(day)
                .bind(&*class)
                .execute(&self.pool)
                .await?;
            let mut known = self.known.lock().expect("partition cache lock");
            known.insert((day, class));
        }
        Ok(())
    }

    /// Forgets what is known, after a partition may have been dropped by someone else (the
    /// retention job).
    pub fn forget(&self) {
        self.known.lock().expect("partition cache lock").clear();
    }
}
