//! Overload benchmark: the release bridge as its own process on a fresh database, pushed at a
//! multiple of its sustainable rate by an open loop, while a lock on `logs` stalls the database
//! for a while; reports peak memory, the answers (2xx / 429 / 503, with `Retry-After`), recovery
//! time and acknowledged against stored rows. First, on the fresh process, a "slow clients"
//! phase: a thousand connections that never finish their request. Then (`--huge-rows N`) the
//! "huge rows" phase: peak memory while pages and exports read rows of 2 MiB. See
//! bench/README.md.

mod bridge;
#[path = "../ingest/database.rs"]
#[allow(
    dead_code,
    reason = "the ingest benchmark's database; this one uses part of it"
)]
mod database;
mod huge_rows;
mod load;
#[path = "../release_binary.rs"]
mod release_binary;
mod report;
mod slow_clients;
#[path = "../workload.rs"]
mod workload;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use prost::Message as _;

use database::BenchDatabase;
use load::Bodies;
use report::{Sample, Timeline};

#[derive(Debug, Parser)]
#[command(about = "The bridge under twice its sustainable rate while the database stalls")]
pub struct Args {
    /// Seconds the lock on `logs` is held.
    #[arg(long, default_value_t = 60)]
    stall_seconds: u64,
    /// The open loop's rate as a multiple of the sustainable rate.
    #[arg(long, default_value_t = 2.0)]
    rate_factor: f64,
    /// The sustainable rate in records/s; when absent, measured first (8 clients waiting for
    /// each ack, 10 s).
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds of open-loop load before the stall.
    #[arg(long, default_value_t = 15)]
    warm_up_seconds: u64,
    /// Seconds of open-loop load after the stall.
    #[arg(long, default_value_t = 30)]
    recovery_seconds: u64,
    /// Requests waiting for an answer at most; beyond it the open loop skips (and counts) sends.
    #[arg(long, default_value_t = 4000)]
    max_in_flight: usize,
    /// A request without an answer after this many seconds counts as an error.
    #[arg(long, default_value_t = 120)]
    request_timeout_seconds: u64,
    /// Bridge settings, `LOGBRIDGE_...=VALUE`, repeatable (default: none, the defaults).
    #[arg(long = "set")]
    settings: Vec<String>,
    /// Seed of the generated records.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Rows of the "huge rows" phase (1 MiB body and 1 MiB attribute each); 0: no such phase.
    #[arg(long, default_value_t = 0)]
    huge_rows: i64,
    /// Only the "huge rows" phase, not the overload before it.
    #[arg(long)]
    huge_rows_only: bool,
    /// Slow clients of the first phase: connections sending half their headers (0 skips the
    /// phase); a tenth more send 4 MiB of a declared 16 MB body and stall.
    #[arg(long, default_value_t = 900)]
    slow_clients: usize,
    /// Runs the slow clients phase only.
    #[arg(long)]
    slow_clients_only: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = BenchDatabase::create().await?;
    let result = run(&args, &db).await;
    db.drop().await?;
    result
}

