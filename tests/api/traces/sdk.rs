//! The `opentelemetry-otlp` span exporter, over gRPC (gzip) and over HTTP/protobuf, as a real
//! client: a server span with a database client span under it, checked row by row.

use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{SpanExporter, WithExportConfig, WithTonicConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use sqlx::Row;

use super::count_spans;
use crate::api::helpers::{TestApp, spawn_app};
use crate::api::otlp_grpc::resource;

/// Ends a server span (an error, 1.25 s) with a database client span (40 ms) under it, then
/// flushes; runs on a blocking thread as the SDK's processors block.
pub(super) fn emit_request(provider: SdkTracerProvider) {
    let tracer = provider.tracer("checkout.http");
    let start = SystemTime::now();
    let server = tracer
        .span_builder("GET /orders/{id}")
        .with_kind(SpanKind::Server)
        .with_start_time(start)
        .with_attributes([
            KeyValue::new("http.route", "/orders/{id}"),
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("http.response.status_code", 500i64),
        ])
        .start(&tracer);
    let context = Context::current_with_span(server);
    let mut query = tracer
        .span_builder("SELECT orders")
        .with_kind(SpanKind::Client)
        .with_start_time(start + Duration::from_millis(10))
        .with_attributes([
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new("db.statement", "SELECT * FROM orders WHERE id = 42"),
        ])
        .start_with_context(&tracer, &context);
    query.end_with_timestamp(start + Duration::from_millis(50));
    let server = context.span();
    server.set_status(Status::error("upstream failed"));
    server.end_with_timestamp(start + Duration::from_millis(1250));
    provider.force_flush().expect("flush succeeds");
    provider.shutdown().expect("shutdown succeeds");
}

/// Checks the two rows `emit_request` leaves for `service`.
async fn check_rows(app: &TestApp, service: &str) {
    let condition = format!("service = '{service}'");
    assert_eq!(count_spans(app, &condition).await, 2);
    let rows = sqlx::query(
        "SELECT trace_id, span_id, parent_span_id, name, kind, duration_ns, status_code, \
         status_message, scope, http_route, http_method, http_status, db_system, db_operation, \
         db_query_fingerprint FROM spans WHERE service = $1 ORDER BY kind DESC",
    )
    .bind(service)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let (server, client) = (&rows[0], &rows[1]);
    assert_eq!(server.get::<String, _>("kind"), "server");
    assert_eq!(client.get::<String, _>("kind"), "client");
    let trace_id: String = server.get("trace_id");
    assert_eq!(trace_id.len(), 32);
    assert_eq!(client.get::<String, _>("trace_id"), trace_id);
    assert_eq!(server.get::<Option<String>, _>("parent_span_id"), None);
    let server_id: String = server.get("span_id");
    assert_eq!(server_id.len(), 16);
    assert_eq!(
        client.get::<Option<String>, _>("parent_span_id"),
        Some(server_id)
    );
    assert_eq!(server.get::<i64, _>("duration_ns"), 1_250_000_000);
    assert_eq!(client.get::<i64, _>("duration_ns"), 40_000_000);
    assert_eq!(server.get::<i16, _>("status_code"), 2);
    assert_eq!(server.get::<String, _>("status_message"), "upstream failed");
    assert_eq!(client.get::<i16, _>("status_code"), 0);
    assert_eq!(server.get::<String, _>("scope"), "checkout.http");
    assert_eq!(server.get::<String, _>("http_route"), "/orders/{id}");
    assert_eq!(server.get::<String, _>("http_method"), "GET");
    assert_eq!(server.get::<i16, _>("http_status"), 500);
    assert_eq!(client.get::<String, _>("db_system"), "postgresql");
    assert_eq!(client.get::<String, _>("db_operation"), "SELECT");
    let fingerprint: String = client.get("db_query_fingerprint");
    assert!(
        fingerprint.starts_with("SELECT * FROM orders WHERE id = ?"),
        "{fingerprint}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_spans_over_grpc_become_rows() {
    let app = spawn_app().await;
    let endpoint = app.grpc.clone();
    tokio::task::spawn_blocking(move || {
        let exporter = SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_compression(opentelemetry_otlp::Compression::Gzip)
            .build()
            .expect("exporter builds");
        let provider = SdkTracerProvider::builder()
            .with_resource(resource("checkout"))
            .with_batch_exporter(exporter)
            .build();
        emit_request(provider);
    })
    .await
    .unwrap();
    check_rows(&app, "checkout").await;
    let counted = [("protocol", "otlp_grpc_traces"), ("outcome", "accepted")];
    let spans = app
        .metric_sum("logbridge_ingest_records_total", &counted)
        .await;
    assert_eq!(spans, 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_spans_over_http_protobuf_become_rows() {
    let app = spawn_app().await;
    let endpoint = format!("{}/v1/traces", app.http);
    tokio::task::spawn_blocking(move || {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .build()
            .expect("exporter builds");
        let provider = SdkTracerProvider::builder()
            .with_resource(resource("payments"))
            .with_simple_exporter(exporter)
            .build();
        emit_request(provider);
    })
    .await
    .unwrap();
    check_rows(&app, "payments").await;
    let counted = [
        ("protocol", "otlp_http_protobuf_traces"),
        ("outcome", "accepted"),
    ];
    let spans = app
        .metric_sum("logbridge_ingest_records_total", &counted)
        .await;
    assert_eq!(spans, 2.0);
}
