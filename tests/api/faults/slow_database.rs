//! A stalled database (a lock held on `logs`) under many concurrent clients: answers are 429 or
//! 503 with `Retry-After`, never anything else; the queue and the process's memory stay
//! bounded; once the lock is gone, ingest works again within seconds and the queue drains.
//! Once with the bridge's own commit timeout ending the waits, once with PostgreSQL's
//! `statement_timeout` cancelling them first.

use std::time::Duration;

use sqlx::PgPool;

use super::load::{Load, LoadSpec, statuses, verify};
use super::process::{BridgeProcess, fresh_database};
use crate::api::helpers::eventually;

/// How long the lock is held.
const STALL: Duration = Duration::from_secs(6);
/// Largest queue in records (`ingest.queue_max_records`).
const QUEUE_MAX_RECORDS: f64 = 4000.0;
/// The writer pool's size (`database.max_connections`, default).
const MAX_WRITER_CONNECTIONS: i64 = 16;
/// The peak RSS allowed (the overload benchmark's target).
const MAX_RSS_MIB: f64 = 256.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_database_commit_timeout_answers_503_and_recovers() {
    let (_, url) = fresh_database();
    stall_and_recover(&url, "slow_commit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_database_statement_timeout_answers_503_and_recovers() {
    let (_, url) = fresh_database();
    let url = format!("{url}?options[statement_timeout]=1500");
    stall_and_recover(&url, "slow_statement").await;
}

async fn stall_and_recover(url: &str, service: &str) {
    let settings = [
        ("LOGBRIDGE_INGEST__COMMIT_TIMEOUT_SECONDS", "2"),
        ("LOGBRIDGE_INGEST__QUEUE_MAX_RECORDS", "4000"),
    ];
    let bridge = BridgeProcess::start(url, &settings).await;
    let db = PgPool::connect(url).await.unwrap();
    let spec = LoadSpec {
        url: format!("{}/api/v1/logs", bridge.http),
        clients: 24,
        records_per_batch: 200,
        service: service.into(),
    };
    let load = Load::start(&spec);
    assert!(load.wait_acked(20, Duration::from_secs(20)).await);

    let (deepest_queue, most_backends) = hold_lock_on_logs(&bridge, &db).await;
    let acked_during_stall = load.acked();

    let recovered = load
        .wait_acked(acked_during_stall + 20, Duration::from_secs(10))
        .await;
    assert!(
        recovered,
        "ingest works again within 10 s of the lock's release"
    );
    let reports = load.finish().await;
    let drained = eventually(Duration::from_secs(10), || async {
        bridge.metric("logbridge_queue_records").await == 0.0
    })
    .await;
    assert!(drained, "the queue drains: no writer is stuck");

    let seen = statuses(&reports);
    let peak_rss = bridge.peak_rss_mib();
    eprintln!(
        "{service}: answers {seen:?}, deepest queue {deepest_queue}, {most_backends} writer \
         connections, peak RSS {peak_rss:.1} MiB"
    );
    let unexpected: Vec<_> = seen
        .keys()
        .filter(|s| ![200, 429, 503].contains(*s))
        .collect();
    assert!(unexpected.is_empty(), "only 200, 429 and 503: {seen:?}");
    assert!(
        seen.contains_key(&503),
        "commits that time out answer 503: {seen:?}"
    );
    let without_retry_after: usize = reports.iter().map(|r| r.missing_retry_after).sum();
    assert_eq!(
        without_retry_after, 0,
        "every 429 and 503 carries Retry-After"
    );
    assert!(deepest_queue <= QUEUE_MAX_RECORDS, "{deepest_queue}");
    assert!(
        most_backends <= MAX_WRITER_CONNECTIONS,
        "{most_backends} connections: timed-out commits leave connections behind"
    );
    assert!(peak_rss < MAX_RSS_MIB, "peak RSS {peak_rss:.1} MiB");
    verify(&db, &spec, &reports)
        .await
        .assert_nothing_acknowledged_lost(service);
}

/// Holds `LOCK TABLE logs` for [`STALL`], sampling the deepest queue and the most writer
/// connections meanwhile.
async fn hold_lock_on_logs(bridge: &BridgeProcess, db: &PgPool) -> (f64, i64) {
    let mut lock = db.begin().await.unwrap();
    sqlx::query("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let (mut deepest_queue, mut most_backends) = (0.0f64, 0);
    let stalled_until = tokio::time::Instant::now() + STALL;
    while tokio::time::Instant::now() < stalled_until {
        deepest_queue = deepest_queue.max(bridge.metric("logbridge_queue_records").await);
        most_backends = most_backends.max(writer_backends(db).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    lock.rollback().await.unwrap();
    (deepest_queue, most_backends)
}

/// Connections of the bridge's writer pool open in PostgreSQL (including any a timed-out commit
/// left behind still waiting for the lock).
async fn writer_backends(db: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = 'logbridge'",
    )
    .fetch_one(db)
    .await
    .unwrap()
}
