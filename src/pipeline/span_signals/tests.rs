use chrono::Utc;
use serde_json::{Value, json};

use super::*;
use crate::config::Config;
use crate::model::{ExceptionInfo, LogRecord, SpanEvent};
use crate::pipeline::Pipeline;

fn span(kind: SpanKind, attributes: Value) -> SpanRecord {
    let mut span = SpanRecord::new("ab".repeat(16), "cd".repeat(8), "op".into(), Utc::now());
    span.kind = kind;
    span.service = "shop".into();
    span.duration_ns = 1_500_000_000;
    span.attributes = attributes.as_object().expect("an object").clone();
    span
}

fn processed(mut span: SpanRecord) -> SpanRecord {
    let pipeline = Pipeline::from_config(&Config::default()).expect("the default pipeline");
    let mut redactions = pipeline.redactions();
    pipeline.process_span(&mut span, &mut redactions);
    span
}

#[test]
fn a_server_span_describes_its_request_under_either_name() {
    let current = processed(span(
        SpanKind::Server,
        json!({"http.request.method": "get", "url.path": "/users/42", "http.response.status_code": 404}),
    ));
    let request = current.request.expect("a request");
    assert_eq!(request.method, "GET");
    assert_eq!(request.route, "/users/{id}");
    assert_eq!(request.status_code, Some(404));
    assert_eq!(request.duration_seconds, Some(1.5));
    let old = processed(span(
        SpanKind::Server,
        json!({"http.method": "BREW", "http.target": "/users/7?x=1", "http.status_code": "200"}),
    ));
    let request = old.request.expect("a request");
    assert_eq!(
        (request.method.as_str(), request.route.as_str()),
        ("_OTHER", "/users/{id}")
    );
    assert_eq!(request.status_code, Some(200));
    let routed = processed(span(
        SpanKind::Server,
        json!({"http.request.method": "POST", "http.route": "/cart/{item}", "url.path": "/cart/9"}),
    ));
    assert_eq!(routed.request.expect("a request").route, "/cart/{item}");
}

#[test]
fn only_server_spans_with_http_attributes_are_requests() {
    let client = processed(span(
        SpanKind::Client,
        json!({"http.request.method": "GET"}),
    ));
    assert_eq!(client.request, None);
    let internal = processed(span(SpanKind::Server, json!({"rpc.system": "grpc"})));
    assert_eq!(internal.request, None);
    let no_route = processed(span(
        SpanKind::Server,
        json!({"http.request.method": "GET"}),
    ));
    assert_eq!(no_route.request.expect("a request").route, UNKNOWN_ROUTE);
}

#[test]
fn a_database_client_span_describes_its_query_as_a_log_would() {
    let current = processed(span(
        SpanKind::Client,
        json!({"db.system.name": "PostgreSQL", "db.query.text": "SELECT * FROM t WHERE id = 4"}),
    ));
    let query = current.query.expect("a query");
    assert_eq!(query.system, "postgresql");
    assert_eq!(query.operation, "SELECT");
    assert_eq!(
        query.fingerprint,
        sql::fingerprint("SELECT * FROM t WHERE id = 9")
    );
    assert_eq!(query.duration_seconds, Some(1.5));
    let old = processed(span(
        SpanKind::Client,
        json!({"db.system": "redis", "db.operation": "GET"}),
    ));
    let query = old.query.expect("a query");
    assert_eq!(
        (query.system.as_str(), query.operation.as_str()),
        ("redis", "GET")
    );
    assert_eq!(
        query.fingerprint, "op",
        "the span's name without a statement"
    );
    let server = processed(span(SpanKind::Server, json!({"db.system": "redis"})));
    assert_eq!(server.query, None);
}

#[test]
fn an_exception_event_joins_the_group_of_the_same_exception_logged() {
    let mut traced = span(SpanKind::Server, json!({}));
    let attributes = json!({
        "exception.type": "KeyError", "exception.message": "no user 42",
        "exception.stacktrace": "Traceback:\n  File \"a.py\", line 3, in f",
    });
    let event = |name: &str| SpanEvent {
        name: name.into(),
        time: Utc::now(),
        attributes: attributes.as_object().expect("an object").clone(),
    };
    traced.events = vec![event("exception"), event("retry")];
    let traced = processed(traced);
    assert_eq!(traced.exceptions.len(), 1, "only the exception event");
    let mut logged = LogRecord::new("boom".into(), Utc::now());
    logged.service = "shop".into();
    logged.exception = Some(ExceptionInfo {
        exception_type: "KeyError".into(),
        message: "no user 7".into(),
        stacktrace: Some("Traceback:\n  File \"a.py\", line 3, in f".into()),
        fingerprint: String::new(),
    });
    grouping::assign(&mut logged);
    let logged = logged.exception.expect("an exception");
    assert_eq!(
        traced.exceptions[0].exception.fingerprint,
        logged.fingerprint
    );
    assert_eq!(traced.exceptions[0].exception.exception_type, "KeyError");
}
