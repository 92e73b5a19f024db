//! OTLP/gRPC with the `opentelemetry-otlp` crate's log exporter as a real client.

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry_otlp::{LogExporter, WithExportConfig, WithTonicConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use sqlx::Row;

use super::helpers::spawn_app;

/// Emits records through a provider; runs on a blocking thread as the SDK's processors block.
pub fn emit_all(provider: SdkLoggerProvider, records: usize) {
    let logger = provider.logger("checkout.handler");
    for i in 0..records {
        let mut record = logger.create_log_record();
        record.set_body(AnyValue::from(format!("order {i} placed")));
        record.set_severity_number(Severity::Warn);
        record.set_severity_text("WARN");
        record.add_attribute("http.request.method", "GET");
        record.add_attribute("url.path", format!("/orders/{i}"));
        record.add_attribute("http.response.status_code", 200i64);
        record.add_attribute("http.server.request.duration", 1.5f64);
        record.set_trace_context(
            opentelemetry::trace::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            opentelemetry::trace::SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            None,
        );
        logger.emit(record);
    }
    provider.force_flush().expect("flush succeeds");
    provider.shutdown().expect("shutdown succeeds");
}

pub fn resource(service: &str) -> Resource {
    Resource::builder()
        .with_service_name(service.to_string())
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_logs_over_grpc_become_rows() {
    let app = spawn_app().await;
    let endpoint = app.grpc.clone();
    tokio::task::spawn_blocking(move || {
        let exporter = LogExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_compression(opentelemetry_otlp::Compression::Gzip)
            .build()
            .expect("exporter builds");
        let provider = SdkLoggerProvider::builder()
            .with_resource(resource("checkout"))
            .with_batch_exporter(exporter)
            .build();
        emit_all(provider, 5);
    })
    .await
    .unwrap();

    assert_eq!(app.count("service = 'checkout'").await, 5);
    let row = sqlx::query(
        "SELECT level, severity_number, scope, trace_id, span_id, http_method, http_route, \
         http_status, http_duration_ms FROM logs ORDER BY body LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("level"), "warn");
    assert_eq!(row.get::<i16, _>("severity_number"), 13);
    assert_eq!(row.get::<String, _>("scope"), "checkout.handler");
    assert_eq!(
        row.get::<String, _>("trace_id"),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(row.get::<String, _>("span_id"), "00f067aa0ba902b7");
    assert_eq!(row.get::<String, _>("http_method"), "GET");
    assert_eq!(row.get::<String, _>("http_route"), "/orders/{id}");
    assert_eq!(row.get::<i16, _>("http_status"), 200);
    assert_eq!(row.get::<f64, _>("http_duration_ms"), 1500.0);

    let slow = app
        .metric_sum(
            "http_server_slow_requests_total",
            &[("service", "checkout"), ("route", "/orders/{id}")],
        )
        .await;
    assert_eq!(slow, 5.0);
    let grpc = app
        .metric_sum(
            "logbridge_ingest_records_total",
            &[("protocol", "otlp_grpc"), ("outcome", "accepted")],
        )
        .await;
    assert_eq!(grpc, 5.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_answers_unavailable_while_the_database_is_down() {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;

    let app = super::helpers::spawn_app_with(|c| c.ingest.retry_after_seconds = 7).await;
    let mut client = LogsServiceClient::connect(app.grpc.clone()).await.unwrap();
    let request = || {
        let json = super::helpers::fixture("otlp-handmade.json");
        serde_json::from_slice::<ExportLogsServiceRequest>(&json).unwrap()
    };
    let answer = client.export(request()).await.unwrap().into_inner();
    assert_eq!(answer.partial_success.unwrap().rejected_log_records, 1);
    app.take_database_down().await;
    let mut code = tonic::Code::Ok;
    let mut retry_after = None;
    for _ in 0..100 {
        code = match client.export(request()).await {
            Ok(_) => tonic::Code::Ok,
            Err(status) => {
                retry_after = status.metadata().get("retry-after").cloned();
                status.code()
            }
        };
        if code == tonic::Code::Unavailable {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        code,
        tonic::Code::Unavailable,
        "retryable for OTLP exporters"
    );
    let retry_after = retry_after.expect("UNAVAILABLE carries retry-after");
    assert_eq!(
        retry_after, "7",
        "the configured ingest.retry_after_seconds"
    );
    app.bring_database_back().await;
}
