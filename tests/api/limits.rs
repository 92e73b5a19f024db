//! Hostile input: each answers a 4xx or is stored safely, and the process stays up.

use serde_json::{Map, Value, json};
use sqlx::Row;

use super::helpers::{TestApp, spawn_app};

async fn assert_alive(app: &TestApp) {
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn nul_bytes_are_stored_as_replacement_characters() {
    let app = spawn_app().await;
    let record = json!({"message": "a\u{0000}b", "key\u{0000}": "v\u{0000}", "service": "nul"});
    let response = app
        .post("/api/v1/logs", "application/json", record.to_string())
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let row = sqlx::query("SELECT body, attributes::text AS attrs FROM logs WHERE service = 'nul'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("body"), "a\u{FFFD}b");
    assert!(row.get::<String, _>("attrs").contains("key\u{FFFD}"));
}

#[tokio::test]
async fn large_messages_and_attribute_maps_are_stored_bounded() {
    let app = spawn_app().await;
    let big = "x".repeat(300 * 1024);
    let mut record = Map::new();
    record.insert("message".into(), Value::String(big.clone()));
    record.insert("service".into(), json!("big"));
    for i in 0..5000 {
        record.insert(format!("attr{i}"), json!(i));
    }
    let response = app
        .post(
            "/api/v1/logs",
            "application/json",
            Value::Object(record).to_string(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let row = sqlx::query("SELECT length(body) AS len, (SELECT count(*) FROM jsonb_object_keys(attributes)) AS keys FROM logs")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        row.get::<i32, _>("len"),
        300 * 1024,
        "300 KB is under the 1 MiB value limit"
    );
    assert_eq!(
        row.get::<i64, _>("keys"),
        256,
        "attributes are capped at ingest.max_attributes"
    );
    assert!(
        app.metric_sum("logbridge_dropped_attributes_total", &[])
            .await
            >= 4744.0
    );
}

#[tokio::test]
async fn absurd_timestamps_are_clamped_not_failed() {
    let app = spawn_app().await;
    let batch = json!([
        {"message": "epoch zero", "timestamp": 0},
        {"message": "far future", "timestamp": "9999-12-31T23:59:59Z"},
    ]);
    let response = app
        .post("/api/v1/logs", "application/json", batch.to_string())
        .await;
    assert_eq!(response.status(), 200);
    let clamped = app
        .count("ts > now() - interval '1 hour' AND attributes ? 'logbridge.original_timestamp'")
        .await;
    assert_eq!(clamped, 2);
}

#[tokio::test]
async fn malformed_json_deep_nesting_and_invalid_utf8_answer_400() {
    let app = spawn_app().await;
    let deep = "[".repeat(100_000);
    let bodies: Vec<Vec<u8>> = vec![
        b"{\"message\": ".to_vec(),
        deep.into_bytes(),
        b"{\"message\": \"\xff\xfe\"}".to_vec(),
    ];
    for body in bodies {
        let response = app
            .post("/api/v1/logs", "application/json", body.clone())
            .await;
        assert_eq!(response.status(), 400);
        let response = app.post("/v1/logs", "application/json", body).await;
        assert_eq!(response.status(), 400);
    }
    let response = app.post("/api/v1/logs", "text/csv", "a,b").await;
    assert_eq!(response.status(), 415);
    assert_alive(&app).await;
    assert_eq!(app.count("true").await, 0);
}

#[tokio::test]
async fn bodies_over_the_limit_answer_413() {
    let app = spawn_app_with_small_limit().await;
    let body = json!({"message": "y".repeat(2048)}).to_string();
    assert_eq!(
        app.post("/api/v1/logs", "application/json", body.clone())
            .await
            .status(),
        413
    );
    assert_eq!(
        app.post("/v1/logs", "application/json", body)
            .await
            .status(),
        413
    );
    assert_alive(&app).await;
}

async fn spawn_app_with_small_limit() -> TestApp {
    super::helpers::spawn_app_with(|config| config.ingest.max_body_bytes = 1024).await
}
