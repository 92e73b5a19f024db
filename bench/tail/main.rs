//! Live-tail benchmark: the release bridge as its own process on a fresh database.
//! 1. Delivery latency: JSON records sent at a steady rate (default 2,000/s: 20 every 10 ms)
//!    while one tail reads them; for each record, the time from its request being sent, and from
//!    its acknowledgement (its commit lies between the two), to its event on the tail: p50/p99.
//! 2. Ingest with tails: the same number of records sent as fast as `--clients` clients can,
//!    with no tail open and with `--tails` tails (each matching every record, read by its own
//!    task), alternating, in one run. See bench/README.md.

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
#[path = "../release_binary.rs"]
mod release_binary;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

use database::BenchDatabase;

#[derive(Debug, Parser)]
#[command(about = "Live tail: delivery latency at a steady rate, ingest with tails open")]
pub struct Args {
    /// The `logbridge` binary to run; default: this tree's release.
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Records per second of the latency phase.
    #[arg(long, default_value_t = 2000)]
    rate: usize,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Tails open in the "with tails" ingest phases.
    #[arg(long, default_value_t = 20)]
    tails: usize,
    /// Records of each ingest phase.
    #[arg(long, default_value_t = 100_000)]
    records: usize,
    /// Records per request of the ingest phases.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Concurrent clients of the ingest phases.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Ingest phase pairs (none, then with tails; the order alternates).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

const SERVICE: &str = "bench-tail";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = BenchDatabase::create().await?;
    let result = run(&args, &db).await;
    db.drop().await?;
    result
}

async fn run(args: &Args, db: &BenchDatabase) -> anyhow::Result<()> {
    let binary = match &args.binary {
        Some(binary) => binary.clone(),
        None => release_binary::build("tail").await?,
    };
    let url = db.config().database.url.expose().to_string();
    let bridge = bridge::Bridge::start(&binary, "tail", &url, &[]).await?;
    let base = bridge.probe.base.clone();
    let (sent, acked) = latency(args, db, &base).await?;
    println!(
        "| tail delivery at {} records/s | p50 | p99 | events |",
        args.rate
    );
    println!("|---|---|---|---|");
    for (from, l) in [("request sent → event", &sent), ("ack → event", &acked)] {
        println!(
            "| {from} | {:.1} ms | {:.1} ms | {} |",
            percentile(l, 0.50),
            percentile(l, 0.99),
            l.len()
        );
    }
    let mut rates: HashMap<usize, Vec<f64>> = HashMap::new();
    for run in 0..args.runs {
        let order = if run % 2 == 0 {
            [0, args.tails]
        } else {
            [args.tails, 0]
        };
        for tails in order {
            db.reset().await?;
            let rate = ingest_with_tails(args, db, &base, tails).await?;
            println!("run {run}: {tails} tails: {rate:.0} records/s");
            rates.entry(tails).or_default().push(rate);
        }
    }
    println!(
        "| tails open | ingest records/s (median of {} runs) | runs |",
        args.runs
    );
    println!("|---|---|---|");
    for tails in [0, args.tails] {
        let mut r = rates.remove(&tails).unwrap_or_default();
        r.sort_by(f64::total_cmp);
        let median = r.get(r.len() / 2).copied().unwrap_or(0.0);
        let all: Vec<String> = r.iter().map(|x| format!("{x:.0}")).collect();
        println!("| {tails} | {median:.0} | {} |", all.join(", "));
    }
    bridge.kill().await
}

/// A reader token of its own (a token holds at most four reads in flight).
async fn token(db: &BenchDatabase) -> anyhow::Result<String> {
    let new = logbridge::query::NewToken {
        role: logbridge::auth::Role::Reader,
        services: None,
        origins: None,
        name: Some("bench-tail".into()),
    };
    let created = logbridge::query::create_token(&db.pool, &new).await;
    let created = created.map_err(|e| anyhow::anyhow!("token not created: {}", e.message))?;
    Ok(created.token)
}

/// An open tail of the service's records.
async fn open_tail(db: &BenchDatabase, base: &str) -> anyhow::Result<reqwest::Response> {
    let response = reqwest::Client::new()
        .get(format!("{base}/api/v1/logs/tail?service={SERVICE}"))
        .bearer_auth(token(db).await?)
        .send()
        .await?;
    anyhow::ensure!(response.status() == 200, "tail: {}", response.status());
    Ok(response)
}

fn body(records: impl Iterator<Item = String>) -> String {
    let logs: Vec<_> = records
        .map(|message| json!({"service": SERVICE, "level": "info", "message": message}))
        .collect();
    serde_json::Value::Array(logs).to_string()
}

