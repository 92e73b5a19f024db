//! The writers: each takes every batch queued so far, sends them in one `COPY` per table (one
//! commit), and then answers all their requests at once (group commit). Deduplicated rows go through
//! [`dedup::store`] in the same transaction. A span already stored (an exporter re-sending a
//! batch) makes the group load its spans again through [`SpanLoad::Merge`], which skips it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Connection as _, PgConnection, PgPool};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::copy::{COPY_STATEMENT, EncodedBatch, SPANS_COPY_STATEMENT, TimeRange};
use super::dedup::{self, Group};
use super::exceptions::{self, ExceptionCounts};
use super::partitions::{PartitionKey, Partitions};
use super::queue::Permit;
use super::rollups::{self, Rollups};
use super::span_load::{self, SpanLoad};
use super::tail;
use super::{Health, SkippedSpans, StoreError};
use crate::metrics::BridgeMetrics;
use crate::telemetry::repeats::{Occurrence, Repeats, chain};

/// Repeats of a commit that PostgreSQL aborted to break a deadlock, before it is answered 503.
const DEADLOCK_RETRIES: usize = 2;

/// One request's records waiting for their commit.
pub(super) struct Job {
    pub batch: EncodedBatch,
    /// Holds the job's room in the queue until the job is answered.
    pub _permit: Permit,
    pub done: oneshot::Sender<Result<SkippedSpans, StoreError>>,
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
    /// The errors logged lately, so that one that repeats is logged once and then summarized.
    pub repeats: Repeats,
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

/// Commits the group, giving one outcome per job. Jobs with records for a partition that cannot
/// be made yet (a lock held on its parent) are answered [`StoreError::PartitionBusy`] without
/// holding up the others. If the database refuses the group, its halves are committed apart
/// ([`commit_ready`]) so that one bad request cannot fail the others.
#[tracing::instrument(
    name = "group_commit",
    skip_all,
    fields(
        jobs = jobs.len(),
        records = jobs.iter().map(|job| job.batch.records).sum::<usize>(),
    )
)]
async fn commit_group(context: &Context, jobs: &[Job]) -> Vec<Result<SkippedSpans, StoreError>> {
    let busy = match make_partitions(context, jobs.iter().map(|job| &job.batch)).await {
        Ok(busy) => busy,
        Err(error) => return vec![Err(error); jobs.len()],
    };
    let blocked = |job: &Job| job.batch.partition_keys().any(|key| busy.contains(&key));
    let ready: Vec<&EncodedBatch> = jobs
        .iter()
        .filter(|job| !blocked(job))
        .map(|job| &job.batch)
        .collect();
    let mut ready_outcomes = commit_ready(context, &ready).await.into_iter();
    jobs.iter()
        .map(|job| match blocked(job) {
            true => Err(StoreError::PartitionBusy),
            false => ready_outcomes.next().expect("one outcome per ready job"),
        })
        .collect()
}

/// Commits the batches whose partitions exist, together. A refused group is split in halves,
/// each committed on its own, and only a refused half is split again: one bad batch among N
/// costs about 1 + 2·log2(N) commits instead of N + 1, and the good halves are answered as
/// soon as they commit.
async fn commit_ready(
    context: &Context,
    batches: &[&EncodedBatch],
) -> Vec<Result<SkippedSpans, StoreError>> {
    if batches.is_empty() {
        return Vec::new();
    }
    match commit(context, batches).await {
        Ok(skipped) => skipped.into_iter().map(Ok).collect(),
        Err(StoreError::Refused(reason)) if batches.len() > 1 => {
            tracing::warn!(%reason, jobs = batches.len(), "group refused, committing its halves apart");
            let (older, newer) = batches.split_at(batches.len() / 2);
            let mut outcomes = Box::pin(commit_ready(context, older)).await;
            outcomes.extend(Box::pin(commit_ready(context, newer)).await);
            outcomes
        }
        Err(error) => vec![Err(error); batches.len()],
    }
}

/// Makes the partitions the batches need, within the commit timeout; gives those that are busy.
async fn make_partitions<'a>(
    context: &Context,
    batches: impl Iterator<Item = &'a EncodedBatch>,
) -> Result<HashSet<PartitionKey>, StoreError> {
    let keys: HashSet<PartitionKey> = batches.flat_map(EncodedBatch::partition_keys).collect();
    let made = tokio::time::timeout(
        context.commit_timeout,
        context.partitions.ensure(keys.iter()),
    );
    match made.await {
        Ok(Ok(busy)) => Ok(busy),
        Ok(Err(error)) => Err(classify(context, Failure::Connect(error))),
        Err(_) => Err(StoreError::Unavailable),
    }
}

