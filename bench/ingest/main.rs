//! Ingest benchmark: committed rows/s of the running bridge against raw `COPY` of the same rows
//! into the same table, on a fresh database; or, with `--copy-only`, what each index of `logs`
//! costs at ingest. See bench/README.md.

mod bridge;
mod copy;
mod cpu;
mod database;
mod indexes;
mod report;
mod requests;
#[path = "../schema.rs"]
#[allow(
    dead_code,
    reason = "shared with the query benchmark, which also reads the span indexes"
)]
mod schema;
#[path = "../span_workload.rs"]
mod span_workload;
#[path = "../workload.rs"]
mod workload;

/// The same allocator as the `logbridge` binary, so the bridge runs as it does in production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, ValueEnum};

use database::BenchDatabase;
use report::{Phase, PhaseResult, RunReport};
use requests::Requests;

/// What the records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Signal {
    /// Log records, into table `logs`.
    Logs,
    /// Spans (traces of five spans of an instrumented web service), into table `spans`; sent
    /// as OTLP only (`--protocol otlp` or `grpc`).
    Traces,
}

/// How the bridge is fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// OTLP/HTTP protobuf to /v1/logs.
    Otlp,
    /// NDJSON to /api/v1/logs.
    Json,
    /// OTLP/gRPC `LogsService/Export`.
    Grpc,
    /// Loki push (snappy protobuf, JSON lines) to /loki/api/v1/push.
    Loki,
    /// Elasticsearch bulk NDJSON (`create` actions, nested ECS documents) to /es/_bulk.
    Es,
}

#[derive(Debug, Parser)]
#[command(about = "Bridge ingest rate against raw COPY of the same rows")]
pub struct Args {
    /// Log records or spans.
    #[arg(long, value_enum, default_value_t = Signal::Logs)]
    signal: Signal,
    /// Records (or spans) per run (per phase).
    #[arg(long, default_value_t = 200_000)]
    records: usize,
    /// Concurrent clients pushing to the bridge.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Runs; the order of the two phases alternates between runs.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Wire format used to feed the bridge.
    #[arg(long, value_enum, default_value_t = Protocol::Otlp)]
    protocol: Protocol,
    /// Bridge writer connections (`ingest.writers`); also the connections of the COPY phase.
    #[arg(long, default_value_t = 2)]
    writers: usize,
    /// Request batches per COPY (one transaction) in the COPY phase; 1 is one COPY per request.
    #[arg(long, default_value_t = 1)]
    copy_group: usize,
    /// Deduplication on in the bridge (`dedup.enabled`, default window, no attributes); rates
    /// then count records (the sum of `dedup_count`), not rows.
    #[arg(long)]
    dedup: bool,
    /// Redaction off in the bridge (`redaction.enabled: false`), to measure what it costs at
    /// ingest against a run with the defaults.
    #[arg(long)]
    no_redaction: bool,
    /// Sampling ratio of the bridge (`policy.sampling.default_ratio`, 0 to 1); below 1 each
    /// bridge phase also prints the records received per second beside the rows stored.
    #[arg(long, default_value_t = 1.0)]
    sample_ratio: f64,
    /// Seed of the generated records.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// `storage.substring_index` on: the bridge and the COPY phase write into `logs` with the
    /// trigram index too.
    #[arg(long)]
    substring_index: bool,
    /// Only raw COPY, once per index set in `--indexes`, to measure what each index costs.
    #[arg(long)]
    copy_only: bool,
    /// Index sets for `--copy-only` (comma-separated): none, ts, service_ts, trace, text,
    /// fingerprint, errors (migration 0015), base (the three of migration 0002), all (every
    /// index of the migrations); also trigram (`storage.substring_index`'s pg_trgm index) and
    /// all-trigram (all of them with it).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "none,ts,service_ts,trace,text,fingerprint,errors,base,all"
    )]
    indexes: Vec<indexes::IndexSet>,
}

impl Signal {
    /// The records stored in the signal's table.
    async fn stored(self, db: &BenchDatabase) -> anyhow::Result<i64> {
        match self {
            Signal::Logs => db.count().await,
            Signal::Traces => db.count_spans().await,
        }
    }
}

impl Args {
    /// The COPY phase: as many connections as the bridge has writers, `group` batches per COPY.
    fn copy_plan(&self, group: copy::Grouping) -> copy::Plan {
        copy::Plan {
            connections: self.writers,
            group,
            signal: self.signal,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let requests = Requests::generate(args.signal, args.records, args.seed, now);
    let batches = copy::prepare(&requests);
    report::workload(&requests, &batches);
    let db = BenchDatabase::create().await?;
    let name = sqlx::query_scalar::<_, String>("SELECT current_database()::text");
    if let Ok(name) = name.fetch_one(&db.pool).await {
        cpu::count_database(&name);
    }
    let result = if args.copy_only && args.signal == Signal::Traces {
        Err(anyhow::anyhow!(
            "--copy-only measures the indexes of `logs` only"
        ))
    } else if args.copy_only {
        indexes::run(&args, &db, &batches).await
    } else {
        compare(&args, &db, &requests, &batches).await
    };
    db.drop().await?;
    result
}

/// Runs the bridge phase and the two COPY phases `args.runs` times, rotating their order: COPY
/// at the bridge's own rows per commit (measured in the same run when the bridge went first,
/// else in the run before), and COPY at `--copy-group` request batches per COPY.
async fn compare(
    args: &Args,
    db: &BenchDatabase,
    requests: &Requests,
    batches: &Arc<Vec<copy::Batch>>,
) -> anyhow::Result<()> {
    let bridge = bridge::Bridge::start(args, db, requests).await?;
    let fixed = args.copy_plan(copy::Grouping::Batches(args.copy_group));
    println!(
        "bridge: {:?} {:?} via {} clients, {} writers, dedup {}, redaction {}, sampling ratio {}; COPY: {} connections, \
         as many rows per COPY as the bridge commits at once, and {} request batch(es) per COPY",
        args.signal,
        args.protocol,
        args.clients,
        args.writers,
        if args.dedup { "on" } else { "off" },
        if args.no_redaction { "off" } else { "on" },
        args.sample_ratio,
        fixed.connections,
        args.copy_group
    );
    bridge.warm_up().await?;
    db.reset().await?; // the same spans again would break `spans`' unique index
    copy::run(db, batches, batches.len().min(20), fixed).await?;
    let mut reports: Vec<RunReport> = Vec::new();
    for run in 0..args.runs {
        let order = Phase::order(run);
        let mut report = RunReport::default();
        for phase in order {
            db.reset().await?;
            match phase {
                Phase::Bridge => report.bridge = Some(bridge.run(db).await?),
                Phase::CopyMatched => {
                    let measured = report
                        .bridge
                        .as_ref()
                        .or(reports.last().and_then(|r| r.bridge.as_ref()));
                    let rows = measured.map_or(f64::NAN, PhaseResult::rows_per_commit);
                    let group = match rows.is_finite() {
                        true => copy::Grouping::Rows(rows),
                        false => copy::Grouping::Batches(args.copy_group),
                    };
                    let plan = args.copy_plan(group);
                    report.matched = Some(copy::run(db, batches, batches.len(), plan).await?)
                }
                Phase::CopyFixed => {
                    report.fixed = Some(copy::run(db, batches, batches.len(), fixed).await?)
                }
            }
        }
        report.print(run + 1, order, args.copy_group);
        reports.push(report);
    }
    report::medians(&reports, args.copy_group);
    bridge.stop().await
}