async fn post(client: &reqwest::Client, base: &str, body: String) -> anyhow::Result<()> {
    let response = client
        .post(format!("{base}/api/v1/logs"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(response.status() == 200, "ingest: {}", response.status());
    Ok(())
}

type Times = Arc<Mutex<HashMap<u64, Instant>>>;

/// Milliseconds from each record's request sent, and from its ack, to its event.
async fn latency(
    args: &Args,
    db: &BenchDatabase,
    base: &str,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let received: Times = Arc::default();
    let reader = tokio::spawn(read_events(open_tail(db, base).await?, received.clone()));
    let (sent, acked): (Times, Times) = (Arc::default(), Arc::default());
    let per_tick = (args.rate / 100).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let client = reqwest::Client::new();
    let mut requests = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut next = 0u64;
    while Instant::now() < deadline {
        tick.tick().await;
        let ids: Vec<u64> = (next..next + per_tick as u64).collect();
        next += per_tick as u64;
        let (client, base, sent, acked) = (
            client.clone(),
            base.to_string(),
            sent.clone(),
            acked.clone(),
        );
        requests.push(tokio::spawn(async move {
            let body = body(ids.iter().map(|id| format!("t{id}")));
            let at = Instant::now();
            sent.lock().unwrap().extend(ids.iter().map(|id| (*id, at)));
            let result = post(&client, &base, body).await;
            let at = Instant::now();
            acked.lock().unwrap().extend(ids.iter().map(|id| (*id, at)));
            result
        }));
    }
    for request in requests {
        request.await??;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    reader.abort();
    let received = received.lock().unwrap();
    let since = |times: &Times| -> Vec<f64> {
        let times = times.lock().unwrap();
        let mut ms: Vec<f64> = (received.iter())
            .filter_map(|(id, at)| Some(at.duration_since(*times.get(id)?).as_secs_f64() * 1e3))
            .collect();
        ms.sort_by(f64::total_cmp);
        ms
    };
    let acked_ms: Vec<f64> = {
        let acked = acked.lock().unwrap();
        let mut ms: Vec<f64> = (received.iter())
            .filter_map(|(id, at)| {
                let ack = *acked.get(id)?;
                let signed = if *at >= ack {
                    at.duration_since(ack).as_secs_f64()
                } else {
                    -ack.duration_since(*at).as_secs_f64()
                };
                Some(signed * 1e3)
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        ms
    };
    println!(
        "latency phase: {next} records sent, {} events received",
        received.len()
    );
    Ok((since(&sent), acked_ms))
}

/// Reads a tail's events, noting when each record (`t<id>`) arrived.
async fn read_events(mut tail: reqwest::Response, received: Times) -> anyhow::Result<()> {
    let mut pending = String::new();
    while let Some(chunk) = tail.chunk().await? {
        let at = Instant::now();
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let block: String = pending.drain(..end + 2).collect();
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) else {
                continue;
            };
            let Ok(row) = serde_json::from_str::<serde_json::Value>(data.trim()) else {
                continue;
            };
            let id = row["body"]
                .as_str()
                .and_then(|b| b.strip_prefix('t')?.parse().ok());
            if let Some(id) = id {
                received.lock().unwrap().insert(id, at);
            }
        }
    }
    Ok(())
}

/// Records per second committed with `tails` tails open, each read (and discarded) by a task.
async fn ingest_with_tails(
    args: &Args,
    db: &BenchDatabase,
    base: &str,
    tails: usize,
) -> anyhow::Result<f64> {
    let mut readers = Vec::new();
    for _ in 0..tails {
        let mut tail = open_tail(db, base).await?;
        readers.push(tokio::spawn(async move {
            while let Ok(Some(_)) = tail.chunk().await {}
        }));
    }
    let bodies: Vec<String> = (0..args.records.div_ceil(args.batch))
        .map(|b| body((0..args.batch).map(move |i| format!("r{b}-{i}"))))
        .collect();
    let bodies = Arc::new(Mutex::new(bodies));
    let started = Instant::now();
    let clients: Vec<_> = (0..args.clients)
        .map(|_| {
            let (bodies, base) = (bodies.clone(), base.to_string());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                loop {
                    let Some(body) = bodies.lock().unwrap().pop() else {
                        return Ok(());
                    };
                    post(&client, &base, body).await?;
                }
            })
        })
        .collect();
    for client in clients {
        let result: anyhow::Result<()> = client.await?;
        result?;
    }
    let rate =
        (args.records.div_ceil(args.batch) * args.batch) as f64 / started.elapsed().as_secs_f64();
    readers.iter().for_each(|r| r.abort());
    Ok(rate)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}
