//! The low items: an absurd duration cannot make a histogram's sum infinite, `/metrics` can
//! require a token, OTLP/JSON `"NaN"` rejects only that value, and unknown tokens cannot make
//! the database work for every request.

use serde_json::json;

use crate::api::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn an_absurd_duration_leaves_the_histogram_sum_finite_and_is_counted() {
    let app = spawn_app().await;
    let request = |seconds: f64| {
        json!({"service": "api", "message": "done", "method": "GET", "route": "/x",
               "status": 200, "duration_seconds": seconds})
    };
    let records = json!([request(1.7e308), request(1.7e308), request(0.5)]);
    assert_eq!(app.post_json(records.to_string()).await, 200);
    let sum = app
        .metric_sum(
            "http_server_request_duration_seconds_sum",
            &[("service", "api")],
        )
        .await;
    assert!(sum.is_finite() && sum == 0.5, "sum {sum}");
    let count = app
        .metric_sum(
            "http_server_request_duration_seconds_count",
            &[("service", "api")],
        )
        .await;
    assert_eq!(count, 1.0);
    let rejected = app
        .metric_sum("logbridge_rejected_observations_total", &[])
        .await;
    assert_eq!(rejected, 2.0);
    assert_eq!(
        app.count("service = 'api'").await,
        3,
        "the records are kept"
    );
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token_and_are_open_by_default() {
    let open = spawn_app().await;
    assert_eq!(open.get("/metrics").await.status(), 200);
    let app = spawn_app_with(|config| {
        config.access.metrics_token = Some("scrape-secret".into());
    })
    .await;
    let refused = app.get("/metrics").await;
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("www-authenticate"));
    let wrong = app.get_as("lb_not_it", "/metrics").await;
    assert_eq!(wrong.status(), 401);
    let scraped = app.get_as("scrape-secret", "/metrics").await;
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("logbridge_database_up")
    );
}

#[tokio::test]
async fn otlp_json_nan_and_infinity_reject_only_their_value() {
    let app = spawn_app().await;
    let record = |body: &str, value: serde_json::Value| {
        json!({"severityNumber": 9, "body": {"stringValue": body},
               "attributes": [{"key": "ratio", "value": value}]})
    };
    let request = json!({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "doubles"}}]},
        "scopeLogs": [{"logRecords": [
            record("nan", json!({"doubleValue": "NaN"})),
            record("inf", json!({"doubleValue": "-Infinity"})),
            record("quoted", json!({"doubleValue": "2.5"})),
            record("plain", json!({"doubleValue": 0.5})),
        ]}]
    }]});
    let answer = app
        .post("/v1/logs", "application/json", request.to_string())
        .await;
    let status = answer.status();
    assert_eq!(status, 200, "{}", answer.text().await.unwrap());
    assert_eq!(app.count("service = 'doubles'").await, 4);
    assert_eq!(
        app.count("body = 'nan' AND attributes ->> 'ratio' = 'NaN'")
            .await,
        1
    );
    assert_eq!(
        app.count("body = 'inf' AND attributes ->> 'ratio' = '-Infinity'")
            .await,
        1
    );
    let number = "body = 'quoted' AND jsonb_typeof(attributes -> 'ratio') = 'number'";
    assert_eq!(app.count(number).await, 1);
}

#[tokio::test]
async fn unknown_tokens_are_remembered_and_their_lookups_held_to_a_budget() {
    let app = spawn_app_with(|config| config.access.token_lookups_per_second = 1).await;
    let path = "/api/v1/logs";
    for _ in 0..20 {
        let status = app.get_as("lb_unknown_one", path).await.status();
        assert_eq!(status, 401, "a remembered unknown token costs no lookup");
    }
    let mut statuses = Vec::new();
    for i in 0..30 {
        let token = format!("lb_made_up_{i}");
        statuses.push(app.get_as(&token, path).await.status().as_u16());
    }
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(throttled >= 10, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [401, 429].contains(s)),
        "{statuses:?}"
    );
}
