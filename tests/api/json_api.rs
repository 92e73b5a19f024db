//! `POST /api/v1/logs` with captured output of real loggers, and batch atomicity.

use serde_json::{Value, json};
use sqlx::Row;

use super::helpers::{fixture, spawn_app};

#[tokio::test]
async fn captured_logger_output_is_stored_with_derived_fields() {
    let app = spawn_app().await;
    let files = [
        ("pino.ndjson", 12),
        ("pino-http.ndjson", 5),
        ("loguru.ndjson", 12),
        ("winston.ndjson", 10),
        ("bunyan.ndjson", 7),
        ("ecs.ndjson", 8),
        ("plain.ndjson", 12),
    ];
    for (name, lines) in files {
        let response = app
            .post(
                "/api/v1/logs?service=fixtures",
                "application/x-ndjson",
                fixture(name),
            )
            .await;
        assert_eq!(
            response.status(),
            200,
            "{name}: {}",
            response.text().await.unwrap()
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["accepted"], lines, "{name}");
    }
    assert_eq!(app.count("true").await, 66);
    // pino-http: request fields and a route template from req/res/responseTime.
    assert_eq!(
        app.count(
            "http_route = '/users/{id}' AND http_status = 200 AND attributes ? 'responseTime'"
        )
        .await,
        1
    );
    assert!(
        app.count("http_duration_ms >= 1000").await >= 1,
        "the slow pino-http request"
    );
    // plain portal shape and loguru's bound SQL fields.
    assert!(
        app.count("db_query IS NOT NULL AND db_duration_ms > 500")
            .await
            >= 1
    );
    // exceptions from pino err, winston stack, loguru record.exception, ECS error.*.
    assert!(app.count("exception_type IS NOT NULL").await >= 4);
    let winston = "service = 'user-service' AND exception_type = 'TypeError' \
                   AND exception_stacktrace LIKE 'TypeError: email must be a string%'";
    assert_eq!(app.count(winston).await, 1, "winston's top-level stack");
    assert!(
        app.count("service = 'billing'").await >= 1,
        "loguru bind(service=...)"
    );
    let row = sqlx::query("SELECT level, service FROM logs WHERE body = 'cart lookup started'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("level"), "trace");
    assert_eq!(row.get::<String, _>("service"), "fixtures");
}

#[tokio::test]
async fn a_batch_with_an_invalid_item_is_rejected_whole() {
    let app = spawn_app().await;
    let batch = json!([
        {"message": "good one"},
        {"level": "info"},
        {"message": "bad level", "level": "shouting"},
        {"message": "good two"},
    ]);
    let response = app
        .post("/api/v1/logs", "application/json", batch.to_string())
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_batch");
    let details = body["error"]["details"].as_array().unwrap();
    let indexes: Vec<i64> = details
        .iter()
        .map(|d| d["index"].as_i64().unwrap())
        .collect();
    assert_eq!(indexes, vec![1, 2]);
    assert_eq!(app.count("true").await, 0, "nothing of the batch is stored");
}

#[tokio::test]
async fn envelope_and_single_object_shapes_are_accepted() {
    let app = spawn_app().await;
    let one = json!({"message": "one", "service": "api", "level": "WARNING"});
    let envelope =
        json!({"logs": [{"msg": "a", "level": 50}, {"message": "b", "level": "critical"}]});
    assert_eq!(
        app.post("/api/v1/logs", "application/json", one.to_string())
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post("/api/v1/logs", "application/json", envelope.to_string())
            .await
            .status(),
        200
    );
    assert_eq!(app.count("service = 'api' AND level = 'warn'").await, 1);
    assert_eq!(
        app.count("service = 'unknown_service' AND level IN ('error', 'fatal')")
            .await,
        2
    );
}
