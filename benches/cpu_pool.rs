//! What handing a request's CPU work off the async workers costs, per hop: tokio's blocking
//! threads behind a semaphore of one permit per core, against a dedicated pool of as many threads
//! fed by a channel (the bridge's [`CpuPool`]), and no hop at all; with an empty job and with a
//! 500-record `prepare`. See bench/README.md.

#[path = "../bench/workload.rs"]
mod workload;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use logbridge::config::Config;
use logbridge::ingest::cpu::CpuPool;
use logbridge::ingest::prepare::Preparer;
use logbridge::metrics::Metrics;
use logbridge::model::LogRecord;
use logbridge::pipeline::{Pipeline, limits::Limits};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The alternative: tokio's blocking threads, at most `permits` jobs at once.
struct Blocking {
    permits: Arc<Semaphore>,
}

impl Blocking {
    fn new(permits: usize) -> Blocking {
        let permits = Arc::new(Semaphore::new(permits));
        Blocking { permits }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let permit = Arc::clone(&self.permits).acquire_owned().await;
        let permit = permit.expect("never closed");
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        });
        job.await.expect("the job ran")
    }
}

fn records() -> Vec<LogRecord> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let request = workload::single_request(500, 42, now.as_nanos() as u64);
    logbridge::ingest::otlp::convert(request, Utc::now()).records
}

fn hops(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runtime = Runtime::new().expect("a runtime");
    let (blocking, pool) = (Blocking::new(cores), CpuPool::new(cores));
    let config = Config::default();
    let pipeline = Arc::new(Pipeline::from_config(&config).expect("the default pipeline"));
    let metrics = Arc::new(Metrics::new(&config.metrics));
    let preparer = Preparer::new(Limits::from_config(&config), pipeline, metrics);
    let records = records();

    let mut group = c.benchmark_group("cpu_pool");
    group.bench_function("empty/inline", |b| {
        b.iter(|| runtime.block_on(async { std::hint::black_box(1) }))
    });
    group.bench_function("empty/spawn_blocking_semaphore", |b| {
        b.iter(|| runtime.block_on(blocking.run(|| 1)))
    });
    group.bench_function("empty/dedicated_threads", |b| {
        b.iter(|| runtime.block_on(pool.run(|| Ok(1))).unwrap())
    });
    group.bench_function("prepare_500/inline", |b| {
        b.iter(|| runtime.block_on(async { preparer.prepare(records.clone()).tallies }))
    });
    group.bench_function("prepare_500/spawn_blocking_semaphore", |b| {
        b.iter(|| {
            let (preparer, records) = (preparer.clone(), records.clone());
            runtime.block_on(blocking.run(move || preparer.prepare(records).tallies))
        })
    });
    group.bench_function("prepare_500/dedicated_threads", |b| {
        b.iter(|| {
            let (preparer, records) = (preparer.clone(), records.clone());
            runtime.block_on(pool.run(move || Ok(preparer.prepare(records).tallies)))
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = hops
}
criterion_main!(benches);
