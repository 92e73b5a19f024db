//! Tests of metric derivation, the series cap and exposition.

use chrono::Utc;

use crate::config::MetricsConfig;
use crate::metrics::derived::*;
use crate::metrics::{Format, Metrics};
use crate::model::{DbQuery, ExceptionInfo, HttpRequest, LogRecord};

const THRESHOLDS: Thresholds = Thresholds {
    slow_request_seconds: 1.0,
    slow_query_seconds: 0.5,
};

fn request(service: &str, route: &str, seconds: f64) -> LogRecord {
    let mut record = LogRecord::new("request".into(), Utc::now());
    record.service = service.into();
    record.trace_id = Some("4bf92f3577b34da6a3ce929d0e0e4736".into());
    record.request = Some(HttpRequest {
        method: "GET".into(),
        route: route.into(),
        status_code: Some(200),
        duration_seconds: Some(seconds),
    });
    record
}

#[test]
fn log_counts_are_summed_per_label_set() {
    let records = vec![
        request("a", "/x", 0.1),
        request("a", "/y", 0.1),
        request("b", "/x", 0.1),
    ];
    let samples = derive(&records, THRESHOLDS);
    let count = |service: &str| {
        samples.iter().find_map(|s| match s {
            Sample::Logs(l, n) if l.service == service => Some(*n),
            _ => None,
        })
    };
    assert_eq!((count("a"), count("b")), (Some(2), Some(1)));
}

#[test]
fn slow_requests_and_queries_cross_their_thresholds() {
    let mut slow_query = LogRecord::new("q".into(), Utc::now());
    slow_query.query = Some(DbQuery {
        system: "postgresql".into(),
        operation: "SELECT".into(),
        fingerprint: "SELECT * FROM t WHERE id = ?".into(),
        duration_seconds: Some(0.5),
    });
    slow_query.exception = Some(ExceptionInfo {
        exception_type: "ValueError".into(),
        message: "bad".into(),
        stacktrace: None,
        fingerprint: String::new(),
    });
    let records = vec![
        request("a", "/x", 0.999),
        request("a", "/x", 1.0),
        slow_query,
    ];
    let samples = derive(&records, THRESHOLDS);
    let slow_requests = samples
        .iter()
        .filter(|s| matches!(s, Sample::SlowRequest(_)))
        .count();
    let slow_queries = samples
        .iter()
        .filter(|s| matches!(s, Sample::SlowQuery(_)))
        .count();
    let exceptions = samples
        .iter()
        .filter(|s| matches!(s, Sample::Exception(_)))
        .count();
    assert_eq!((slow_requests, slow_queries, exceptions), (1, 1, 1));
}

fn metrics(cap: usize) -> Metrics {
    Metrics::new(&MetricsConfig {
        max_series_per_metric: cap,
        ..MetricsConfig::default()
    })
}

#[test]
fn series_past_the_cap_go_to_overflow_and_are_counted() {
    let metrics = metrics(3);
    let records: Vec<LogRecord> = (0..10)
        .map(|i| request(&format!("svc{i}"), "/x", 0.1))
        .collect();
    metrics.observe_accepted(&records);
    let text = metrics.render(Format::PrometheusText);
    let series = text
        .lines()
        .filter(|l| l.starts_with("log_records_total{"))
        .count();
    assert_eq!(series, 4, "3 series and the overflow series:\n{text}");
    assert!(
        text.contains("log_records_total{service=\"__overflow__\",level=\"__overflow__\"} 7"),
        "{text}"
    );
    assert!(
        text.contains("logbridge_metric_series_overflow_total{metric=\"log_records\"} 7"),
        "{text}"
    );
}

#[test]
fn openmetrics_carries_trace_exemplars_and_text_does_not() {
    let metrics = metrics(100);
    metrics.observe_accepted(&[request("a", "/users/{id}", 0.2)]);
    let om = metrics.render(Format::OpenMetrics);
    assert!(
        om.contains("trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\""),
        "{om}"
    );
    assert!(om.ends_with("# EOF\n"));
    let text = metrics.render(Format::PrometheusText);
    assert!(!text.contains("trace_id"), "{text}");
    assert!(
        text.contains("# TYPE http_server_request_duration_seconds histogram"),
        "{text}"
    );
    assert!(text.contains(
        "http_server_request_duration_seconds_bucket{le=\"0.25\",service=\"a\",method=\"GET\",route=\"/users/{id}\",status_code=\"200\"} 1"
    ), "{text}");
}

#[test]
fn absurd_durations_are_counted_as_rejected_and_keep_the_sum_finite() {
    let metrics = Metrics::new(&MetricsConfig::default());
    let records = vec![
        request("a", "/x", 1.7e308),
        request("a", "/x", 1.7e308),
        request("a", "/x", 8.0 * 86_400.0),
        request("a", "/x", 0.25),
    ];
    metrics.observe_accepted(&records);
    let text = metrics.render(Format::PrometheusText);
    let sum = text
        .lines()
        .find(|l| l.starts_with("http_server_request_duration_seconds_sum{"))
        .expect("the sum is exported");
    assert!(sum.ends_with(" 0.25"), "{sum}");
    let series = r#"logbridge_rejected_observations_total{metric="http_server_request_duration"}"#;
    let rejected = text
        .lines()
        .find(|l| l.starts_with(series))
        .expect("rejections are counted");
    assert!(rejected.ends_with(" 3"), "{rejected}");
    let slow = "http_server_slow_requests_total{";
    assert!(
        !text.lines().any(|l| l.starts_with(slow)),
        "absurd is not slow"
    );
}
