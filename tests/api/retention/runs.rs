//! Runs: one at a time (the advisory lock), a failing archive that leaves everything in place,
//! and the schedule inside `serve` with its metrics.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Row;

use super::{MAX_PAST_DAYS, leaf, partitions, post_old, retention, run, seed_classes};
use crate::api::helpers::{eventually, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_runs_one_runs_and_the_other_is_skipped() {
    let app = super::app().await;
    seed_classes(&app).await;
    // A reader of an expired partition holds the first run at its detach for a while.
    let mut reader = app.db.begin().await.unwrap();
    let read = format!("SELECT count(*) FROM {}", leaf(30, "debug"));
    sqlx::query(sqlx::AssertSqlSafe(read))
        .execute(&mut *reader)
        .await
        .unwrap();
    let first_job = retention(&app, |config| config.retention.lock_timeout_seconds = 30);
    let second_job = retention(&app, |_| {});
    let first = tokio::spawn(async move { run(&first_job).await });
    let started = eventually(Duration::from_secs(10), || async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks WHERE NOT granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        waiting > 0
    })
    .await;
    assert!(started, "the first run waits for the reader");
    let second = run(&second_job).await;
    reader.rollback().await.unwrap();
    let first = first.await.unwrap();

    assert_eq!(second.status.as_str(), "skipped");
    assert_eq!(first.status.as_str(), "ok", "{first:?}");
    assert_eq!(first.dropped.len(), 3);
    let runs: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, status, message FROM retention_runs ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let statuses: Vec<(i64, &str)> = runs.iter().map(|(id, s, _)| (*id, s.as_str())).collect();
    assert_eq!(statuses, [(first.id, "ok"), (second.id, "skipped")]);
    assert!(runs[1].2.as_deref().unwrap_or_default().contains("lock"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_archive_location_leaves_everything_in_place() {
    // An archive directory under a regular file cannot be created.
    let file = tempfile::NamedTempFile::new().unwrap();
    let location = file.path().join("archive").display().to_string();
    let mut app = spawn_app_with(|config| {
        config.storage.max_past_days = MAX_PAST_DAYS;
        config.archive.location = location;
        config.retention.first_run_delay_seconds = 1;
        config.retention.interval_seconds = 1;
    })
    .await;
    seed_classes(&app).await;

    let failed_run = eventually(Duration::from_secs(30), || async {
        let failed: Option<Value> = sqlx::query_scalar(
            "SELECT failed FROM retention_runs WHERE trigger = 'schedule' AND status = 'failed' \
             AND failed @> '[{\"step\": \"archive\"}]' LIMIT 1",
        )
        .fetch_optional(&app.db)
        .await
        .unwrap();
        failed.is_some()
    })
    .await;
    assert!(failed_run, "a scheduled run recorded the archive failure");
    let failures = app
        .metric_sum("logbridge_retention_archive_failures_total", &[])
        .await;
    assert!(failures >= 1.0, "{failures}");
    let failed_runs = app
        .metric_sum("logbridge_retention_runs_total", &[("outcome", "failed")])
        .await;
    assert!(failed_runs >= 1.0, "{failed_runs}");
    let dropped = app
        .metric_sum("logbridge_retention_partitions_dropped_total", &[])
        .await;
    assert_eq!(dropped, 0.0);

    app.stop().await;
    let now = partitions(&app).await;
    for kept in [
        leaf(30, "debug"),
        leaf(120, "standard"),
        leaf(400, "security"),
    ] {
        assert!(now.contains(&kept), "{kept} in place: {now:?}");
    }
    assert_eq!(super::detached(&app).await, Vec::<String>::new());
    assert_eq!(app.count("true").await, 6, "no row dropped");
    let row =
        sqlx::query("SELECT dropped, archived FROM retention_runs WHERE status = 'failed' LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(row.get::<Value, _>("dropped"), json!([]));
    assert_eq!(row.get::<Value, _>("archived"), json!([]));
}

#[tokio::test]
async fn a_partition_locked_past_the_lock_timeout_is_left_for_the_next_run() {
    let app = super::app().await;
    post_old(&app, 30, &[json!({"level": "debug", "message": "d30"})]).await;
    let mut reader = app.db.begin().await.unwrap();
    let read = format!("SELECT count(*) FROM {}", leaf(30, "debug"));
    sqlx::query(sqlx::AssertSqlSafe(read))
        .execute(&mut *reader)
        .await
        .unwrap();
    let job = retention(&app, |config| config.retention.lock_timeout_seconds = 1);
    let report = run(&job).await;
    reader.rollback().await.unwrap();
    assert_eq!(report.status.as_str(), "failed", "{report:?}");
    assert_eq!(report.failed[0].target, leaf(30, "debug"));
    assert_eq!(report.failed[0].step, "detach");
    assert!(
        report.failed[0].error.contains("lock timeout"),
        "{report:?}"
    );
    assert_eq!(app.count("body = 'd30'").await, 1);

    let next = run(&job).await;
    assert_eq!(next.status.as_str(), "ok", "{next:?}");
    assert_eq!(app.count("body = 'd30'").await, 0);
}
