//! Tests of the enrich step on records as pino-http, loguru, python-json-logger and OTel SDKs
//! produce them.

use super::*;
use crate::pipeline::fields::take_first;
use chrono::Utc;
use serde_json::{Value, json};

/// A record as the JSON decoder leaves it: the message taken out, the rest as attributes.
fn decoded(line: &str) -> LogRecord {
    let aliases = FieldAliases::default();
    let Value::Object(mut attributes) = serde_json::from_str(line).expect("json") else {
        panic!("not an object");
    };
    let body = take_first(&mut attributes, &aliases.message);
    let body = body
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut record = LogRecord::new(body, Utc::now());
    record.attributes = attributes;
    record
}

fn enriched(line: &str) -> LogRecord {
    let mut record = decoded(line);
    enrich(&mut record, &FieldAliases::default());
    record
}

const PINO_HTTP: &str = r#"{"level":30,"time":1714645867512,"pid":7,"hostname":"api-7d9f","req":{"id":1,"method":"GET","url":"/users/42/orders?expand=items","query":{"expand":"items"},"params":{},"headers":{"host":"localhost:3000","user-agent":"curl/8.4.0","accept":"*/*"},"remoteAddress":"::1","remotePort":52144},"res":{"statusCode":200,"headers":{"content-type":"application/json; charset=utf-8","content-length":"17"}},"responseTime":4,"msg":"request completed"}"#;

const PINO_ERROR: &str = r#"{"level":50,"time":1714645867600,"pid":7,"hostname":"api-7d9f","err":{"type":"TypeError","message":"Cannot read properties of undefined (reading 'id')","stack":"TypeError: Cannot read properties of undefined (reading 'id')\n    at getUser (/app/src/users.js:14:22)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"},"msg":"Cannot read properties of undefined (reading 'id')"}"#;

const LOGURU: &str = r#"{"text": "2024-05-02 10:31:07.512 | ERROR    | __main__:main:9 - division failed\nTraceback (most recent call last):\n\n  File \"/app/main.py\", line 7, in main\n    1 / 0\n\nZeroDivisionError: division by zero\n", "record": {"elapsed": {"repr": "0:00:00.012", "seconds": 0.012}, "exception": {"type": "ZeroDivisionError", "value": "division by zero", "traceback": true}, "extra": {}, "file": {"name": "main.py", "path": "/app/main.py"}, "function": "main", "level": {"icon": "\u274c", "name": "ERROR", "no": 40}, "line": 9, "message": "division failed", "module": "main", "name": "__main__", "process": {"id": 1, "name": "MainProcess"}, "thread": {"id": 140, "name": "MainThread"}, "time": {"repr": "2024-05-02 10:31:07.512345+00:00", "timestamp": 1714645867.512345}}}"#;

/// Monolog's JsonFormatter with `includeStacktraces` (bench/grouping/corpus/monolog.ndjson).
const MONOLOG: &str = r#"{"message":"request failed","context":{"exception":{"class":"Shop\\PaymentFailed","message":"charge of -1819 cents failed","code":402,"file":"/tmp/logbridge-grouping/php/src/Payments.php:22","trace":["/tmp/logbridge-grouping/php/src/Payments.php:28","/tmp/logbridge-grouping/php/shop.php:34","/tmp/logbridge-grouping/php/shop.php:70"],"previous":{"class":"RuntimeException","message":"gateway timeout after -1819ms","code":0,"file":"/tmp/logbridge-grouping/php/src/Payments.php:14","trace":["/tmp/logbridge-grouping/php/src/Payments.php:20","/tmp/logbridge-grouping/php/src/Payments.php:28","/tmp/logbridge-grouping/php/shop.php:34","/tmp/logbridge-grouping/php/shop.php:70"]}}},"level":400,"level_name":"ERROR","channel":"shop-monolog","datetime":"2026-12-04T18:12:20.529099+00:00","extra":{}}"#;

