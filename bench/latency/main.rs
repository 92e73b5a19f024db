//! Latency benchmark: the release bridge as its own process on a fresh database; small OTLP/HTTP
//! requests and `GET /healthz` are timed at a steady pace, first with nothing else running, then
//! while one large OTLP request (100,000 records) is kept in flight, sent again as soon as it is
//! answered. Reports p50/p99 of both, idle and loaded. See bench/README.md.

#[path = "../overload/bridge.rs"]
#[allow(
    dead_code,
    reason = "the overload benchmark's bridge; this one uses part of it"
)]
mod bridge;
#[path = "../ingest/database.rs"]
#[allow(
    dead_code,
    reason = "the ingest benchmark's database; this one uses part of it"
)]
mod database;
mod probes;
#[path = "../release_binary.rs"]
mod release_binary;
#[path = "../workload.rs"]
mod workload;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use prost::Message as _;

use database::BenchDatabase;
use probes::{Latencies, Pace};

#[derive(Debug, Parser)]
#[command(about = "Latency of small requests and /healthz while a large request is in flight")]
pub struct Args {
    /// The `logbridge` binary to run (another commit's build); default: this tree's release.
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Records of the large request.
    #[arg(long, default_value_t = 100_000)]
    big_records: usize,
    /// Large requests kept in flight at once.
    #[arg(long, default_value_t = 1)]
    large_in_flight: usize,
    /// Records of each small request.
    #[arg(long, default_value_t = 5)]
    small_records: usize,
    /// Seconds of probes with nothing else running.
    #[arg(long, default_value_t = 10)]
    idle_seconds: u64,
    /// Seconds of probes while the large request is kept in flight.
    #[arg(long, default_value_t = 30)]
    loaded_seconds: u64,
    /// Milliseconds between two probes of each kind.
    #[arg(long, default_value_t = 50)]
    interval_ms: u64,
    /// Bridge settings, `LOGBRIDGE_...=VALUE`, repeatable, on top of the large-body limits.
    #[arg(long = "set")]
    settings: Vec<String>,
    /// Seed of the generated records.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Limits raised so that the large request is taken whole, by the binaries before and after.
const LARGE_BODY_SETTINGS: [(&str, &str); 4] = [
    ("LOGBRIDGE_INGEST__MAX_BODY_BYTES", "536870912"),
    ("LOGBRIDGE_INGEST__MAX_ATTRIBUTES_PER_REQUEST", "100000000"),
    ("LOGBRIDGE_INGEST__QUEUE_MAX_RECORDS", "1000000"),
    ("LOGBRIDGE_INGEST__QUEUE_MAX_BYTES", "1073741824"),
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = BenchDatabase::create().await?;
    let result = run(&args, &db).await;
    db.drop().await?;
    result
}

async fn run(args: &Args, db: &BenchDatabase) -> anyhow::Result<()> {
    let mut settings: Vec<(String, String)> = (LARGE_BODY_SETTINGS.iter())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for setting in &args.settings {
        let (k, v) =
            (setting.split_once('=')).ok_or_else(|| anyhow::anyhow!("--set takes NAME=VALUE"))?;
        settings.push((k.to_string(), v.to_string()));
    }
    let binary = match &args.binary {
        Some(binary) => binary.clone(),
        None => release_binary::build("latency").await?,
    };
    let url = db.config().database.url.expose().to_string();
    let bridge = bridge::Bridge::start(&binary, "latency", &url, &settings).await?;
    let base = bridge.probe.base.clone();
    let pace = Pace {
        small: small_bodies(args)?,
        interval: Duration::from_millis(args.interval_ms),
        base: base.clone(),
    };
    let idle = probes::run(&pace, Duration::from_secs(args.idle_seconds)).await;
    let big = big_body(args)?;
    println!(
        "large request: {} records, {} bytes",
        args.big_records,
        big.len()
    );
    let (loaded, large) =
        probes::under_load(&pace, big, args.loaded_seconds, args.large_in_flight).await?;
    print(&idle, &loaded, &large);
    bridge.kill().await
}

/// Small OTLP/protobuf bodies, sent in turn.
fn small_bodies(args: &Args) -> anyhow::Result<Vec<bytes::Bytes>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let seeds = (0..64).map(|i| args.seed + 1 + i);
    let requests = seeds.map(|seed| workload::single_request(args.small_records, seed, now));
    Ok(requests.map(|r| r.encode_to_vec().into()).collect())
}

fn big_body(args: &Args) -> anyhow::Result<bytes::Bytes> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let request = workload::single_request(args.big_records, args.seed, now);
    Ok(request.encode_to_vec().into())
}

fn print(idle: &Latencies, loaded: &Latencies, large: &probes::Large) {
    println!("| phase | small p50 | small p99 | healthz p50 | healthz p99 | probes (failed) |");
    println!("|---|---|---|---|---|---|");
    for (phase, l) in [("idle", idle), ("large request in flight", loaded)] {
        let (s, h) = (&l.small, &l.healthz);
        println!(
            "| {phase} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {} + {} ({}) |",
            probes::percentile(s, 0.50),
            probes::percentile(s, 0.99),
            probes::percentile(h, 0.50),
            probes::percentile(h, 0.99),
            s.len(),
            h.len(),
            l.failed,
        );
    }
    let mean = large.seconds.iter().sum::<f64>() / large.seconds.len().max(1) as f64;
    println!(
        "large requests answered: {} ({} not 200), {mean:.2} s each on average",
        large.seconds.len(),
        large.failed
    );
}
