//! Faro's `traces` (OTLP/JSON `resourceSpans`, as the Web SDK's tracing instrumentation sends
//! them) stored on the span path, as `POST /v1/traces` stores them, under the app's service.

use serde_json::{Value, json};

use super::SHOP;
use crate::api::helpers::spawn_app;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A Faro payload of one log and the page's two spans: a document load and its fetch; the
/// fetch's resource names no service.
fn payload() -> Value {
    let span = |id: &str, parent: Option<&str>, name: &str, kind: i32| {
        let mut span = json!({"traceId": TRACE, "spanId": id, "name": name, "kind": kind,
            "startTimeUnixNano": "1764870601000000000", "endTimeUnixNano": "1764870601250000000",
            "attributes": [{"key": "http.url", "value": {"stringValue": "https://api.example.com/cart/3"}}],
            "status": {}});
        if let Some(parent) = parent {
            span["parentSpanId"] = json!(parent);
        }
        span
    };
    let scope = |spans: Vec<Value>| json!({"scope": {"name": "@opentelemetry/instrumentation-fetch"}, "spans": spans});
    json!({
        "meta": {"app": {"name": "shop", "version": "1.0.0"}, "session": {"id": "Yz0fOqFJbN"}},
        "logs": [{"message": "cart loaded", "level": "info", "timestamp": "2026-12-04T17:50:01.000Z",
            "trace": {"trace_id": TRACE, "span_id": "00f067aa0ba902b7"}}],
        "traces": {"resourceSpans": [
            {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
             "scopeSpans": [scope(vec![span("00f067aa0ba902b7", None, "documentLoad", 1)])]},
            {"resource": {"attributes": []},
             "scopeSpans": [scope(vec![span("b7ad6b7169203331", Some("00f067aa0ba902b7"), "HTTP GET", 3)])]}
        ]}
    })
}

#[tokio::test]
async fn faro_traces_are_stored_as_spans_of_the_app() {
    let app = spawn_app().await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let answer = app
        .client
        .post(format!("{}/faro/collect", app.http))
        .header("content-type", "application/json")
        .header("origin", SHOP)
        .header("x-api-key", &key)
        .body(payload().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    let answered: Value = answer.json().await.unwrap();
    assert_eq!(answered["accepted"], 3, "one log and two spans");
    let reader = app.token("reader", None).await;
    let trace = app
        .get_json(&reader, &format!("/api/v1/traces/{TRACE}"))
        .await;
    let spans = trace["spans"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = spans
        .iter()
        .map(|s| {
            let field = |name: &str| s[name].as_str().unwrap();
            (field("name"), field("service"), field("kind"))
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("documentLoad", "shop", "internal"),
            ("HTTP GET", "shop", "client")
        ]
    );
    assert_eq!(spans[1]["parent_span_id"], "00f067aa0ba902b7");
    assert_eq!(app.count(&format!("trace_id = '{TRACE}'")).await, 1);

    // One request, counted once with its records and spans together.
    let accepted = [("protocol", "faro"), ("outcome", "accepted")];
    let requests = app.metric_sum("logbridge_ingest_requests_total", &accepted);
    assert_eq!(requests.await, 1.0, "one Faro request, counted once");
    let records = app.metric_sum("logbridge_ingest_records_total", &accepted);
    assert_eq!(records.await, 3.0);
}

#[tokio::test]
async fn faro_traces_of_another_app_or_not_otlp_are_refused_with_nothing_stored() {
    let app = spawn_app().await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let send = |body: Value| {
        app.client
            .post(format!("{}/faro/collect", app.http))
            .header("content-type", "application/json")
            .header("origin", SHOP)
            .header("x-api-key", &key)
            .body(body.to_string())
            .send()
    };
    let mut other = payload();
    other["traces"]["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"] =
        json!("billing");
    let answer = send(other).await.unwrap();
    assert_eq!(answer.status(), 403);
    assert!(answer.text().await.unwrap().contains("billing"));
    let mut broken = payload();
    broken["traces"] = json!({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 7}]}]}]});
    let answer = send(broken).await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("traces:"));
    let spans: i64 = sqlx::query_scalar("SELECT count(*) FROM spans")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((spans, app.count("true").await), (0, 0));
    let requests = "logbridge_ingest_requests_total";
    let rejected = [("protocol", "faro"), ("outcome", "rejected")];
    let refused = app.metric_sum(requests, &rejected).await;
    assert_eq!(refused, 2.0, "each refused request once");
    let accepted = [("protocol", "faro"), ("outcome", "accepted")];
    assert_eq!(app.metric_sum(requests, &accepted).await, 0.0);
}
