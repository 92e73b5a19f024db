//! `/metrics`: contract names and labels, content negotiation, and `promtool check metrics`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use super::helpers::{fixture, spawn_app};

#[tokio::test]
async fn derived_metrics_count_only_accepted_records() {
    let app = spawn_app().await;
    let good = json!([
        {"message": "GET done", "service": "shop", "level": "error", "request_method": "GET",
         "request_path": "/items/123", "response_status": 503, "duration_ms": 2500},
        {"message": "query", "service": "shop", "db.statement": "SELECT * FROM items WHERE id = 7",
         "db.system": "postgresql", "duration_ms": 900},
        {"message": "boom", "service": "shop", "exception.type": "KeyError", "exception.message": "x"},
    ]);
    assert_eq!(
        app.post("/api/v1/logs", "application/json", good.to_string())
            .await
            .status(),
        200
    );
    let rejected = json!([{"message": "ok", "service": "shop"}, {"no": "message"}]);
    assert_eq!(
        app.post("/api/v1/logs", "application/json", rejected.to_string())
            .await
            .status(),
        400
    );

    assert_eq!(
        app.metric_sum("log_records_total", &[("service", "shop")])
            .await,
        3.0
    );
    assert_eq!(
        app.metric_sum(
            "log_records_total",
            &[("service", "shop"), ("level", "error")]
        )
        .await,
        1.0
    );
    let request = [
        ("service", "shop"),
        ("method", "GET"),
        ("route", "/items/{id}"),
        ("status_code", "503"),
    ];
    assert_eq!(
        app.metric_sum("http_server_request_duration_seconds_count", &request)
            .await,
        1.0
    );
    assert_eq!(
        app.metric_sum("http_server_slow_requests_total", &request[..3])
            .await,
        1.0
    );
    let query = [
        ("service", "shop"),
        ("db_system", "postgresql"),
        ("operation", "SELECT"),
    ];
    assert_eq!(
        app.metric_sum("db_client_operation_duration_seconds_count", &query)
            .await,
        1.0
    );
    let slow = [
        ("service", "shop"),
        ("query", "SELECT * FROM items WHERE id = ?"),
    ];
    assert_eq!(
        app.metric_sum("db_client_slow_queries_total", &slow).await,
        1.0
    );
    assert_eq!(
        app.metric_sum("exceptions_total", &[("exception_type", "KeyError")])
            .await,
        1.0
    );
    let invalid = [("reason", "invalid_record")];
    assert_eq!(
        app.metric_sum("logbridge_rejected_records_total", &invalid)
            .await,
        2.0
    );
}

#[tokio::test]
async fn content_type_follows_the_accept_header() {
    let app = spawn_app().await;
    let text = app.get("/metrics").await;
    assert_eq!(
        text.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let openmetrics = app
        .client
        .get(format!("{}/metrics", app.http))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
        )
        .send()
        .await
        .unwrap();
    let content_type = openmetrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert!(openmetrics.text().await.unwrap().ends_with("# EOF\n"));
}

/// `promtool check metrics` reports nothing on a populated exposition. Skipped with a note when
/// promtool is not installed, unless `CI_REQUIRE_PROMTOOL` is set (as `.ci/run` does).
#[tokio::test]
async fn promtool_finds_nothing_to_report() {
    let app = spawn_app().await;
    for name in ["pino-http.ndjson", "plain.ndjson", "loguru.ndjson"] {
        app.post("/api/v1/logs", "application/x-ndjson", fixture(name))
            .await;
    }
    let exposition = app.get("/metrics").await.text().await.unwrap();
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        let required = std::env::var_os("CI_REQUIRE_PROMTOOL").is_some();
        assert!(!required, "promtool is required but not installed");
        eprintln!("promtool not installed: skipping (install the `prometheus` package)");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && report.trim().is_empty(),
        "promtool: {report}\n{exposition}"
    );
}
