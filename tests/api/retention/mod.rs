//! Retention: partitions past their class's days are archived, verified and dropped while
//! ingest runs; security logs outlive ordinary ones; a failing archive leaves everything in
//! place; one run at a time; the schedule inside `serve`, the command, and the other tables.

mod anonymize;
mod expiry;
mod migration;
mod runs;
mod shortened;
mod tables;

use std::sync::atomic::AtomicBool;

use chrono::{Days, NaiveDate, Utc};
use logbridge::config::{Config, Secret};
use logbridge::jobs::retention::{Retention, RunReport, Trigger};
use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app_with};

/// How old an accepted record may be in these tests, in days.
const MAX_PAST_DAYS: u32 = 1000;

/// A bridge that accepts records up to `MAX_PAST_DAYS` old and runs no retention of its own.
async fn app() -> TestApp {
    spawn_app_with(|config| {
        config.storage.max_past_days = MAX_PAST_DAYS;
        config.retention.enabled = false;
    })
    .await
}

/// The database URL of a test app.
fn url(app: &TestApp) -> String {
    format!("postgres://postgres@127.0.0.1:5432/{}", app.db_name)
}

/// The retention job on the app's database, with defaults changed by `adjust`.
fn retention(app: &TestApp, adjust: impl FnOnce(&mut Config)) -> Retention {
    let mut config = Config::default();
    config.database.url = Secret::from(url(app).as_str());
    adjust(&mut config);
    Retention::new(app.db.clone(), &config).expect("the retention job is configured")
}

/// Runs the job once, as `logbridge retention run` would.
async fn run(retention: &Retention) -> RunReport {
    let never = AtomicBool::new(false);
    retention
        .run(Trigger::Command, &never)
        .await
        .expect("the run completes")
}

/// The UTC day `days_ago` days before today.
fn day(days_ago: u64) -> NaiveDate {
    Utc::now().date_naive() - Days::new(days_ago)
}

/// The partition of a day and class.
fn leaf(days_ago: u64, class: &str) -> String {
    format!("logs_p{}_{class}", day(days_ago).format("%Y%m%d"))
}

/// POSTs records stamped at noon `days_ago` days back; each is a JSON object with at least
/// `message` (and `level`, attributes). Asserts that they are accepted.
async fn post_old(app: &TestApp, days_ago: u64, records: &[Value]) {
    let ts = format!("{}T12:00:00Z", day(days_ago));
    let records: Vec<Value> = records
        .iter()
        .map(|record| {
            let mut record = record.clone();
            record["timestamp"] = json!(ts);
            record
        })
        .collect();
    let status = app.post_json(Value::Array(records).to_string()).await;
    assert_eq!(status, 200, "records of {days_ago} days ago are accepted");
}

/// Every partition of `logs` that holds rows, and every day partition, by name.
async fn partitions(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'logs'::regclass OR i.inhparent IN \
           (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'logs'::regclass) ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// Tables retention detached and has not dropped (`logs_x...`).
async fn detached(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT relname::text FROM pg_class WHERE relname LIKE 'logs\\_x%' ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// Old records of every default class: debug and info 30 days back; info, security and an
/// exception 120 days back; security 400 days back.
async fn seed_classes(app: &TestApp) {
    let login = json!({"level": "info", "message": "s", "event.category": ["authentication"]});
    let failure = json!({"level": "error", "message": "e", "exception.type": "E", "exception.message": "boom"});
    post_old(
        app,
        30,
        &[
            json!({"level": "debug", "message": "d30"}),
            json!({"level": "info", "message": "i30"}),
        ],
    )
    .await;
    let mut s120 = login.clone();
    s120["message"] = json!("s120");
    let mut e120 = failure;
    e120["message"] = json!("e120");
    post_old(
        app,
        120,
        &[json!({"level": "info", "message": "i120"}), s120, e120],
    )
    .await;
    let mut s400 = login;
    s400["message"] = json!("s400");
    post_old(app, 400, &[s400]).await;
}
