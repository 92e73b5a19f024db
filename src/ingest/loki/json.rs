//! The Loki JSON push body, `{"streams":[{"stream":{..},"values":[["<ns>","<line>"(, {..})]]}]}`,
//! read into streams and entries with errors naming the exact place; a stream in the legacy v0
//! shape (`labels`, `entries`) is read by [`legacy`].

use chrono::DateTime;
use serde_json::Value;

use super::legacy;
use super::stream::Entry;
use crate::ingest::error::IngestError;
use crate::model::Attributes;

/// A stream of a JSON body: its labels and entries.
pub struct JsonStream {
    pub labels: Attributes,
    pub entries: Vec<Entry>,
}

/// Reads a JSON push body into its streams; an entry that is `null` is skipped, as Loki does.
pub fn streams(body: &[u8]) -> Result<Vec<JsonStream>, IngestError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("invalid JSON: {e}")))?;
    let Value::Object(mut top) = value else {
        return Err(invalid("the body is not a JSON object".to_string()));
    };
    let Some(Value::Array(streams)) = top.remove("streams") else {
        return Err(invalid("no `streams` array".to_string()));
    };
    let streams = streams.into_iter().enumerate();
    streams.map(|(index, value)| stream(index, value)).collect()
}

fn stream(index: usize, value: Value) -> Result<JsonStream, IngestError> {
    let at = format!("streams[{index}]");
    let Value::Object(mut stream) = value else {
        return Err(invalid(format!("{at} is not an object")));
    };
    if stream.contains_key("entries") && !stream.contains_key("values") {
        return legacy::stream(&at, stream);
    }
    let labels = match stream.remove("stream") {
        Some(Value::Object(labels)) => text_values(labels, &format!("{at}.stream"))?,
        None | Some(Value::Null) => Attributes::new(),
        Some(_) => return Err(invalid(format!("{at}.stream is not an object"))),
    };
    let values = match stream.remove("values") {
        Some(Value::Array(values)) => values,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(invalid(format!("{at}.values is not an array"))),
    };
    let mut entries = Vec::with_capacity(values.len());
    for (position, value) in values.into_iter().enumerate() {
        let at = format!("{at}.values[{position}]");
        if let Some(entry) = entry(&at, value)? {
            entries.push(entry);
        }
    }
    Ok(JsonStream { labels, entries })
}

/// `["<ns>", "<line>"]` or `["<ns>", "<line>", {metadata}]`; `null` is no entry.
fn entry(at: &str, value: Value) -> Result<Option<Entry>, IngestError> {
    let mut parts = match value {
        Value::Null => return Ok(None),
        Value::Array(parts) if (2..=3).contains(&parts.len()) => parts.into_iter(),
        _ => {
            return Err(invalid(format!(
                "{at} is not [timestamp, line] or [timestamp, line, metadata]"
            )));
        }
    };
    let ts = match parts.next() {
        Some(Value::String(ns)) => nanoseconds(&ns).ok_or_else(|| {
            invalid(format!(
                "{at}[0]: timestamp {ns:?} is not a count of Unix nanoseconds"
            ))
        })?,
        _ => {
            return Err(invalid(format!(
                "{at}[0]: the timestamp must be a string of Unix nanoseconds"
            )));
        }
    };
    let Some(Value::String(line)) = parts.next() else {
        return Err(invalid(format!("{at}[1]: the line must be a string")));
    };
    let metadata = match parts.next() {
        None => Attributes::new(),
        Some(Value::Object(metadata)) => metadata,
        Some(_) => {
            return Err(invalid(format!(
                "{at}[2]: structured metadata must be an object"
            )));
        }
    };
    Ok(Some(Entry { ts, line, metadata }))
}

fn nanoseconds(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let nanos: i64 = text.trim().parse().ok()?;
    Some(DateTime::from_timestamp_nanos(nanos))
}

/// Label values as strings: numbers and booleans as written, anything else refused.
fn text_values(labels: Attributes, at: &str) -> Result<Attributes, IngestError> {
    let mut texts = Attributes::new();
    for (name, value) in labels {
        let text = match value {
            Value::String(text) => text,
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            Value::Null => continue,
            _ => return Err(invalid(format!("{at}.{name} is not a string"))),
        };
        if !text.is_empty() {
            texts.insert(name, Value::String(text));
        }
    }
    Ok(texts)
}

fn invalid(reason: String) -> IngestError {
    IngestError::Decode(reason)
}
