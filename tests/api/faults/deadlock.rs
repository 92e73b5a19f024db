//! A commit that PostgreSQL aborts to break a deadlock is tried again by the writer, not
//! answered 503: another session holds the request's rollup row and then waits for the
//! exception group the writer's transaction has just updated, a cycle PostgreSQL breaks by
//! aborting the writer (the session whose `deadlock_timeout` runs out first).

use std::time::Duration;

use serde_json::json;
use sqlx::{Connection as _, PgConnection};

use super::super::helpers::{TestApp, spawn_app};

const SERVICE: &str = "deadlocked";

fn record() -> String {
    json!([{"message": "boom", "service": SERVICE, "level": "error",
            "timestamp": "2026-12-04T10:00:00Z",
            "exception.type": "KeyError", "exception.message": "x"}])
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_aborted_by_a_deadlock_is_tried_again_and_acknowledged() {
    let app = spawn_app().await;
    let first = app.post("/api/v1/logs", "application/json", record()).await;
    assert_eq!(first.status(), 200, "the group and the rollup row exist");
    let fingerprint: String =
        sqlx::query_scalar("SELECT fingerprint FROM exception_groups WHERE service = $1")
            .bind(SERVICE)
            .fetch_one(&app.db)
            .await
            .unwrap();

    let mut other = PgConnection::connect(&database_url(&app)).await.unwrap();
    sqlx::raw_sql("BEGIN; SET LOCAL deadlock_timeout = '30s'")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("SELECT 1 FROM log_counts WHERE service = $1 FOR UPDATE")
        .bind(SERVICE)
        .execute(&mut other)
        .await
        .unwrap();
    let second = {
        let (http, client) = (app.http.clone(), app.client.clone());
        tokio::spawn(async move {
            let url = format!("{http}/api/v1/logs");
            let body = record();
            client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
        })
    };
    wait_for_a_lock_wait(&app).await;
    // The writer holds the group's row and waits for the rollup row: waiting for the group now
    // closes the cycle.
    sqlx::query("UPDATE exception_groups SET occurrences = occurrences WHERE fingerprint = $1")
        .bind(&fingerprint)
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();

    let answer = second.await.unwrap().unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let occurrences: i64 =
        sqlx::query_scalar("SELECT occurrences FROM exception_groups WHERE fingerprint = $1")
            .bind(&fingerprint)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(occurrences, 2, "the repeat counted the exception once");
    assert_eq!(app.count(&format!("service = '{SERVICE}'")).await, 2);
}

fn database_url(app: &TestApp) -> String {
    format!("postgres://postgres@127.0.0.1:5432/{}", app.db_name)
}

/// Waits until a backend of the test's database waits for a row lock: the writer, on the
/// rollup row.
async fn wait_for_a_lock_wait(app: &TestApp) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the writer never waited for the rollup row");
}