/// Commits batches in one transaction. A missing partition (dropped behind the writer's back by
/// retention) is made again and the commit retried once; a span already stored makes the
/// spans load again without it ([`SpanLoad::Merge`]); any other refusal is final. Gives each
/// batch's spans skipped as stored already.
async fn commit(
    context: &Context,
    batches: &[&EncodedBatch],
) -> Result<Vec<SkippedSpans>, StoreError> {
    let stored = match attempt_spans_once(context, batches).await {
        Err(Attempted::PartitionMissing) => {
            context.partitions.forget();
            let busy = make_partitions(context, batches.iter().copied()).await?;
            if !busy.is_empty() {
                return Err(StoreError::PartitionBusy);
            }
            attempt_spans_once(context, batches)
                .await
                .map_err(StoreError::from)
        }
        result => result.map_err(StoreError::from),
    }?;
    context.metrics.observe_dedup_merged(stored.merged);
    context.health.record_commit();
    Ok(stored.skipped_spans)
}

/// A try at committing with the spans sent by `COPY`, then, when one of them is stored
/// already, a second through [`SpanLoad::Merge`].
async fn attempt_spans_once(
    context: &Context,
    batches: &[&EncodedBatch],
) -> Result<Stored, Attempted> {
    match attempt(context, batches, SpanLoad::Copy).await {
        Err(Attempted::SpanStored) => {
            tracing::debug!("a span stored already: loading the group's spans without it");
            attempt(context, batches, SpanLoad::Merge).await
        }
        result => result,
    }
}

/// A try at committing, repeated while PostgreSQL picks it as a deadlock's victim (40P01): it
/// aborted this transaction so that the other could go on, and that one releases its locks when
/// it commits, so the repeat normally goes through.
async fn attempt(
    context: &Context,
    batches: &[&EncodedBatch],
    spans: SpanLoad,
) -> Result<Stored, Attempted> {
    for _ in 0..DEADLOCK_RETRIES {
        match attempt_once(context, batches, spans).await {
            Err(Attempted::Deadlocked) => {
                tracing::info!("commit chosen as a deadlock's victim: trying it again");
            }
            result => return result,
        }
    }
    attempt_once(context, batches, spans).await
}

/// One try at committing. Every statement runs under a `statement_timeout` of the commit
/// timeout, so that PostgreSQL gives up on a commit the writer has given up on (its backend
/// leaves the lock queue instead of waiting on).
async fn attempt_once(
    context: &Context,
    batches: &[&EncodedBatch],
    spans: SpanLoad,
) -> Result<Stored, Attempted> {
    let work = copy_rows(&context.pool, batches, spans, context.commit_timeout);
    match tokio::time::timeout(context.commit_timeout, work).await {
        Ok(Err(Failure::Statement(error))) if partition_missing(&error) => {
            Err(Attempted::PartitionMissing)
        }
        Ok(Err(Failure::Statement(error))) if span_stored(&error) => Err(Attempted::SpanStored),
        Ok(Err(Failure::Statement(error))) if sqlstate_in(&error, &["40P01"]) => {
            Err(Attempted::Deadlocked)
        }
        Ok(result) => result.map_err(|failure| Attempted::Failed(classify(context, failure))),
        Err(_) => Err(Attempted::Failed(StoreError::Unavailable)),
    }
}

/// What a commit stored.
struct Stored {
    /// The records folded into deduplicated rows.
    merged: u64,
    /// Per batch, its spans skipped as stored already.
    skipped_spans: Vec<SkippedSpans>,
}

/// Why an attempt did not commit.
enum Attempted {
    /// A row's partition is gone: no partition of `logs` for it (SQLSTATE 23514, which is also
    /// any other check violation, rare here) or a table dropped during the commit (42P01).
    PartitionMissing,
    /// A span of the batches is stored already, or is in them twice (unique violation, 23505,
    /// on a partition of `spans`): an exporter sent it again.
    SpanStored,
    /// PostgreSQL aborted the commit to break a deadlock (40P01) and every repeat was aborted
    /// too: answered 503, so that the client sends again.
    Deadlocked,
    Failed(StoreError),
}

impl From<Attempted> for StoreError {
    fn from(attempted: Attempted) -> Self {
        match attempted {
            Attempted::PartitionMissing => StoreError::Refused("no partition for a row".into()),
            Attempted::SpanStored => StoreError::Refused("a span stored twice".into()),
            Attempted::Deadlocked => {
                tracing::warn!("commit aborted by deadlocks, every try: batch not committed");
                StoreError::Unavailable
            }
            Attempted::Failed(error) => error,
        }
    }
}

fn partition_missing(error: &sqlx::Error) -> bool {
    sqlstate_in(error, &["23514", "42P01"])
}

/// Whether PostgreSQL answered the error with one of the SQLSTATEs.
fn sqlstate_in(error: &sqlx::Error, codes: &[&str]) -> bool {
    let sqlx::Error::Database(db) = error else {
        return false;
    };
    db.code().is_some_and(|code| codes.contains(&code.as_ref()))
}

