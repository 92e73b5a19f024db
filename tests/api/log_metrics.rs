//! `log_metrics:`: counters and histograms defined in the config, on `/metrics`, capped.

use logbridge::config::{Config, LogMetricConfig};
use serde_json::json;

use super::helpers::{TestApp, spawn_app_with};

const AUTH_FAILURES: &str = r#"
- name: log_auth_failures_total
  help: Failed logins, by service
  type: counter
  filter:
    body_regex: "(?i)(authentication failed|invalid password|login failed)"
  labels: [{ name: service, from: service }]
"#;

const CHECKOUT_AMOUNT: &str = r#"
- name: checkout_amount
  help: Amounts of completed checkouts
  type: histogram
  filter:
    services: [shop]
    attributes: { event: checkout.completed }
  labels: [{ name: currency, from: attributes.currency }]
  value: attributes.amount
  buckets: [10, 50, 100]
"#;

fn log_metrics(yaml: &str) -> Vec<LogMetricConfig> {
    serde_yaml_ng::from_str(yaml).expect("log metrics parse")
}

/// The sample lines of `/metrics` whose series name starts with `prefix`, sorted.
async fn series(app: &TestApp, prefix: &str) -> Vec<String> {
    let text = app.get("/metrics").await.text().await.unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|line| line.starts_with(prefix))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn configured_counters_and_histograms_count_committed_records() {
    let yaml = format!("{AUTH_FAILURES}{CHECKOUT_AMOUNT}");
    let app = spawn_app_with(|config| config.log_metrics = log_metrics(&yaml)).await;
    let logs = json!([
        {"message": "Login failed for user 17", "service": "auth", "level": "warn"},
        {"message": "invalid password", "service": "auth", "level": "warn"},
        {"message": "AUTHENTICATION FAILED", "service": "admin", "level": "error"},
        {"message": "login ok", "service": "auth"},
        {"message": "paid", "service": "shop", "event": "checkout.completed", "amount": 42.5,
         "currency": "EUR"},
        {"message": "paid", "service": "shop", "event": "checkout.completed", "amount": "120",
         "currency": "EUR"},
        {"message": "paid", "service": "shop", "event": "checkout.completed", "amount": 5,
         "currency": "USD"},
        {"message": "cart", "service": "shop", "event": "cart.updated", "amount": 7},
        {"message": "paid", "service": "other", "event": "checkout.completed", "amount": 7},
    ]);
    assert_eq!(app.post_json(logs.to_string()).await, 200);
    // A rejected batch counts nowhere.
    let rejected = json!([{"message": "login failed", "service": "auth"}, {"no": "message"}]);
    assert_eq!(app.post_json(rejected.to_string()).await, 400);

    assert_eq!(
        series(&app, "log_auth_failures_total").await,
        [
            "log_auth_failures_total{service=\"admin\"} 1",
            "log_auth_failures_total{service=\"auth\"} 2",
        ]
    );
    assert_eq!(
        series(&app, "checkout_amount").await,
        [
            "checkout_amount_bucket{le=\"+Inf\",currency=\"EUR\"} 2",
            "checkout_amount_bucket{le=\"+Inf\",currency=\"USD\"} 1",
            "checkout_amount_bucket{le=\"10.0\",currency=\"EUR\"} 0",
            "checkout_amount_bucket{le=\"10.0\",currency=\"USD\"} 1",
            "checkout_amount_bucket{le=\"100.0\",currency=\"EUR\"} 1",
            "checkout_amount_bucket{le=\"100.0\",currency=\"USD\"} 1",
            "checkout_amount_bucket{le=\"50.0\",currency=\"EUR\"} 1",
            "checkout_amount_bucket{le=\"50.0\",currency=\"USD\"} 1",
            "checkout_amount_count{currency=\"EUR\"} 2",
            "checkout_amount_count{currency=\"USD\"} 1",
            "checkout_amount_sum{currency=\"EUR\"} 162.5",
            "checkout_amount_sum{currency=\"USD\"} 5.0",
        ]
    );
}

#[tokio::test]
async fn label_values_past_the_series_cap_go_to_overflow_and_are_counted() {
    let app = spawn_app_with(|config| {
        config.metrics.max_series_per_metric = 2;
        config.log_metrics = log_metrics(AUTH_FAILURES);
    })
    .await;
    let logs: Vec<_> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|service| json!({"message": "login failed", "service": service}))
        .collect();
    assert_eq!(app.post_json(json!(logs).to_string()).await, 200);

    let exposed = series(&app, "log_auth_failures_total").await;
    assert_eq!(exposed.len(), 3, "two series and the overflow: {exposed:?}");
    assert!(
        exposed.contains(&"log_auth_failures_total{service=\"__overflow__\"} 3".to_string()),
        "{exposed:?}"
    );
    assert_eq!(app.metric_sum("log_auth_failures_total", &[]).await, 5.0);
    let overflow = [("metric", "log_auth_failures")];
    assert_eq!(
        app.metric_sum("logbridge_metric_series_overflow_total", &overflow)
            .await,
        3.0
    );
}

#[tokio::test]
async fn an_invalid_body_regex_fails_startup_naming_the_metric() {
    let bad = AUTH_FAILURES.replace("login failed)", "login failed");
    let yaml = format!("log_metrics:\n{}", indent(&bad));
    let error = logbridge::settings::from_yaml_and_env(&yaml, "bad.yaml", std::iter::empty())
        .expect_err("the config is refused")
        .to_string();
    let rule = "log_metrics[0] (log_auth_failures_total).filter.body_regex: invalid regex";
    assert!(
        error.contains("bad.yaml") && error.contains(rule),
        "{error}"
    );

    // A configuration built in code is refused by `start`, before the database is touched.
    let mut config = Config::default();
    config.listen.http = "127.0.0.1:0".parse().unwrap();
    config.listen.grpc = "127.0.0.1:0".parse().unwrap();
    config.log_metrics = log_metrics(&bad);
    let error = logbridge::app::start(config)
        .await
        .err()
        .expect("the bridge does not start")
        .to_string();
    assert!(error.contains(rule), "{error}");
}

fn indent(yaml: &str) -> String {
    yaml.lines().map(|line| format!("  {line}\n")).collect()
}
