//! The raw COPY phase: the same rows the bridge writes (its own pipeline and `copy::encode` or
//! `copy::encode_spans`), one `COPY` per group of consecutive request batches (a fixed number of
//! them, or as many as make up the bridge's own rows per commit), spread over a few connections,
//! into the same table (`logs` or `spans`).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::Utc;
use logbridge::config::Config;
use logbridge::ingest::otlp;
use logbridge::pipeline::{Pipeline, limits::Limits};
use logbridge::store::copy::{self, COPY_STATEMENT, EncodedBatch, SPANS_COPY_STATEMENT};

use crate::Signal;
use crate::cpu::Cpu;
use crate::database::BenchDatabase;
use crate::report::PhaseResult;
use crate::requests::Requests;

/// One request's rows, encoded as the bridge encodes them.
pub type Batch = EncodedBatch;

/// Runs every request through what the bridge runs before its store: convert, limits, pipeline,
/// encode.
pub fn prepare(requests: &Requests) -> Arc<Vec<Batch>> {
    let config = Config::default();
    let limits = Limits::from_config(&config);
    let pipeline = Pipeline::from_config(&config).expect("the default pipeline");
    let batches = match requests {
        Requests::Logs(requests) => (requests.iter())
            .map(|request| {
                let mut records = otlp::convert(request.clone(), Utc::now()).records;
                let mut redactions = pipeline.redactions();
                for record in &mut records {
                    limits.bound(record);
                    pipeline.process(record, &mut redactions);
                }
                copy::encode(&records)
            })
            .collect(),
        Requests::Traces(requests) => (requests.iter())
            .map(|request| {
                let mut spans = otlp::traces::convert(request.clone()).spans;
                let mut redactions = pipeline.redactions();
                for span in &mut spans {
                    limits.bound_span(span, Utc::now());
                    pipeline.process_span(span, &mut redactions);
                }
                copy::encode_spans(&spans)
            })
            .collect(),
    };
    Arc::new(batches)
}

/// The `COPY` statement of the signal's table and a batch's rows for it.
fn rows_of(signal: Signal) -> (&'static str, fn(&Batch) -> &[u8]) {
    match signal {
        Signal::Logs => (COPY_STATEMENT, |batch| batch.data.as_slice()),
        Signal::Traces => (SPANS_COPY_STATEMENT, |batch| batch.spans.data.as_slice()),
    }
}

/// How the COPY phase sends its batches.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Connections sending COPYs concurrently.
    pub connections: usize,
    /// How many consecutive request batches go in one COPY (one transaction).
    pub group: Grouping,
    /// The table the rows go to.
    pub signal: Signal,
}

/// How many consecutive request batches one COPY sends.
#[derive(Debug, Clone, Copy)]
pub enum Grouping {
    /// This many batches (`--copy-group`).
    Batches(usize),
    /// As many batches as come nearest to this many rows: the bridge's rows per commit.
    Rows(f64),
}

/// The batches of each COPY among the first `count`: consecutive, in order.
fn groups(batches: &[Batch], count: usize, grouping: Grouping) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    let mut rows = 0.0;
    for (i, batch) in batches[..count].iter().enumerate() {
        let full = match grouping {
            Grouping::Batches(n) => i - start >= n.max(1),
            // Closed before this batch when adding it would overshoot more than stopping short.
            Grouping::Rows(target) => {
                i > start && rows + batch.records as f64 - target > target - rows
            }
        };
        if full {
            groups.push(start..i);
            (start, rows) = (i, 0.0);
        }
        rows += batch.records as f64;
    }
    if start < count {
        groups.push(start..count);
    }
    groups
}

/// COPYs the first `count` batches as `plan` says; `db` must be empty.
pub async fn run(
    db: &BenchDatabase,
    batches: &Arc<Vec<Batch>>,
    count: usize,
    plan: Plan,
) -> anyhow::Result<PhaseResult> {
    let count = count.min(batches.len());
    let groups = Arc::new(groups(batches, count, plan.group));
    let connections = plan.connections;
    let (statement, rows) = rows_of(plan.signal);
    let mut held = Vec::with_capacity(connections);
    for _ in 0..connections {
        held.push(db.pool.acquire().await?);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = Cpu::now();
    let started = Instant::now();
    let tasks: Vec<_> = held
        .into_iter()
        .map(|mut connection| {
            let (batches, groups, next) = (batches.clone(), groups.clone(), next.clone());
            tokio::spawn(async move {
                let mut busy = 0.0;
                loop {
                    let Some(group) = groups.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        return anyhow::Ok(busy);
                    };
                    let copy_started = Instant::now();
                    let mut copy = connection.copy_in_raw(statement).await?;
                    for batch in &batches[group.clone()] {
                        copy.send(rows(batch)).await?;
                    }
                    copy.finish().await?;
                    busy += copy_started.elapsed().as_secs_f64();
                }
            })
        })
        .collect();
    let mut busy = 0.0;
    for task in tasks {
        busy += task.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = Cpu::now().since(cpu);
    let commits = groups.len() as f64;
    Ok(PhaseResult {
        rows: plan.signal.stored(db).await?,
        seconds,
        latencies_ms: Vec::new(),
        commits: Some(commits),
        commit_ms: Some(busy / commits * 1000.0),
        cpu,
    })
}
