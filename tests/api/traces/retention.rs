//! Retention of spans: the run that expires `logs` partitions archives and drops the days of
//! `spans` past their class's days (a class by service applies to spans; `standard` takes the
//! rest), keeps the others, and puts a day back when its archive fails; an archived day restores
//! into `spans_restored`.

use std::sync::atomic::AtomicBool;

use chrono::{Days, Utc};
use logbridge::config::{Config, RetentionClassConfig, Secret};
use logbridge::jobs::archive::{Archive, Source};
use logbridge::jobs::retention::{Retention, RunReport, Trigger};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::Value;

use super::{count_spans, request, span, string};
use crate::api::helpers::{TestApp, spawn_app_with};

const DAY_NANOS: u64 = 86_400 * 1_000_000_000;

/// A span `days_ago` days back.
fn old_span(id: u8, days_ago: u64) -> Span {
    let mut old = span(id);
    old.start_time_unix_nano -= days_ago * DAY_NANOS;
    old.end_time_unix_nano -= days_ago * DAY_NANOS;
    old
}

async fn send(app: &TestApp, service: &str, spans: Vec<Span>) {
    let body = request(service, spans).encode_to_vec();
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    assert_eq!(response.status(), 200);
}

/// Runs the retention job once on the app's database, with defaults changed by `adjust`.
async fn run(app: &TestApp, adjust: impl FnOnce(&mut Config)) -> RunReport {
    let mut config = Config::default();
    config.database.url = Secret::from(app.database_url().as_str());
    adjust(&mut config);
    let retention = Retention::new(app.db.clone(), &config).expect("the retention job");
    let never = AtomicBool::new(false);
    retention
        .run(Trigger::Command, &never)
        .await
        .expect("the run")
}

fn partition(days_ago: u64) -> String {
    let day = Utc::now().date_naive() - Days::new(days_ago);
    format!("spans_p{}", day.format("%Y%m%d"))
}

fn dropped(report: &RunReport) -> Vec<&str> {
    let names = report.dropped.iter().map(|d| d.partition.as_str());
    names.collect()
}

async fn spawn() -> TestApp {
    spawn_app_with(|config| config.retention.enabled = false).await
}

#[tokio::test]
async fn days_of_spans_past_the_standard_class_are_dropped_by_the_retention_run() {
    let app = spawn().await;
    send(&app, "kept-a-while", vec![old_span(1, 100), span(2)]).await;
    assert_eq!(count_spans(&app, "true").await, 2);

    let report = run(&app, |_| {}).await;

    assert_eq!(
        dropped(&report),
        [partition(100).as_str()],
        "{:?}",
        report.failed
    );
    assert_eq!(count_spans(&app, "true").await, 1);
    assert_eq!(count_spans(&app, "span_id = '0202020202020202'").await, 1);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_class WHERE relname LIKE 'spans_x%'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(left, 0, "the detached table is dropped too");
}

#[tokio::test]
async fn a_class_by_service_keeps_its_spans_and_a_day_lives_as_long_as_its_longest_class() {
    let app = spawn().await;
    // `ledger` spans share their day with `web` spans; a day 120 days back holds only `web`.
    send(&app, "ledger", vec![old_span(1, 100)]).await;
    send(&app, "web", vec![old_span(2, 100), old_span(3, 120)]).await;
    // A class that also asks for a level does not apply to spans.
    send(&app, "noisy", vec![old_span(4, 130)]).await;
    let classes = |config: &mut Config| {
        let class = |name: &str, days: u32, services: &[&str]| {
            let mut class: RetentionClassConfig =
                serde_json::from_value(serde_json::json!({"name": name, "days": days})).unwrap();
            class.services = services.iter().map(|s| s.to_string()).collect();
            class
        };
        let mut noisy = class("noisy", 400, &["noisy"]);
        noisy.levels = vec!["error".into()];
        config.retention.classes = vec![
            noisy,
            class("audit", 365, &["ledger"]),
            class("standard", 90, &[]),
        ];
    };

    let report = run(&app, classes).await;

    let mut gone = dropped(&report);
    gone.sort();
    assert_eq!(
        gone,
        [partition(130), partition(120)],
        "{:?}",
        report.failed
    );
    assert_eq!(
        count_spans(&app, "true").await,
        2,
        "the day of a `ledger` span stays whole"
    );
    let classes: Vec<&str> = report.dropped.iter().map(|d| d.class.as_str()).collect();
    assert_eq!(classes, ["standard", "standard"]);
}

