//! The alert-rules view (issue 23): the rule files' groups and rules, each alert's state from
//! Prometheus's rules API when `prometheus.url` is set (a fake Prometheus here), and where to
//! change them.

use std::sync::{Arc, Mutex};

use axum::extract::RawQuery;
use axum::routing::get;
use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app_with};

fn shipped_rules() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/alert-rules").to_string()
}

/// A fake Prometheus answering `/api/v1/rules` with one firing alert; its URL and the query
/// strings it received.
async fn fake_prometheus() -> (String, Arc<Mutex<Vec<String>>>) {
    let queries = Arc::new(Mutex::new(Vec::new()));
    let seen = queries.clone();
    let answer = json!({"status": "success", "data": {"groups": [{
        "name": "logbridge-applications", "file": "/etc/prometheus/rules/alerts.yml",
        "rules": [{"name": "HttpErrorRatioHigh", "type": "alerting", "state": "firing",
                   "health": "ok", "alerts": [{"labels": {"service": "a"}}, {"labels": {"service": "b"}}]}]
    }]}});
    let app = axum::Router::new().route(
        "/api/v1/rules",
        get(move |RawQuery(query): RawQuery| {
            seen.lock().unwrap().push(query.unwrap_or_default());
            let answer = answer.clone();
            async move { axum::Json(answer) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, queries)
}

/// The rule `name` as the view lists it.
fn rule<'a>(view: &'a Value, name: &str) -> &'a Value {
    let files = view["files"].as_array().unwrap();
    let groups = files.iter().flat_map(|f| f["groups"].as_array().unwrap());
    let mut rules = groups.flat_map(|g| g["rules"].as_array().unwrap());
    rules
        .find(|r| r["name"] == name)
        .expect("the rule is listed")
}

async fn view(app: &TestApp) -> Value {
    let reader = app.token("reader", Some(&["api"])).await;
    app.get_json(&reader, "/api/v1/monitoring/alerts/rules")
        .await
}

#[tokio::test]
async fn rules_are_listed_with_their_state_from_prometheus() {
    let (url, queries) = fake_prometheus().await;
    let app = spawn_app_with(|c| {
        c.rules.paths = vec![shipped_rules()];
        c.prometheus.url = Some(url.clone());
    })
    .await;
    let view = view(&app).await;
    let firing = rule(&view, "HttpErrorRatioHigh");
    assert_eq!(firing["kind"], "alert");
    assert_eq!(firing["state"], "firing", "{firing}");
    assert_eq!(firing["active"], 2);
    assert_eq!(firing["for"], "2m");
    assert_eq!(firing["labels"]["severity"], "critical");
    assert!(firing["expr"].as_str().unwrap().contains("ratio_rate5m"));
    let other = rule(&view, "SpanErrorRatioHigh");
    assert_eq!(other["state"], "absent", "not loaded in this Prometheus");
    assert_eq!(view["prometheus"], json!({"url": url, "reachable": true}));
    assert_eq!(view["problems"], json!([]));
    assert!(view["change"].as_str().unwrap().contains(&shipped_rules()));
    assert_eq!(queries.lock().unwrap().as_slice(), ["type=alert"]);
}

#[tokio::test]
async fn without_prometheus_the_rules_are_listed_without_states() {
    let app = spawn_app_with(|c| c.rules.paths = vec![shipped_rules()]).await;
    let view = view(&app).await;
    assert_eq!(view["prometheus"], Value::Null);
    let rule = rule(&view, "HttpErrorRatioHigh");
    assert_eq!(rule["state"], Value::Null);
    let recording = view["files"].as_array().unwrap().iter().any(|f| {
        f["groups"].as_array().unwrap().iter().any(|g| {
            g["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["kind"] == "record")
        })
    });
    assert!(recording, "recording rules are listed too");
}

#[tokio::test]
async fn an_unreachable_prometheus_and_a_broken_file_are_said_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yml"), "groups: [").unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let app = spawn_app_with(|c| {
        c.rules.paths = vec![dir.path().display().to_string()];
        c.prometheus.url = Some(closed);
    })
    .await;
    let view = view(&app).await;
    assert_eq!(view["prometheus"]["reachable"], false);
    assert_eq!(view["files"], json!([]));
    let problems = view["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].as_str().unwrap().contains("broken.yml"),
        "{problems:?}"
    );
    let ingest = app.token("ingest", None).await;
    let refused = app.get_as(&ingest, "/api/v1/monitoring/alerts/rules").await;
    assert_eq!(refused.status(), 403);
}
