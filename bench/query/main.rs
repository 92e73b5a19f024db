//! Read-side benchmark: loads `--rows` realistic rows over the last `--days` days into a bench
//! database (once; reruns reuse them), starts the `logbridge` binary on it, and times the read
//! API over HTTP: trace lookup, filtered lists, full text, substring, stats and a large export.
//! See bench/README.md.

mod bridge;
mod load;
mod queries;
#[path = "../release_binary.rs"]
mod release_binary;
mod report;
#[path = "../schema.rs"]
mod schema;
mod span_load;
#[path = "../span_workload.rs"]
#[allow(
    dead_code,
    reason = "the span workload of the pipeline and ingest benchmarks; this one uses part of it"
)]
mod span_workload;
#[path = "../workload.rs"]
mod workload;

/// The same allocator as the `logbridge` binary, for the load's pipeline and encoding.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use logbridge::auth::Role;
use logbridge::query::{NewToken, create_token};

#[derive(Debug, Parser)]
#[command(about = "Read API latency on a large, realistic logs table")]
pub struct Args {
    /// Rows to load; an existing load of exactly this many rows is reused.
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Spans to load into `spans` (0: none, and no span reads timed); an existing load of
    /// exactly this many is reused.
    #[arg(long, default_value_t = 10_000_000)]
    spans: u64,
    /// Days the rows (and spans) are spread over, uniformly, ending now.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// Timed runs of each query, after 2 warm-ups.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// The bench database (created if missing, left in place at the end).
    #[arg(long, default_value = "logbridge_bench_query")]
    database: String,
    /// Load again even if the database already holds `--rows` rows.
    #[arg(long)]
    reload: bool,
    /// Seed of the generated records.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Rows the export should return, about: the time range is chosen to hold this many.
    #[arg(long, default_value_t = 1_000_000)]
    export_rows: u64,
    /// Reads with `storage.substring_index` on: the trigram index is built over the loaded
    /// rows first (its time and size printed). Without it, a bridge drops the index.
    #[arg(long)]
    substring_index: bool,
}

impl Args {
    fn database_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.database)
    }

    /// The database as the read-only role of Grafana's PostgreSQL data source.
    fn grafana_url(&self) -> String {
        format!(
            "postgres://logbridge_grafana@127.0.0.1:5432/{}",
            self.database
        )
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pool = load::prepare(&args).await?;
    if args.spans > 0 {
        span_load::prepare(&args, &pool).await?;
    }
    if args.substring_index {
        load::substring_index(&pool).await?;
    }
    let grafana = sqlx::PgPool::connect(&args.grafana_url()).await?;
    let data = load::Data::describe(&pool).await?;
    let machine = report::Machine::describe(&pool).await?;
    let new = NewToken {
        role: Role::Admin,
        services: None,
        origins: None,
        name: Some("bench".into()),
    };
    let token = create_token(&pool, &new)
        .await
        .map_err(|error| anyhow::anyhow!("creating a token: {}", error.message))?
        .token;
    let bridge = bridge::Bridge::start(&args.database_url(), args.substring_index).await?;
    let outcome = queries::run(&args, &pool, &grafana, &bridge, &token, &data).await;
    bridge.stop().await?;
    let (timings, export) = outcome?;
    report::print(&machine, &data, &timings, &export);
    Ok(())
}
