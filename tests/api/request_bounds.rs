//! Per-request bounds: a gzipped body of many tiny records or attributes answers 413 naming the
//! limit, on every receiver, before it is decoded; nothing is stored and the bridge stays up.

use logbridge::ingest::otlp::http::RpcStatus;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use prost::Message;
use serde_json::Value;

use super::helpers::{TestApp, spawn_app, spawn_app_with};
use super::otlp_http::gzip;

/// Tiny records, far more than `ingest.max_records_per_request` (100,000 by default).
const RECORDS: usize = 300_000;

const RECORDS_LIMIT: &str = "ingest.max_records_per_request is 100000";

fn request_of(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// `RECORDS` records whose body is `"x"`.
fn tiny_records() -> ExportLogsServiceRequest {
    let record = LogRecord {
        body: Some(AnyValue {
            value: Some(
                opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue("x".into()),
            ),
        }),
        ..Default::default()
    };
    request_of(vec![record; RECORDS])
}

/// POSTs a gzipped body; returns the status and the answer's text.
async fn post_gzipped(app: &TestApp, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}{path}", app.http))
        .header("content-type", content_type)
        .header("content-encoding", "gzip")
        .body(gzip(body))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Nothing stored, every request counted as rejected, and the bridge still answers.
async fn assert_rejected_and_alive(app: &TestApp, requests: f64) {
    assert_eq!(app.count("true").await, 0);
    let labels = [("outcome", "rejected")];
    let rejected = app
        .metric_sum("logbridge_ingest_requests_total", &labels)
        .await;
    assert_eq!(rejected, requests);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn otlp_http_protobuf_with_too_many_records_answers_413() {
    let app = spawn_app().await;
    let body = tiny_records().encode_to_vec();
    let (status, answer) = post_gzipped(&app, "/v1/logs", "application/x-protobuf", &body).await;
    assert_eq!(status, 413);
    let message = RpcStatus::decode(answer.as_bytes()).unwrap().message;
    assert_eq!(
        message,
        format!("request holds {RECORDS} log records; {RECORDS_LIMIT}")
    );
    assert_rejected_and_alive(&app, 1.0).await;
}

#[tokio::test]
async fn otlp_json_with_too_many_records_answers_413() {
    let app = spawn_app().await;
    let records = vec![r#"{"body":{"stringValue":"x"}}"#; RECORDS].join(",");
    let body = format!(r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{records}]}}]}}]}}"#);
    let (status, answer) =
        post_gzipped(&app, "/v1/logs", "application/json", body.as_bytes()).await;
    assert_eq!(status, 413, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let message = answer["message"].as_str().unwrap();
    let expected = format!("request holds up to {RECORDS} log records; {RECORDS_LIMIT}");
    assert_eq!(message, expected);
    assert_rejected_and_alive(&app, 1.0).await;
}

#[tokio::test]
async fn ndjson_with_too_many_records_answers_413() {
    let app = spawn_app().await;
    let body = "{\"msg\":1}\n".repeat(RECORDS);
    let (status, answer) = post_gzipped(
        &app,
        "/api/v1/logs",
        "application/x-ndjson",
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["error"]["code"], "too_large");
    let expected = format!("request holds up to {RECORDS} log records; {RECORDS_LIMIT}");
    assert_eq!(answer["error"]["message"], expected.as_str());
    assert_rejected_and_alive(&app, 1.0).await;
}

#[tokio::test]
async fn one_record_with_too_many_attributes_answers_413() {
    let app = spawn_app_with(|config| config.ingest.max_attributes_per_request = 1000).await;
    let attributes: Vec<KeyValue> = (0..5000)
        .map(|i| KeyValue {
            key: format!("k{i}"),
            ..Default::default()
        })
        .collect();
    let record = LogRecord {
        attributes,
        ..Default::default()
    };
    let body = request_of(vec![record]).encode_to_vec();
    let (status, answer) = post_gzipped(&app, "/v1/logs", "application/x-protobuf", &body).await;
    assert_eq!(status, 413);
    let message = RpcStatus::decode(answer.as_bytes()).unwrap().message;
    let expected =
        "request holds 5000 attribute entries; ingest.max_attributes_per_request is 1000";
    assert_eq!(message, expected);
    let object: serde_json::Map<String, Value> = (0..5000)
        .map(|i| (format!("k{i}"), Value::from(i)))
        .collect();
    let mut object = object;
    object.insert("message".into(), "many".into());
    let body = Value::Object(object).to_string();
    let (status, answer) =
        post_gzipped(&app, "/api/v1/logs", "application/json", body.as_bytes()).await;
    assert_eq!(status, 413, "{answer}");
    assert!(
        answer.contains("ingest.max_attributes_per_request is 1000"),
        "{answer}"
    );
    assert_rejected_and_alive(&app, 2.0).await;
}

#[tokio::test]
async fn grpc_with_too_many_records_answers_resource_exhausted() {
    let app = spawn_app().await;
    let mut client = LogsServiceClient::connect(app.grpc.clone())
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let status = client.export(tiny_records()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    let expected = format!("request holds {RECORDS} log records; {RECORDS_LIMIT}");
    assert_eq!(status.message(), expected);
    assert_rejected_and_alive(&app, 1.0).await;
    let small = request_of(vec![LogRecord::default(); 3]);
    client.export(small).await.expect("a small request passes");
    assert_eq!(app.count("true").await, 3);
}

/// gRPC authenticates before it counts or decodes: a request over the bounds without a token
/// answers UNAUTHENTICATED, not RESOURCE_EXHAUSTED (the codec decoded first before issue 12).
#[tokio::test]
async fn grpc_refuses_a_missing_token_before_reading_the_request() {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let mut client = LogsServiceClient::connect(app.grpc.clone())
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let status = client.export(tiny_records()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
    assert_eq!(app.count("true").await, 0);
}
