//! The writers: each takes every batch queued so far, sends them in one `COPY` (one commit), and
//! then answers all their requests at once (group commit). Deduplicated rows go through
//! [`dedup::store`] in the same transaction.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Acquire as _, PgConnection, PgPool};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::copy::{COPY_STATEMENT, EncodedBatch};
use super::dedup::{self, Group};
use super::exceptions::{self, ExceptionCounts};
use super::partitions::{PartitionKey, Partitions};
use super::queue::Permit;
use super::rollups::{self, Rollups};
use super::{Health, StoreError};
use crate::metrics::BridgeMetrics;

/// One request's records waiting for their commit.
pub(super) struct Job {
    pub batch: EncodedBatch,
    /// Holds the job's room in the queue until the job is answered.
    pub _permit: Permit,
    pub done: oneshot::Sender<Result<(), StoreError>>,
}

/// What every writer shares.
pub(super) struct Context {
    pub pool: PgPool,
    pub receiver: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
    pub partitions: Partitions,
    pub health: Arc<Health>,
    pub metrics: Arc<BridgeMetrics>,
    pub batch_max_records: usize,
    pub commit_timeout: Duration,
    pub count: usize,
}

/// Starts `context.count` writers; each ends when the queue is closed and empty.
pub(super) fn spawn(context: Context) -> Vec<JoinHandle<()>> {
    let context = Arc::new(context);
    (0..context.count)
        .map(|_| tokio::spawn(run(Arc::clone(&context))))
        .collect()
}

async fn run(context: Arc<Context>) {
    while let Some(jobs) = next_group(&context).await {
        let records: usize = jobs.iter().map(|job| job.batch.records).sum();
        let started = Instant::now();
        let outcomes = commit_group(&context, &jobs).await;
        let all_committed = outcomes.iter().all(Result::is_ok);
        context
            .metrics
            .observe_commit(records, started.elapsed(), all_committed);
        for (job, outcome) in jobs.into_iter().zip(outcomes) {
            // The request may have gone away; its rows are committed all the same.
            let _ = job.done.send(outcome);
        }
    }
}

/// Waits for one job, then takes every job already queued, up to the batch size.
async fn next_group(context: &Context) -> Option<Vec<Job>> {
    let mut receiver = context.receiver.lock().await;
    let first = receiver.recv().await?;
    let mut records = first.batch.records;
    let mut jobs = vec![first];
    while records < context.batch_max_records {
        let Ok(job) = receiver.try_recv() else { break };
        records += job.batch.records;
        jobs.push(job);
    }
    Some(jobs)
}

/// Commits the group, giving one outcome per job. If the database refuses the group, each job
/// is retried alone so that one bad request cannot fail the others.
#[tracing::instrument(
    name = "group_commit",
    skip_all,
    fields(
        jobs = jobs.len(),
        records = jobs.iter().map(|job| job.batch.records).sum::<usize>(),
    )
)]
async fn commit_group(context: &Context, jobs: &[Job]) -> Vec<Result<(), StoreError>> {
    let batches: Vec<&EncodedBatch> = jobs.iter().map(|job| &job.batch).collect();
    match commit(context, &batches).await {
        Ok(()) => vec![Ok(()); jobs.len()],
        Err(StoreError::Refused(reason)) if jobs.len() > 1 => {
            tracing::warn!(%reason, jobs = jobs.len(), "group refused, committing jobs alone");
            let mut outcomes = Vec::with_capacity(jobs.len());
            for batch in batches {
                outcomes.push(commit(context, &[batch]).await);
            }
            outcomes
        }
        Err(error) => vec![Err(error); jobs.len()],
    }
}

/// Commits batches in one transaction. A refusal is retried once after forgetting the known
/// partitions, because a partition dropped behind the writer's back (retention) looks like one.
async fn commit(context: &Context, batches: &[&EncodedBatch]) -> Result<(), StoreError> {
    let partitions: HashSet<PartitionKey> = batches
        .iter()
        .flat_map(|b| b.partitions.iter().cloned())
        .collect();
    let merged = match attempt(context, batches, &partitions).await {
        Err(StoreError::Refused(_)) => {
            context.partitions.forget();
            attempt(context, batches, &partitions).await
        }
        result => result,
    }?;
    context.metrics.observe_dedup_merged(merged);
    Ok(())
}

/// One try at committing; gives the records folded into deduplicated rows.
async fn attempt(
    context: &Context,
    batches: &[&EncodedBatch],
    partitions: &HashSet<PartitionKey>,
) -> Result<u64, StoreError> {
    let work = async {
        let ensured = context.partitions.ensure(partitions.iter()).await;
        ensured.map_err(Failure::Connect)?;
        copy_rows(&context.pool, batches).await
    };
    match tokio::time::timeout(context.commit_timeout, work).await {
        Ok(result) => result.map_err(|failure| classify(context, failure)),
        Err(_) => Err(StoreError::Unavailable),
    }
}

/// A failed commit: getting a connection failing always means the database is unavailable.
enum Failure {
    Connect(sqlx::Error),
    Statement(sqlx::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Statement(error)
    }
}

/// Sends the plain rows in one `COPY`, stores the deduplicated rows, and updates the exception
/// groups and per-minute rollups, all in one transaction (each step locks shared rows in key
/// order, so that concurrent writers cannot deadlock). Gives the records folded into
/// deduplicated rows.
async fn copy_rows(pool: &PgPool, batches: &[&EncodedBatch]) -> Result<u64, Failure> {
    let mut connection = pool.acquire().await.map_err(Failure::Connect)?;
    let exceptions = ExceptionCounts::merged(batches.iter().map(|b| &b.exceptions));
    let rollups = Rollups::merged(batches.iter().map(|b| &b.rollups));
    let deduplicated = Group::merged(batches.iter().map(|b| &b.dedup));
    let mut transaction = connection.begin().await?;
    if batches.iter().any(|b| !b.data.is_empty()) {
        copy(&mut transaction, batches).await?;
    }
    let mut merged = 0;
    if !deduplicated.is_empty() {
        merged = dedup::store(&mut transaction, &deduplicated).await?;
    }
    if !exceptions.is_empty() {
        exceptions::upsert(&mut transaction, &exceptions).await?;
    }
    rollups::upsert(&mut transaction, &rollups).await?;
    transaction.commit().await?;
    Ok(merged)
}

async fn copy(connection: &mut PgConnection, batches: &[&EncodedBatch]) -> sqlx::Result<()> {
    let mut copy = connection.copy_in_raw(COPY_STATEMENT).await?;
    for batch in batches {
        if let Err(error) = copy.send(batch.data.as_slice()).await {
            let _ = copy.abort("send failed").await;
            return Err(error);
        }
    }
    copy.finish().await?;
    Ok(())
}

/// Connection trouble makes the store unavailable until the health check sees the database
/// again; a statement the database cancelled (timeouts, deadlock) answers 503 as a commit timeout
/// does, so that clients retry; anything else is a refusal of this batch.
fn classify(context: &Context, failure: Failure) -> StoreError {
    let (connecting, error) = match failure {
        Failure::Connect(error) => (true, error),
        Failure::Statement(error) => (false, error),
    };
    if connecting || super::health::is_connection_error(&error) {
        tracing::warn!(%error, "database unavailable");
        context.health.set_unavailable();
        StoreError::Unavailable
    } else if super::health::is_transient(&error) {
        tracing::warn!(%error, "database too slow: batch not committed");
        StoreError::Unavailable
    } else {
        tracing::error!(%error, "database refused a batch");
        StoreError::Refused(error.to_string())
    }
}
