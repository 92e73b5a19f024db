//! The "huge rows" phase (issue 20): rows of 1 MiB body plus a 1 MiB attribute, planted straight
//! into `logs` (as anonymous ingest could store them, without the ingest path's cost), read by
//! concurrent pages (`limit=1000`) and exports, read whole; prints the bridge's peak RSS before
//! and after, and what was read.

use std::time::{Duration, Instant};

use crate::bridge::Probe;
use crate::database::BenchDatabase;

/// Rows planted, reads at once and rounds of them.
pub struct HugeRows {
    pub rows: i64,
    pub readers: usize,
    pub rounds: usize,
}

/// Plants the rows, reads them `rounds` times with `readers` at once (half pages, half
/// exports), and prints peak RSS and the answers.
pub async fn run(spec: &HugeRows, db: &BenchDatabase, probe: &Probe) -> anyhow::Result<()> {
    plant(db, spec.rows).await?;
    // One token per four readers: each token may have four reads in flight.
    let mut tokens = Vec::new();
    for _ in 0..spec.readers.div_ceil(4) {
        tokens.push(token(db).await?);
    }
    let before = probe.memory_mib("VmHWM").unwrap_or(f64::NAN);
    let started = Instant::now();
    let (mut bytes, mut statuses) = (0usize, Vec::new());
    for _ in 0..spec.rounds {
        let reads: Vec<_> = (0..spec.readers)
            .map(|i| {
                let path = match i % 2 {
                    0 => "/api/v1/logs?limit=1000",
                    _ => "/api/v1/logs/export",
                };
                let url = format!("{}{path}", probe.base);
                tokio::spawn(read_whole(url, tokens[i / 4].clone()))
            })
            .collect();
        for read in reads {
            let (status, read) = read.await??;
            statuses.push(status);
            bytes += read;
        }
    }
    let peak = probe.memory_mib("VmHWM").unwrap_or(f64::NAN);
    statuses.sort_unstable();
    statuses.dedup();
    println!(
        "huge rows: {} rows of 2 MiB, {} rounds of {} concurrent reads (pages and exports): \
         {:.0} MiB read in {:.1} s, statuses {statuses:?}; peak RSS {before:.0} MiB before, \
         {peak:.0} MiB after",
        spec.rows,
        spec.rounds,
        spec.readers,
        bytes as f64 / (1 << 20) as f64,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn plant(db: &BenchDatabase, rows: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO logs (ts, observed_ts, service, level, severity_number, body, attributes) \
         SELECT now() - g * interval '1 second', now(), 'huge', 'info', 9, \
                left(repeat(md5(g::text), 32769), 1048576), \
                jsonb_build_object('blob', repeat('a', 1048576)) \
         FROM generate_series(1, $1) g",
    )
    .bind(rows)
    .execute(&db.pool)
    .await?;
    Ok(())
}

async fn token(db: &BenchDatabase) -> anyhow::Result<String> {
    let new = logbridge::query::NewToken {
        role: serde_json::from_value(serde_json::json!("reader"))?,
        services: None,
        origins: None,
        name: Some("bench-huge-rows".into()),
    };
    let created = logbridge::query::create_token(&db.pool, &new).await;
    Ok(created.map_err(|e| anyhow::anyhow!("{}", e.message))?.token)
}

/// Reads a whole answer, retrying as told by a 503 (busy); its status and size.
async fn read_whole(url: String, token: String) -> anyhow::Result<(u16, usize)> {
    let client = reqwest::Client::new();
    let mut response = client.get(&url).bearer_auth(&token).send().await?;
    for _ in 0..30 {
        if response.status() != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        response = client.get(&url).bearer_auth(&token).send().await?;
    }
    let status = response.status().as_u16();
    let mut bytes = 0;
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len();
    }
    Ok((status, bytes))
}
