//! Jaeger's JSON shapes, as Grafana's Jaeger data source decodes them: the envelope
//! `{data, total, limit, offset, errors}`, traces with their spans and processes, and the
//! service dependencies; and the conversion of stored spans into them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::model::SpanStatus;
use crate::store::read::spans::SpanRow;
use crate::store::read::spans::catalogue::Dependency;

/// Every Jaeger answer: `data` and the paging fields Jaeger always sends.
#[derive(Debug, Serialize)]
pub struct Envelope<T> {
    pub data: T,
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    pub errors: Option<Vec<ErrorEntry>>,
}

/// One entry of `errors`.
#[derive(Debug, Serialize)]
pub struct ErrorEntry {
    pub code: u16,
    pub msg: String,
}

impl<T> Envelope<T> {
    /// `data` with `total` items, asked for with `limit` (0 when the call takes none).
    pub fn of(data: T, total: usize, limit: usize) -> Envelope<T> {
        Envelope {
            data,
            total,
            limit,
            offset: 0,
            errors: None,
        }
    }
}

/// A key, Jaeger's value type and the value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyValue {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: Value,
}

/// One trace.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    #[serde(rename = "traceID")]
    pub trace_id: String,
    pub spans: Vec<Span>,
    /// `p1`, `p2`, ...: the service and resource attributes of the spans' processes.
    pub processes: BTreeMap<String, Process>,
    pub warnings: Option<Vec<String>>,
}

/// One span.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    #[serde(rename = "traceID")]
    pub trace_id: String,
    #[serde(rename = "spanID")]
    pub span_id: String,
    pub operation_name: String,
    pub references: Vec<Reference>,
    /// Microseconds since the epoch.
    pub start_time: i64,
    /// Microseconds.
    pub duration: i64,
    pub tags: Vec<KeyValue>,
    pub logs: Vec<Log>,
    #[serde(rename = "processID")]
    pub process_id: String,
    pub warnings: Option<Vec<String>>,
    pub flags: u32,
}

/// A reference to another span: the parent (`CHILD_OF`) or a link (`FOLLOWS_FROM`).
#[derive(Debug, PartialEq, Serialize)]
pub struct Reference {
    #[serde(rename = "refType")]
    pub ref_type: &'static str,
    #[serde(rename = "traceID")]
    pub trace_id: String,
    #[serde(rename = "spanID")]
    pub span_id: String,
}

/// A span event.
#[derive(Debug, Serialize)]
pub struct Log {
    /// Microseconds since the epoch.
    pub timestamp: i64,
    pub fields: Vec<KeyValue>,
    pub name: String,
}

/// The service a span came from and its resource attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    pub service_name: String,
    pub tags: Vec<KeyValue>,
}

/// A call count from one service to another.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDependency {
    pub parent: String,
    pub child: String,
    pub call_count: i64,
}

impl From<Dependency> for ServiceDependency {
    fn from(d: Dependency) -> Self {
        ServiceDependency {
            parent: d.parent,
            child: d.child,
            call_count: d.call_count,
        }
    }
}

/// The traces of `spans` (grouped by trace, each oldest first as given), in the order of
/// `trace_ids`; `cut` names a trace whose spans were not all returned.
pub fn traces(spans: Vec<SpanRow>, trace_ids: &[String], cut: Option<&str>) -> Vec<Trace> {
    let mut by_trace: BTreeMap<String, Vec<SpanRow>> = BTreeMap::new();
    for span in spans {
        by_trace
            .entry(span.trace_id.clone())
            .or_default()
            .push(span);
    }
    trace_ids
        .iter()
        .filter_map(|id| by_trace.remove(id).map(|spans| (id, spans)))
        .map(|(id, spans)| trace(id, spans, cut == Some(id.as_str())))
        .collect()
}

/// One trace of its spans.
fn trace(trace_id: &str, spans: Vec<SpanRow>, cut: bool) -> Trace {
    let mut processes: Vec<Process> = Vec::new();
    let mut out = Vec::with_capacity(spans.len());
    for row in spans {
        let process = process(&row);
        let index = match processes.iter().position(|p| *p == process) {
            Some(index) => index,
            None => {
                processes.push(process);
                processes.len() - 1
            }
        };
        out.push(span(row, format!("p{}", index + 1)));
    }
    let warning = format!("only the first {} spans of this trace are shown", out.len());
    Trace {
        trace_id: trace_id.to_string(),
        spans: out,
        processes: processes
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("p{}", i + 1), p))
            .collect(),
        warnings: cut.then(|| vec![warning]),
    }
}

