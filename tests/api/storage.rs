//! Storage: daily partitions (ahead, on demand, dropped behind the bridge's back) and group commit.

use std::time::Duration;

use chrono::{Days, Utc};
use serde_json::json;
use sqlx::Row;

use super::helpers::{spawn_app, spawn_app_with};

async fn partitions(app: &super::helpers::TestApp) -> Vec<String> {
    sqlx::query("SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'logs'::regclass ORDER BY 1")
        .fetch_all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get("name"))
        .collect()
}

#[tokio::test]
async fn partitions_exist_ahead_and_late_records_get_theirs() {
    let app = spawn_app().await;
    let today = Utc::now().date_naive();
    let name = |day: chrono::NaiveDate| format!("logs_p{}", day.format("%Y%m%d"));
    let ahead = partitions(&app).await;
    for offset in 0..=3 {
        assert!(
            ahead.contains(&name(today + Days::new(offset))),
            "{ahead:?}"
        );
    }
    let late = today - Days::new(10);
    let ts = format!("{late}T12:00:00Z");
    let body = json!({"message": "late", "timestamp": ts}).to_string();
    assert_eq!(
        app.post("/api/v1/logs", "application/json", body)
            .await
            .status(),
        200
    );
    assert!(partitions(&app).await.contains(&name(late)));
    assert_eq!(
        app.count(&format!("body = 'late' AND ts = '{ts}'")).await,
        1,
        "its own time, not clamped"
    );
}

#[tokio::test]
async fn a_partition_dropped_behind_the_bridge_is_recreated() {
    let app = spawn_app().await;
    let first = json!({"message": "before"}).to_string();
    assert_eq!(
        app.post("/api/v1/logs", "application/json", first)
            .await
            .status(),
        200
    );
    let today = format!("logs_p{}", Utc::now().format("%Y%m%d"));
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {today}")))
        .execute(&app.db)
        .await
        .unwrap();
    let second = json!({"message": "after"}).to_string();
    assert_eq!(
        app.post("/api/v1/logs", "application/json", second)
            .await
            .status(),
        200
    );
    assert_eq!(app.count("body = 'after'").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_commits() {
    let app = spawn_app_with(|c| c.ingest.writers = 2).await;
    let blocker = app.lock_logs().await;
    let requests: Vec<_> = (0..20)
        .map(|i| {
            app.post_json_in_background(json!({"message": format!("concurrent {i}")}).to_string())
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    blocker.rollback().await.unwrap();
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(app.count("body LIKE 'concurrent %'").await, 20);
    let commits = app
        .metric_sum("logbridge_commits_total", &[("success", "true")])
        .await;
    assert!(
        commits <= 4.0,
        "20 requests waiting on a lock share a few commits, not {commits}"
    );
}
