//! Overload and outages: 429/503 with Retry-After, readiness, recovery, graceful shutdown; and
//! the fault tests that run the real binary: `kill -9`, a PostgreSQL restart, a stalled
//! database, an exhausted read pool, a thousand slow clients; partition DDL beside open reads
//! and held locks.

mod cluster;
mod deadlock;
mod kill;
mod load;
mod partition_ddl;
mod pg_restart;
pub mod process;
mod read_memory;
mod read_pool;
mod refusals;
mod slow_clients;
mod slow_database;

use std::time::Duration;

use serde_json::json;

use super::helpers::{eventually, spawn_app, spawn_app_with};

fn record(i: usize) -> String {
    json!({"message": format!("record {i}"), "service": "faults"}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_answers_503_and_ingest_resumes_by_itself() {
    let app = spawn_app().await;
    assert_eq!(app.post_json(record(0)).await, 200);
    app.take_database_down().await;

    let answered_503 = eventually(Duration::from_secs(20), || async {
        let response = app
            .post("/api/v1/logs", "application/json", record(1))
            .await;
        response.status() == 503 && response.headers().contains_key("retry-after")
    })
    .await;
    assert!(
        answered_503,
        "ingest answers 503 with Retry-After while the database is down"
    );
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(
        app.get("/metrics").await.status(),
        200,
        "metrics do not depend on the database"
    );

    app.bring_database_back().await;
    let ready = eventually(Duration::from_secs(20), || async {
        app.get("/readyz").await.status() == 200
    })
    .await;
    assert!(ready, "readiness returns without a restart");
    assert_eq!(app.post_json(record(2)).await, 200);
    assert_eq!(app.count("body IN ('record 0', 'record 2')").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_429_and_nothing_acknowledged_is_lost() {
    let app = spawn_app_with(|c| {
        c.ingest.queue_max_records = 3;
        c.ingest.writers = 1;
    })
    .await;
    // Hold a lock on the table so the first commit waits and the queue fills up.
    let blocker = app.lock_logs().await;
    let pending: Vec<_> = (0..3)
        .map(|i| app.post_json_in_background(record(i)))
        .collect();
    let full = eventually(Duration::from_secs(10), || async {
        app.metric_sum("logbridge_queue_records", &[]).await == 3.0
    })
    .await;
    assert!(full, "the three requests wait in the queue");
    let response = app
        .post("/api/v1/logs", "application/json", record(99))
        .await;
    let throttled = response.status() == 429 && response.headers()["retry-after"] == "1";
    assert!(throttled, "a full queue answers 429 with Retry-After");
    blocker.rollback().await.unwrap();
    for request in pending {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(
        app.count("service = 'faults' AND body <> 'record 99'")
            .await,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_commits_what_is_queued() {
    let mut app = spawn_app().await;
    let blocker = app.lock_logs().await;
    let request = app.post_json_in_background(record(7));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        blocker.rollback().await.unwrap();
    });
    app.stop().await;
    releaser.await.unwrap();
    assert_eq!(
        request.await.unwrap(),
        200,
        "answered before the bridge exits"
    );
    assert_eq!(app.count("body = 'record 7'").await, 1);
}
