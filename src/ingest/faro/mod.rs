//! The Grafana Faro receiver (`POST /faro/collect`, `/collect/{app_key}`): a Faro Web SDK
//! payload decoded into records. Logs stay logs; exceptions become `error` records carrying
//! `exception.type|message|stacktrace` (frames rendered as a stack), which the pipeline groups;
//! measurements and events become `info` records; `meta` gives the service and the session,
//! user, page and browser attributes of every record ([`meta`]). Exception frames are
//! symbolicated through the app version's source maps ([`outline`] finds which ones first);
//! `traces` go to the span path ([`outline::decode_traces`]).

mod ahead;
mod frames;
pub mod http;
mod meta;
pub mod outline;
mod payload;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::bounds;
use super::error::IngestError;
use super::{Decoded, RequestContext};
use crate::model::{Level, LogRecord};
use crate::sourcemaps::Resolved;
use meta::Shared;
use payload::{Event, Exception, Log, Measurement, Payload, Trace};

/// Decodes a Faro payload: refused whole (400 naming the field) when it is not JSON of the
/// SDK's shape, an exception has too many frames or a frame an absurd position.
pub fn decode(body: &[u8], context: &RequestContext) -> Result<Decoded, IngestError> {
    decode_symbolicated(body, context, &Resolved::none())
}

/// [`decode`], exception frames symbolicated through `maps`.
pub fn decode_symbolicated(
    body: &[u8],
    context: &RequestContext,
    maps: &Resolved,
) -> Result<Decoded, IngestError> {
    (context.bounds).check(bounds::json::scan(body).faro())?;
    let mut json = serde_json::Deserializer::from_slice(body);
    let payload: Payload = serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        IngestError::Decode(format!("{path}: {}", error.into_inner()))
    })?;
    let shared = meta::shared(payload.meta, context.service);
    let mut records = Vec::new();
    for (index, log) in payload.logs.into_iter().enumerate() {
        records.push(from_log(log, index, &shared, context)?);
    }
    for (index, exception) in payload.exceptions.into_iter().enumerate() {
        records.push(from_exception(exception, index, &shared, context, maps)?);
    }
    for (index, measurement) in payload.measurements.into_iter().enumerate() {
        records.push(from_measurement(measurement, index, &shared, context)?);
    }
    for (index, event) in payload.events.into_iter().enumerate() {
        records.push(from_event(event, index, &shared, context)?);
    }
    Ok(Decoded::all(records))
}

/// A record of `kind` with the payload's shared part, its time and its trace.
fn record(
    kind: &str,
    body: String,
    item: Item<'_>,
    shared: &Shared,
    context: &RequestContext,
) -> Result<LogRecord, IngestError> {
    let mut record = LogRecord::new(body, context.received);
    record.ts = timestamp(item.timestamp, item.path)?.unwrap_or(context.received);
    let default = context.service.unwrap_or(crate::model::UNKNOWN_SERVICE);
    record.service = shared.service.as_deref().unwrap_or(default).to_string();
    record.resource = shared.resource.clone();
    record.scope = Some("faro".to_string());
    record.attributes = shared.attributes.clone();
    record.attributes.insert("faro.kind".into(), kind.into());
    if let Some(context) = item.context {
        meta::flatten(&mut record.attributes, "context", context, 1);
    }
    if let Some(trace) = item.trace {
        record.trace_id = hex_id(trace.trace_id, 32);
        record.span_id = hex_id(trace.span_id, 16);
    }
    Ok(record)
}

/// What every kind of item has besides its own fields.
struct Item<'a> {
    path: &'a str,
    timestamp: Option<String>,
    context: Option<Map<String, Value>>,
    trace: Option<Trace>,
}

