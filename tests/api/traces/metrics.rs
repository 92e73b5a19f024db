//! Metrics from spans, scraped from `/metrics`: the SDK's server and database client spans in
//! the contract's request and query metrics, the span metrics and the service graph; requests
//! sent both as spans and as access logs counted once; exception events in the same exception
//! group as logged exceptions; edges paired across requests, and the spans given up.

use std::time::Duration;

use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_proto::tonic::trace::v1::span::Event;
use opentelemetry_proto::tonic::trace::v1::{Span, Status};
use opentelemetry_sdk::trace::SdkTracerProvider;
use prost::Message;
use serde_json::json;
use sqlx::Row;

use super::sdk::emit_request;
use super::{now_nanos, request, string};
use crate::api::helpers::{TestApp, eventually, spawn_app, spawn_app_with};
use crate::api::otlp_grpc::resource;

/// Sends spans of `service` over OTLP/HTTP protobuf, expecting them accepted.
async fn send(app: &TestApp, service: &str, spans: Vec<Span>) {
    let body = request(service, spans).encode_to_vec();
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    assert_eq!(response.status(), 200);
}

/// A span of trace `trace` repeated, with span id `id` repeated, of the given kind and parent,
/// lasting `millis`.
fn span_of(trace: u8, id: u8, kind: i32, parent: Option<u8>, millis: u64) -> Span {
    let start = now_nanos();
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: format!("span {id}"),
        kind,
        start_time_unix_nano: start,
        end_time_unix_nano: start + millis * 1_000_000,
        ..Span::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_spans_feed_the_request_query_span_and_graph_metrics() {
    let app = spawn_app_with(|c| c.metrics.service_graph_wait_seconds = 1).await;
    let endpoint = app.grpc.clone();
    tokio::task::spawn_blocking(move || {
        let exporter = SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
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
    let request = [
        ("service", "checkout"),
        ("method", "GET"),
        ("route", "/orders/{id}"),
        ("status_code", "500"),
    ];
    let count = "http_server_request_duration_seconds_count";
    assert_eq!(app.metric_sum(count, &request).await, 1.0);
    let sum = app
        .metric_sum("http_server_request_duration_seconds_sum", &request)
        .await;
    assert_eq!(sum, 1.25);
    let slow = app
        .metric_sum("http_server_slow_requests_total", &request[..3])
        .await;
    assert_eq!(slow, 1.0);
    let query = [
        ("service", "checkout"),
        ("db_system", "postgresql"),
        ("operation", "SELECT"),
    ];
    let queries = app
        .metric_sum("db_client_operation_duration_seconds_count", &query)
        .await;
    assert_eq!(queries, 1.0);
    let server = [
        ("service_name", "checkout"),
        ("span_name", "GET /orders/{id}"),
        ("span_kind", "SPAN_KIND_SERVER"),
        ("status_code", "STATUS_CODE_ERROR"),
    ];
    assert_eq!(
        app.metric_sum("traces_span_metrics_calls_total", &server)
            .await,
        1.0
    );
    let durations = "traces_span_metrics_duration_seconds_bucket";
    let within = [server.as_slice(), &[("le", "1.4")]].concat();
    assert_eq!(app.metric_sum(durations, &within).await, 1.0);
    let from_user = [("client", "user"), ("server", "checkout")];
    let failed = "traces_service_graph_request_failed_total";
    assert_eq!(app.metric_sum(failed, &from_user).await, 1.0);
    let to_database = [
        ("client", "checkout"),
        ("server", "postgresql"),
        ("connection_type", "database"),
    ];
    let drawn = eventually(Duration::from_secs(10), || async {
        let total = "traces_service_graph_request_total";
        app.metric_sum(total, &to_database).await == 1.0
    })
    .await;
    assert!(drawn, "the database client span is an edge to its database");
    let client_seconds = "traces_service_graph_request_client_seconds_sum";
    assert_eq!(app.metric_sum(client_seconds, &to_database).await, 0.04);
}

/// Access-log records of the requests `spans` describe.
fn access_logs(service: &str, requests: &[(&str, u64, u64)]) -> String {
    let logs: Vec<_> = (requests.iter())
        .map(|(method, id, millis)| {
            json!({"service": service, "message": "done", "request_method": method,
                   "request_path": format!("/orders/{id}"), "response_status": 200,
                   "duration_ms": millis})
        })
        .collect();
    serde_json::Value::from(logs).to_string()
}

/// Server spans of the same requests.
fn server_spans(requests: &[(&str, u64, u64)]) -> Vec<Span> {
    let spans = requests.iter().zip(1u8..);
    spans
        .map(|((method, id, millis), n)| {
            let mut span = span_of(0x11, n, 2, None, *millis);
            span.attributes = vec![
                string("http.request.method", method),
                string("url.path", &format!("/orders/{id}")),
                string("http.response.status_code", "200"),
            ];
            span
        })
        .collect()
}

#[tokio::test]
async fn requests_sent_as_spans_and_as_access_logs_count_once() {
    let app = spawn_app().await;
    let requests = [("GET", 1, 20), ("GET", 2, 1500), ("POST", 3, 30)];
    app.post_json(access_logs("before-spans", &requests)).await;
    send(&app, "shop", server_spans(&requests)).await;
    assert!(
        app.post_json(access_logs("shop", &requests))
            .await
            .is_success()
    );
    let count = "http_server_request_duration_seconds_count";
    let shop = [("service", "shop")];
    assert_eq!(app.metric_sum(count, &shop).await, 3.0, "not 6");
    let gets = [
        ("service", "shop"),
        ("method", "GET"),
        ("route", "/orders/{id}"),
    ];
    assert_eq!(app.metric_sum(count, &gets).await, 2.0);
    let slow = app
        .metric_sum("http_server_slow_requests_total", &shop)
        .await;
    assert_eq!(slow, 1.0);
    let untraced = [("service", "before-spans")];
    assert_eq!(
        app.metric_sum(count, &untraced).await,
        3.0,
        "its logs count"
    );
}

#[tokio::test]
async fn logs_count_when_metrics_requests_from_says_logs() {
    let app = spawn_app_with(|c| {
        c.metrics.requests_from = logbridge::config::MetricSource::Logs;
    })
    .await;
    let requests = [("GET", 1, 20)];
    send(&app, "shop", server_spans(&requests)).await;
    let count = "http_server_request_duration_seconds_count";
    assert_eq!(app.metric_sum(count, &[("service", "shop")]).await, 0.0);
    app.post_json(access_logs("shop", &requests)).await;
    assert_eq!(app.metric_sum(count, &[("service", "shop")]).await, 1.0);
    let calls = "traces_span_metrics_calls_total";
    assert_eq!(
        app.metric_sum(calls, &[("service_name", "shop")]).await,
        1.0
    );
}

#[tokio::test]
async fn an_exception_event_and_a_logged_exception_share_one_group() {
    let app = spawn_app().await;
    let mut span = span_of(0x22, 1, 2, None, 5);
    span.events = vec![Event {
        time_unix_nano: span.start_time_unix_nano,
        name: "exception".into(),
        attributes: vec![
            string("exception.type", "OrderError"),
            string("exception.message", "order 42 not found"),
        ],
        ..Event::default()
    }];
    send(&app, "orders", vec![span]).await;
    let logged = json!({"service": "orders", "level": "error", "message": "lookup failed",
                        "exception.type": "OrderError", "exception.message": "order 7 not found"});
    assert!(app.post_json(logged.to_string()).await.is_success());
    let groups = sqlx::query(
        "SELECT count(*) AS groups, sum(occurrences)::bigint AS occurrences \
         FROM exception_groups WHERE service = 'orders'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(groups.get::<i64, _>("groups"), 1);
    assert_eq!(groups.get::<i64, _>("occurrences"), 2);
    let exceptions = [("service", "orders"), ("exception_type", "OrderError")];
    assert_eq!(app.metric_sum("exceptions_total", &exceptions).await, 2.0);
}

#[tokio::test]
async fn a_client_and_its_server_span_in_two_requests_are_one_edge() {
    let app = spawn_app().await;
    let mut client = span_of(0x33, 1, 3, None, 50);
    client.status = Some(Status {
        code: 2,
        ..Status::default()
    });
    send(&app, "web", vec![client]).await;
    send(&app, "api", vec![span_of(0x33, 2, 2, Some(1), 30)]).await;
    let edge = [
        ("client", "web"),
        ("server", "api"),
        ("connection_type", "unset"),
    ];
    assert_eq!(
        app.metric_sum("traces_service_graph_request_total", &edge)
            .await,
        1.0
    );
    let failed = "traces_service_graph_request_failed_total";
    assert_eq!(app.metric_sum(failed, &edge).await, 1.0);
    let server = "traces_service_graph_request_server_seconds_sum";
    assert_eq!(app.metric_sum(server, &edge).await, 0.03);
    let client = "traces_service_graph_request_client_seconds_sum";
    assert_eq!(app.metric_sum(client, &edge).await, 0.05);
}

#[tokio::test]
async fn spans_without_a_peer_are_drawn_to_virtual_nodes_or_counted_given_up() {
    let app = spawn_app_with(|c| {
        c.metrics.service_graph_wait_seconds = 1;
        c.metrics.service_graph_max_items = 2;
    })
    .await;
    let mut peer = span_of(0x44, 1, 3, None, 10);
    peer.attributes = vec![string("peer.service", "payments")];
    let lone = |id| span_of(0x44, id, 3, None, 10);
    send(&app, "web", vec![peer, lone(2), lone(3)]).await;
    let evicted = [("reason", "evicted")];
    let unpaired = "logbridge_service_graph_unpaired_spans_total";
    assert_eq!(
        app.metric_sum(unpaired, &evicted).await,
        0.0,
        "drawn to payments"
    );
    let to_payments = [
        ("client", "web"),
        ("server", "payments"),
        ("connection_type", "virtual_node"),
    ];
    let total = "traces_service_graph_request_total";
    assert_eq!(
        app.metric_sum(total, &to_payments).await,
        1.0,
        "evicted, drawn"
    );
    send(&app, "web", vec![lone(4)]).await;
    assert_eq!(app.metric_sum(unpaired, &evicted).await, 1.0);
    let expired = eventually(Duration::from_secs(10), || async {
        app.metric_sum(unpaired, &[("reason", "expired")]).await == 2.0
    })
    .await;
    assert!(expired, "spans 3 and 4 waited out");
}
