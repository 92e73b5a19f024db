//! Partitions of `logs`: one per UTC day, itself split by retention class
//! (`logs_p20261122_debug`), and of `spans`: one per UTC day (`spans_p20261122`); created ahead
//! of time (for every configured class) and on demand for late or early records.
//!
//! Each is made under a short `lock_timeout` by `logbridge_ensure_logs_partition` or
//! `logbridge_ensure_day_partition`, which create the table on its own and attach it (SHARE
//! UPDATE EXCLUSIVE on the parent, compatible with reads and `COPY`; migrations 0012 and 0016).
//! A partition blocked by someone else's lock all the same (a `DETACH CONCURRENTLY`, an
//! `ANALYZE`, a manual `LOCK`) is reported busy once the timeout ends, and tried again no sooner
//! than [`BUSY_BACKOFF`] later: its records are answered 503, and nothing waits in PostgreSQL's
//! lock queue for it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use sqlx::PgPool;

/// One leaf partition: of `logs`, a day and a retention class; of `spans`, a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum PartitionKey {
    Logs(NaiveDate, Arc<str>),
    Spans(NaiveDate),
}

impl std::fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PartitionKey::Logs(day, class) => write!(f, "logs {day} {class}"),
            PartitionKey::Spans(day) => write!(f, "spans {day}"),
        }
    }
}

/// How long a partition that could not be made is reported busy without trying again.
const BUSY_BACKOFF: Duration = Duration::from_secs(1);

/// The partitions known to exist, so that a `COPY` needs no catalogue lookups.
#[derive(Clone)]
pub(super) struct Partitions {
    pool: PgPool,
    known: Arc<Mutex<HashSet<PartitionKey>>>,
    /// Partitions whose making failed on a lock, with when it last failed.
    busy: Arc<Mutex<HashMap<PartitionKey, Instant>>>,
    ahead_days: u32,
    classes: Arc<[Arc<str>]>,
    timeouts: DdlTimeouts,
}

/// The bounds of one partition's DDL, in milliseconds as PostgreSQL takes them.
#[derive(Debug, Clone, Copy)]
pub(super) struct DdlTimeouts {
    /// `lock_timeout`: the longest wait for any one lock.
    pub lock_ms: u64,
    /// `statement_timeout`: the longest the whole DDL may take.
    pub statement_ms: u64,
}

impl Partitions {
    /// `classes` are the configured retention classes, whose partitions are made ahead.
    pub fn new(
        pool: PgPool,
        ahead_days: u32,
        classes: Vec<Arc<str>>,
        timeouts: DdlTimeouts,
    ) -> Partitions {
        Partitions {
            pool,
            known: Arc::default(),
            busy: Arc::default(),
            ahead_days,
            classes: classes.into(),
            timeouts,
        }
    }

    /// Creates the partitions of `logs` of every class, and of `spans`, from yesterday to
    /// `ahead_days` after today; false when some are busy (to be tried again).
    pub async fn ensure_ahead(&self) -> Result<bool, sqlx::Error> {
        let today = Utc::now().date_naive();
        let first = today - Days::new(1);
        let days = first.iter_days().take(self.ahead_days as usize + 2);
        let of_day = |day| {
            let logs =
                (self.classes.iter()).map(move |class| PartitionKey::Logs(day, class.clone()));
            logs.chain([PartitionKey::Spans(day)])
        };
        let keys: Vec<PartitionKey> = days.flat_map(of_day).collect();
        let busy = self.ensure(keys.iter()).await?;
        Ok(busy.is_empty())
    }

    /// Creates whichever of `keys` are not known to exist; gives those that could not be made
    /// because of a lock (or were busy less than [`BUSY_BACKOFF`] ago). An error is the
    /// database's trouble, not a lock.
    pub async fn ensure(
        &self,
        keys: impl Iterator<Item = &PartitionKey>,
    ) -> Result<HashSet<PartitionKey>, sqlx::Error> {
        let missing: HashSet<PartitionKey> = {
            let known = self.known.lock().expect("partition cache lock");
            keys.filter(|key| !known.contains(*key)).cloned().collect()
        };
        let mut busy = HashSet::new();
        for key in missing {
            if self.recently_busy(&key) {
                busy.insert(key);
                continue;
            }
            match self.make(&key).await {
                Ok(()) => self.mark_made(key),
                Err(error) if is_lock_wait_cut(&error) => {
                    tracing::warn!(partition = %key, %error, "partition busy");
                    self.mark_busy(key.clone());
                    busy.insert(key);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(busy)
    }

    /// Forgets what is known, after a partition may have been dropped by someone else (the
    /// retention job).
    pub fn forget(&self) {
        self.known.lock().expect("partition cache lock").clear();
    }

    /// One partition's DDL in its own transaction, under the timeouts.
    async fn make(&self, key: &PartitionKey) -> Result<(), sqlx::Error> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)")
            .bind(self.timeouts.lock_ms.to_string())
            .bind(self.timeouts.statement_ms.to_string())
            .execute(&mut *transaction)
            .await?;
        let ensure = match key {
            PartitionKey::Logs(day, class) => {
                sqlx::query("SELECT logbridge_ensure_logs_partition($1, $2)")
                    .bind(*day)
                    .bind(class.to_string())
            }
            PartitionKey::Spans(day) => {
                sqlx::query("SELECT logbridge_ensure_day_partition('spans', 'start_ts', $1)")
                    .bind(*day)
            }
        };
        ensure.execute(&mut *transaction).await?;
        transaction.commit().await
    }

    fn recently_busy(&self, key: &PartitionKey) -> bool {
        let busy = self.busy.lock().expect("partition busy lock");
        busy.get(key)
            .is_some_and(|failed| failed.elapsed() < BUSY_BACKOFF)
    }

    fn mark_busy(&self, key: PartitionKey) {
        let mut busy = self.busy.lock().expect("partition busy lock");
        busy.insert(key, Instant::now());
    }

    fn mark_made(&self, key: PartitionKey) {
        self.busy.lock().expect("partition busy lock").remove(&key);
        self.known.lock().expect("partition cache lock").insert(key);
    }
}

/// Whether PostgreSQL cut the DDL short on a lock: `lock_timeout` (55P03), `statement_timeout`
/// (57014) or a deadlock (40P01).
fn is_lock_wait_cut(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = error else {
        return false;
    };
    let code = db.code().unwrap_or_default();
    ["55P03", "57014", "40P01"].contains(&code.as_ref())
}