fn from_log(
    log: Log,
    index: usize,
    shared: &Shared,
    context: &RequestContext,
) -> Result<LogRecord, IngestError> {
    let path = format!("logs[{index}]");
    let item = Item {
        path: &path,
        timestamp: log.timestamp,
        context: log.context,
        trace: log.trace,
    };
    let mut record = record("log", log.message, item, shared, context)?;
    let level = match log.level.as_deref().unwrap_or("log") {
        "trace" => Level::Trace,
        "debug" => Level::Debug,
        "warn" | "warning" => Level::Warn,
        "error" => Level::Error,
        _ => Level::Info,
    };
    set_level(&mut record, level);
    record.severity_text = log.level;
    Ok(record)
}

fn from_exception(
    exception: Exception,
    index: usize,
    shared: &Shared,
    context: &RequestContext,
    maps: &Resolved,
) -> Result<LogRecord, IngestError> {
    let kind = exception.kind.unwrap_or_else(|| "Error".to_string());
    let message = exception.value.unwrap_or_default();
    let header = format!("{kind}: {message}");
    let frames = exception.stacktrace.map(|s| s.frames).unwrap_or_default();
    let stack = frames::render(index, &header, &frames, maps)?;
    let path = format!("exceptions[{index}]");
    let item = Item {
        path: &path,
        timestamp: exception.timestamp,
        context: exception.context,
        trace: exception.trace,
    };
    let mut record = record("exception", header, item, shared, context)?;
    let fatal = exception.fatal == Some(true);
    set_level(&mut record, if fatal { Level::Fatal } else { Level::Error });
    let attributes = &mut record.attributes;
    attributes.insert("exception.type".into(), kind.into());
    attributes.insert("exception.message".into(), message.into());
    attributes.insert("exception.stacktrace".into(), stack.into());
    Ok(record)
}

fn from_measurement(
    measurement: Measurement,
    index: usize,
    shared: &Shared,
    context: &RequestContext,
) -> Result<LogRecord, IngestError> {
    let path = format!("measurements[{index}]");
    let body = format!("measurement {}", measurement.kind);
    let item = Item {
        path: &path,
        timestamp: measurement.timestamp,
        context: measurement.context,
        trace: measurement.trace,
    };
    let mut record = record("measurement", body, item, shared, context)?;
    let attributes = &mut record.attributes;
    attributes.insert("measurement.type".into(), measurement.kind.into());
    meta::flatten(attributes, "measurement", measurement.values, 1);
    Ok(record)
}

fn from_event(
    event: Event,
    index: usize,
    shared: &Shared,
    context: &RequestContext,
) -> Result<LogRecord, IngestError> {
    let path = format!("events[{index}]");
    let item = Item {
        path: &path,
        timestamp: event.timestamp,
        context: None,
        trace: event.trace,
    };
    let mut record = record("event", event.name.clone(), item, shared, context)?;
    let attributes = &mut record.attributes;
    attributes.insert("event.name".into(), event.name.into());
    if let Some(domain) = event.domain {
        attributes.insert("event.domain".into(), domain.into());
    }
    if let Some(event_attributes) = event.attributes {
        meta::flatten(attributes, "event", event_attributes, 1);
    }
    Ok(record)
}

fn set_level(record: &mut LogRecord, level: Level) {
    record.level = level;
    record.severity_number = level.base_severity_number();
}

/// An item's time: RFC 3339 as the SDK writes it (`toISOString()`); none means received.
fn timestamp(text: Option<String>, path: &str) -> Result<Option<DateTime<Utc>>, IngestError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let parsed = DateTime::parse_from_rfc3339(&text).map_err(|error| {
        IngestError::Decode(format!(
            "{path}.timestamp: {text:?} is not RFC 3339: {error}"
        ))
    })?;
    Ok(Some(parsed.with_timezone(&Utc)))
}

/// A trace or span id of `len` hex digits, lower-cased; anything else (all zeros too) is none.
fn hex_id(id: String, len: usize) -> Option<String> {
    let valid = id.len() == len && id.bytes().all(|b| b.is_ascii_hexdigit());
    let zero = id.bytes().all(|b| b == b'0');
    (valid && !zero).then(|| id.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
