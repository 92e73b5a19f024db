//! Conversion of OTLP log records into `LogRecord`s; invalid records are counted and described
//! for `partial_success` instead of failing the request.

use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord as OtlpRecord;
use serde_json::{Map, Value};

use crate::ingest::Decoded;
use crate::model::{Attributes, Level, LogRecord, UNKNOWN_SERVICE};
use crate::pipeline::levels;
use crate::pipeline::limits::ORIGINAL_TIMESTAMP;

/// Converts every record of the request, received at `observed_ts`: the valid records, and
/// the invalid ones counted and described.
pub fn convert(request: ExportLogsServiceRequest, observed_ts: DateTime<Utc>) -> Decoded {
    let mut converted = Decoded::default();
    let scopes = request.resource_logs.iter().flat_map(|r| &r.scope_logs);
    let records = scopes.map(|scope| scope.log_records.len()).sum();
    converted.records.reserve_exact(records);
    for (r, resource_logs) in request.resource_logs.into_iter().enumerate() {
        let resource = resource_logs
            .resource
            .map(|resource| Arc::new(attributes(resource.attributes)))
            .unwrap_or_default();
        let service = service_of(&resource);
        for (s, scope_logs) in resource_logs.scope_logs.into_iter().enumerate() {
            let scope = scope_logs
                .scope
                .map(|scope| scope.name)
                .filter(|n| !n.is_empty());
            for (l, otlp) in scope_logs.log_records.into_iter().enumerate() {
                match record(otlp, observed_ts) {
                    Ok(mut record) => {
                        record.service = service.clone();
                        record.resource = Arc::clone(&resource);
                        record.scope = scope.clone();
                        converted.records.push(record);
                    }
                    Err(reason) => {
                        converted.rejected += 1;
                        let place = format!("resourceLogs[{r}].scopeLogs[{s}].logRecords[{l}]");
                        converted
                            .first_error
                            .get_or_insert(format!("{place}: {reason}"));
                    }
                }
            }
        }
    }
    converted
}

/// The resource's `service.name`, else `unknown_service`.
pub fn service_of(resource: &Attributes) -> String {
    match resource.get("service.name") {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        _ => UNKNOWN_SERVICE.to_string(),
    }
}

fn record(otlp: OtlpRecord, observed_ts: DateTime<Utc>) -> Result<LogRecord, String> {
    let trace_id = id(&otlp.trace_id, 16, "traceId")?;
    let span_id = id(&otlp.span_id, 8, "spanId")?;
    let mut record = LogRecord::new(body(otlp.body), observed_ts);
    record.trace_id = trace_id;
    record.span_id = span_id;
    record.attributes = attributes(otlp.attributes);
    if !otlp.event_name.is_empty() {
        record
            .attributes
            .insert("event.name".into(), Value::String(otlp.event_name));
    }
    set_time(
        &mut record,
        otlp.time_unix_nano,
        otlp.observed_time_unix_nano,
    );
    set_severity(&mut record, otlp.severity_number, otlp.severity_text);
    Ok(record)
}

/// A trace or span id: absent when empty or all zero (the spec's invalid ids), else exactly
/// `len` bytes as lowercase hex.
fn id(bytes: &[u8], len: usize, name: &str) -> Result<Option<String>, String> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(None);
    }
    if bytes.len() != len {
        return Err(format!("{name} must be {len} bytes, got {}", bytes.len()));
    }
    let mut text = vec![0; len * 2];
    hex::encode_to_slice(bytes, &mut text).expect("twice the length of the id");
    Ok(Some(String::from_utf8(text).expect("hex is ASCII")))
}

/// Event time, else the time the source observed it, else receipt; nanoseconds past the year
/// 2262 cannot be represented, so they become receipt time with the original kept.
fn set_time(record: &mut LogRecord, time_unix_nano: u64, observed_unix_nano: u64) {
    let nanos = if time_unix_nano != 0 {
        time_unix_nano
    } else {
        observed_unix_nano
    };
    if nanos == 0 {
        return;
    }
    match i64::try_from(nanos) {
        Ok(nanos) => record.ts = DateTime::from_timestamp_nanos(nanos),
        Err(_) => {
            let original = Value::String(nanos.to_string());
            record
                .attributes
                .insert(ORIGINAL_TIMESTAMP.into(), original);
        }
    }
}

fn set_severity(record: &mut LogRecord, number: i32, text: String) {
    let by_number = levels::from_severity_number(number);
    let by_text = || levels::from_name(&text);
    let level = by_number.or_else(by_text).unwrap_or(Level::Info);
    record.level = level;
    record.severity_number = match by_number {
        Some(_) => number as u8,
        None => level.base_severity_number(),
    };
    record.severity_text = (!text.is_empty()).then_some(text);
}

fn body(body: Option<AnyValue>) -> String {
    match body.and_then(|b| b.value) {
        Some(any_value::Value::StringValue(text)) => text,
        Some(other) => value(Some(other)).to_string(),
        None => String::new(),
    }
}

/// Key-value pairs as a JSON object; a repeated key keeps its last value.
pub fn attributes(pairs: Vec<KeyValue>) -> Attributes {
    let mut map = Map::with_capacity(pairs.len());
    for pair in pairs {
        map.insert(pair.key, value(pair.value.and_then(|v| v.value)));
    }
    map
}

fn value(any: Option<any_value::Value>) -> Value {
    use any_value::Value as V;
    match any {
        None => Value::Null,
        Some(V::StringValue(s)) => Value::String(s),
        Some(V::BoolValue(b)) => Value::Bool(b),
        Some(V::IntValue(i)) => Value::from(i),
        Some(V::DoubleValue(d)) => serde_json::Number::from_f64(d)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(non_finite(d).to_string())),
        Some(V::ArrayValue(array)) => {
            let items = array.values.into_iter().map(|v| value(v.value));
            Value::Array(items.collect())
        }
        Some(V::KvlistValue(list)) => Value::Object(attributes(list.values)),
        Some(V::BytesValue(bytes)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        // A profiling-only reference: treated as absent, as the spec asks of other signals.
        Some(V::StringValueStrindex(_)) => Value::Null,
    }
}

/// A double JSON numbers cannot hold, spelled as the protobuf JSON mapping spells it (and as
/// an OTLP/JSON request carries it, so both encodings store the same string).
fn non_finite(d: f64) -> &'static str {
    match d {
        f64::INFINITY => "Infinity",
        f64::NEG_INFINITY => "-Infinity",
        _ => "NaN",
    }
}

#[cfg(test)]
mod tests;
