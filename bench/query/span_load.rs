//! The spans of the bench database: `--spans` generated spans (bench/span_workload.rs, traces of
//! five, six services) over the last `--days` days, stored the way the bridge stores them
//! (`otlp::traces::convert`, `Limits::bound_span`, `Pipeline::process_span`,
//! `copy::encode_spans`, `COPY`), unless the table already holds that many. The indexes are
//! dropped for the load and created again from the migrations' own statements.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Days, Utc};
use logbridge::config::Config;
use logbridge::ingest::otlp;
use logbridge::pipeline::{Pipeline, limits::Limits};
use logbridge::store::copy::{self, SPANS_COPY_STATEMENT};
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::Args;
use crate::load::{create_indexes, execute};
use crate::report::thousands;
use crate::schema;
use crate::span_workload;

/// The services the spans come from, one per request, in turn.
pub const SERVICES: [&str; 6] = ["checkout", "cart", "catalog", "payments", "search", "users"];
/// Spans per `COPY` (one transaction).
const CHUNK_SPANS: u64 = 20_000;
/// Spans per generated request.
const REQUEST_SPANS: u64 = 400;

/// Loads the spans unless `spans` already holds `--spans` of them.
pub async fn prepare(args: &Args, pool: &PgPool) -> anyhow::Result<()> {
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM spans")
        .fetch_one(pool)
        .await?;
    if stored == args.spans as i64 && !args.reload {
        println!("{} spans already loaded", thousands(stored as f64));
        return Ok(());
    }
    execute(pool, "TRUNCATE spans").await?;
    let today = Utc::now().date_naive();
    let first = today - Days::new(u64::from(args.days));
    for day in first.iter_days().take(args.days as usize + 1) {
        sqlx::query("SELECT logbridge_ensure_day_partition('spans', 'start_ts', $1)")
            .bind(day)
            .execute(pool)
            .await?;
    }
    let indexes = schema::span_indexes();
    for index in &indexes {
        execute(pool, &format!("DROP INDEX IF EXISTS {}", index.name)).await?;
    }
    println!(
        "loading {} spans over {} days, without indexes, {CHUNK_SPANS} spans per COPY",
        thousands(args.spans as f64),
        args.days
    );
    let started = Instant::now();
    copy_spans(pool, args).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  loaded in {seconds:.0} s: {} spans/s",
        thousands(args.spans as f64 / seconds)
    );
    create_indexes(pool, &indexes).await?;
    execute(pool, "VACUUM (ANALYZE) spans").await?;
    Ok(())
}

/// Generates the spans in a blocking thread, oldest slice of time first, and COPYs each chunk.
async fn copy_spans(pool: &PgPool, args: &Args) -> anyhow::Result<()> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let window = (now, u64::from(args.days) * 86_400_000_000_000);
    let (chunks, mut received) = mpsc::channel::<Vec<u8>>(4);
    let (spans, seed) = (args.spans, args.seed);
    let generator = tokio::task::spawn_blocking(move || generate(spans, seed, window, chunks));
    let mut connection = pool.acquire().await?;
    sqlx::raw_sql("SET synchronous_commit = off")
        .execute(&mut *connection)
        .await?;
    while let Some(chunk) = received.recv().await {
        let mut copy = connection.copy_in_raw(SPANS_COPY_STATEMENT).await?;
        copy.send(chunk.as_slice()).await?;
        copy.finish().await?;
    }
    generator.await?;
    Ok(())
}

/// Request `r` of `n` holds spans starting in the `r`-th `n`-th of the window, so that spans
/// arrive in about time order, as they do in production.
fn generate(spans: u64, seed: u64, (end, window): (u64, u64), chunks: mpsc::Sender<Vec<u8>>) {
    let config = Config::default();
    let limits = Limits::from_config(&config);
    let pipeline = Pipeline::from_config(&config).expect("the default pipeline");
    let requests = spans.div_ceil(REQUEST_SPANS);
    let slice = window / requests.max(1);
    let mut data = Vec::new();
    for r in 0..requests {
        let size = REQUEST_SPANS.min(spans - r * REQUEST_SPANS) as usize;
        let slice_end = end - window + (r + 1) * slice;
        let service = SERVICES[r as usize % SERVICES.len()];
        let request = span_workload::spans_request_in(size, seed ^ r, service, (slice_end, slice));
        let received = DateTime::from_timestamp_nanos(slice_end as i64);
        let mut decoded = otlp::traces::convert(request).spans;
        let mut redactions = pipeline.redactions();
        for span in &mut decoded {
            limits.bound_span(span, received);
            pipeline.process_span(span, &mut redactions);
        }
        data.extend_from_slice(&copy::encode_spans(&decoded).spans.data);
        let full = ((r + 1) * REQUEST_SPANS).is_multiple_of(CHUNK_SPANS) || r + 1 == requests;
        if full && chunks.blocking_send(std::mem::take(&mut data)).is_err() {
            return;
        }
    }
}