#[test]
fn pino_http_request() {
    let record = enriched(PINO_HTTP);
    let request = record.request.expect("request");
    assert_eq!(request.method, "GET");
    assert_eq!(request.route, "/users/{id}/orders");
    assert_eq!(request.status_code, Some(200));
    assert_eq!(request.duration_seconds, Some(0.004));
    assert_eq!((record.query, record.exception), (None, None));
    assert!(record.attributes.contains_key("req"), "attributes stay");
}

#[test]
fn pino_error_object() {
    let exception = enriched(PINO_ERROR).exception.expect("exception");
    assert_eq!(exception.exception_type, "TypeError");
    assert_eq!(
        exception.message,
        "Cannot read properties of undefined (reading 'id')"
    );
    assert!(exception.stacktrace.expect("stack").contains("at getUser"));
}

#[test]
fn loguru_record_exception() {
    let record = enriched(LOGURU);
    assert_eq!(record.body, "division failed");
    let exception = record.exception.expect("exception");
    assert_eq!(exception.exception_type, "ZeroDivisionError");
    assert_eq!(exception.message, "division by zero");
    assert_eq!(record.request, None);
}

/// Monolog's `context.exception`: its class and message, and its `file` (the throw site) put
/// before the `trace` of callers.
#[test]
fn monolog_context_exception() {
    let exception = enriched(MONOLOG).exception.expect("exception");
    assert_eq!(exception.exception_type, "Shop\\PaymentFailed");
    assert!(
        exception.message.starts_with("charge of "),
        "{}",
        exception.message
    );
    let stack = exception.stacktrace.expect("stack");
    let lines: Vec<&str> = stack.lines().collect();
    assert!(lines[0].ends_with("/src/Payments.php:22"), "{stack}");
    assert!(
        lines[1].ends_with(".php:28") || lines[1].ends_with("shop.php:33"),
        "{stack}"
    );
}

#[test]
fn otel_semconv_http_and_db() {
    let record = enriched(
        r#"{"body": "handled", "http.request.method": "post", "http.route": "/api/orders/{orderId}",
            "url.path": "/api/orders/981", "http.response.status_code": "201",
            "http.server.request.duration": 0.0123, "db.system.name": "PostgreSQL",
            "db.query.text": "SELECT * FROM orders WHERE id = $1 AND state IN ('a', 'b')"}"#,
    );
    let request = record.request.expect("request");
    assert_eq!(request.method, "POST");
    assert_eq!(request.route, "/api/orders/{orderId}");
    assert_eq!(request.status_code, Some(201));
    assert_eq!(request.duration_seconds, Some(0.0123));
    let query = record.query.expect("query");
    assert_eq!(query.system, "postgresql");
    assert_eq!(query.operation, "SELECT");
    assert_eq!(
        query.fingerprint,
        "SELECT * FROM orders WHERE id = ? AND state IN (?)"
    );
}

#[test]
fn otel_exception_attributes() {
    let record = enriched(
        r#"{"body": "request failed", "exception.type": "java.net.SocketTimeoutException",
            "exception.message": "Read timed out", "exception.stacktrace":
            "java.net.SocketTimeoutException: Read timed out\n\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)"}"#,
    );
    let exception = record.exception.expect("exception");
    assert_eq!(exception.exception_type, "java.net.SocketTimeoutException");
    assert_eq!(exception.message, "Read timed out");
    assert!(exception.stacktrace.expect("stack").contains("timedRead"));
}

#[test]
fn python_json_logger_exc_info() {
    let record = enriched(
        r#"{"asctime": "2024-05-02 10:31:07,512", "levelname": "ERROR", "name": "worker", "message": "job failed",
            "exc_info": "Traceback (most recent call last):\n  File \"/srv/worker.py\", line 40, in handle\n    total = int(raw)\nValueError: invalid literal for int() with base 10: 'x'"}"#,
    );
    let exception = record.exception.expect("exception");
    assert_eq!(exception.exception_type, "ValueError");
    assert_eq!(
        exception.message,
        "invalid literal for int() with base 10: 'x'"
    );
}

