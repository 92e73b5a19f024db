//! The real binary's memory under reads of huge rows (issue 20): rows of 1 MiB (and a 1 MiB
//! attribute), planted straight into `logs`, read by 8 concurrent pages and exports, keep the
//! bridge's peak RSS under a bound; and an export's audit entry survives a `kill -9` mid-stream.

use sqlx::PgPool;

use super::process::{BridgeProcess, fresh_database};
use crate::api::read_bounds::plant_huge_rows_in;

/// Peak RSS the bridge may reach in the test, in MiB. Before issue 20 one page of these 32
/// rows took about 2.6 bytes of RSS per byte of row (~170 MiB) and four at once ~700 MiB;
/// bounded reads hold a few MiB per read (bench/RESULTS.md "huge rows").
const PEAK_RSS_MIB: f64 = 200.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_pages_and_exports_of_huge_rows_keep_rss_bounded() {
    let (_, url) = fresh_database();
    let bridge = BridgeProcess::start(&url, &[]).await;
    let db = PgPool::connect(&url).await.unwrap();
    plant_huge_rows_in(&db, 32, 1 << 20).await;
    let tokens = [token(&db).await, token(&db).await];
    let before = bridge.peak_rss_mib();
    for _round in 0..2 {
        let reads: Vec<_> = (0..8)
            .map(|i| {
                let path = if i % 2 == 0 {
                    "/api/v1/logs?limit=1000"
                } else {
                    "/api/v1/logs/export"
                };
                let url = format!("{}{path}", bridge.http);
                tokio::spawn(read_whole(url, tokens[i / 4].clone()))
            })
            .collect();
        for read in reads {
            let (status, bytes) = read.await.unwrap();
            assert_eq!(status, 200);
            assert!(bytes > 100_000, "{bytes} bytes read");
        }
    }
    let peak = bridge.peak_rss_mib();
    eprintln!("peak RSS {before:.0} MiB at start, {peak:.0} MiB after 16 reads of huge rows");
    assert!(peak < PEAK_RSS_MIB, "peak RSS {peak:.0} MiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_cut_by_kill_9_leaves_its_audit_entry() {
    let (_, url) = fresh_database();
    let mut bridge = BridgeProcess::start(&url, &[]).await;
    let db = PgPool::connect(&url).await.unwrap();
    plant_huge_rows_in(&db, 40, 1 << 20).await;
    let reader = token(&db).await;
    let mut export = reqwest::Client::new()
        .get(format!("{}/api/v1/logs/export", bridge.http))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert!(
        export.chunk().await.unwrap().is_some(),
        "the export has begun"
    );
    bridge.kill().await;
    let entries: Vec<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT stream, rows FROM audit_log WHERE endpoint = '/api/v1/logs/export'")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        entries,
        [(Some("open".to_string()), None)],
        "started, rows unknown"
    );
}

/// Reads a whole answer, retrying a while as told by 503 (busy); its status and size.
async fn read_whole(url: String, token: String) -> (u16, usize) {
    let client = reqwest::Client::new();
    let mut response = client.get(&url).bearer_auth(&token).send().await.unwrap();
    for _ in 0..30 {
        if response.status() != 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        response = client.get(&url).bearer_auth(&token).send().await.unwrap();
    }
    let status = response.status().as_u16();
    let mut bytes = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes += chunk.len();
    }
    (status, bytes)
}

async fn token(db: &PgPool) -> String {
    let new = logbridge::query::NewToken {
        role: serde_json::from_value(serde_json::json!("reader")).unwrap(),
        services: None,
        origins: None,
        name: Some("memory-reader".into()),
    };
    logbridge::query::create_token(db, &new)
        .await
        .unwrap()
        .token
}
