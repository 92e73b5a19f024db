//! The demo's events on the wire, as the real clients send them: OTLP/HTTP protobuf logs and
//! traces, the JSON logs API, the Loki push API (JSON) and the Elasticsearch bulk API.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event as SpanEvent, SpanKind};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, status};
use prost::Message as _;
use serde_json::{Map, Value, json};

use super::scenario::{Event, Kind};

/// The event's fields under the names the bridge's default aliases read.
pub fn fields(event: &Event) -> Map<String, Value> {
    let mut fields = Map::new();
    match &event.kind {
        Kind::Request {
            method,
            route,
            path,
            status,
            duration_ms,
        } => {
            fields.insert("http.request.method".into(), json!(method));
            fields.insert("http.route".into(), json!(route));
            fields.insert("url.path".into(), json!(path));
            fields.insert("http.response.status_code".into(), json!(status));
            fields.insert("duration_ms".into(), json!(duration_ms));
        }
        Kind::Query {
            statement,
            duration_ms,
        } => {
            fields.insert("db.system".into(), json!("postgresql"));
            fields.insert("db.statement".into(), json!(statement));
            fields.insert("duration_ms".into(), json!(duration_ms));
        }
        Kind::Exception {
            kind,
            message,
            stack,
        } => {
            fields.insert("exception.type".into(), json!(kind));
            fields.insert("exception.message".into(), json!(message));
            fields.insert("exception.stacktrace".into(), json!(stack));
        }
    }
    fields
}

/// The JSON logs API body: an array of flat objects.
pub fn json_logs(events: &[Event]) -> Vec<u8> {
    let records: Vec<Value> = events.iter().map(flat_object).collect();
    serde_json::to_vec(&records).expect("JSON values serialize")
}

fn flat_object(event: &Event) -> Value {
    let mut object = fields(event);
    object.insert("timestamp".into(), json!(event.time_ns / 1_000_000));
    object.insert("level".into(), json!(event.level));
    object.insert("message".into(), json!(event.message));
    object.insert("service".into(), json!(event.service));
    object.insert("trace_id".into(), json!(event.trace_id));
    object.insert("span_id".into(), json!(event.span_id));
    Value::Object(object)
}

/// The Loki push body (JSON): one stream per service and level, each line a JSON object.
pub fn loki_push(events: &[Event]) -> Vec<u8> {
    let streams: Vec<Value> = events
        .iter()
        .map(|event| {
            let line = serde_json::to_string(&flat_object(event)).expect("serializes");
            json!({
                "stream": {"service_name": event.service, "level": event.level},
                "values": [[event.time_ns.to_string(), line]],
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "streams": streams })).expect("serializes")
}

/// The Elasticsearch bulk body: a `create` action and an ECS document per event.
pub fn elastic_bulk(events: &[Event]) -> Vec<u8> {
    let mut body = Vec::new();
    for event in events {
        let mut document = fields(event);
        let millis = event.time_ns / 1_000_000;
        document.insert("@timestamp".into(), json!(millis));
        document.insert("log.level".into(), json!(event.level));
        document.insert("message".into(), json!(event.message));
        document.insert("service.name".into(), json!(event.service));
        document.insert("trace.id".into(), json!(event.trace_id));
        let action = json!({"create": {"_index": format!("logs-{}-demo", event.service)}});
        body.extend(serde_json::to_vec(&action).expect("serializes"));
        body.push(b'\n');
        body.extend(serde_json::to_vec(&document).expect("serializes"));
        body.push(b'\n');
    }
    body
}

fn attribute(key: &str, value: &Value) -> KeyValue {
    let value = match value {
        Value::Number(n) if n.is_u64() => {
            any_value::Value::IntValue(n.as_u64().unwrap_or(0) as i64)
        }
        Value::String(text) => any_value::Value::StringValue(text.clone()),
        other => any_value::Value::StringValue(other.to_string()),
    };
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn resource(service: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![attribute("service.name", &json!(service))],
        ..Default::default()
    })
}

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

/// The OTLP logs request (protobuf), one resource per event's service.
pub fn otlp_logs(events: &[Event]) -> Vec<u8> {
    let resource_logs = events
        .iter()
        .map(|event| {
            let severity = match event.level {
                "error" => 17,
                "warn" => 13,
                _ => 9,
            };
            let record = LogRecord {
                time_unix_nano: event.time_ns,
                severity_number: severity,
                severity_text: event.level.to_uppercase(),
                body: Some(AnyValue {
                    value: Some(any_value::Value::StringValue(event.message.clone())),
                }),
                attributes: fields(event).iter().map(|(k, v)| attribute(k, v)).collect(),
                trace_id: bytes(&event.trace_id),
                span_id: bytes(&event.span_id),
                ..Default::default()
            };
            ResourceLogs {
                resource: resource(event.service),
                scope_logs: vec![ScopeLogs {
                    log_records: vec![record],
                    ..Default::default()
                }],
                ..Default::default()
            }
        })
        .collect();
    ExportLogsServiceRequest { resource_logs }.encode_to_vec()
}

/// The OTLP traces request (protobuf): a server span per request, a client span per query,
/// an internal span with an `exception` event per exception.
pub fn otlp_traces(events: &[Event]) -> Vec<u8> {
    let resource_spans = events
        .iter()
        .map(|event| ResourceSpans {
            resource: resource(event.service),
            scope_spans: vec![ScopeSpans {
                spans: vec![span(event)],
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }.encode_to_vec()
}

fn span(event: &Event) -> Span {
    let mut attributes: Vec<KeyValue> = fields(event)
        .iter()
        .filter(|(key, _)| key.as_str() != "duration_ms" && !key.starts_with("exception."))
        .map(|(k, v)| attribute(k, v))
        .collect();
    let (name, kind, duration_ms, failed) = match &event.kind {
        Kind::Request {
            method,
            route,
            status,
            duration_ms,
            ..
        } => (
            format!("{method} {route}"),
            SpanKind::Server,
            *duration_ms,
            *status >= 500,
        ),
        Kind::Query { duration_ms, .. } => ("SELECT".into(), SpanKind::Client, *duration_ms, false),
        Kind::Exception { .. } => ("handle".into(), SpanKind::Internal, 3, true),
    };
    if let Kind::Query { .. } = event.kind {
        attributes.push(attribute("db.system", &json!("postgresql")));
    }
    let events = match &event.kind {
        Kind::Exception { .. } => vec![SpanEvent {
            time_unix_nano: event.time_ns,
            name: "exception".into(),
            attributes: fields(event).iter().map(|(k, v)| attribute(k, v)).collect(),
            ..Default::default()
        }],
        _ => Vec::new(),
    };
    let code = match failed {
        true => status::StatusCode::Error,
        false => status::StatusCode::Unset,
    };
    Span {
        trace_id: bytes(&event.trace_id),
        span_id: bytes(&event.span_id),
        name,
        kind: kind as i32,
        start_time_unix_nano: event.time_ns,
        end_time_unix_nano: event.time_ns + duration_ms * 1_000_000,
        attributes,
        events,
        status: Some(Status {
            code: code as i32,
            ..Default::default()
        }),
        ..Default::default()
    }
}
