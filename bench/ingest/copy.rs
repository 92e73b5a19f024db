//! The raw COPY phase: the same rows the bridge writes (its own pipeline and `copy::encode`),
//! one `COPY` per request batch (or per `group` of them), spread over a few connections, into the
//! same `logs` table.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::Utc;
use logbridge::config::Config;
use logbridge::ingest::otlp;
use logbridge::pipeline::{Pipeline, limits::Limits};
use logbridge::store::copy::{self, COPY_STATEMENT, EncodedBatch};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

use crate::cpu::Cpu;
use crate::database::BenchDatabase;
use crate::report::PhaseResult;

/// One request's rows, encoded as the bridge encodes them.
pub type Batch = EncodedBatch;

/// Runs every request through what the bridge runs before its store: convert, limits, pipeline,
/// encode.
pub fn prepare(requests: &[ExportLogsServiceRequest]) -> Arc<Vec<Batch>> {
    let config = Config::default();
    let limits = Limits::from_config(&config);
    let pipeline = Pipeline::from_config(&config).expect("the default pipeline");
    let batches = requests
        .iter()
        .map(|request| {
            let mut records = otlp::convert(request.clone(), Utc::now()).records;
            let mut redactions = pipeline.redactions();
            for record in &mut records {
                limits.bound(record);
                pipeline.process(record, &mut redactions);
            }
            copy::encode(&records)
        })
        .collect();
    Arc::new(batches)
}

/// How the COPY phase sends its batches.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Connections sending COPYs concurrently.
    pub connections: usize,
    /// Consecutive request batches sent in one COPY (one transaction).
    pub group: usize,
}

/// COPYs the first `count` batches as `plan` says; `db` must be empty.
pub async fn run(
    db: &BenchDatabase,
    batches: &Arc<Vec<Batch>>,
    count: usize,
    plan: Plan,
) -> anyhow::Result<PhaseResult> {
    let count = count.min(batches.len());
    let group = plan.group.max(1);
    let connections = plan.connections;
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
            let (batches, next) = (batches.clone(), next.clone());
            tokio::spawn(async move {
                let mut busy = 0.0;
                loop {
                    let start = next.fetch_add(1, Ordering::Relaxed) * group;
                    if start >= count {
                        return anyhow::Ok(busy);
                    }
                    let copy_started = Instant::now();
                    let mut copy = connection.copy_in_raw(COPY_STATEMENT).await?;
                    for batch in &batches[start..(start + group).min(count)] {
                        copy.send(batch.data.as_slice()).await?;
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
    let commits = count.div_ceil(group) as f64;
    Ok(PhaseResult {
        rows: db.count().await?,
        seconds,
        latencies_ms: Vec::new(),
        commits: Some(commits),
        commit_ms: Some(busy / commits * 1000.0),
        cpu,
    })
}
