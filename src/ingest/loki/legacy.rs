//! The legacy (v0) JSON push body, `{"streams":[{"labels":"{a=\"b\"}","entries":[{"ts":
//! "<RFC 3339>","line":"..."}]}]}`, which python-logging-loki sends unless given `version="1"`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::json::JsonStream;
use super::labels;
use super::stream::Entry;
use crate::ingest::error::IngestError;
use crate::model::Attributes;

/// A v0 stream: its label string and its `{ts, line}` entries.
pub fn stream(at: &str, mut stream: Attributes) -> Result<JsonStream, IngestError> {
    let labels = match stream.get("labels") {
        Some(Value::String(text)) => labels::parse(text)
            .map_err(|error| invalid(format!("{at}.labels: couldn't parse labels: {error}")))?,
        None | Some(Value::Null) => Attributes::new(),
        Some(_) => return Err(invalid(format!("{at}.labels is not a string"))),
    };
    let Some(Value::Array(values)) = stream.remove("entries") else {
        return Err(invalid(format!("{at}.entries is not an array")));
    };
    let entries = values
        .into_iter()
        .enumerate()
        .map(|(position, value)| entry(&format!("{at}.entries[{position}]"), value));
    let entries = entries.collect::<Result<Vec<_>, _>>()?;
    Ok(JsonStream { labels, entries })
}

fn entry(at: &str, value: Value) -> Result<Entry, IngestError> {
    let Value::Object(mut entry) = value else {
        return Err(invalid(format!("{at} is not an object")));
    };
    let ts = match entry.get("ts") {
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map(|ts| ts.with_timezone(&Utc))
            .map_err(|e| invalid(format!("{at}.ts: {text:?} is not an RFC 3339 time: {e}")))?,
        _ => return Err(invalid(format!("{at}.ts must be an RFC 3339 time string"))),
    };
    let Some(Value::String(line)) = entry.remove("line") else {
        return Err(invalid(format!("{at}.line must be a string")));
    };
    Ok(Entry {
        ts,
        line,
        metadata: Attributes::new(),
    })
}

fn invalid(reason: String) -> IngestError {
    IngestError::Decode(reason)
}

#[cfg(test)]
mod tests {
    use super::super::json::streams;

    #[test]
    fn python_logging_loki_v0_body() {
        let body = br#"{"streams": [{"labels": "{severity=\"warning\",logger=\"checkout\",application=\"py-app\"}", "entries": [{"ts": "2026-12-03T10:00:00.123456+00:00", "line": "disk almost full"}]}]}"#;
        let streams = streams(body).unwrap();
        assert_eq!(streams[0].labels["application"], "py-app");
        let entry = &streams[0].entries[0];
        assert_eq!(entry.line, "disk almost full");
        assert_eq!(entry.ts.timestamp_micros(), 1_796_292_000_123_456);
    }

    #[test]
    fn v0_errors_name_the_place() {
        let cases = [
            (
                r#"{"streams":[{"labels":"{a=\"","entries":[]}]}"#,
                "streams[0].labels: couldn't parse labels",
            ),
            (
                r#"{"streams":[{"labels":"{}","entries":[{"ts":1,"line":"x"}]}]}"#,
                "streams[0].entries[0].ts must be",
            ),
            (
                r#"{"streams":[{"labels":"{}","entries":[{"ts":"yesterday","line":"x"}]}]}"#,
                "is not an RFC 3339 time",
            ),
        ];
        for (body, expected) in cases {
            let error = streams(body.as_bytes()).err().unwrap().to_string();
            assert!(error.contains(expected), "{body}: {error}");
        }
    }
}
