//! The span metrics through [`crate::metrics::Metrics`]: requests sent as spans, as logs and
//! both ways count the same, and the families render as the field's tools read them.

use std::sync::LazyLock;

use chrono::Utc;
use proptest::prelude::*;
use serde_json::json;

use crate::config::{Config, MetricSource, MetricsConfig};
use crate::metrics::{Format, Metrics};
use crate::model::{LogRecord, SpanKind, SpanRecord};
use crate::pipeline::Pipeline;

/// A request: method, id in the path, status and milliseconds.
type Request = (&'static str, u32, u16, u32);

/// The default pipeline, built once (its redaction rules take a while to compile).
fn pipeline() -> &'static Pipeline {
    static PIPELINE: LazyLock<Pipeline> =
        LazyLock::new(|| Pipeline::from_config(&Config::default()).expect("the default pipeline"));
    &PIPELINE
}

fn as_log(pipeline: &Pipeline, (method, id, status, millis): Request) -> LogRecord {
    let mut record = LogRecord::new("request done".into(), Utc::now());
    record.service = "shop".into();
    let attributes = json!({
        "request_method": method, "request_path": format!("/orders/{id}"),
        "response_status": status, "duration_ms": millis,
    });
    record.attributes = attributes.as_object().expect("an object").clone();
    pipeline.process(&mut record, &mut pipeline.redactions());
    record
}

fn as_span(pipeline: &Pipeline, n: usize, (method, id, status, millis): Request) -> SpanRecord {
    let trace = format!("{:032x}", n + 1);
    let mut span = SpanRecord::new(trace, format!("{:016x}", n + 1), method.into(), Utc::now());
    span.kind = SpanKind::Server;
    span.service = "shop".into();
    span.duration_ns = i64::from(millis) * 1_000_000;
    let attributes = json!({
        "http.request.method": method, "url.path": format!("/orders/{id}"),
        "http.response.status_code": status,
    });
    span.attributes = attributes.as_object().expect("an object").clone();
    pipeline.process_span(&mut span, &mut pipeline.redactions());
    span
}

fn metrics(requests_from: MetricSource) -> Metrics {
    Metrics::new(&MetricsConfig {
        requests_from,
        ..MetricsConfig::default()
    })
}

/// The request metrics' lines as rendered, sorted (series render in no set order).
fn request_lines(metrics: &Metrics) -> Vec<String> {
    let text = metrics.render(Format::PrometheusText);
    let lines = text.lines().filter(|line| line.starts_with("http_server_"));
    let mut lines: Vec<String> = lines.map(str::to_string).collect();
    lines.sort();
    lines
}

fn send_spans(metrics: &Metrics, requests: &[Request]) {
    let pipeline = pipeline();
    let spans: Vec<SpanRecord> = (requests.iter().enumerate())
        .map(|(n, request)| as_span(pipeline, n, *request))
        .collect();
    metrics.observe_samples(metrics.span_samples(&spans));
}

fn send_logs(metrics: &Metrics, requests: &[Request]) {
    let pipeline = pipeline();
    let records: Vec<LogRecord> = requests.iter().map(|r| as_log(pipeline, *r)).collect();
    metrics.observe_accepted(&records);
}

#[test]
fn a_request_sent_as_a_span_and_as_a_log_counts_once() {
    let requests = [("GET", 7, 200, 1500), ("POST", 8, 503, 20)];
    let both = metrics(MetricSource::Auto);
    send_spans(&both, &requests);
    send_logs(&both, &requests);
    let lines = request_lines(&both);
    let count = lines
        .iter()
        .find(|l| l.contains("_count") && l.contains("GET"));
    let count = count.expect("a GET series");
    assert!(count.contains("route=\"/orders/{id}\""), "{count}");
    assert!(count.ends_with(" 1"), "{count}");
    let slow = lines
        .iter()
        .find(|l| l.starts_with("http_server_slow_requests_total"));
    assert!(slow.expect("a slow request").ends_with(" 1"));
}

#[test]
fn logs_count_for_services_without_spans_and_when_logs_are_chosen() {
    let requests = [("GET", 7, 200, 30)];
    let auto = metrics(MetricSource::Auto);
    send_logs(&auto, &requests);
    assert!(!request_lines(&auto).is_empty(), "no spans yet: logs count");
    let logs = metrics(MetricSource::Logs);
    send_spans(&logs, &requests);
    assert!(request_lines(&logs).is_empty(), "spans never count");
    let spans = metrics(MetricSource::Spans);
    send_logs(&spans, &requests);
    assert!(request_lines(&spans).is_empty(), "logs never count");
}

