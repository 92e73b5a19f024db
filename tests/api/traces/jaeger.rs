//! The Jaeger query API under `/jaeger` over spans sent by OTLP: every answer decoded into
//! the types Grafana's Jaeger data source decodes (`pkg/tsdb/jaeger/types/types.go`: field
//! names and Go types) and checked field by field; scoping, audit rows and 400s in Jaeger's
//! error envelope naming the parameter.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::seed::{CHARGE, HEALTH, ORDER, seed};
use crate::api::helpers::{TestApp, spawn_app};

/// Grafana's `ServicesResponse` (services and operations).
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ServicesResponse {
    data: Vec<String>,
    errors: Option<Value>,
    limit: i64,
    offset: i64,
    total: i64,
}

/// Grafana's `KeyValueType`.
#[derive(Debug, Deserialize, PartialEq)]
struct KeyValueType {
    key: String,
    #[serde(rename = "type")]
    kind: String,
    value: Value,
}

/// Grafana's `TraceProcess`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceProcess {
    service_name: String,
    tags: Vec<KeyValueType>,
}

/// Grafana's `TraceSpanReference`.
#[derive(Debug, Deserialize, PartialEq)]
struct TraceSpanReference {
    #[serde(rename = "refType")]
    ref_type: String,
    #[serde(rename = "spanID")]
    span_id: String,
    #[serde(rename = "traceID")]
    trace_id: String,
}

/// Grafana's `TraceLog`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct TraceLog {
    timestamp: i64,
    fields: Vec<KeyValueType>,
    name: String,
}

/// Grafana's `Span`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Span {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
    #[serde(rename = "processID")]
    process_id: String,
    operation_name: String,
    start_time: i64,
    duration: i64,
    logs: Vec<TraceLog>,
    references: Vec<TraceSpanReference>,
    tags: Vec<KeyValueType>,
    warnings: Option<Vec<String>>,
    flags: i64,
}

/// Grafana's `TraceResponse`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct TraceResponse {
    processes: HashMap<String, TraceProcess>,
    #[serde(rename = "traceID")]
    trace_id: String,
    warnings: Option<Vec<String>>,
    spans: Vec<Span>,
}

/// Grafana's `TracesResponse`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct TracesResponse {
    data: Vec<TraceResponse>,
    errors: Option<Value>,
    limit: i64,
    offset: i64,
    total: i64,
}

/// Grafana's `DependenciesResponse` with its `ServiceDependency`.
#[derive(Debug, Deserialize)]
struct DependenciesResponse {
    data: Vec<ServiceDependency>,
    errors: Option<Vec<ErrorEntry>>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct ServiceDependency {
    parent: String,
    child: String,
    call_count: i64,
}

#[derive(Debug, Deserialize, PartialEq)]
struct ErrorEntry {
    code: i64,
    msg: String,
}

async fn decoded<T: serde::de::DeserializeOwned>(app: &TestApp, token: &str, path: &str) -> T {
    serde_json::from_value(app.get_json(token, path).await)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn tag<'a>(tags: &'a [KeyValueType], key: &str) -> Option<&'a KeyValueType> {
    tags.iter().find(|t| t.key == key)
}

#[tokio::test]
async fn services_and_operations_are_listed() {
    let app = spawn_app().await;
    seed(&app).await;
    let reader = app.token("reader", None).await;
    let services: ServicesResponse = decoded(&app, &reader, "/jaeger/api/services").await;
    assert_eq!(services.data, ["billing", "db", "web"]);
    assert_eq!((services.total, services.limit, services.offset), (3, 0, 0));
    assert_eq!(services.errors, None);
    let operations: ServicesResponse =
        decoded(&app, &reader, "/jaeger/api/services/web/operations").await;
    assert_eq!(
        operations.data,
        ["GET /health", "GET /orders/{id}", "render"]
    );
    assert_eq!(operations.total, 3);
}

