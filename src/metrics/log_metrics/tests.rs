//! Tests of log metric evaluation, their families and their catalogue entries.

use chrono::Utc;
use serde_json::json;

use super::*;
use crate::config::MetricsConfig;
use crate::metrics::{Format, Metrics};
use crate::model::{DbQuery, HttpRequest};

fn rules(yaml: &str) -> LogMetricRules {
    let config: Vec<LogMetricConfig> = serde_yaml_ng::from_str(yaml).unwrap();
    LogMetricRules::compile(&config).unwrap()
}

fn record(service: &str, level: Level, body: &str, attributes: serde_json::Value) -> LogRecord {
    let mut record = LogRecord::new(body.into(), Utc::now());
    record.service = service.into();
    record.level = level;
    let serde_json::Value::Object(attributes) = attributes else {
        panic!("attributes are an object")
    };
    record.attributes = attributes;
    record
}

/// Counter totals by label values.
fn counts(samples: &[LogSample]) -> Vec<(usize, Vec<&str>, u64)> {
    let mut counts: Vec<_> = samples
        .iter()
        .filter_map(|s| match s {
            LogSample::Count(i, labels, n) => {
                Some((*i, labels.values.iter().map(String::as_str).collect(), *n))
            }
            LogSample::Observe(..) => None,
        })
        .collect();
    counts.sort();
    counts
}

const AUTH: &str = r#"
- name: log_auth_failures_total
  help: Failed logins
  type: counter
  filter:
    body_regex: "(?i)(authentication failed|invalid password|login failed)"
  labels: [{ name: service, from: service }]
"#;

#[test]
fn counters_match_the_body_regex_and_sum_per_series() {
    let rules = rules(AUTH);
    let records = [
        record("auth", Level::Warn, "Login FAILED for bob", json!({})),
        record("auth", Level::Warn, "invalid password", json!({})),
        record("api", Level::Info, "authentication failed", json!({})),
        record("auth", Level::Info, "login ok", json!({})),
    ];
    let samples = rules.evaluate(&records);
    assert_eq!(
        counts(&samples),
        [(0, vec!["api"], 1), (0, vec!["auth"], 2)]
    );
}

#[test]
fn filters_on_service_level_and_attributes_must_all_hold() {
    let rules = rules(
        r#"
- name: payment_errors_total
  help: Payment errors
  type: counter
  filter:
    services: [shop, billing]
    levels: [error, fatal]
    attributes: { "payment.provider": stripe, retryable: false, code: 402 }
"#,
    );
    let matching = json!({"payment": {"provider": "stripe"}, "retryable": false, "code": "402"});
    let records = [
        record("shop", Level::Error, "x", matching.clone()),
        record("billing", Level::Fatal, "x", matching.clone()),
        record("other", Level::Error, "x", matching.clone()),
        record("shop", Level::Warn, "x", matching),
        record(
            "shop",
            Level::Error,
            "x",
            json!({"payment.provider": "paypal"}),
        ),
        record(
            "shop",
            Level::Error,
            "x",
            json!({"payment.provider": "stripe", "retryable": true, "code": 402}),
        ),
    ];
    assert_eq!(counts(&rules.evaluate(&records)), [(0, vec![], 2)]);
}

#[test]
fn labels_come_from_record_fields_and_missing_ones_are_empty() {
    let rules = rules(
        r#"
- name: requests_by_tenant_total
  help: Requests
  type: counter
  labels:
    - { name: service, from: service }
    - { name: level, from: level }
    - { name: route, from: route }
    - { name: status, from: status_code }
    - { name: tenant, from: attributes.tenant.id }
    - { name: db, from: db_system }
"#,
    );
    let mut with_request = record("api", Level::Error, "x", json!({"tenant": {"id": 42}}));
    with_request.request = Some(HttpRequest {
        method: "GET".into(),
        route: "/users/{id}".into(),
        status_code: Some(503),
        duration_seconds: Some(0.2),
    });
    let long = "x".repeat(300);
    let bare = record("api", Level::Info, "x", json!({"tenant.id": long}));
    let samples = rules.evaluate(&[with_request, bare]);
    let truncated = "x".repeat(MAX_LABEL_VALUE_BYTES);
    assert_eq!(
        counts(&samples),
        [
            (0, vec!["api", "error", "/users/{id}", "503", "42", ""], 1),
            (0, vec!["api", "info", "", "", truncated.as_str(), ""], 1),
        ]
    );
}