#[tokio::test]
async fn an_expired_day_of_spans_is_archived_verified_and_restored_into_spans_restored() {
    let app = spawn().await;
    let mut archived = old_span(1, 100);
    archived.attributes = vec![
        string("enduser.id", "u-1"),
        string("note", "caf\u{e9}\ttab"),
    ];
    send(&app, "archived", vec![archived, old_span(2, 100), span(3)]).await;
    let before: Vec<Value> = sqlx::query_scalar(
        "SELECT to_jsonb(s) FROM spans s WHERE start_ts < now() - interval '50 days' ORDER BY span_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().display().to_string();

    let report = run(&app, |config| config.archive.location = location.clone()).await;

    assert_eq!(report.archived.len(), 1, "{report:?}");
    assert_eq!(
        (
            report.archived[0].partition.as_str(),
            report.archived[0].rows
        ),
        (partition(100).as_str(), 2)
    );
    assert!(report.dropped[0].archived);
    assert_eq!(count_spans(&app, "true").await, 1);
    let archive = Archive::open(&logbridge::config::ArchiveConfig {
        location: location.clone(),
        ..Default::default()
    })
    .unwrap()
    .unwrap();
    let listed = archive.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].source, listed[0].format_version),
        (Source::Spans, 2)
    );
    assert_eq!(
        listed[0].min_ts.map(|t| t.date_naive()),
        Some(report.archived[0].day)
    );

    let restored = archive.restore(&app.db, &listed[0].file).await.unwrap();
    assert_eq!(
        (restored.table.as_str(), restored.rows),
        ("spans_restored", 2)
    );
    assert!(
        restored.dropped_columns.is_empty(),
        "{:?}",
        restored.dropped_columns
    );
    let after: Vec<Value> = sqlx::query_scalar(
        "SELECT to_jsonb(s) - 'archive_file' FROM spans_restored s ORDER BY span_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(after, before, "every column of every span, as it was");
    let again = archive.restore(&app.db, &listed[0].file).await.unwrap();
    assert_eq!(
        (again.rows, again.replaced),
        (2, 2),
        "a second restore replaces the first"
    );
}

#[tokio::test]
async fn a_failing_archive_puts_the_day_of_spans_back() {
    let app = spawn().await;
    send(&app, "kept", vec![old_span(1, 100)]).await;
    // An archive directory under a regular file cannot be created.
    let file = tempfile::NamedTempFile::new().unwrap();
    let location = file.path().join("archive").display().to_string();

    let report = run(&app, |config| config.archive.location = location).await;

    assert!(report.dropped.is_empty(), "{report:?}");
    let steps: Vec<(&str, &str)> = report
        .failed
        .iter()
        .map(|f| (f.target.as_str(), f.step))
        .collect();
    assert_eq!(steps, [(partition(100).as_str(), "archive")]);
    assert_eq!(
        count_spans(&app, "true").await,
        1,
        "the day is back in `spans`"
    );
    let marked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid \
         WHERE c.relname LIKE 'spans%'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(marked, 0, "its mark is gone");
}

#[tokio::test]
async fn a_dry_run_previews_the_days_of_spans_and_the_old_rows_a_run_then_removes() {
    let app = spawn().await;
    send(&app, "kept-a-while", vec![old_span(1, 100), span(2)]).await;
    sqlx::query("INSERT INTO audit_log (at, method, endpoint, filters, status) VALUES (now() - interval '400 days', 'GET', '/old', '{}', 200)")
        .execute(&app.db)
        .await
        .unwrap();
    let retention = |app: &TestApp| {
        let mut config = Config::default();
        config.database.url = Secret::from(app.database_url().as_str());
        Retention::new(app.db.clone(), &config).expect("the retention job")
    };

    let plan = retention(&app).plan().await.unwrap();

    let planned: Vec<&str> = plan.spans.iter().map(|p| p.partition.as_str()).collect();
    assert_eq!(planned, [partition(100).as_str()]);
    assert_eq!(count_spans(&app, "true").await, 2, "nothing changed");
    let audit = plan.deleted.iter().find(|(table, _)| *table == "audit_log");
    assert_eq!(audit, Some(&("audit_log", 1)), "{:?}", plan.deleted);

    let report = run(&app, |_| {}).await;
    assert_eq!(
        dropped(&report),
        planned,
        "the run drops what the dry run named"
    );
    assert_eq!(report.deleted.get("audit_log"), Some(&1));
}
