//! Partition DDL never stalls the bridge (issue 20, item 1): a late record whose day partition
//! must be made while a reader holds `logs` open is stored without holding up anyone; one whose
//! partition is blocked by a conflicting lock is answered 503 with Retry-After within the
//! partition lock timeout, while other records keep being committed and reads keep answering;
//! a commit the writer gave up on leaves PostgreSQL's lock queue; `/readyz` turns 503 while
//! commits stall.

use std::time::Duration;

use chrono::{Days, Utc};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

use crate::api::helpers::{TestApp, eventually, spawn_app_with};

/// A record `days` days old (0: now), of service `faults_ddl`.
fn record(body: &str, days_ago: u64) -> String {
    let ts = Utc::now() - Days::new(days_ago);
    json!({"message": body, "service": "faults_ddl", "timestamp": ts.to_rfc3339()}).to_string()
}

/// A transaction that has read `logs` and stays open, as an export streaming to a slow client.
async fn open_read(db: &PgPool) -> Transaction<'static, Postgres> {
    let mut read = db.begin().await.unwrap();
    sqlx::query("SELECT count(*) FROM logs")
        .execute(&mut *read)
        .await
        .unwrap();
    read
}

/// Posts ordinary (today's) records one after another; each must be committed.
async fn ordinary_ingest_succeeds(app: &TestApp, label: &str) {
    for i in 0..5 {
        let status = app.post_json(record(&format!("{label} {i}"), 0)).await;
        assert_eq!(status, 200, "today's record {label} {i} is committed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_read_and_a_late_record_stall_neither_ingest_nor_reads() {
    let app = spawn_app_with(|c| {
        c.ingest.commit_timeout_seconds = 5;
        c.query.statement_timeout_seconds = 5;
    })
    .await;
    let reader = app.token("reader", None).await;
    assert_eq!(app.post_json(record("before", 0)).await, 200);
    let export = open_read(&app.db).await;

    let late = app.post_json_in_background(record("150 days late", 150));
    let later = app.post_json_in_background(record("200 days late", 200));
    ordinary_ingest_succeeds(&app, "during the read").await;
    let read = app.get_as(&reader, "/api/v1/logs?service=faults_ddl").await;
    assert_eq!(read.status(), 200, "reads keep answering");

    for (request, body) in [(late, "150 days late"), (later, "200 days late")] {
        let status = request.await.unwrap();
        assert_eq!(
            status, 200,
            "{body}: its partition is made beside the open read"
        );
        let stored = app.count(&format!("body = '{body}'")).await;
        assert_eq!(stored, 1, "{body} is stored once acknowledged");
    }
    export.rollback().await.unwrap();
    assert_eq!(app.count("body LIKE 'during the read %'").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_blocked_by_a_lock_answers_503_and_holds_no_one_up() {
    let app = spawn_app_with(|c| c.ingest.commit_timeout_seconds = 60).await;
    let reader = app.token("reader", None).await;
    // Conflicts with attaching a partition, not with `COPY` or reads.
    let mut maintenance = app.db.begin().await.unwrap();
    sqlx::query("LOCK TABLE logs IN SHARE UPDATE EXCLUSIVE MODE")
        .execute(&mut *maintenance)
        .await
        .unwrap();

    let late = app.post_json_in_background(record("150 days late", 150));
    ordinary_ingest_succeeds(&app, "beside the lock").await;
    let read = app.get_as(&reader, "/api/v1/logs?service=faults_ddl").await;
    assert_eq!(read.status(), 200, "reads keep answering");
    let status = late.await.unwrap();
    assert_eq!(
        status, 503,
        "the late record is answered 503 well before the commit timeout"
    );
    let refused = app.post(
        "/api/v1/logs",
        "application/json",
        record("150 days late", 150),
    );
    let refused = refused.await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let left_queue = eventually(Duration::from_secs(10), || async {
        bridge_lock_waits(&app.db).await == 0
    })
    .await;
    assert!(left_queue, "nothing of the bridge waits in the lock queue");

    maintenance.rollback().await.unwrap();
    let stored = eventually(Duration::from_secs(10), || async {
        app.post_json(record("150 days late", 150)).await == 200
    })
    .await;
    assert!(stored, "the client's retry is stored once the lock is gone");
    assert_eq!(app.count("body = '150 days late'").await, 1);
    assert_eq!(app.count("body LIKE 'beside the lock %'").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_given_up_on_leaves_the_lock_queue() {
    let app = spawn_app_with(|c| c.ingest.commit_timeout_seconds = 2).await;
    let blocker = app.lock_logs().await;
    let status = app.post_json(record("behind the lock", 0)).await;
    assert_eq!(status, 503, "the commit times out");
    let left_queue = eventually(Duration::from_secs(10), || async {
        bridge_lock_waits(&app.db).await == 0
    })
    .await;
    assert!(
        left_queue,
        "PostgreSQL gives up on the commit too, while the lock is still held"
    );
    blocker.rollback().await.unwrap();
    assert_eq!(app.count("body = 'behind the lock'").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_while_commits_stall() {
    let app = spawn_app_with(|c| c.ingest.ready_stall_seconds = 1).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    let blocker = app.lock_logs().await;
    let request = app.post_json_in_background(record("stalled", 0));
    let not_ready = eventually(Duration::from_secs(20), || async {
        let answer = app.get("/readyz").await;
        answer.status() == 503 && answer.text().await.unwrap() == "commits stalled"
    })
    .await;
    assert!(not_ready, "/readyz answers 503 while the commit hangs");
    blocker.rollback().await.unwrap();
    assert_eq!(request.await.unwrap(), 200);
    let ready = eventually(Duration::from_secs(10), || async {
        app.get("/readyz").await.status() == 200
    })
    .await;
    assert!(ready, "ready again once commits get through");
}

/// Backends of the bridge's writer pool waiting for a lock.
async fn bridge_lock_waits(db: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE NOT l.granted AND a.datname = current_database() \
         AND a.application_name = 'logbridge'",
    )
    .fetch_one(db)
    .await
    .unwrap()
}
