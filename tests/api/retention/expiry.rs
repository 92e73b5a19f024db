//! Expiry of partitions by class: archived, verified and dropped while ingest runs; security
//! logs kept past the ordinary horizon; day partitions made before retention classes; what an
//! interrupted run left behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Row;

use super::{app, day, leaf, partitions, post_old, retention, run, seed_classes, url};
use crate::api::helpers::TestApp;

/// Posts batches of 20 current records until `stop`, counting those acknowledged.
fn keep_ingesting(app: &TestApp, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<i64> {
    let (client, url) = (app.client.clone(), format!("{}/api/v1/logs", app.http));
    tokio::spawn(async move {
        let acknowledged = AtomicI64::new(0);
        let mut batch = 0;
        while !stop.load(Ordering::Relaxed) {
            let records: Vec<Value> = (0..20)
                .map(|i| json!({"level": if i % 2 == 0 { "debug" } else { "info" }, "message": format!("live {batch} {i}")}))
                .collect();
            let response = client.post(&url).json(&records).send().await.unwrap();
            if response.status() == 200 {
                acknowledged.fetch_add(20, Ordering::Relaxed);
            }
            batch += 1;
        }
        acknowledged.load(Ordering::Relaxed)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_partitions_are_archived_verified_and_dropped_while_ingest_runs() {
    let app = app().await;
    seed_classes(&app).await;
    let archive = tempfile::tempdir().unwrap();
    let location = archive.path().display().to_string();
    let retention = retention(&app, |config| config.archive.location = location);
    let stop = Arc::new(AtomicBool::new(false));
    let ingest = keep_ingesting(&app, stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let report = run(&retention).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let acknowledged = ingest.await.unwrap();

    assert!(acknowledged > 0, "ingest ran during the run");
    assert_eq!(
        app.count("body LIKE 'live %'").await,
        acknowledged,
        "every acknowledged row kept"
    );
    assert_eq!(report.status.as_str(), "ok", "{report:?}");
    let now = partitions(&app).await;
    for gone in [
        leaf(30, "debug"),
        leaf(120, "standard"),
        leaf(400, "security"),
    ] {
        assert!(!now.contains(&gone), "{gone} dropped: {now:?}");
    }
    for kept in [
        leaf(30, "standard"),
        leaf(120, "security"),
        leaf(120, "exceptions"),
    ] {
        assert!(now.contains(&kept), "{kept} kept: {now:?}");
    }
    let p400 = format!("logs_p{}", day(400).format("%Y%m%d"));
    assert!(!now.contains(&p400), "the emptied day goes too");
    assert_eq!(super::detached(&app).await, Vec::<String>::new());
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM logs WHERE body NOT LIKE 'live %' ORDER BY body")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(bodies, ["e120", "i30", "s120"]);

    // The run's record: three partitions archived with their rows, then dropped.
    let row = sqlx::query(
        "SELECT trigger, status, archived, dropped, failed FROM retention_runs WHERE id = $1",
    )
    .bind(report.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("status"), "ok");
    assert_eq!(row.get::<String, _>("trigger"), "command");
    let archived: Value = row.get("archived");
    let mut rows: Vec<(String, i64)> = archived
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["partition"].as_str().unwrap().to_string(),
                a["rows"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    let mut expected = vec![
        (leaf(30, "debug"), 1),
        (leaf(120, "standard"), 1),
        (leaf(400, "security"), 1),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    let dropped: Value = row.get("dropped");
    assert!(
        dropped
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["archived"] == json!(true))
    );
    assert_eq!(row.get::<Value, _>("failed"), json!([]));
    assert!(
        std::fs::read_dir(archive.path()).unwrap().next().is_some(),
        "files in the archive"
    );

    // A late record for a dropped day and class gets a new partition; nothing is lost.
    post_old(
        &app,
        30,
        &[json!({"level": "debug", "message": "late d30"})],
    )
    .await;
    assert_eq!(app.count("body = 'late d30'").await, 1);
}

#[tokio::test]
async fn the_command_keeps_security_logs_past_the_ordinary_horizon() {
    let app = app().await;
    seed_classes(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_logbridge"))
        .args(["retention", "run"])
        .env("DATABASE_URL", url(&app))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains(": ok\n"), "{stdout}");
    assert!(
        stdout.contains("dropped 3 partition(s), 0 of them archived"),
        "{stdout}"
    );
    assert!(stdout.contains(&leaf(120, "standard")), "{stdout}");

    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM logs ORDER BY body")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        bodies,
        ["e120", "i30", "s120"],
        "security and exceptions outlive the 90 days of standard"
    );
    let trigger: String = sqlx::query_scalar("SELECT trigger FROM retention_runs")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(trigger, "command");
}

/// Creates a plain day partition as migrations before 0008 did, with one row.
async fn legacy_day(app: &TestApp, days_ago: u64) -> String {
    let name = format!("logs_p{}", day(days_ago).format("%Y%m%d"));
    let sql = format!(
        "CREATE TABLE {name} PARTITION OF logs FOR VALUES FROM ('{0} 00:00+00') TO ('{1} 00:00+00')",
        day(days_ago),
        day(days_ago - 1)
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&app.db)
        .await
        .unwrap();
    post_old(
        app,
        days_ago,
        &[json!({"level": "debug", "message": format!("legacy {days_ago}")})],
    )
    .await;
    name
}

#[tokio::test]
async fn plain_day_partitions_of_old_expire_with_the_longest_class() {
    let app = app().await;
    let old = legacy_day(&app, 400).await;
    let recent = legacy_day(&app, 200).await;
    let report = run(&retention(&app, |_| {})).await;
    assert_eq!(report.status.as_str(), "ok", "{report:?}");
    let now = partitions(&app).await;
    assert!(!now.contains(&old), "past 365 days: dropped");
    assert!(
        now.contains(&recent),
        "debug rows of a plain partition stay until 365 days"
    );
    assert_eq!(app.count("body = 'legacy 200'").await, 1);
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].class, "all");
}

#[tokio::test]
async fn a_partition_an_interrupted_run_detached_is_dropped_by_the_next() {
    let app = app().await;
    post_old(&app, 30, &[json!({"level": "debug", "message": "d30"})]).await;
    let (day_table, leaf) = (
        format!("logs_p{}", day(30).format("%Y%m%d")),
        leaf(30, "debug"),
    );
    let left = format!("logs_x{}_debug_99", day(30).format("%Y%m%d"));
    let interrupted = format!(
        "ALTER TABLE {day_table} DETACH PARTITION {leaf}; ALTER TABLE {leaf} RENAME TO {left}; \
         COMMENT ON TABLE {left} IS 'logbridge retention: expired {} debug'",
        day(30)
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(interrupted))
        .execute(&app.db)
        .await
        .unwrap();
    let archive = tempfile::tempdir().unwrap();
    let location = archive.path().display().to_string();
    let report = run(&retention(&app, |config| {
        config.archive.location = location
    }))
    .await;
    assert_eq!(report.status.as_str(), "ok", "{report:?}");
    assert_eq!(report.archived.len(), 1, "{report:?}");
    assert_eq!(report.archived[0].rows, 1);
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(&left)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(!exists, "the leftover is archived and dropped");
}
