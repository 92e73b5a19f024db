//! JavaScript stacks sent over OTLP (`exception.stacktrace` of a log record or of a span's
//! `exception` event, as OpenTelemetry JS in a page sends them) symbolicated at ingest through
//! the maps of `service.name` at `service.version`, as Faro frames are, so that the same bug in
//! two builds is one exception group; without a map, or without a version, a stack stays as
//! sent. The stacks are the ones the fixture bundles throw (tests/fixtures/sourcemaps).

use serde_json::{Value, json};

use super::{SHOP, send};
use crate::api::helpers::{TestApp, fixture, spawn_app};

const THROWN: &str = "    at total (../../../../src/cart.js:7:13)";

/// The V8 stack build `version` of the fixture bundle throws, from its Faro frames.
fn v8_stack(version: &str) -> String {
    let faro = fixture(&format!("sourcemaps/dist/shop/{version}/faro.json"));
    let faro: Value = serde_json::from_slice(&faro).unwrap();
    let mut stack = "TypeError: item B-2 has no price".to_string();
    for frame in faro["exceptions"][0]["stacktrace"]["frames"]
        .as_array()
        .unwrap()
    {
        let at = format!(
            "{}:{}:{}",
            frame["filename"].as_str().unwrap(),
            frame["lineno"],
            frame["colno"]
        );
        match frame["function"].as_str().unwrap() {
            "?" => stack.push_str(&format!("\n    at {at}")),
            function => stack.push_str(&format!("\n    at {function} ({at})")),
        }
    }
    stack
}

fn string(key: &str, value: &str) -> Value {
    json!({"key": key, "value": {"stringValue": value}})
}

/// The resource OpenTelemetry JS gives a page's telemetry, of build `version` (if any).
fn resource(version: Option<&str>) -> Value {
    let mut attributes = vec![
        string("service.name", "shop"),
        string("telemetry.sdk.language", "webjs"),
        string("telemetry.sdk.name", "opentelemetry"),
    ];
    attributes.extend(version.map(|v| string("service.version", v)));
    json!({"attributes": attributes})
}

fn exception(stack: &str) -> Vec<Value> {
    vec![
        string("exception.type", "TypeError"),
        string("exception.message", "item B-2 has no price"),
        string("exception.stacktrace", stack),
    ]
}

/// An OTLP/JSON logs body: the exception of `stack`, from build `version`.
fn log(version: Option<&str>, stack: &str) -> String {
    json!({"resourceLogs": [{"resource": resource(version), "scopeLogs": [{"logRecords": [{
        "timeUnixNano": "0", "severityNumber": 17, "severityText": "ERROR",
        "body": {"stringValue": "checkout failed"}, "attributes": exception(stack)}]}]}]})
    .to_string()
}

/// An OTLP/JSON traces body: a span with the exception of `stack` as its event.
fn span(version: &str, stack: &str) -> String {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    json!({"resourceSpans": [{"resource": resource(Some(version)), "scopeSpans": [{"spans": [{
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
        "name": "checkout", "kind": 1, "startTimeUnixNano": (now - 5_000_000).to_string(),
        "endTimeUnixNano": now.to_string(), "status": {"code": 2},
        "events": [{"name": "exception", "timeUnixNano": now.to_string(),
            "attributes": exception(stack)}]}]}]}]})
    .to_string()
}

async fn upload_maps(app: &TestApp) {
    let ingest = app.token("ingest", None).await;
    for version in ["1.0.0", "1.0.1"] {
        let answer = app
            .client
            .post(format!(
                "{}/api/v1/sourcemaps?app=shop&version={version}&file=/assets/app.js",
                app.http
            ))
            .bearer_auth(&ingest)
            .body(fixture(&format!(
                "sourcemaps/dist/shop/{version}/assets/app.js.map"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
    }
}

async fn log_stacks(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT attributes->>'exception.stacktrace' FROM logs WHERE service = 'shop' ORDER BY ts, observed_ts",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn otlp_stacks_of_a_page_are_symbolicated_and_grouped_with_one_another() {
    let app = spawn_app().await;
    upload_maps(&app).await;
    let key = app.browser_key("shop", &[SHOP]).await;

    let answer = send(
        &app,
        "/v1/logs",
        Some(&key),
        Some(SHOP),
        log(Some("1.0.0"), &v8_stack("1.0.0")),
    )
    .await;
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let answer = send(
        &app,
        "/v1/traces",
        Some(&key),
        Some(SHOP),
        span("1.0.1", &v8_stack("1.0.1")),
    )
    .await;
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());

    let stacks = log_stacks(&app).await;
    assert_eq!(stacks.len(), 1);
    let lines: Vec<&str> = stacks[0].lines().collect();
    assert_eq!(lines[0], "TypeError: item B-2 has no price");
    assert_eq!(lines[1], THROWN, "{}", stacks[0]);
    assert!(
        lines[2].starts_with("    at checkout (../../../../src/main"),
        "{}",
        stacks[0]
    );
    assert_eq!(
        lines[3], "    at https://shop.example.com/cart:1:6",
        "no map: as sent"
    );

    let event: String = sqlx::query_scalar(
        "SELECT events->0->'attributes'->>'exception.stacktrace' FROM spans WHERE service = 'shop'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(event.lines().nth(1), Some(THROWN), "{event}");

    // One bug in two builds, one from a record and one from a span: one group.
    let groups: Vec<(i64, String)> = sqlx::query_as(
        "SELECT occurrences, sample_stacktrace FROM exception_groups WHERE service = 'shop'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].0, 2, "{groups:?}");
    assert!(groups[0].1.contains(THROWN), "{}", groups[0].1);
}

#[tokio::test]
async fn stacks_without_a_version_or_a_map_stay_as_sent() {
    let app = spawn_app().await;
    upload_maps(&app).await;
    let ingest = app.token("ingest", None).await;
    let (stack, other) = (v8_stack("1.0.0"), v8_stack("1.0.0"));
    for body in [log(None, &stack), log(Some("9.9.9"), &other)] {
        let answer = send(&app, "/v1/logs", Some(&ingest), None, body).await;
        assert_eq!(answer.status(), 200);
    }
    assert_eq!(log_stacks(&app).await, [stack.clone(), stack]);
}
