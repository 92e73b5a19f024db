//! What must hold of every record and span the pipeline hands to the sinks, and of every alert
//! change the webhook stores.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::{Attributes, ExceptionInfo, HttpRequest, LogRecord, SpanKind, SpanRecord};
use crate::pipeline::enrich::{
    KNOWN_METHODS, MAX_DB_SYSTEM_BYTES, MAX_USER_ID_BYTES, OTHER_METHOD,
};
use crate::pipeline::exception::{MAX_MESSAGE_BYTES, MAX_STACKTRACE_BYTES, MAX_TYPE_BYTES};
use crate::pipeline::levels;
use crate::pipeline::limits::{Limits, ORIGINAL_TIMESTAMP};
use crate::pipeline::route::MAX_ROUTE_BYTES;
use crate::pipeline::sql::{MAX_FINGERPRINT_BYTES, OPERATIONS, OTHER_OPERATION};
use crate::store::alerts::AlertChange;

/// Checks a record after `Limits::bound` and `Pipeline::process`.
pub fn record(r: &LogRecord, limits: &Limits) {
    let level = levels::from_severity_number(i32::from(r.severity_number));
    assert_eq!(
        level,
        Some(r.level),
        "severity {} vs level",
        r.severity_number
    );
    assert_id(r.trace_id.as_deref(), 32, "trace_id");
    assert_id(r.span_id.as_deref(), 16, "span_id");
    let window = (r.observed_ts - limits.max_past)..=(r.observed_ts + limits.max_future);
    assert!(window.contains(&r.ts), "ts {} outside the window", r.ts);
    assert!(
        r.body.len() <= limits.max_value_bytes,
        "body of {} bytes",
        r.body.len()
    );
    // The bridge's own attribute comes on top of the limit.
    let own = usize::from(r.attributes.contains_key(ORIGINAL_TIMESTAMP));
    assert!(r.attributes.len() <= limits.max_attributes + own);
    bounded_map(&r.attributes, limits);
    bounded_map(&r.resource, limits);
    assert!(!r.service.is_empty(), "empty service");
    let names = [Some(&r.service), r.scope.as_ref(), r.severity_text.as_ref()];
    for name in names.into_iter().flatten() {
        assert!(
            name.len() <= limits.max_name_bytes,
            "name of {} bytes",
            name.len()
        );
    }
    enriched(r);
}

/// Checks a span received at `received` after `Limits::bound_span` and
/// `Pipeline::process_span`.
pub fn span(s: &SpanRecord, limits: &Limits, received: DateTime<Utc>) {
    assert_id(Some(&s.trace_id), 32, "trace_id");
    assert_id(Some(&s.span_id), 16, "span_id");
    assert_id(s.parent_span_id.as_deref(), 16, "parent_span_id");
    assert!(s.duration_ns >= 0, "duration {}", s.duration_ns);
    assert!((0..=2).contains(&s.status.code), "status {}", s.status.code);
    let window = (received - limits.max_past)..=(received + limits.max_future);
    assert!(
        window.contains(&s.start),
        "start {} outside the window",
        s.start
    );
    assert!(s.events.len() <= limits.max_attributes && s.links.len() <= limits.max_attributes);
    bounded_map(&s.attributes, limits);
    bounded_map(&s.resource, limits);
    s.events
        .iter()
        .for_each(|e| bounded_map(&e.attributes, limits));
    s.links
        .iter()
        .for_each(|l| bounded_map(&l.attributes, limits));
    for name in [&s.name, &s.service] {
        assert!(
            name.len() <= limits.max_name_bytes,
            "name of {} bytes",
            name.len()
        );
    }
    let fingerprint = s.promoted.db_query_fingerprint.as_ref();
    assert!(fingerprint.is_none_or(|f| f.len() <= MAX_FINGERPRINT_BYTES));
    span_signals(s);
}

/// A request as the enrich steps describe one, from a record or a span.
fn request_ok(request: &HttpRequest) {
    let method = request.method.as_str();
    assert!(
        KNOWN_METHODS.contains(&method) || method == OTHER_METHOD,
        "{method}"
    );
    assert!(request.route.len() <= MAX_ROUTE_BYTES && !request.route.is_empty());
    assert!(request.status_code.is_none_or(|s| (100..=599).contains(&s)));
    assert_duration(request.duration_seconds);
}

