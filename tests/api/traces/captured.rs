//! Span payloads captured from the Python and JS OpenTelemetry SDKs (`tests/fixtures/traces-*`,
//! see `tests/fixtures/capture/capture_traces.sh`), posted as the SDKs post them and checked row
//! by row: names, kinds, parent ids, status, promoted and kept attributes, exception events.

use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::api::helpers::{TestApp, fixture, spawn_app};

/// What one captured request holds: a server span with a database client span and an internal
/// span (with an `exception` event) under it.
struct Captured {
    file: &'static str,
    content_type: &'static str,
    service: &'static str,
    server: &'static str,
    route: &'static str,
    method: &'static str,
    status: i16,
    client_address: &'static str,
    query: &'static str,
    fingerprint: &'static str,
    internal: &'static str,
    exception_type: &'static str,
}

const PYTHON_PROTOBUF: Captured = Captured {
    file: "traces-python.pb",
    content_type: "application/x-protobuf",
    service: "billing-py",
    server: "POST /invoices/{id}/pay",
    route: "/invoices/{id}/pay",
    method: "POST",
    status: 500,
    client_address: "203.0.113.77",
    query: "SELECT invoices",
    fingerprint: "SELECT id, total FROM invoices WHERE id = ?",
    internal: "compute tax",
    exception_type: "ZeroDivisionError",
};

fn node(file: &'static str, content_type: &'static str) -> Captured {
    Captured {
        file,
        content_type,
        service: "checkout-js",
        server: "GET /orders/:id",
        route: "/orders/:id",
        method: "GET",
        status: 503,
        client_address: "198.51.100.23",
        query: "SELECT orders",
        fingerprint: "SELECT * FROM orders WHERE id = ?",
        internal: "render order",
        exception_type: "TypeError",
    }
}

/// The service's spans by kind: server, client, internal.
async fn rows(app: &TestApp, service: &str) -> [PgRow; 3] {
    let rows = sqlx::query(
        "SELECT * FROM spans WHERE service = $1 \
         ORDER BY array_position(ARRAY['server', 'client', 'internal'], kind)",
    )
    .bind(service)
    .fetch_all(&app.db)
    .await
    .unwrap();
    rows.try_into().expect("three spans")
}

async fn post_and_check(app: &TestApp, captured: &Captured) {
    let response = app
        .post("/v1/traces", captured.content_type, fixture(captured.file))
        .await;
    assert_eq!(response.status(), 200, "{}", captured.file);
    assert_eq!(response.headers()["content-type"], captured.content_type);
    let [server, client, internal] = rows(app, captured.service).await;
    check_tree(&server, &client, &internal);
    check_server(&server, captured);
    check_client(&client, captured);
    check_internal(&internal, captured);
}

fn check_tree(server: &PgRow, client: &PgRow, internal: &PgRow) {
    let trace_id: String = server.get("trace_id");
    assert_eq!(trace_id.len(), 32);
    let server_id: String = server.get("span_id");
    assert_eq!(server.get::<Option<String>, _>("parent_span_id"), None);
    for child in [client, internal] {
        assert_eq!(child.get::<String, _>("trace_id"), trace_id);
        assert_eq!(
            child.get::<Option<String>, _>("parent_span_id").as_deref(),
            Some(server_id.as_str())
        );
    }
}

fn check_server(server: &PgRow, captured: &Captured) {
    assert_eq!(server.get::<String, _>("name"), captured.server);
    assert_eq!(server.get::<String, _>("kind"), "server");
    assert_eq!(server.get::<i16, _>("status_code"), 2);
    assert_eq!(server.get::<String, _>("http_route"), captured.route);
    assert_eq!(server.get::<String, _>("http_method"), captured.method);
    assert_eq!(server.get::<i16, _>("http_status"), captured.status);
    let attributes: Value = server.get("attributes");
    assert_eq!(attributes["client.address"], captured.client_address);
    let resource: Value = server.get("resource");
    assert_eq!(resource["service.name"], captured.service);
    assert!(server.get::<i64, _>("duration_ns") > 0);
}

fn check_client(client: &PgRow, captured: &Captured) {
    assert_eq!(client.get::<String, _>("name"), captured.query);
    assert_eq!(client.get::<String, _>("kind"), "client");
    assert_eq!(client.get::<i16, _>("status_code"), 0);
    assert_eq!(client.get::<String, _>("db_system"), "postgresql");
    assert_eq!(client.get::<String, _>("db_operation"), "SELECT");
    let fingerprint: String = client.get("db_query_fingerprint");
    assert_eq!(fingerprint, captured.fingerprint);
}

fn check_internal(internal: &PgRow, captured: &Captured) {
    assert_eq!(internal.get::<String, _>("name"), captured.internal);
    assert_eq!(internal.get::<String, _>("kind"), "internal");
    assert_eq!(internal.get::<i16, _>("status_code"), 2);
    let events: Value = internal.get("events");
    let event = &events[0];
    assert_eq!(event["name"], "exception", "{events}");
    assert_eq!(
        event["attributes"]["exception.type"],
        captured.exception_type
    );
    let stacktrace = event["attributes"]["exception.stacktrace"].as_str();
    assert!(
        stacktrace.is_some_and(|s| s.contains(captured.exception_type)),
        "{events}"
    );
    assert!(
        event["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{events}"
    );
}

#[tokio::test]
async fn the_python_sdks_protobuf_spans_are_stored_as_sent() {
    let app = spawn_app().await;
    post_and_check(&app, &PYTHON_PROTOBUF).await;
}

#[tokio::test]
async fn the_js_sdks_json_spans_are_stored_as_sent() {
    let app = spawn_app().await;
    post_and_check(&app, &node("traces-node.json", "application/json")).await;
}

#[tokio::test]
async fn the_js_sdks_protobuf_spans_are_stored_as_sent() {
    let app = spawn_app().await;
    post_and_check(
        &app,
        &node("traces-node-proto.pb", "application/x-protobuf"),
    )
    .await;
}