#[tokio::test]
async fn a_trace_comes_in_jaeger_s_shape_field_by_field() {
    let app = spawn_app().await;
    let seeded = seed(&app).await;
    let reader = app.token("reader", None).await;
    let answer: TracesResponse =
        decoded(&app, &reader, &format!("/jaeger/api/traces/{ORDER}")).await;
    assert_eq!(answer.data.len(), 1);
    let trace = &answer.data[0];
    assert_eq!(trace.trace_id, ORDER);
    assert_eq!(trace.warnings, None);
    let names: Vec<&str> = trace
        .spans
        .iter()
        .map(|s| s.operation_name.as_str())
        .collect();
    assert_eq!(names, ["GET /orders/{id}", "SELECT orders", "render"]);
    let (root, query) = (&trace.spans[0], &trace.spans[1]);
    assert_eq!(
        (root.trace_id.as_str(), root.span_id.as_str()),
        (ORDER, "00f067aa0ba902b7")
    );
    assert_eq!(
        root.start_time,
        (seeded.order_start / 1000) as i64,
        "microseconds"
    );
    assert_eq!(root.duration, 50_000, "microseconds");
    assert_eq!(root.flags, 1);
    assert_eq!(
        root.references,
        [TraceSpanReference {
            ref_type: "FOLLOWS_FROM".into(),
            span_id: "00000000000000aa".into(),
            trace_id: HEALTH.into(),
        }],
        "a root span has only its link"
    );
    let route = tag(&root.tags, "http.route").unwrap();
    assert_eq!(
        (route.kind.as_str(), &route.value),
        ("string", &json!("/orders/{id}"))
    );
    assert_eq!(tag(&root.tags, "span.kind").unwrap().value, "server");
    assert_eq!(
        query.references,
        [TraceSpanReference {
            ref_type: "CHILD_OF".into(),
            span_id: "00f067aa0ba902b7".into(),
            trace_id: ORDER.into(),
        }]
    );
    assert_eq!(tag(&query.tags, "otel.status_code").unwrap().value, "ERROR");
    assert_eq!(
        tag(&query.tags, "otel.status_description").unwrap().value,
        "timeout"
    );
    let error = tag(&query.tags, "error").unwrap();
    assert_eq!((error.kind.as_str(), &error.value), ("bool", &json!(true)));
    let log = &query.logs[0];
    assert_eq!(
        log.timestamp,
        ((seeded.order_start + 30_000_000) / 1000) as i64
    );
    assert_eq!(log.fields[0].value, "exception");
    assert_eq!(
        tag(&log.fields, "exception.type").unwrap().value,
        "QueryCanceled"
    );
    let process = |span: &Span| &trace.processes[&span.process_id];
    assert_eq!(process(root).service_name, "web");
    assert_eq!(process(query).service_name, "db");
    assert_eq!(process(&trace.spans[2]).service_name, "web");
    assert_eq!(trace.processes.len(), 2);
    assert!(tag(&process(root).tags, "service.name").is_none());
    let audited = format!("endpoint = '/jaeger/api/traces/{ORDER}' AND status = 200 AND rows = 3");
    assert_eq!(app.count_audit(&audited).await, 1, "audited with its spans");
}

async fn search(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let path = format!("/jaeger/api/traces?{query}");
    let answer: TracesResponse = decoded(app, token, &path).await;
    assert_eq!(answer.total as usize, answer.data.len());
    for trace in &answer.data {
        assert!(!trace.spans.is_empty(), "every trace has its spans");
    }
    answer.data.into_iter().map(|t| t.trace_id).collect()
}

