//! Readiness of the database: set unavailable by failing commits, restored by a periodic probe,
//! so that ingestion resumes by itself when the database returns; and stalled while records wait
//! and no commit has succeeded for a while (the database answers, but commits hang on a lock).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::partitions::Partitions;
use super::queue::Queue;
use crate::metrics::BridgeMetrics;

const PROBE_INTERVAL: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(3600);

/// Whether the database is reachable; starts ready because `serve` has just migrated it.
pub struct Health {
    ready: AtomicBool,
    metrics: Arc<BridgeMetrics>,
    /// When the health began; progress is kept as milliseconds since then.
    started: Instant,
    /// Last time a commit succeeded or the queue was seen empty, in ms since `started`.
    progress_ms: AtomicU64,
    /// Last time a commit succeeded, in ms since `started`; `u64::MAX` before the first.
    committed_ms: AtomicU64,
    /// Waiting records with no progress for this long make the store stalled.
    stall_after: Duration,
    /// The records waiting.
    queue: Arc<Queue>,
}

impl Health {
    pub(super) fn new(
        metrics: Arc<BridgeMetrics>,
        stall_after: Duration,
        queue: Arc<Queue>,
    ) -> Arc<Health> {
        metrics.set_database_up(true);
        Arc::new(Health {
            ready: AtomicBool::new(true),
            metrics,
            started: Instant::now(),
            progress_ms: AtomicU64::new(0),
            committed_ms: AtomicU64::new(u64::MAX),
            stall_after,
            queue,
        })
    }

    /// True while the database answers.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// True while records have been waiting longer than the stall bound without any commit
    /// succeeding: the database answers probes, but commits do not get through.
    pub fn is_stalled(&self) -> bool {
        let progress = Duration::from_millis(self.progress_ms.load(Ordering::Acquire));
        let waiting = self.queue.records() > 0;
        waiting && self.started.elapsed().saturating_sub(progress) > self.stall_after
    }

    /// How long ago this bridge last committed; `None` before its first commit.
    pub fn last_commit_age(&self) -> Option<Duration> {
        let committed = self.committed_ms.load(Ordering::Acquire);
        (committed != u64::MAX).then(|| {
            self.started
                .elapsed()
                .saturating_sub(Duration::from_millis(committed))
        })
    }

    /// A commit succeeded.
    pub(super) fn record_commit(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.committed_ms.store(now, Ordering::Release);
        self.record_progress();
    }

    /// A commit succeeded, or nothing is waiting.
    pub(super) fn record_progress(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.progress_ms.fetch_max(now, Ordering::AcqRel);
    }

    pub(super) fn set_unavailable(&self) {
        self.set(false);
    }

    fn set(&self, ready: bool) {
        let was = self.ready.swap(ready, Ordering::AcqRel);
        if was != ready {
            tracing::info!(ready, "database readiness changed");
            self.metrics.set_database_up(ready);
        }
    }
}

/// Probes the database every second, counts an empty queue as progress, and keeps the
/// partitions ahead of time once an hour (every second until they are all made).
pub(super) async fn watch(pool: PgPool, health: Arc<Health>, partitions: Partitions) {
    let mut since_maintenance = Duration::ZERO;
    loop {
        tokio::time::sleep(PROBE_INTERVAL).await;
        since_maintenance += PROBE_INTERVAL;
        if health.queue.records() == 0 {
            health.record_progress();
        }
        let reachable = probe(&pool).await;
        health.set(reachable);
        if reachable && since_maintenance >= MAINTENANCE_INTERVAL {
            match partitions.ensure_ahead().await {
                Ok(true) => since_maintenance = Duration::ZERO,
                Ok(false) => tracing::warn!("partitions ahead busy; trying again"),
                Err(error) => tracing::warn!(%error, "creating partitions ahead failed"),
            }
        }
    }
}

async fn probe(pool: &PgPool) -> bool {
    let query = sqlx::query("SELECT 1").execute(pool);
    matches!(tokio::time::timeout(PROBE_TIMEOUT, query).await, Ok(Ok(_)))
}

/// Whether an error means the database cannot be reached (as opposed to refusing the data).
pub fn is_connection_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            // Class 08: connection exception; 57P01-57P03: admin shutdown, crash, cannot connect;
            // 53xxx: insufficient resources (disk full, out of memory, too many connections).
            let code = db.code().unwrap_or_default();
            code.starts_with("08") || code.starts_with("57P") || code.starts_with("53")
        }
        _ => false,
    }
}

/// Whether the database refused the data itself, so that sending the same rows again cannot
/// succeed: a data exception (class 22), an integrity violation (23), a statement the bridge got
/// wrong (42), a program limit exceeded (54) or a trigger's `RAISE EXCEPTION` (P0). Anything else (a statement cancelled by a timeout,
/// a deadlock, a transaction or connection left in a bad state by a cancelled commit) is the
/// database being busy or unwell, answered 503 so that clients retry.
pub fn is_data_refusal(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Encode(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            ["22", "23", "42", "54", "P0"]
                .iter()
                .any(|class| code.starts_with(class))
        }
        _ => false,
    }
}

/// Whether a query was cancelled by `statement_timeout` (SQLSTATE 57014).
pub fn is_query_canceled(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("57014"))
}
