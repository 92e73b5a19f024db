//! PostgreSQL sink: creates and migrates the database, queues encoded records and commits them
//! in group commits (one `COPY` for many concurrent requests); a request is answered only after
//! its rows are committed; the reads of the query API ([`read`]) and the small repositories
//! (tokens, audit, alerts). All SQL of the bridge lives here and in `jobs/`.

pub mod alerts;
pub mod audit;
pub mod copy;
mod copy_text;
mod dedup;
mod exceptions;
mod health;
mod partitions;
mod queue;
pub mod read;
pub mod regroup;
mod rollups;
mod setup;
pub mod sourcemaps;
mod span_load;
pub mod substring_index;
pub mod tail;
pub mod tokens;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::ErrorCode;
use crate::metrics::BridgeMetrics;
pub use copy::EncodedBatch;
pub use health::{Health, is_connection_error, is_data_refusal, is_query_canceled};
use partitions::{DdlTimeouts, Partitions};
use queue::Queue;
pub use setup::{Prepared, migrate, migrate_reporting, open, open_schema};
use writer::Job;

/// The spans of a committed batch that were not stored because they were stored already (an
/// exporter sent them again), by place in the batch, ascending.
pub type SkippedSpans = Vec<u32>;

/// Why a batch was not committed; each names its code in the one error table ([`crate::error`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the ingest queue is full")]
    QueueFull,
    #[error("the request holds more records or bytes than the ingest queue can ever hold")]
    BatchTooLarge,
    #[error("the database is unavailable")]
    Unavailable,
    #[error("the partition for the records' day cannot be made yet (a lock is held); retry")]
    PartitionBusy,
    #[error("the database refused the batch: {0}")]
    Refused(String),
    #[error("the bridge is shutting down")]
    ShuttingDown,
}

impl StoreError {
    /// Its code in the error table (status, gRPC code, metric labels).
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::QueueFull => ErrorCode::QueueFull,
            StoreError::BatchTooLarge => ErrorCode::TooLarge,
            StoreError::Unavailable | StoreError::PartitionBusy => ErrorCode::Unavailable,
            StoreError::ShuttingDown => ErrorCode::ShuttingDown,
            StoreError::Refused(_) => ErrorCode::Internal,
        }
    }
}

/// Handle to the sink; cheap to clone.
#[derive(Clone)]
pub struct Store {
    queue: Arc<Queue>,
    jobs: mpsc::UnboundedSender<Job>,
    health: Arc<Health>,
}

/// The background tasks of a store; awaited at shutdown so that queued batches are committed.
pub struct StoreTasks {
    writers: Vec<JoinHandle<()>>,
    maintenance: JoinHandle<()>,
    dedup_expiry: JoinHandle<()>,
}

impl Store {
    /// Starts the writers and partition maintenance on a migrated pool.
    pub async fn start(
        pool: PgPool,
        config: &Config,
        metrics: Arc<BridgeMetrics>,
    ) -> anyhow::Result<(Store, StoreTasks)> {
        let ingest = &config.ingest;
        let stall_after = Duration::from_secs(ingest.ready_stall_seconds);
        let queue = Queue::new(ingest.queue_max_records, ingest.queue_max_bytes);
        let health = Health::new(metrics.clone(), stall_after, queue.clone());
        let commit_timeout = Duration::from_secs(ingest.commit_timeout_seconds);
        let partitions = partitions(&pool, config, commit_timeout);
        if !partitions.ensure_ahead().await? {
            tracing::warn!("some partitions ahead are busy; the maintenance task retries them");
        }
        let (jobs, receiver) = mpsc::unbounded_channel();
        let writers = writer::spawn(writer::Context {
            pool: pool.clone(),
            receiver: Arc::new(tokio::sync::Mutex::new(receiver)),
            partitions: partitions.clone(),
            health: health.clone(),
            metrics,
            batch_max_records: ingest.batch_max_records,
            commit_timeout,
            count: ingest.writers,
            repeats: Default::default(),
        });
        let watch = health::watch(pool.clone(), health.clone(), partitions);
        let maintenance = tokio::spawn(watch);
        let dedup_expiry = spawn_dedup_expiry(pool.clone(), config);
        let store = Store {
            queue,
            jobs,
            health,
        };
        Ok((
            store,
            StoreTasks {
                writers,
                maintenance,
                dedup_expiry,
            },
        ))
    }

    /// Queues an encoded batch and waits until it is committed; gives the spans of the batch
    /// that were not stored because they were stored already (by place in the batch).
    pub async fn commit(&self, batch: EncodedBatch) -> Result<SkippedSpans, StoreError> {
        if !self.health.is_ready() {
            return Err(StoreError::Unavailable);
        }
        let (records, bytes) = (batch.records, batch.bytes());
        if !self.queue.fits_at_all(records, bytes) {
            return Err(StoreError::BatchTooLarge);
        }
        let permit = self
            .queue
            .try_reserve(records, bytes)
            .ok_or(StoreError::QueueFull)?;
        let (done, outcome) = oneshot::channel();
        let job = Job {
            batch,
            _permit: permit,
            done,
        };
        self.jobs.send(job).map_err(|_| StoreError::ShuttingDown)?;
        outcome.await.unwrap_or(Err(StoreError::ShuttingDown))
    }

    /// Readiness: the database answered recently and the schema is migrated.
    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// Records and bytes waiting to be committed.
    pub fn queue_depth(&self) -> (usize, usize) {
        (self.queue.records(), self.queue.bytes())
    }
}

/// The partition maker: every configured class, DDL bounded by `storage.partition_lock_timeout_ms`
/// and the commit timeout.
fn partitions(pool: &PgPool, config: &Config, commit_timeout: Duration) -> Partitions {
    let classes = config.retention.classes.iter();
    let classes = classes
        .map(|class| Arc::from(class.name.as_str()))
        .collect();
    let timeouts = DdlTimeouts {
        lock_ms: config.storage.partition_lock_timeout_ms,
        statement_ms: commit_timeout.as_millis() as u64,
    };
    let ahead_days = config.storage.partitions_ahead_days;
    Partitions::new(pool.clone(), ahead_days, classes, timeouts)
}

/// Deletes the dedup heads unused for `dedup.keep_open_seconds`, checking a few times within
/// that span and at least once a minute. Runs even with dedup off, to clear heads left from
/// when it was on.
fn spawn_dedup_expiry(pool: PgPool, config: &Config) -> JoinHandle<()> {
    let keep_open = config.dedup.keep_open_seconds;
    let interval = Duration::from_secs(u64::from(keep_open / 4).clamp(1, 60));
    tokio::spawn(dedup::expire_periodically(pool, keep_open, interval))
}

impl StoreTasks {
    /// Waits until every queued batch is committed; call after the last `Store` handle is dropped.
    pub async fn drain(self) {
        self.maintenance.abort();
        self.dedup_expiry.abort();
        for writer in self.writers {
            let _ = writer.await;
        }
    }
}
