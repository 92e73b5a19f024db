//! OTLP/HTTP: the SDK exporter over HTTP/protobuf, captured SDK payloads, and the error answers.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use opentelemetry_otlp::{LogExporter, WithExportConfig};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use prost::Message;
use serde_json::Value;

use super::helpers::{fixture, spawn_app};
use super::otlp_grpc::{emit_all, resource};

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_logs_over_http_protobuf_become_rows() {
    let app = spawn_app().await;
    let endpoint = format!("{}/v1/logs", app.http);
    tokio::task::spawn_blocking(move || {
        let exporter = LogExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .build()
            .expect("exporter builds");
        let provider = SdkLoggerProvider::builder()
            .with_resource(resource("payments"))
            .with_simple_exporter(exporter)
            .build();
        emit_all(provider, 3);
    })
    .await
    .unwrap();
    assert_eq!(
        app.count("service = 'payments' AND level = 'warn'").await,
        3
    );
}

#[tokio::test]
async fn captured_sdk_payloads_are_stored() {
    let app = spawn_app().await;
    let python = app
        .post(
            "/v1/logs",
            "application/x-protobuf",
            fixture("otlp-python.pb"),
        )
        .await;
    assert_eq!(python.status(), 200);
    assert_eq!(python.headers()["content-type"], "application/x-protobuf");
    let answer = ExportLogsServiceResponse::decode(python.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.partial_success, None);

    let js = app
        .post("/v1/logs", "application/json", fixture("otlp-js.json"))
        .await;
    assert_eq!(js.status(), 200);
    assert_eq!(
        js.text().await.unwrap(),
        "{}",
        "no partialSuccess, not even null"
    );

    let gzipped = app
        .client
        .post(format!("{}/v1/logs", app.http))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(fixture("otlp-js-gzip.json.gz"))
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.status(), 200);
    assert_eq!(app.count("true").await, 7 + 8 + 8);
    assert!(app.count("exception_type IS NOT NULL").await >= 2);
}

#[tokio::test]
async fn invalid_records_are_rejected_through_partial_success_and_the_rest_kept() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/logs",
            "application/json",
            fixture("otlp-handmade.json"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["partialSuccess"]["rejectedLogRecords"], "1");
    let message = body["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(message.contains("traceId"), "{message}");
    assert_eq!(app.count("true").await, 6);
}

#[tokio::test]
async fn undecodable_bodies_answer_400_with_a_status_in_the_request_encoding() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/logs",
            "application/x-protobuf",
            &b"\x0a\xff\xff\xff"[..],
        )
        .await;
    assert_eq!(response.status(), 400);
    #[derive(Clone, PartialEq, prost::Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    let status = Status::decode(response.bytes().await.unwrap()).unwrap();
    assert_eq!(status.code, 3, "INVALID_ARGUMENT");
    assert!(!status.message.is_empty());

    let response = app
        .post("/v1/logs", "application/json", r#"{"logs": []}"#)
        .await;
    assert_eq!(
        response.status(),
        400,
        "JSON without resourceLogs is not a silent success"
    );
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("resourceLogs"));

    let response = app.post("/v1/logs", "text/plain", "hello").await;
    assert_eq!(response.status(), 415);
    assert_eq!(app.count("true").await, 0);
}

#[tokio::test]
async fn a_gzip_bomb_answers_413() {
    let app = spawn_app().await;
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    let response = app
        .client
        .post(format!("{}/v1/logs", app.http))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

/// One OTLP request mixing hostile records: the bad one is rejected, the others stored safely.
#[tokio::test]
async fn hostile_records_in_one_request_are_stored_safely_or_rejected_alone() {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

    let text = |s: &str| {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(s.into())),
        })
    };
    let attribute = |k: String| KeyValue {
        key: k,
        value: text("v"),
        ..KeyValue::default()
    };
    let record = |body: &str| LogRecord {
        body: text(body),
        ..LogRecord::default()
    };
    let records = vec![
        record("nul\0inside"),
        LogRecord {
            attributes: (0..5000).map(|i| attribute(format!("k{i}"))).collect(),
            ..record("many attributes")
        },
        LogRecord {
            time_unix_nano: 0,
            ..record("time zero")
        },
        LogRecord {
            time_unix_nano: u64::MAX,
            ..record("year 2554, past what nanoseconds in i64 hold")
        },
        LogRecord {
            trace_id: vec![1; 5],
            ..record("bad trace id")
        },
        record(&"x".repeat(300 * 1024)),
    ];
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    };
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/logs",
            "application/x-protobuf",
            request.encode_to_vec(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer = ExportLogsServiceResponse::decode(response.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.partial_success.unwrap().rejected_log_records, 1);
    assert_eq!(app.count("true").await, 5);
    assert_eq!(app.count("body = 'nul\u{FFFD}inside'").await, 1);
    assert_eq!(
        app.count("ts > now() - interval '1 hour'").await,
        5,
        "0 and 9999 become receive time"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}
