//! `GET /api/v1/traces/{trace_id}` and `GET /api/v1/traces` over spans sent by OTLP: parents,
//! kinds, statuses, events and the trace's logs; paging, search filters and their keyset
//! cursor; scopes, masking, audit rows and the 400s naming the parameter.

use serde_json::Value;

use super::seed::{CHARGE, HEALTH, ORDER, seed};
use crate::api::helpers::{TestApp, spawn_app};

/// The trace ids of every page of a search, following `next_cursor`.
async fn search_all(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(token, &format!("/api/v1/traces?{query}{cursor}"))
            .await;
        pages.push(trace_ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return pages,
        }
        assert!(pages.len() < 10, "the cursor moves on");
    }
}

fn trace_ids(page: &Value) -> Vec<String> {
    let traces = page["traces"].as_array().unwrap();
    traces
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_trace_answers_its_spans_with_parents_kinds_statuses_events_and_its_logs() {
    let app = spawn_app().await;
    let seeded = seed(&app).await;
    let reader = app.token("reader", None).await;
    let trace = app
        .get_json(&reader, &format!("/api/v1/traces/{}", ORDER.to_uppercase()))
        .await;
    assert_eq!(trace["trace_id"], ORDER);
    let spans = trace["spans"].as_array().unwrap();
    let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["GET /orders/{id}", "SELECT orders", "render"],
        "oldest first"
    );
    let (root, query) = (&spans[0], &spans[1]);
    assert_eq!(root["parent_span_id"], Value::Null);
    assert_eq!(
        (root["service"].as_str(), root["kind"].as_str()),
        (Some("web"), Some("server"))
    );
    assert_eq!(root["duration_ns"], 50_000_000);
    assert_eq!(root["attributes"]["http.route"], "/orders/{id}");
    assert_eq!(root["attributes"]["client.address"], "10.0.0.7");
    assert_eq!(root["links"][0]["trace_id"], HEALTH);
    let start = chrono::DateTime::parse_from_rfc3339(root["start"].as_str().unwrap()).unwrap();
    assert_eq!(
        start.timestamp_micros(),
        (seeded.order_start / 1000) as i64,
        "µs as stored"
    );
    assert_eq!(query["parent_span_id"], "00f067aa0ba902b7");
    assert_eq!(
        (query["service"].as_str(), query["kind"].as_str()),
        (Some("db"), Some("client"))
    );
    assert_eq!(
        (
            query["status_code"].as_i64(),
            query["status_message"].as_str()
        ),
        (Some(2), Some("timeout"))
    );
    assert_eq!(query["events"][0]["name"], "exception");
    assert_eq!(
        query["events"][0]["attributes"]["exception.type"],
        "QueryCanceled"
    );
    assert_eq!(spans[2]["kind"], "internal");
    assert_eq!(trace["next_cursor"], Value::Null);
    let logs = trace["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["body"], "order loaded");
    assert_eq!(trace["logs_next_cursor"], Value::Null);
    let audited = format!("endpoint = '/api/v1/traces/{ORDER}' AND status = 200 AND rows = 4");
    assert_eq!(app.count_audit(&audited).await, 1, "audited with its rows");
    let missing = app
        .get_as(&reader, &format!("/api/v1/traces/{}", "9".repeat(32)))
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_trace_s_spans_come_a_page_at_a_time() {
    let app = spawn_app().await;
    seed(&app).await;
    let reader = app.token("reader", None).await;
    let first = app
        .get_json(&reader, &format!("/api/v1/traces/{ORDER}?limit=2"))
        .await;
    assert_eq!(first["spans"].as_array().unwrap().len(), 2);
    assert_eq!(first["logs"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .get_json(
            &reader,
            &format!("/api/v1/traces/{ORDER}?limit=2&cursor={cursor}"),
        )
        .await;
    let spans = second["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0]["name"], "render");
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(
        second["logs"].as_array().unwrap().len(),
        0,
        "logs come on the first page"
    );
}

#[tokio::test]
async fn the_search_filters_and_pages_newest_first() {
    let app = spawn_app().await;
    seed(&app).await;
    let reader = app.token("reader", None).await;
    let one_page = |query: &'static str| {
        let (app, reader) = (&app, &reader);
        async move {
            trace_ids(
                &app.get_json(reader, &format!("/api/v1/traces?{query}"))
                    .await,
            )
        }
    };
    assert_eq!(one_page("").await, [HEALTH, ORDER, CHARGE]);
    assert_eq!(one_page("service=web").await, [HEALTH, ORDER]);
    assert_eq!(one_page("status=error").await, [ORDER, CHARGE]);
    assert_eq!(one_page("status=ok").await, [HEALTH]);
    assert_eq!(one_page("min_duration=100ms").await, [CHARGE]);
    assert_eq!(one_page("service=db&max_duration=40ms").await, [ORDER]);
    assert_eq!(
        one_page("service=db&min_duration=31ms").await,
        Vec::<String>::new()
    );
    assert_eq!(one_page("operation=GET%20%2Fhealth").await, [HEALTH]);
    assert_eq!(one_page("from=now-90s").await, [HEALTH, ORDER]);
    assert_eq!(one_page("to=now-90s").await, [CHARGE]);
    let pages = search_all(&app, &reader, "limit=1").await;
    assert_eq!(pages, [vec![HEALTH], vec![ORDER], vec![CHARGE]]);
    let page = app.get_json(&reader, "/api/v1/traces?service=db").await;
    let order = &page["traces"][0];
    assert_eq!(order["root_service"], "web");
    assert_eq!(order["root_name"], "GET /orders/{id}");
    assert_eq!(
        (order["spans"].as_i64(), order["errors"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(order["services"], serde_json::json!(["db", "web"]));
    let duration = order["duration_ms"].as_f64().unwrap();
    assert!((duration - 50.0).abs() < 0.01, "{duration}");
}

#[tokio::test]
async fn a_scoped_token_sees_only_its_services_and_support_tokens_see_masked_spans() {
    let app = spawn_app().await;
    seed(&app).await;
    let web = app.token("reader", Some(&["web"])).await;
    let trace = app.get_json(&web, &format!("/api/v1/traces/{ORDER}")).await;
    let services: Vec<&str> = trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["web", "web"], "not the db span");
    let charge = app.get_as(&web, &format!("/api/v1/traces/{CHARGE}")).await;
    assert_eq!(charge.status(), 404, "billing's trace is not there for web");
    assert_eq!(
        trace_ids(&app.get_json(&web, "/api/v1/traces").await),
        [HEALTH, ORDER]
    );
    assert_eq!(
        trace_ids(&app.get_json(&web, "/api/v1/traces?status=error").await),
        Vec::<String>::new()
    );
    let refused = app.get_as(&web, "/api/v1/traces?service=billing").await;
    assert_eq!(refused.status(), 403);

    let support = app.token("support", None).await;
    let trace = app
        .get_json(&support, &format!("/api/v1/traces/{ORDER}"))
        .await;
    assert_eq!(trace["spans"][0]["attributes"]["client.address"], "***");
}

async fn refused(app: &TestApp, token: &str, path: &str) -> String {
    let response = app.get_as(token, path).await;
    assert_eq!(response.status(), 400, "{path}");
    let body: Value = response.json().await.unwrap();
    body["error"]["details"]["parameter"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn bad_parameters_are_answered_400_naming_the_parameter() {
    let app = spawn_app().await;
    let reader = app.token("reader", None).await;
    let cases = [
        ("/api/v1/traces/abc", "trace_id"),
        (&format!("/api/v1/traces/{}", "a".repeat(33)), "trace_id"),
        (&format!("/api/v1/traces/{ORDER}?limit=1001"), "limit"),
        (&format!("/api/v1/traces/{ORDER}?cursor=nonsense"), "cursor"),
        ("/api/v1/traces?min_duration=1x", "min_duration"),
        ("/api/v1/traces?max_duration=-5ms", "max_duration"),
        (
            "/api/v1/traces?min_duration=2s&max_duration=1s",
            "max_duration",
        ),
        ("/api/v1/traces?status=failed", "status"),
        ("/api/v1/traces?limit=0", "limit"),
        ("/api/v1/traces?from=now&to=now-1h", "from"),
        ("/api/v1/traces?colour=red", "colour"),
    ];
    for (path, parameter) in cases {
        assert_eq!(refused(&app, &reader, path).await, parameter, "{path}");
    }
}