async fn run(args: &Args, db: &BenchDatabase) -> anyhow::Result<()> {
    let settings = args
        .settings
        .iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| anyhow::anyhow!("--set takes NAME=VALUE"))?;
    let url = db.config().database.url.expose().to_string();
    let binary = release_binary::build("overload").await?;
    let bridge = bridge::Bridge::start(&binary, "overload", &url, &settings).await?;
    if args.slow_clients > 0 && !args.huge_rows_only {
        let spec = slow_clients::Spec {
            half_sent: args.slow_clients,
            stalled_bodies: args.slow_clients.div_ceil(9),
            sent_bytes: 4 * 1024 * 1024,
        };
        slow_clients::run(&bridge.probe, &spec).await?;
    }
    if args.slow_clients_only {
        return bridge.kill().await;
    }
    if args.huge_rows_only {
        huge_rows::run(&huge_rows_spec(args), db, &bridge.probe).await?;
        return bridge.kill().await;
    }
    let bodies = Arc::new(bodies(&bridge.probe.base, args.seed)?);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.request_timeout_seconds))
        .build()?;
    let rate = match args.rate {
        Some(rate) => rate,
        None => load::closed_loop(&http, &bodies, 8, Duration::from_secs(10)).await?,
    };
    let records_per_request =
        bodies.bodies.iter().map(|b| b.1).sum::<usize>() as f64 / bodies.bodies.len() as f64;
    let requests_per_second = rate * args.rate_factor / records_per_request;
    println!(
        "sustainable {rate:.0} records/s ({}); open loop at {:.1}x: {requests_per_second:.1} \
         requests/s of {records_per_request:.0} records",
        if args.rate.is_some() {
            "given"
        } else {
            "measured"
        },
        args.rate_factor
    );
    let rows_before = db.count().await?;
    let (outcomes, skipped, timeline, samples) =
        overload(args, db, &bridge, &http, &bodies, requests_per_second).await?;
    let drained = report::time_to_drain(&bridge.probe).await?;
    let stored = db.count().await? - rows_before;
    let peak = bridge.probe.memory_mib("VmHWM").unwrap_or(f64::NAN);
    report::print(&report::Report {
        rate,
        requests_per_second,
        outcomes: &outcomes,
        skipped,
        timeline,
        samples: &samples,
        peak_rss_mib: peak,
        stored: stored as usize,
        drained,
    });
    if args.huge_rows > 0 {
        huge_rows::run(&huge_rows_spec(args), db, &bridge.probe).await?;
    }
    bridge.kill().await
}

/// The "huge rows" phase of the arguments: 8 readers, 2 rounds.
fn huge_rows_spec(args: &Args) -> huge_rows::HugeRows {
    huge_rows::HugeRows {
        rows: args.huge_rows.max(1),
        readers: 8,
        rounds: 2,
    }
}

type Overload = (Vec<load::Outcome>, usize, Timeline, Vec<Sample>);

/// Warm-up, stall (the lock held), recovery, all under the open loop.
async fn overload(
    args: &Args,
    db: &BenchDatabase,
    bridge: &bridge::Bridge,
    http: &reqwest::Client,
    bodies: &Arc<Bodies>,
    requests_per_second: f64,
) -> anyhow::Result<Overload> {
    let started = Instant::now();
    let total = args.warm_up_seconds + args.stall_seconds + args.recovery_seconds;
    let sender = {
        let (http, bodies, cap) = (http.clone(), bodies.clone(), args.max_in_flight);
        let until = Duration::from_secs(total);
        tokio::spawn(async move {
            load::open_loop(&http, &bodies, requests_per_second, started, until, cap).await
        })
    };
    let sampling = report::sample(&bridge.probe, started, Duration::from_secs(total));
    tokio::time::sleep(Duration::from_secs(args.warm_up_seconds)).await;
    let mut lock = db.pool.begin().await?;
    sqlx::query("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await?;
    let locked = started.elapsed().as_secs_f64();
    println!(
        "lock on logs taken at {locked:.1} s, held {} s",
        args.stall_seconds
    );
    tokio::time::sleep(Duration::from_secs(args.stall_seconds)).await;
    lock.rollback().await?;
    let released = started.elapsed().as_secs_f64();
    println!("released at {released:.1} s");
    let samples = sampling.await?;
    let (outcomes, skipped) = sender.await?;
    let timeline = Timeline {
        locked,
        released,
        load_end: total as f64,
        answered: started.elapsed().as_secs_f64(),
    };
    Ok((outcomes, skipped, timeline, samples))
}

/// The workload's requests as OTLP/HTTP protobuf bodies (about 60,000 records, sent in turn).
fn bodies(base: &str, seed: u64) -> anyhow::Result<Bodies> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let requests = workload::requests(60_000, seed, now);
    let bodies = requests
        .iter()
        .map(|r| (r.encode_to_vec().into(), workload::record_count(r)))
        .collect();
    Ok(Bodies {
        url: format!("{base}/v1/logs"),
        bodies,
    })
}
