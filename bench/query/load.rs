//! The bench database: migrated, then loaded with `--rows` generated rows spread over the last
//! `--days` days (unless it already holds that many), the way the bridge would store them:
//! `otlp::convert`, `Limits::bound`, `Pipeline::process`, `copy::encode`, `COPY`. The indexes
//! are dropped for the load and created again afterwards from the migrations' own statements.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Days, Utc};
use logbridge::config::{Config, Secret};
use logbridge::ingest::otlp;
use logbridge::pipeline::{Pipeline, limits::Limits};
use logbridge::store::copy::{self, COPY_STATEMENT};
use sqlx::{PgPool, Row};
use tokio::sync::{Mutex, mpsc};

use crate::Args;
use crate::report::thousands;
use crate::schema;
use crate::workload::{Generator, Window};

/// Rows per `COPY` (one transaction), generated for one slice of the time range.
const CHUNK_ROWS: u64 = 20_000;
/// Connections sending the chunks.
const CONNECTIONS: usize = 2;
/// Chunks generated ahead of the connections.
const CHUNKS_AHEAD: usize = 4;

/// What the loaded table holds.
pub struct Data {
    pub rows: i64,
    pub oldest: DateTime<Utc>,
    pub newest: DateTime<Utc>,
    /// Bytes of the leaf partitions' tables (heap and TOAST), at every level of partitioning.
    pub table_bytes: i64,
    /// Each index of the migrations and its bytes over all leaf partitions.
    pub index_bytes: Vec<(String, i64)>,
}

/// Migrates the bench database and loads it unless it already holds `--rows` rows.
pub async fn prepare(args: &Args) -> anyhow::Result<PgPool> {
    let mut config = Config::default();
    config.database.url = Secret::from(args.database_url().as_str());
    let pool = logbridge::store::migrate(&config).await?;
    let rows = count(&pool).await?;
    if rows == args.rows as i64 && !args.reload {
        println!(
            "database {}: {} rows already loaded; not loading again (--reload to do so)",
            args.database,
            thousands(rows as f64)
        );
        return Ok(pool);
    }
    load(args, &pool).await?;
    Ok(pool)
}

async fn count(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query("SELECT count(*) FROM logs")
        .fetch_one(pool)
        .await?
        .get(0))
}