/// The process of a span: its service and its resource's other attributes.
fn process(row: &SpanRow) -> Process {
    let mut tags = key_values(&row.resource.0);
    tags.retain(|tag| tag.key != "service.name");
    Process {
        service_name: row.service.clone(),
        tags,
    }
}

/// One span in Jaeger's shape: the parent as `CHILD_OF`, links as `FOLLOWS_FROM`, kind, status
/// and scope as the tags Jaeger's OTLP translation gives them, events as logs.
fn span(row: SpanRow, process_id: String) -> Span {
    let mut references = Vec::new();
    if let Some(parent) = &row.parent_span_id {
        references.push(Reference {
            ref_type: "CHILD_OF",
            trace_id: row.trace_id.clone(),
            span_id: parent.clone(),
        });
    }
    references.extend(links(&row.links.0));
    Span {
        start_time: row.start_ts.timestamp_micros(),
        duration: row.duration_ns / 1000,
        tags: span_tags(&row),
        logs: logs(&row.events.0),
        trace_id: row.trace_id,
        span_id: row.span_id,
        operation_name: row.name,
        references,
        process_id,
        warnings: None,
        flags: 1,
    }
}

fn links(links: &Value) -> Vec<Reference> {
    let text = |link: &Value, key: &str| link[key].as_str().map(str::to_string);
    links
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|link| {
            Some(Reference {
                ref_type: "FOLLOWS_FROM",
                trace_id: text(link, "trace_id")?,
                span_id: text(link, "span_id")?,
            })
        })
        .collect()
}

/// The span's attributes, then `span.kind`, `otel.scope.name`, `otel.status_code`,
/// `otel.status_description` and `error`, as Jaeger's OTLP translation adds them.
fn span_tags(row: &SpanRow) -> Vec<KeyValue> {
    let mut tags = key_values(&row.attributes.0);
    let string = |key: &str, value: &str| KeyValue {
        key: key.to_string(),
        kind: "string",
        value: json!(value),
    };
    if row.kind != "unspecified" {
        tags.push(string("span.kind", &row.kind));
    }
    if let Some(scope) = &row.scope {
        tags.push(string("otel.scope.name", scope));
    }
    match row.status_code {
        1 => tags.push(string("otel.status_code", "OK")),
        SpanStatus::ERROR => {
            tags.push(string("otel.status_code", "ERROR"));
            tags.push(KeyValue {
                key: "error".into(),
                kind: "bool",
                value: json!(true),
            });
        }
        _ => {}
    }
    if let Some(message) = &row.status_message {
        tags.push(string("otel.status_description", message));
    }
    tags
}