#[tokio::test]
async fn the_search_takes_grafana_s_parameters() {
    let app = spawn_app().await;
    seed(&app).await;
    let reader = app.token("reader", None).await;
    assert_eq!(search(&app, &reader, "service=web").await, [HEALTH, ORDER]);
    let now = chrono::Utc::now().timestamp_micros();
    let window = format!(
        "start={}&end={}&limit=20",
        now - 90_000_000,
        now + 1_000_000
    );
    assert_eq!(search(&app, &reader, &window).await, [HEALTH, ORDER]);
    assert_eq!(search(&app, &reader, "minDuration=100ms").await, [CHARGE]);
    assert_eq!(
        search(&app, &reader, "service=db&maxDuration=30ms").await,
        [ORDER]
    );
    assert_eq!(
        search(&app, &reader, "operation=charge&service=billing").await,
        [CHARGE]
    );
    let tags = |value: Value| format!("tags={}", urlencode(&value.to_string()));
    let route = tags(json!({"http.route": "/orders/{id}"}));
    assert_eq!(search(&app, &reader, &route).await, [ORDER]);
    assert_eq!(
        search(&app, &reader, &tags(json!({"error": "true"}))).await,
        [ORDER, CHARGE]
    );
    assert_eq!(search(&app, &reader, "limit=1").await, [HEALTH]);
    let page: TracesResponse = decoded(&app, &reader, "/jaeger/api/traces?service=db").await;
    let spans = &page.data[0].spans;
    assert_eq!(
        spans.len(),
        3,
        "the whole trace, not only the matching span"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn dependencies_count_calls_between_services() {
    let app = spawn_app().await;
    seed(&app).await;
    let reader = app.token("reader", None).await;
    let answer: DependenciesResponse = decoded(&app, &reader, "/jaeger/api/dependencies").await;
    assert_eq!(answer.errors, None);
    let web_db = ServiceDependency {
        parent: "web".into(),
        child: "db".into(),
        call_count: 1,
    };
    assert_eq!(answer.data, [web_db]);
    let end = chrono::Utc::now().timestamp_millis();
    let before = format!(
        "/jaeger/api/dependencies?endTs={}&lookback=1000",
        end - 3_600_000
    );
    let answer: DependenciesResponse = decoded(&app, &reader, &before).await;
    assert_eq!(answer.data, [], "nothing an hour ago");
}

#[tokio::test]
async fn a_scoped_token_sees_only_its_services_and_support_sees_masked_tags() {
    let app = spawn_app().await;
    seed(&app).await;
    let web = app.token("reader", Some(&["web"])).await;
    let services: ServicesResponse = decoded(&app, &web, "/jaeger/api/services").await;
    assert_eq!(services.data, ["web"]);
    let trace: TracesResponse = decoded(&app, &web, &format!("/jaeger/api/traces/{ORDER}")).await;
    let processes: Vec<&str> = trace.data[0]
        .processes
        .values()
        .map(|p| p.service_name.as_str())
        .collect();
    assert_eq!(processes, ["web"], "not the db span");
    assert_eq!(trace.data[0].spans.len(), 2);
    assert_eq!(
        app.get_as(&web, &format!("/jaeger/api/traces/{CHARGE}"))
            .await
            .status(),
        404
    );
    assert_eq!(search(&app, &web, "").await, [HEALTH, ORDER]);
    let refused = app
        .get_as(&web, "/jaeger/api/services/billing/operations")
        .await;
    assert_eq!(refused.status(), 403);
    let answer: DependenciesResponse = decoded(&app, &web, "/jaeger/api/dependencies").await;
    assert_eq!(answer.data, [], "the db side is out of scope");
    let support = app.token("support", None).await;
    let personal = format!("tags={}", urlencode(r#"{"client.address":"10.0.0.7"}"#));
    let refused = app
        .get_as(&support, &format!("/jaeger/api/traces?{personal}"))
        .await;
    assert_eq!(
        refused.status(),
        403,
        "a support token may not search by personal data"
    );
    let trace: TracesResponse =
        decoded(&app, &support, &format!("/jaeger/api/traces/{ORDER}")).await;
    let address = tag(&trace.data[0].spans[0].tags, "client.address").unwrap();
    assert_eq!(address.value, "***", "masked for support");
    let anonymous = app
        .client
        .get(format!("{}/jaeger/api/services", app.http))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        app.count_audit("endpoint = '/jaeger/api/services' AND status = 401")
            .await,
        1
    );
}

/// The status and Jaeger error of a refused request.
async fn refused(app: &TestApp, token: &str, path: &str) -> (u16, ErrorEntry) {
    let response = app.get_as(token, path).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"], Value::Null, "{path}");
    let mut errors: Vec<ErrorEntry> = serde_json::from_value(body["errors"].clone())
        .unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (status, errors.remove(0))
}

#[tokio::test]
async fn bad_parameters_are_answered_400_in_jaeger_s_envelope_naming_the_parameter() {
    let app = spawn_app().await;
    seed(&app).await;
    let reader = app.token("reader", None).await;
    let cases = [
        (format!("/jaeger/api/traces/{}", "a".repeat(33)), "traceID"),
        ("/jaeger/api/traces/xyz".to_string(), "traceID"),
        (
            "/jaeger/api/traces?minDuration=1x".to_string(),
            "minDuration",
        ),
        (
            "/jaeger/api/traces?maxDuration=10".to_string(),
            "maxDuration",
        ),
        (
            "/jaeger/api/traces?minDuration=2s&maxDuration=1s".to_string(),
            "maxDuration",
        ),
        ("/jaeger/api/traces?limit=0".to_string(), "limit"),
        ("/jaeger/api/traces?limit=100000".to_string(), "limit"),
        ("/jaeger/api/traces?tags=notjson".to_string(), "tags"),
        (
            "/jaeger/api/traces?tags=%7B%22k%22%3A%22%5Cu0000%22%7D".to_string(),
            "tags",
        ),
        (
            "/jaeger/api/services/a%00b/operations".to_string(),
            "service",
        ),
        ("/jaeger/api/traces?start=20&end=10".to_string(), "start"),
        (
            "/jaeger/api/dependencies?lookback=0".to_string(),
            "lookback",
        ),
        ("/jaeger/api/dependencies?endTs=x".to_string(), "endTs"),
    ];
    for (path, parameter) in cases {
        let (status, error) = refused(&app, &reader, &path).await;
        assert_eq!((status, error.code), (400, 400), "{path}");
        assert!(
            error.msg.contains(&format!("\"{parameter}\"")),
            "{path}: {}",
            error.msg
        );
    }
    let (status, error) = refused(
        &app,
        &reader,
        &format!("/jaeger/api/traces/{}", "9".repeat(32)),
    )
    .await;
    assert_eq!(
        (status, error.code, error.msg.as_str()),
        (404, 404, "trace not found")
    );
}
