//! Per-service quotas per protocol: JSON, Loki and Elasticsearch bulk refuse the whole request
//! with 429 and Retry-After (nothing of it stored), OTLP rejects the over-quota service's records
//! through `partial_success`; every record acknowledged is stored.

use serde_json::{Value, json};

use super::{post_records, span_request, trace_id};
use crate::api::helpers::{TestApp, spawn_app_with};
use crate::api::loki::{PUSH, snappy_push};
use logbridge::config::Config;
use logbridge::config::policy::QuotaConfig;

/// `noisy` may store one byte a day: its first request passes, the next ones are over quota.
fn noisy_quota(config: &mut Config) {
    let quota = QuotaConfig {
        records_per_second: None,
        bytes_per_day: Some(1),
    };
    config
        .policy
        .quotas
        .services
        .insert("noisy".to_string(), quota);
}

fn record(service: &str, message: &str) -> Value {
    json!({"service": service, "level": "info", "message": message})
}

async fn stored(app: &TestApp, service: &str) -> i64 {
    app.count(&format!("service = '{service}'")).await
}

async fn held(app: &TestApp, service: &str) -> f64 {
    let labels = [("service", service), ("reason", "quota")];
    app.metric_sum("logbridge_ingest_sampled_out_total", &labels)
        .await
}

fn retry_after(response: &reqwest::Response) -> u64 {
    let header = response.headers()["retry-after"].to_str().unwrap();
    header.parse().expect("Retry-After in seconds")
}

#[tokio::test]
async fn json_batches_over_quota_answer_429_and_store_nothing_of_the_request() {
    let app = spawn_app_with(noisy_quota).await;
    assert_eq!(
        post_records(&app, &[record("noisy", "a"), record("noisy", "b")]).await,
        200
    );
    let body = [record("noisy", "c"), record("quiet", "d")]
        .map(|r| format!("{r}\n"))
        .concat();
    let response = app.post("/api/v1/logs", "application/json", body).await;
    assert_eq!(response.status(), 429);
    assert!(retry_after(&response) >= 1);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "over_quota");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("noisy"),
        "{error}"
    );
    assert_eq!(
        (stored(&app, "noisy").await, stored(&app, "quiet").await),
        (2, 0)
    );
    assert_eq!(
        (held(&app, "noisy").await, held(&app, "quiet").await),
        (1.0, 1.0)
    );
    assert_eq!(
        post_records(&app, &[record("quiet", "e")]).await,
        200,
        "others pass"
    );
    assert_eq!(stored(&app, "quiet").await, 1);
    let throttled = [("protocol", "json"), ("outcome", "throttled")];
    assert_eq!(
        app.metric_sum("logbridge_ingest_requests_total", &throttled)
            .await,
        1.0
    );
}

#[tokio::test]
async fn loki_pushes_over_quota_answer_429_with_retry_after() {
    let app = spawn_app_with(noisy_quota).await;
    let push = |lines: &[&str]| snappy_push(r#"{service_name="noisy"}"#, lines);
    let post = |body: Vec<u8>| {
        let request = app.client.post(format!("{}{PUSH}", app.http));
        request
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
    };
    assert_eq!(post(push(&["one", "two"])).await.unwrap().status(), 204);
    let refused = post(push(&["three"])).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(retry_after(&refused) >= 1);
    assert_eq!(stored(&app, "noisy").await, 2);
    assert_eq!(held(&app, "noisy").await, 1.0);
}

#[tokio::test]
async fn elasticsearch_bulk_requests_over_quota_answer_429() {
    let app = spawn_app_with(noisy_quota).await;
    let bulk = |message: &str| {
        let document = json!({"service.name": "noisy", "message": message});
        format!("{}\n{document}\n", json!({"create": {"_index": "logs"}}))
    };
    let post = |body: String| app.post("/es/_bulk", "application/x-ndjson", body);
    let accepted = post(bulk("one")).await;
    assert_eq!(accepted.status(), 200);
    let answer: Value = accepted.json().await.unwrap();
    assert_eq!(answer["errors"], false);
    let refused = post(bulk("two")).await;
    assert_eq!(refused.status(), 429);
    assert!(retry_after(&refused) >= 1);
    assert_eq!(refused.headers()["x-elastic-product"], "Elasticsearch");
    assert_eq!(stored(&app, "noisy").await, 1);
}

/// An OTLP/JSON logs request of `records` per service.
fn otlp_logs(services: &[(&str, usize)]) -> String {
    let resource_logs: Vec<Value> = (services.iter())
        .map(|(service, n)| {
            let records: Vec<Value> = (0..*n)
                .map(|i| json!({"severityText": "INFO", "body": {"stringValue": format!("{service} {i}")}}))
                .collect();
            json!({
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeLogs": [{"logRecords": records}]
            })
        })
        .collect();
    json!({"resourceLogs": resource_logs}).to_string()
}

#[tokio::test]
async fn otlp_rejects_the_over_quota_records_through_partial_success_and_stores_the_rest() {
    let app = spawn_app_with(noisy_quota).await;
    let first = app
        .post("/v1/logs", "application/json", otlp_logs(&[("noisy", 2)]))
        .await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.json::<Value>().await.unwrap(), json!({}));
    let body = otlp_logs(&[("noisy", 3), ("quiet", 4)]);
    let second = app.post("/v1/logs", "application/json", body).await;
    assert_eq!(second.status(), 200);
    let answer: Value = second.json().await.unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedLogRecords"], "3");
    let message = answer["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("noisy") && message.contains("quota"),
        "{message}"
    );
    assert_eq!(
        (stored(&app, "noisy").await, stored(&app, "quiet").await),
        (2, 4)
    );
    assert_eq!(held(&app, "noisy").await, 3.0);
    let invalid = app
        .metric_sum("logbridge_rejected_records_total", &[])
        .await;
    assert_eq!(invalid, 0.0, "records over quota are not invalid ones");
}

#[tokio::test]
async fn otlp_spans_over_quota_are_rejected_through_partial_success() {
    let app = spawn_app_with(noisy_quota).await;
    let post = |n: u64| {
        let body = span_request("noisy", &trace_id(n), n + 1).to_string();
        app.post("/v1/traces", "application/json", body)
    };
    assert_eq!(post(1).await.json::<Value>().await.unwrap(), json!({}));
    let answer: Value = post(2).await.json().await.unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedSpans"], "1");
    let spans: i64 = sqlx::query_scalar("SELECT count(*) FROM spans")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(spans, 1);
}