/// The events as logs: the name as field `event` (and as `name`), then the attributes.
fn logs(events: &Value) -> Vec<Log> {
    events
        .as_array()
        .into_iter()
        .flatten()
        .map(|event| {
            let name = event["name"].as_str().unwrap_or_default().to_string();
            let timestamp = event["time"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map_or(0, |t| t.timestamp_micros());
            let mut fields = vec![KeyValue {
                key: "event".into(),
                kind: "string",
                value: json!(name),
            }];
            fields.extend(key_values(&event["attributes"]));
            Log {
                timestamp,
                fields,
                name,
            }
        })
        .collect()
}

/// An attribute object as Jaeger tags, in key order: strings, booleans, 64-bit integers and
/// floats keep their type; arrays and objects become their JSON text.
pub fn key_values(object: &Value) -> Vec<KeyValue> {
    let Some(map) = object.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| {
            let (kind, value) = match value {
                Value::String(_) => ("string", value.clone()),
                Value::Bool(_) => ("bool", value.clone()),
                Value::Number(n) if n.is_i64() || n.is_u64() => ("int64", value.clone()),
                Value::Number(_) => ("float64", value.clone()),
                other => ("string", json!(other.to_string())),
            };
            KeyValue {
                key: key.clone(),
                kind,
                value,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sqlx::types::Json;

    use super::*;

    fn row(span_id: &str, parent: Option<&str>, service: &str) -> SpanRow {
        SpanRow {
            trace_id: "ab".repeat(16),
            span_id: span_id.repeat(8),
            parent_span_id: parent.map(|p| p.repeat(8)),
            name: "GET /orders/{id}".into(),
            kind: "server".into(),
            service: service.into(),
            scope: Some("express".into()),
            start_ts: Utc.timestamp_micros(1_700_000_000_000_001).unwrap(),
            duration_ns: 2_500_000,
            status_code: 2,
            status_message: Some("boom".into()),
            attributes: Json(json!({"http.status_code": 500, "ok": false, "ratio": 0.5,
                "list": [1, 2], "s": "x"})),
            resource: Json(json!({"service.name": service, "host.name": "h1"})),
            events: Json(
                json!([{"name": "exception", "time": "2023-11-14T22:13:20.5Z",
                "attributes": {"exception.type": "E"}}]),
            ),
            links: Json(
                json!([{"trace_id": "cd".repeat(16), "span_id": "ef".repeat(8),
                "attributes": {}}]),
            ),
        }
    }

    #[test]
    fn spans_become_jaeger_spans_with_their_processes() {
        let spans = vec![
            row("01", None, "web"),
            row("02", Some("01"), "db"),
            row("03", Some("01"), "web"),
        ];
        let trace_id = "ab".repeat(16);
        let traces = traces(spans, std::slice::from_ref(&trace_id), None);
        let trace = serde_json::to_value(&traces[0]).unwrap();
        assert_eq!(trace["traceID"], trace_id);
        assert_eq!(trace["warnings"], Value::Null);
        assert_eq!(trace["processes"]["p1"]["serviceName"], "web");
        assert_eq!(
            trace["processes"]["p1"]["tags"],
            json!([{"key": "host.name", "type": "string", "value": "h1"}])
        );
        assert_eq!(trace["processes"]["p2"]["serviceName"], "db");
        let spans = trace["spans"].as_array().unwrap();
        assert_eq!(
            spans.iter().map(|s| &s["processID"]).collect::<Vec<_>>(),
            ["p1", "p2", "p1"]
        );
        let child = &spans[1];
        assert_eq!(child["startTime"], 1_700_000_000_000_001_i64);
        assert_eq!(child["duration"], 2500);
        assert_eq!(
            child["references"][0],
            json!({"refType": "CHILD_OF", "traceID": trace_id, "spanID": "01".repeat(8)})
        );
        assert_eq!(child["references"][1]["refType"], "FOLLOWS_FROM");
        assert_eq!(
            spans[0]["references"].as_array().unwrap().len(),
            1,
            "only the link"
        );
        let tag = |key: &str| {
            child["tags"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["key"] == key)
                .cloned()
        };
        assert_eq!(
            tag("http.status_code").unwrap(),
            json!({"key": "http.status_code", "type": "int64", "value": 500})
        );
        assert_eq!(tag("ratio").unwrap()["type"], "float64");
        assert_eq!(tag("ok").unwrap()["type"], "bool");
        assert_eq!(
            tag("list").unwrap(),
            json!({"key": "list", "type": "string", "value": "[1,2]"})
        );
        assert_eq!(tag("span.kind").unwrap()["value"], "server");
        assert_eq!(tag("otel.status_code").unwrap()["value"], "ERROR");
        assert_eq!(tag("error").unwrap()["value"], true);
        let log = &child["logs"][0];
        assert_eq!(log["timestamp"], 1_700_000_000_500_000_i64);
        assert_eq!(
            log["fields"][0],
            json!({"key": "event", "type": "string", "value": "exception"})
        );
        assert_eq!(log["fields"][1]["key"], "exception.type");
    }

    #[test]
    fn a_cut_trace_says_so_and_missing_traces_are_left_out() {
        let id = "ab".repeat(16);
        let ids = [id.clone(), "cd".repeat(16)];
        let traces = traces(vec![row("01", None, "web")], &ids, Some(&id));
        assert_eq!(traces.len(), 1);
        let warnings = traces[0].warnings.clone().unwrap();
        assert!(
            warnings[0].contains("only the first 1 spans"),
            "{warnings:?}"
        );
    }
}
