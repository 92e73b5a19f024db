//! Archival benchmark: fills a fresh database's `logs` with `--rows` workload records (the rows
//! the bridge writes), archives them to a temporary directory as retention would, restores the
//! archive into `logs_restored`, and prints rows/s, MB/s, the compression ratio and the peak RSS
//! of this process during each phase (sampled every 10 ms). See bench/README.md.

#[path = "workload.rs"]
mod workload;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use clap::Parser;
use logbridge::config::{ArchiveConfig, Config, Secret};
use logbridge::ingest::otlp;
use logbridge::jobs::archive::Archive;
use logbridge::pipeline::{Pipeline, limits::Limits};
use logbridge::store::copy::{self, COPY_STATEMENT};
use sqlx::postgres::PgPoolCopyExt;

#[derive(Debug, Parser)]
struct Args {
    /// Records in the archived table.
    #[arg(long, default_value_t = 500_000)]
    rows: usize,
    /// zstd level.
    #[arg(long, default_value_t = 3)]
    zstd_level: i32,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let name = format!("logbridge_bench_archive_{}", std::process::id());
    let mut config = Config::default();
    config.database.url =
        Secret::from(format!("postgres://postgres@127.0.0.1:5432/{name}").as_str());
    let pool = logbridge::store::migrate(&config).await?;
    let outcome = run(&args, &config, &pool, nanos).await;
    pool.close().await;
    let admin = sqlx::PgPool::connect("postgres://postgres@127.0.0.1:5432/postgres").await?;
    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(drop))
        .execute(&admin)
        .await?;
    outcome
}

async fn run(args: &Args, config: &Config, pool: &sqlx::PgPool, nanos: u64) -> anyhow::Result<()> {
    let loaded = Instant::now();
    load(args, config, pool, nanos).await?;
    sqlx::query("VACUUM ANALYZE logs").execute(pool).await?;
    println!(
        "loaded {} rows in {:.1} s",
        args.rows,
        loaded.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir()?;
    let archive_config = ArchiveConfig {
        location: dir.path().display().to_string(),
        zstd_level: args.zstd_level,
        ..ArchiveConfig::default()
    };
    let archive = Archive::from_config(&archive_config)?.expect("a location");
    let day = Utc::now().date_naive();

    postgres_alone(pool).await?;
    let rss = Rss::sample();
    let started = Instant::now();
    let manifest = archive.archive_table(pool, "logs", day, "standard").await?;
    let seconds = started.elapsed().as_secs_f64();
    let (before, peak) = rss.stop();
    let mb = |bytes: u64| bytes as f64 / 1e6;
    println!(
        "archive: {} rows in {seconds:.2} s: {:.0} rows/s, {:.1} MB/s of NDJSON, {:.1} MB/s \
         written; {:.1} MB -> {:.1} MB (ratio {:.1}); RSS {:.0} MB before, peak {:.0} MB",
        manifest.rows,
        manifest.rows as f64 / seconds,
        mb(manifest.uncompressed_bytes) / seconds,
        mb(manifest.bytes) / seconds,
        mb(manifest.uncompressed_bytes),
        mb(manifest.bytes),
        manifest.uncompressed_bytes as f64 / manifest.bytes as f64,
        mb(before),
        mb(peak),
    );

    let rss = Rss::sample();
    let started = Instant::now();
    let report = archive.restore(pool, &manifest.file).await?;
    let seconds = started.elapsed().as_secs_f64();
    let (before, peak) = rss.stop();
    println!(
        "restore (verify + load): {} rows in {seconds:.2} s: {:.0} rows/s; RSS {:.0} MB before, \
         peak {:.0} MB",
        report.rows,
        report.rows as f64 / seconds,
        mb(before),
        mb(peak),
    );
    Ok(())
}

/// The same `COPY` of JSON lines as the archive runs, read and thrown away: what PostgreSQL
/// alone costs.
async fn postgres_alone(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    use futures_util::TryStreamExt;
    let statement = "COPY (SELECT to_jsonb(t) FROM logs t) TO STDOUT \
                     WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')";
    let started = Instant::now();
    let mut lines = pool.copy_out_raw(statement).await?;
    let (mut rows, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = lines.try_next().await? {
        rows += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "COPY of JSON lines alone: {rows} rows in {seconds:.2} s: {:.0} rows/s, {:.1} MB/s",
        rows as f64 / seconds,
        bytes as f64 / 1e6 / seconds
    );
    Ok(())
}

/// COPYs the workload into `logs`, 20,000 records at a time so that memory stays small.
async fn load(args: &Args, config: &Config, pool: &sqlx::PgPool, nanos: u64) -> anyhow::Result<()> {
    let limits = Limits::from_config(config);
    let pipeline = Pipeline::from_config(config)?;
    let mut left = args.rows;
    let mut seed = args.seed;
    while left > 0 {
        let records = left.min(20_000);
        let mut batches = Vec::new();
        for request in workload::requests(records, seed, nanos) {
            let mut records = otlp::convert(request, Utc::now()).records;
            let mut redactions = pipeline.redactions();
            for record in &mut records {
                limits.bound(record);
                pipeline.process(record, &mut redactions);
            }
            batches.push(copy::encode(&records));
        }
        // Partitions first: creating one waits for an open COPY into `logs`.
        let partitions: std::collections::BTreeSet<_> =
            batches.iter().flat_map(|b| b.partitions.iter()).collect();
        for (day, class) in partitions {
            sqlx::query("SELECT logbridge_ensure_logs_partition($1, $2)")
                .bind(day)
                .bind(class.as_ref())
                .execute(pool)
                .await?;
        }
        let mut copy = pool.copy_in_raw(COPY_STATEMENT).await?;
        for batch in &batches {
            copy.send(batch.data.as_slice()).await?;
        }
        copy.finish().await?;
        left -= records;
        seed += 1;
    }
    Ok(())
}

/// This process's resident set size, sampled in a thread of its own until stopped.
struct Rss {
    before: u64,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Rss {
    fn sample() -> Rss {
        let before = current_rss();
        let peak = Arc::new(AtomicU64::new(before));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(current_rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Rss {
            before,
            peak,
            stop,
            thread,
        }
    }

    /// RSS before sampling began, and the peak seen since.
    fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the sampler stops");
        (self.before, self.peak.load(Ordering::Relaxed))
    }
}

/// `VmRSS` of /proc/self/status, in bytes.
fn current_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        });
    kib.unwrap_or(0) * 1024
}