#[test]
fn span_and_graph_families_render_with_the_connector_labels() {
    let metrics = metrics(MetricSource::Auto);
    send_spans(&metrics, &[("GET", 1, 500, 3)]);
    let text = metrics.render(Format::PrometheusText);
    let calls = "traces_span_metrics_calls_total{service_name=\"shop\",span_name=\"GET\",\
                 span_kind=\"SPAN_KIND_SERVER\",status_code=\"STATUS_CODE_UNSET\"} 1";
    assert!(text.contains(calls), "{text}");
    assert!(
        text.contains("traces_span_metrics_duration_seconds_bucket{"),
        "{text}"
    );
    let edge = "traces_service_graph_request_total{client=\"user\",server=\"shop\",\
                connection_type=\"virtual_node\"} 1";
    assert!(text.contains(edge), "{text}");
    let open = metrics.render(Format::OpenMetrics);
    let exemplar = format!("# {{trace_id=\"{:032x}\"}}", 1);
    assert!(open.contains(&exemplar), "{open}");
}

#[test]
fn a_query_sent_as_a_span_and_as_a_log_counts_once() {
    let pipeline = pipeline();
    let statement = "SELECT * FROM orders WHERE id = 42";
    let mut span = SpanRecord::new("ab".repeat(16), "cd".repeat(8), "SELECT".into(), Utc::now());
    span.kind = SpanKind::Client;
    span.service = "shop".into();
    span.duration_ns = 700_000_000;
    let attributes = json!({"db.system": "postgresql", "db.statement": statement});
    span.attributes = attributes.as_object().expect("an object").clone();
    pipeline.process_span(&mut span, &mut pipeline.redactions());
    let mut record = LogRecord::new("query done".into(), Utc::now());
    record.service = "shop".into();
    let attributes =
        json!({"db.system": "postgresql", "db.statement": statement, "duration_ms": 700});
    record.attributes = attributes.as_object().expect("an object").clone();
    pipeline.process(&mut record, &mut pipeline.redactions());
    let count_queries = |metrics: &Metrics| {
        let text = metrics.render(Format::PrometheusText);
        let slow = text
            .lines()
            .filter(|l| l.starts_with("db_client_slow_queries_total{"));
        let counts = text
            .lines()
            .filter(|l| l.starts_with("db_client_operation_duration_seconds_count{"));
        (
            slow.map(str::to_string).collect::<Vec<_>>(),
            counts.map(str::to_string).collect::<Vec<_>>(),
        )
    };
    let both = metrics(MetricSource::Auto);
    both.observe_samples(both.span_samples(std::slice::from_ref(&span)));
    both.observe_accepted(std::slice::from_ref(&record));
    let logs = metrics(MetricSource::Auto);
    logs.observe_accepted(&[record]);
    let (slow, counts) = count_queries(&both);
    assert_eq!((slow.len(), counts.len()), (1, 1), "{slow:?} {counts:?}");
    assert!(
        slow[0].ends_with(" 1") && counts[0].ends_with(" 1"),
        "{slow:?} {counts:?}"
    );
    assert_eq!(
        count_queries(&both),
        count_queries(&logs),
        "the same series and counts"
    );
}

fn request() -> impl Strategy<Value = Request> {
    let method = prop::sample::select(vec!["GET", "POST", "DELETE", "BREW"]);
    let status = prop::sample::select(vec![200u16, 201, 404, 500, 503]);
    (method, 1u32..5, status, 0u32..3000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The request metrics of the same requests agree whether they were sent as spans, as
    /// logs, or both ways.
    #[test]
    fn spans_logs_and_both_agree(requests in prop::collection::vec(request(), 1..30)) {
        let spans = metrics(MetricSource::Auto);
        send_spans(&spans, &requests);
        let logs = metrics(MetricSource::Auto);
        send_logs(&logs, &requests);
        let both = metrics(MetricSource::Auto);
        send_spans(&both, &requests);
        send_logs(&both, &requests);
        let from_spans = request_lines(&spans);
        prop_assert!(!from_spans.is_empty());
        prop_assert_eq!(&from_spans, &request_lines(&logs));
        prop_assert_eq!(&from_spans, &request_lines(&both));
    }
}