#[test]
fn histograms_observe_the_value_and_skip_records_without_a_number() {
    let rules = rules(
        r#"
- name: auth_failures_total
  help: unrelated counter
  type: counter
  filter: { body_regex: "nothing matches this" }
- name: checkout_amount
  help: Checkout amounts
  type: histogram
  labels: [{ name: currency, from: attributes.currency }]
  value: attributes.amount
- name: query_seconds
  help: Query durations
  type: histogram
  value: db_duration_seconds
"#,
    );
    let mut paid = record(
        "shop",
        Level::Info,
        "paid",
        json!({"amount": "12.5", "currency": "EUR"}),
    );
    paid.trace_id = Some("ab".repeat(16));
    let mut query = record("shop", Level::Info, "q", json!({"amount": "n/a"}));
    query.query = Some(DbQuery {
        system: "postgresql".into(),
        operation: "SELECT".into(),
        fingerprint: "SELECT ?".into(),
        duration_seconds: Some(0.03),
    });
    let samples = rules.evaluate(&[paid, query]);
    let observed: Vec<(usize, Vec<String>, f64, Option<String>)> = samples
        .into_iter()
        .map(|s| match s {
            LogSample::Observe(i, labels, value, exemplar) => {
                (i, labels.values, value, exemplar.map(|e| e.trace_id))
            }
            LogSample::Count(..) => panic!("nothing to count: {s:?}"),
        })
        .collect();
    assert_eq!(
        observed,
        [
            (1, vec!["EUR".to_string()], 12.5, Some("ab".repeat(16))),
            (2, vec![], 0.03, None),
        ]
    );
}

#[test]
fn no_log_metrics_means_no_samples() {
    let rules = LogMetricRules::compile(&[]).unwrap();
    assert!(rules.is_empty());
    let records = [record("a", Level::Error, "login failed", json!({}))];
    assert!(rules.evaluate(&records).is_empty());
}

fn metrics(yaml: &str, cap: usize) -> (Metrics, Vec<LogMetricConfig>) {
    let config: Vec<LogMetricConfig> = serde_yaml_ng::from_str(yaml).unwrap();
    let metrics_config = MetricsConfig {
        max_series_per_metric: cap,
        ..MetricsConfig::default()
    };
    let metrics = Metrics::with_log_metrics(&metrics_config, &config).unwrap();
    (metrics, config)
}

#[test]
fn series_past_the_cap_go_to_overflow_and_are_counted() {
    let (metrics, _) = metrics(AUTH, 2);
    let records: Vec<LogRecord> = (0..5)
        .map(|i| record(&format!("svc{i}"), Level::Warn, "login failed", json!({})))
        .collect();
    metrics.observe_accepted(&records);
    let text = metrics.render(Format::PrometheusText);
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("log_auth_failures_total{"))
        .collect();
    assert_eq!(series.len(), 3, "2 series and the overflow series:\n{text}");
    assert!(
        series.contains(&"log_auth_failures_total{service=\"__overflow__\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("logbridge_metric_series_overflow_total{metric=\"log_auth_failures\"} 3"),
        "{text}"
    );
}

#[test]
fn the_catalogue_entries_match_the_exposition() {
    let yaml = format!(
        "{AUTH}{}",
        r#"
- name: checkout_amount
  help: Checkout amounts
  type: histogram
  labels: [{ name: currency, from: attributes.currency }]
  value: attributes.amount
  buckets: [10, 100]
"#
    );
    let (metrics, config) = metrics(&yaml, 100);
    let records = [record(
        "shop",
        Level::Info,
        "login failed",
        json!({"amount": 50, "currency": "EUR"}),
    )];
    metrics.observe_accepted(&records);
    let text = metrics.render(Format::PrometheusText);
    let entries = catalogue(&config);
    assert_eq!(
        entries,
        [
            OwnedMetricInfo {
                name: "log_auth_failures_total".into(),
                kind: crate::metrics::catalogue::Kind::Counter,
                labels: vec!["service".into()],
            },
            OwnedMetricInfo {
                name: "checkout_amount".into(),
                kind: crate::metrics::catalogue::Kind::Histogram,
                labels: vec!["currency".into()],
            },
        ]
    );
    for line in [
        "# TYPE log_auth_failures_total counter",
        "log_auth_failures_total{service=\"shop\"} 1",
        "# TYPE checkout_amount histogram",
        "checkout_amount_bucket{le=\"10.0\",currency=\"EUR\"} 0",
        "checkout_amount_bucket{le=\"100.0\",currency=\"EUR\"} 1",
        "checkout_amount_sum{currency=\"EUR\"} 50.0",
        "checkout_amount_count{currency=\"EUR\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
}

#[test]
fn an_invalid_log_metric_fails_construction_naming_it() {
    let config: Vec<LogMetricConfig> =
        serde_yaml_ng::from_str(&AUTH.replace("(?i)(", "(?i)((")).unwrap();
    let error = Metrics::with_log_metrics(&MetricsConfig::default(), &config)
        .err()
        .expect("an invalid regex is refused")
        .to_string();
    assert!(
        error.contains("log_metrics[0] (log_auth_failures_total).filter.body_regex: invalid regex"),
        "{error}"
    );
}