#[test]
fn message_only_defaults_type_and_body_traceback_is_found() {
    let exception = enriched(r#"{"msg": "x", "error.message": "quota exceeded"}"#).exception;
    assert_eq!(
        exception.map(|e| (e.exception_type, e.message)),
        Some(("Error".into(), "quota exceeded".into()))
    );
    let body = "boom\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nOSError: disk full";
    let exception = enriched(&json!({ "msg": body }).to_string())
        .exception
        .expect("from body");
    assert_eq!(exception.exception_type, "OSError");
}

#[test]
fn method_normalization_and_route_fallbacks() {
    let record =
        enriched(r#"{"msg": "x", "method": "PURGE", "path": "//cache/9f86d081884c7d65/"}"#);
    let request = record.request.expect("request");
    assert_eq!(
        (request.method.as_str(), request.route.as_str()),
        ("_OTHER", "/cache/{id}")
    );
    let request = enriched(r#"{"msg": "x", "request_method": "delete"}"#)
        .request
        .expect("request");
    assert_eq!(
        (request.method.as_str(), request.route.as_str()),
        ("DELETE", "unknown")
    );
    let request =
        enriched(r#"{"msg": "x", "status": 404, "url.full": "https://a.b/x/12"}"#).request;
    assert_eq!(
        request.map(|r| (r.method, r.route, r.status_code)),
        Some(("_OTHER".into(), "/x/{id}".into(), Some(404)))
    );
}

#[test]
fn no_false_positives() {
    for line in [
        r#"{"msg": "user logged in", "userId": 7}"#,
        r#"{"msg": "search", "query": "red shoes size 42"}"#,
        r#"{"msg": "job", "status": "done", "path": "/var/data/x.csv"}"#,
        r#"{"msg": "odd status", "status": 42, "path": "/x"}"#,
        r#"{"msg": "Error: disk full"}"#,
    ] {
        let record = enriched(line);
        assert_eq!(
            (record.request, record.query, record.exception),
            (None, None, None),
            "{line}"
        );
    }
}

#[test]
fn durations_must_be_non_negative_numbers() {
    let record =
        enriched(r#"{"msg": "x", "method": "GET", "duration_seconds": -1, "elapsed_ms": "250"}"#);
    assert_eq!(record.request.and_then(|r| r.duration_seconds), Some(0.25));
}

#[test]
fn ecs_event_duration_is_in_nanoseconds() {
    let line = r#"{"msg": "x", "http.request.method": "GET", "event.duration": 250000000}"#;
    let record = enriched(line);
    assert_eq!(record.request.and_then(|r| r.duration_seconds), Some(0.25));
}

#[test]
fn decoder_values_are_kept() {
    let mut record = decoded(PINO_HTTP);
    let preset = HttpRequest {
        method: "PUT".into(),
        route: "/x".into(),
        status_code: None,
        duration_seconds: None,
    };
    record.request = Some(preset.clone());
    enrich(&mut record, &FieldAliases::default());
    assert_eq!(record.request, Some(preset));
}

#[test]
fn a_lone_stack_field_is_an_exception_only_when_it_reads_as_a_stack_trace() {
    let record = enriched(r#"{"message": "deployed", "stack": "production"}"#);
    assert_eq!(record.exception, None);
    let zap = enriched(
        r#"{"msg": "add item failed", "error": "strconv.Atoi: parsing \"x\": invalid syntax",
            "stacktrace": "main.event\n\t/src/main.go:70\nruntime.main\n\t/usr/lib/go-1.19/src/runtime/proc.go:250"}"#,
    );
    let exception = zap.exception.expect("zap's stacktrace");
    assert_eq!(
        exception.message,
        "strconv.Atoi: parsing \"x\": invalid syntax"
    );
}