/// An exception as the enrich and grouping steps leave it, from a record or a span event.
fn exception_ok(exception: &ExceptionInfo) {
    assert!(exception.exception_type.len() <= MAX_TYPE_BYTES);
    assert!(exception.message.len() <= MAX_MESSAGE_BYTES);
    let stack = exception.stacktrace.as_deref().unwrap_or_default();
    assert!(stack.len() <= MAX_STACKTRACE_BYTES);
    assert_id(Some(&exception.fingerprint), 16, "exception fingerprint");
}

/// What the span's enrich step sets: a request only on a server span, a query only on a client
/// span, each bounded, and its exceptions fingerprinted.
fn span_signals(s: &SpanRecord) {
    if let Some(request) = &s.request {
        assert_eq!(s.kind, SpanKind::Server);
        request_ok(request);
    }
    if let Some(query) = &s.query {
        assert_eq!(s.kind, SpanKind::Client);
        assert!(query.fingerprint.len() <= MAX_FINGERPRINT_BYTES);
        assert!(query.operation.len() <= 64 && !query.system.is_empty());
        assert_duration(query.duration_seconds);
    }
    s.exceptions.iter().for_each(|e| exception_ok(&e.exception));
}

/// The parts the enrich and grouping steps set.
fn enriched(r: &LogRecord) {
    if let Some(request) = &r.request {
        request_ok(request);
    }
    if let Some(query) = &r.query {
        let operation = query.operation.as_str();
        assert!(OPERATIONS.contains(&operation) || operation == OTHER_OPERATION);
        assert!(query.fingerprint.len() <= MAX_FINGERPRINT_BYTES);
        assert!(query.system.len() <= MAX_DB_SYSTEM_BYTES && !query.system.is_empty());
        assert_duration(query.duration_seconds);
    }
    if let Some(exception) = &r.exception {
        exception_ok(exception);
    }
    assert!(
        r.user_id
            .as_ref()
            .is_none_or(|u| u.len() <= MAX_USER_ID_BYTES)
    );
    let is_error = r.level >= crate::model::Level::Error;
    assert_eq!(
        r.error_fingerprint.is_some(),
        is_error,
        "error group of {:?}",
        r.level
    );
    assert_id(r.error_fingerprint.as_deref(), 16, "error fingerprint");
}

/// Every nested object and array holds at most `max_attributes` entries, every string at most
/// `max_value_bytes`.
fn bounded_map(map: &Attributes, limits: &Limits) {
    let own = usize::from(map.contains_key(ORIGINAL_TIMESTAMP));
    assert!(
        map.len() <= limits.max_attributes + own,
        "{} attributes",
        map.len()
    );
    let long_key = map.keys().find(|key| key.len() > limits.max_name_bytes);
    assert!(
        long_key.is_none(),
        "key of {:?} bytes",
        long_key.map(String::len)
    );
    map.values().for_each(|value| bounded_value(value, limits));
}

fn bounded_value(value: &Value, limits: &Limits) {
    match value {
        Value::String(text) => assert!(text.len() <= limits.max_value_bytes),
        Value::Array(items) => {
            assert!(
                items.len() <= limits.max_attributes,
                "{} items",
                items.len()
            );
            items.iter().for_each(|item| bounded_value(item, limits));
        }
        Value::Object(map) => bounded_map(map, limits),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Absent, or `len` lowercase hex digits that are not all zero.
fn assert_id(id: Option<&str>, len: usize, name: &str) {
    let Some(id) = id else { return };
    let hex = id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    assert!(id.len() == len && hex, "{name} {id:?}");
    assert!(id.bytes().any(|b| b != b'0'), "{name} all zero");
}

fn assert_duration(seconds: Option<f64>) {
    let valid = seconds.is_none_or(|s| s.is_finite() && s >= 0.0);
    assert!(valid, "duration {seconds:?}");
}

/// Checks an alert change before it is stored: PostgreSQL text holds no NUL.
pub fn alert_change(change: &AlertChange) {
    assert!(matches!(change.status.as_str(), "firing" | "resolved"));
    assert!(!change.fingerprint.is_empty());
    let texts = [&change.fingerprint, &change.alertname, &change.status]
        .into_iter()
        .chain(&change.severity)
        .chain(&change.service)
        .chain(&change.generator_url)
        .chain(&change.receiver)
        .chain(&change.group_key);
    for text in texts {
        assert!(!text.contains('\0'), "NUL in {text:?}");
    }
    for json in [&change.labels, &change.annotations] {
        assert!(json.is_object() && !has_nul(json), "NUL in {json}");
    }
}

/// Whether a NUL is in any string or key of the value (what `jsonb` refuses as `\u0000`; an
/// escaped backslash followed by `u0000` is fine).
pub fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}
