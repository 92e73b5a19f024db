//! Retention of spans: the run that expires `logs` partitions drops the days of `spans` past the
//! default class's days, and keeps the others.

use std::sync::atomic::AtomicBool;

use chrono::{Days, Utc};
use logbridge::config::{Config, Secret};
use logbridge::jobs::retention::{Retention, Trigger};
use prost::Message;

use super::{count_spans, request, span};
use crate::api::helpers::spawn_app_with;

const DAY_NANOS: u64 = 86_400 * 1_000_000_000;

#[tokio::test]
async fn days_of_spans_past_the_standard_class_are_dropped_by_the_retention_run() {
    let app = spawn_app_with(|config| config.retention.enabled = false).await;
    let mut old = span(1);
    old.start_time_unix_nano -= 100 * DAY_NANOS;
    old.end_time_unix_nano -= 100 * DAY_NANOS;
    let body = request("kept-a-while", vec![old, span(2)]).encode_to_vec();
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(count_spans(&app, "true").await, 2);

    let mut config = Config::default();
    config.database.url = Secret::from(app.database_url().as_str());
    let retention = Retention::new(app.db.clone(), &config).expect("the retention job");
    let never = AtomicBool::new(false);
    let report = retention
        .run(Trigger::Command, &never)
        .await
        .expect("the run");

    let old_day = Utc::now().date_naive() - Days::new(100);
    let partition = format!("spans_p{}", old_day.format("%Y%m%d"));
    let dropped: Vec<&str> = report
        .dropped
        .iter()
        .map(|d| d.partition.as_str())
        .collect();
    assert_eq!(dropped, [partition.as_str()], "{:?}", report.failed);
    assert_eq!(count_spans(&app, "true").await, 1);
    assert_eq!(count_spans(&app, "span_id = '0202020202020202'").await, 1);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_class WHERE relname LIKE 'spans_x%'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(left, 0, "the detached table is dropped too");
}