fn span_stored(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = error else {
        return false;
    };
    let table = db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.table());
    db.code().as_deref() == Some("23505") && table.is_some_and(|t| t.starts_with("spans"))
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

/// Sends the plain rows and the rows of `spans` in one `COPY` per table (spans as `spans`
/// says), stores the deduplicated rows, updates the exception groups and rollups, and sends
/// the live tail's notice of the rows ([`tail`]), all in one transaction (each step locks
/// shared rows in key order, so that concurrent writers cannot deadlock).
async fn copy_rows(
    pool: &PgPool,
    batches: &[&EncodedBatch],
    spans: SpanLoad,
    timeout: Duration,
) -> Result<Stored, Failure> {
    let mut connection = pool.acquire().await.map_err(Failure::Connect)?;
    let rollups = Rollups::merged(batches.iter().map(|b| &b.rollups));
    let deduplicated = Group::merged(batches.iter().map(|b| &b.dedup));
    // A whole number of milliseconds, from the configuration: no input reaches this statement.
    let begin = format!(
        "BEGIN; SET LOCAL statement_timeout = {}",
        timeout.as_millis()
    );
    let mut transaction = connection.begin_with(AssertSqlSafe(begin)).await?;
    if batches.iter().any(|b| !b.data.is_empty()) {
        let rows = batches.iter().map(|b| b.data.as_slice());
        copy(&mut transaction, COPY_STATEMENT, rows).await?;
    }
    // The spans stored when some were skipped; None: all of them.
    let mut stored = None;
    if batches.iter().any(|b| !b.spans.data.is_empty()) {
        let rows = batches.iter().map(|b| b.spans.data.as_slice());
        stored = match spans {
            SpanLoad::Copy => {
                copy(&mut transaction, SPANS_COPY_STATEMENT, rows).await?;
                None
            }
            SpanLoad::Merge => Some(span_load::merge(&mut transaction, rows).await?),
        };
    }
    // The exceptions of the records, and of the spans stored (not of those stored before).
    let skipped_spans = span_load::skipped(batches, stored.as_ref());
    let spans_exceptions = span_load::stored_exceptions(batches, &skipped_spans);
    let records_exceptions = batches.iter().map(|b| &b.exceptions);
    let exceptions = ExceptionCounts::merged(records_exceptions.chain(spans_exceptions));
    let mut merged = 0;
    if !deduplicated.is_empty() {
        merged = dedup::store(&mut transaction, &deduplicated).await?;
    }
    if !exceptions.is_empty() {
        exceptions::upsert(&mut transaction, &exceptions).await?;
    }
    rollups::upsert(&mut transaction, &rollups).await?;
    if let Some(times) = TimeRange::union(batches.iter().filter_map(|b| b.times)) {
        tail::notify(&mut transaction, times).await?;
    }
    transaction.commit().await?;
    Ok(Stored {
        merged,
        skipped_spans,
    })
}

/// Sends the rows of every batch through one `COPY` statement.
pub(super) async fn copy<'a>(
    connection: &mut PgConnection,
    statement: &str,
    rows: impl Iterator<Item = &'a [u8]>,
) -> sqlx::Result<()> {
    let mut copy = connection.copy_in_raw(statement).await?;
    for data in rows.filter(|data| !data.is_empty()) {
        if let Err(error) = copy.send(data).await {
            let _ = copy.abort("send failed").await;
            return Err(error);
        }
    }
    copy.finish().await?;
    Ok(())
}

/// Connection trouble makes the store unavailable until the health check sees the database
/// again; a refusal of the data itself is final (500); anything else (timeouts, repeated deadlocks, a
/// transaction left aborted by a cancelled commit) answers 503 as a commit timeout does, so that
/// clients retry.
fn classify(context: &Context, failure: Failure) -> StoreError {
    let (connecting, error) = match failure {
        Failure::Connect(error) => (true, error),
        Failure::Statement(error) => (false, error),
    };
    let text = chain(&error);
    let occurrence = |what: &str| context.repeats.occur(&format!("{what}: {text}"));
    if connecting || super::health::is_connection_error(&error) {
        let occurred = occurrence("unavailable");
        if occurred != Occurrence::Suppressed {
            tracing::warn!(error = %text, "database unavailable{}", occurred.suffix());
        }
        context.health.set_unavailable();
        StoreError::Unavailable
    } else if super::health::is_data_refusal(&error) {
        let occurred = occurrence("refused");
        if occurred != Occurrence::Suppressed {
            tracing::error!(error = %text, "database refused a batch{}", occurred.suffix());
        }
        StoreError::Refused(error.to_string())
    } else {
        let occurred = occurrence("unwell");
        if occurred != Occurrence::Suppressed {
            let suffix = occurred.suffix();
            tracing::warn!(error = %text, "database too slow or unwell: batch not committed{suffix}");
        }
        StoreError::Unavailable
    }
}