/// Empties `logs`, drops its indexes, COPYs the rows in, creates the indexes, vacuums.
async fn load(args: &Args, pool: &PgPool) -> anyhow::Result<()> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let window = Window {
        end_unix_nanos: now,
        span_nanos: u64::from(args.days) * 86_400_000_000_000,
    };
    execute(pool, "TRUNCATE logs").await?;
    let today = Utc::now().date_naive();
    let first = today - Days::new(u64::from(args.days));
    let classes = Config::default().retention.classes;
    for day in first.iter_days().take(args.days as usize + 1) {
        for class in &classes {
            sqlx::query("SELECT logbridge_ensure_logs_partition($1, $2)")
                .bind(day)
                .bind(&class.name)
                .execute(pool)
                .await?;
        }
    }
    let indexes = schema::log_indexes();
    for index in &indexes {
        execute(pool, &format!("DROP INDEX IF EXISTS {}", index.name)).await?;
    }
    println!(
        "loading {} rows over {} days, without indexes, {CHUNK_ROWS} rows per COPY on {CONNECTIONS} connections",
        thousands(args.rows as f64),
        args.days
    );
    let started = Instant::now();
    copy_rows(pool, args, window).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  loaded in {seconds:.0} s: {} rows/s",
        thousands(args.rows as f64 / seconds)
    );
    create_indexes(pool, &indexes).await?;
    let started = Instant::now();
    execute(pool, "VACUUM (ANALYZE) logs").await?;
    println!(
        "  VACUUM (ANALYZE) in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The migrations' index statements, one after the other, with memory for the sorts.
pub async fn create_indexes(
    pool: &PgPool,
    indexes: &[schema::IndexDefinition],
) -> anyhow::Result<()> {
    let mut connection = pool.acquire().await?;
    sqlx::raw_sql("SET maintenance_work_mem = '1GB'")
        .execute(&mut *connection)
        .await?;
    for index in indexes {
        let started = Instant::now();
        sqlx::raw_sql(sqlx::AssertSqlSafe(index.create.clone()))
            .execute(&mut *connection)
            .await?;
        println!(
            "  created {} in {:.0} s",
            index.name,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Generates the rows in a blocking thread, slice of time after slice, and COPYs each chunk.
async fn copy_rows(pool: &PgPool, args: &Args, window: Window) -> anyhow::Result<()> {
    let (chunks, received) = mpsc::channel::<Vec<u8>>(CHUNKS_AHEAD);
    let (rows, seed) = (args.rows, args.seed);
    let generator = tokio::task::spawn_blocking(move || generate(rows, seed, window, chunks));
    let received = Arc::new(Mutex::new(received));
    let mut senders = Vec::new();
    for _ in 0..CONNECTIONS {
        let (pool, received) = (pool.clone(), received.clone());
        senders.push(tokio::spawn(async move {
            let mut connection = pool.acquire().await?;
            sqlx::raw_sql("SET synchronous_commit = off")
                .execute(&mut *connection)
                .await?;
            loop {
                let Some(chunk) = received.lock().await.recv().await else {
                    return anyhow::Ok(());
                };
                let mut copy = connection.copy_in_raw(COPY_STATEMENT).await?;
                copy.send(chunk.as_slice()).await?;
                copy.finish().await?;
            }
        }));
    }
    for sender in senders {
        sender.await??;
    }
    generator.await?;
    Ok(())
}

/// Chunk `c` of `n` holds event times in the `c`-th `n`-th of the window, and each request of
/// the chunk its share of that slice (about 20 seconds at 10 million rows over 7 days), so that
/// rows arrive roughly in time order, as they do in production. Each row passes through the
/// bridge's pipeline and encoding, received at the end of its request's slice.
fn generate(rows: u64, seed: u64, window: Window, chunks: mpsc::Sender<Vec<u8>>) {
    let config = Config::default();
    let limits = Limits::from_config(&config);
    let pipeline = Pipeline::from_config(&config).expect("the default pipeline");
    let mut generator = Generator::new(seed);
    let start = window.end_unix_nanos - window.span_nanos;
    // The end of the time slice of the first `done` rows.
    let end_of = |done: u64| {
        let offset = u128::from(window.span_nanos) * u128::from(done) / u128::from(rows);
        start + offset as u64
    };
    let mut done = 0;
    while done < rows {
        let chunk_rows = CHUNK_ROWS.min(rows - done);
        let mut data = Vec::with_capacity(chunk_rows as usize * 1024);
        let mut left = chunk_rows as usize;
        while left > 0 {
            let size = generator.size(left);
            let (first, last) = (end_of(done), end_of(done + size as u64));
            let slice = Window {
                end_unix_nanos: last,
                span_nanos: (last - first).max(1),
            };
            let request = generator.request_of(size, slice);
            let received = DateTime::from_timestamp_nanos(last as i64);
            let mut records = otlp::convert(request, received).records;
            let mut redactions = pipeline.redactions();
            for record in &mut records {
                limits.bound(record);
                pipeline.process(record, &mut redactions);
            }
            data.extend_from_slice(&copy::encode(&records).data);
            left -= size;
            done += size as u64;
        }
        if chunks.blocking_send(data).is_err() {
            return;
        }
    }
}

/// Builds `storage.substring_index`'s trigram index over the loaded rows unless it exists,
/// printing how long that took and its size over every partition, and analyzes `logs`.
pub async fn substring_index(pool: &PgPool) -> anyhow::Result<()> {
    use logbridge::store::substring_index;
    let started = std::time::Instant::now();
    if substring_index::follow(pool, true).await?.is_some() {
        execute(pool, "ANALYZE logs").await?;
        println!(
            "substring index built in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let bytes: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(pg_relation_size(indexrelid)), 0)::bigint FROM pg_index \
         WHERE indexrelid::regclass::text LIKE 'logs_p%lower%'",
    )
    .fetch_one(pool)
    .await?;
    println!("substring index: {} MiB", bytes / (1 << 20));
    Ok(())
}

pub async fn execute(pool: &PgPool, sql: &str) -> anyhow::Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await?;
    Ok(())
}

impl Data {
    pub async fn describe(pool: &PgPool) -> anyhow::Result<Data> {
        let row = sqlx::query("SELECT count(*), min(ts), max(ts) FROM logs")
            .fetch_one(pool)
            .await?;
        let (rows, oldest, newest): (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
            (row.get(0), row.get(1), row.get(2));
        let (Some(oldest), Some(newest)) = (oldest, newest) else {
            anyhow::bail!("table logs is empty");
        };
        let table_bytes = sqlx::query(
            "SELECT coalesce(sum(pg_table_size(relid)), 0)::bigint \
             FROM pg_partition_tree('logs') WHERE isleaf",
        )
        .fetch_one(pool)
        .await?
        .get(0);
        let mut index_bytes = Vec::new();
        for index in schema::log_indexes() {
            let bytes = sqlx::query(
                "SELECT coalesce(sum(pg_relation_size(relid)), 0)::bigint \
                 FROM pg_partition_tree(to_regclass($1)) WHERE isleaf",
            )
            .bind(&index.name)
            .fetch_one(pool)
            .await?
            .get(0);
            index_bytes.push((index.name, bytes));
        }
        Ok(Data {
            rows,
            oldest,
            newest,
            table_bytes,
            index_bytes,
        })
    }

    /// Rows per second of event time, on average.
    pub fn rows_per_second(&self) -> f64 {
        let seconds = (self.newest - self.oldest).num_milliseconds() as f64 / 1000.0;
        self.rows as f64 / seconds.max(1.0)
    }
}
