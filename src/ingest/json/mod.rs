//! JSON logs (`POST /api/v1/logs`): one object, an array, `{"logs": [...]}` or NDJSON, with the
//! field aliases of pino, loguru, winston/bunyan, ECS and plain objects. A batch is atomic: any
//! invalid item rejects all of it, listing every invalid item.

pub mod http;
pub mod named;
mod timestamp;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::RequestContext;
use super::bounds;
use super::error::{IngestError, InvalidItem};
use crate::config::FieldAliases;
use crate::model::{LogRecord, UNKNOWN_SERVICE};
use crate::pipeline::fields;
use crate::pipeline::levels;
use named::{Named, Role};

/// Decodes a body into records, or rejects the whole batch; 413 before decoding when the upper
/// bounds of its records and attribute entries exceed the context's bounds.
pub fn decode(body: &[u8], context: &RequestContext) -> Result<Vec<LogRecord>, IngestError> {
    (context.bounds).check(bounds::json::scan(body).json_logs())?;
    let items = items(body)?;
    let total = items.len();
    let mut records = Vec::with_capacity(total);
    let mut invalid = Vec::new();
    let (service, aliases, received) = (context.service, context.aliases, context.received);
    for (index, item) in items.into_iter().enumerate() {
        match record(item, service, aliases, received) {
            Ok(record) => records.push(record),
            Err(reason) => invalid.push(InvalidItem { index, reason }),
        }
    }
    if !invalid.is_empty() {
        return Err(IngestError::InvalidBatch {
            items: invalid,
            total,
        });
    }
    Ok(records)
}

/// Splits the body into items: a stream of JSON values (NDJSON or one document), where a lone
/// array or `{"logs": [...]}` is a list of items.
fn items(body: &[u8]) -> Result<Vec<Value>, IngestError> {
    let mut values = Vec::new();
    for value in serde_json::Deserializer::from_slice(body).into_iter::<Value>() {
        let value = value.map_err(|e| {
            IngestError::Decode(format!("item {}: invalid JSON: {e}", values.len()))
        })?;
        values.push(value);
    }
    if values.len() == 1 {
        let value = values.pop().unwrap_or_default();
        values = match value {
            Value::Array(items) => items,
            Value::Object(mut map) if is_envelope(&map) => match map.remove("logs") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            other => vec![other],
        };
    }
    if values.is_empty() {
        return Err(IngestError::Decode(
            "the body holds no log records".to_string(),
        ));
    }
    Ok(values)
}

fn is_envelope(map: &Map<String, Value>) -> bool {
    map.len() == 1 && matches!(map.get("logs"), Some(Value::Array(_)))
}

/// One JSON object as a record through the alias table; the reason when it is not a valid one.
pub(crate) fn record(
    item: Value,
    default_service: Option<&str>,
    aliases: &FieldAliases,
    observed_ts: DateTime<Utc>,
) -> Result<LogRecord, String> {
    let Value::Object(mut object) = item else {
        return Err(format!("not a JSON object but {}", kind(&item)));
    };
    hoist_loguru_extra(&mut object);
    let named = Named::take(&mut object, aliases);
    let context = NamedContext {
        default_service,
        aliases,
        observed_ts,
    };
    build(named, object, &context)
}

/// What a record made of [`Named`] fields needs besides them.
pub(crate) struct NamedContext<'a> {
    /// The service of a record naming none (`?service=`).
    pub default_service: Option<&'a str>,
    pub aliases: &'a FieldAliases,
    /// When the record was received: its time when it gives none.
    pub observed_ts: DateTime<Utc>,
}

/// The record of the fields the roles took, with the rest as its attributes; the reason when
/// the message is missing or the level or time unreadable.
pub(crate) fn build(
    mut named: Named,
    attributes: Map<String, Value>,
    context: &NamedContext,
) -> Result<LogRecord, String> {
    let body = match named.remove(Role::Message) {
        Some(Value::String(text)) => text,
        Some(Value::Object(_) | Value::Array(_)) | None => {
            let keys = context.aliases.message.join(", ");
            return Err(format!("no message (looked for {keys})"));
        }
        Some(other) => other.to_string(),
    };
    let mut record = LogRecord::new(body, context.observed_ts);
    if let Some(value) = named.remove(Role::Level) {
        let (level, severity) =
            levels::from_json(&value).ok_or_else(|| format!("unknown level {value}"))?;
        record.level = level;
        record.severity_number = severity;
        record.severity_text = Some(text_of(&value));
    }
    if let Some(value) = named.remove(Role::Timestamp) {
        record.ts = timestamp::parse(&value)?;
    }
    // An empty name names no service, as in OTLP's `service.name`.
    record.service = named
        .remove(Role::Service)
        .map(into_text)
        .filter(|name| !name.is_empty())
        .or_else(|| {
            (context.default_service)
                .filter(|name| !name.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| UNKNOWN_SERVICE.to_string());
    record.trace_id = named.remove(Role::TraceId).map(into_lowercase);
    record.span_id = named.remove(Role::SpanId).map(into_lowercase);
    record.scope = named.remove(Role::Logger).map(into_text);
    record.attributes = attributes;
    Ok(record)
}

/// loguru puts `logger.bind(...)` fields in `record.extra`; they are the record's attributes.
fn hoist_loguru_extra(object: &mut Map<String, Value>) {
    let Some(Value::Object(record)) = object.get_mut("record") else {
        return;
    };
    let Some(Value::Object(extra)) = record.remove("extra") else {
        return;
    };
    for (key, value) in extra {
        object.entry(key).or_insert(value);
    }
}

/// A string as it is, anything else as JSON.
fn into_text(value: Value) -> String {
    match value {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

fn into_lowercase(value: Value) -> String {
    let mut text = into_text(value);
    text.make_ascii_lowercase();
    text
}

/// A scalar as text: strings as they are, anything else as JSON.
fn text_of(value: &Value) -> String {
    match fields::as_text(value) {
        Some(text) => text.into_owned(),
        None => value.to_string(),
    }
}

/// What a JSON value is, for error messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
