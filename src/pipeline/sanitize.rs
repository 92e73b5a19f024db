//! The first per-record step: text PostgreSQL cannot store (NUL, which `text` and `jsonb` both
//! refuse) becomes U+FFFD in every string of a record, attribute keys included, once and before
//! anything reads or binds it: the COPY rows, the exception-group, rollup and dedup upserts and
//! the metric labels all see the same replaced text. A Rust `String` is valid UTF-8, so NUL is
//! the only character left to replace.

use std::sync::Arc;

use serde_json::Value;

use crate::model::{Attributes, LogRecord};

/// What replaces each NUL.
pub const REPLACEMENT: char = '\u{FFFD}';

/// The last resource seen in a batch and its sanitized form (the same `Arc` when it was clean):
/// the records of one request share their resource, which is scanned and copied once.
#[derive(Debug, Default)]
pub struct SharedResource {
    last: Option<(Arc<Attributes>, Arc<Attributes>)>,
}

/// Replaces every NUL in the record's strings; returns whether anything changed.
pub fn record(record: &mut LogRecord, shared: &mut SharedResource) -> bool {
    let mut changed = text(&mut record.service) | text(&mut record.body);
    for field in [
        &mut record.severity_text,
        &mut record.trace_id,
        &mut record.span_id,
        &mut record.scope,
        &mut record.user_id,
        &mut record.error_fingerprint,
    ] {
        changed |= optional(field);
    }
    changed |= derived(record);
    changed |= map(&mut record.attributes);
    changed | resource(&mut record.resource, shared)
}

/// The fields a decoder may have set directly (the enrich step derives them otherwise).
fn derived(record: &mut LogRecord) -> bool {
    let mut changed = false;
    if let Some(request) = &mut record.request {
        changed |= text(&mut request.method) | text(&mut request.route);
    }
    if let Some(query) = &mut record.query {
        changed |= text(&mut query.system) | text(&mut query.operation);
        changed |= text(&mut query.fingerprint);
    }
    if let Some(exception) = &mut record.exception {
        changed |= text(&mut exception.exception_type) | text(&mut exception.message);
        changed |= optional(&mut exception.stacktrace) | text(&mut exception.fingerprint);
    }
    changed
}

/// The resource, copied only when it holds a NUL; a resource shared by the records of a
/// request is scanned and copied once, not once per record.
fn resource(resource: &mut Arc<Attributes>, shared: &mut SharedResource) -> bool {
    if resource.is_empty() {
        return false;
    }
    if let Some((original, sanitized)) = &shared.last
        && Arc::ptr_eq(resource, original)
    {
        let changed = !Arc::ptr_eq(original, sanitized);
        *resource = Arc::clone(sanitized);
        return changed;
    }
    let original = Arc::clone(resource);
    let dirty = original.iter().any(|(k, v)| has_nul(k) || value_has_nul(v));
    if dirty {
        map(Arc::make_mut(resource));
    }
    shared.last = Some((original, Arc::clone(resource)));
    dirty
}

/// Replaces NUL in a string; returns whether it held one.
pub fn text(text: &mut String) -> bool {
    if !has_nul(text) {
        return false;
    }
    *text = text.replace('\0', "\u{FFFD}");
    true
}

fn optional(text: &mut Option<String>) -> bool {
    text.as_mut().is_some_and(self::text)
}

/// Replaces NUL in an object's keys and values at any depth.
pub fn map(map: &mut Attributes) -> bool {
    let mut changed = false;
    let mut renamed = Vec::new();
    for (key, value) in map.iter_mut() {
        changed |= self::value(value);
        if has_nul(key) {
            renamed.push(key.clone());
        }
    }
    for old in renamed {
        if let Some(value) = map.remove(&old) {
            map.insert(old.replace('\0', "\u{FFFD}"), value);
            changed = true;
        }
    }
    changed
}

/// Replaces NUL in a JSON value's strings and keys.
pub fn value(value: &mut Value) -> bool {
    match value {
        Value::String(s) => text(s),
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |c, item| self::value(item) | c),
        Value::Object(object) => map(object),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn has_nul(text: &str) -> bool {
    text.as_bytes().contains(&0)
}

fn value_has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => has_nul(s),
        Value::Array(items) => items.iter().any(value_has_nul),
        Value::Object(object) => object.iter().any(|(k, v)| has_nul(k) || value_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::model::{ExceptionInfo, HttpRequest};

    fn object(value: Value) -> Attributes {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn every_string_of_a_record_loses_its_nul() {
        let mut record = LogRecord::new("a\0b".into(), Utc::now());
        record.service = "\0x".into();
        record.scope = Some("s\0".into());
        record.attributes = object(json!({"k\0": ["v\0", {"n\0": "\0"}], "ok": 1}));
        record.resource = Arc::new(object(json!({"service.name": "r\0"})));
        record.request = Some(HttpRequest {
            method: "GET".into(),
            route: "/a\0".into(),
            status_code: None,
            duration_seconds: None,
        });
        record.exception = Some(ExceptionInfo {
            exception_type: "E\0".into(),
            message: "m\0".into(),
            stacktrace: Some("at\0".into()),
            fingerprint: String::new(),
        });
        assert!(self::record(&mut record, &mut SharedResource::default()));
        assert_eq!(
            (record.body.as_str(), record.service.as_str()),
            ("a\u{FFFD}b", "\u{FFFD}x")
        );
        assert_eq!(record.scope.as_deref(), Some("s\u{FFFD}"));
        let expected = json!({"k\u{FFFD}": ["v\u{FFFD}", {"n\u{FFFD}": "\u{FFFD}"}], "ok": 1});
        assert_eq!(Value::Object(record.attributes.clone()), expected);
        assert_eq!(record.resource["service.name"], "r\u{FFFD}");
        assert_eq!(record.request.unwrap().route, "/a\u{FFFD}");
        let exception = record.exception.unwrap();
        assert_eq!(exception.exception_type, "E\u{FFFD}");
        assert_eq!(exception.stacktrace.as_deref(), Some("at\u{FFFD}"));
    }

    #[test]
    fn clean_records_are_left_alone() {
        let mut record = LogRecord::new("plain".into(), Utc::now());
        record.attributes = object(json!({"k": "v"}));
        let before = record.clone();
        assert!(!self::record(&mut record, &mut SharedResource::default()));
        assert_eq!(record, before);
    }

    #[test]
    fn a_shared_resource_is_copied_once() {
        let resource = Arc::new(object(json!({"host": "h\0"})));
        let mut shared = SharedResource::default();
        let mut sanitized = Vec::new();
        for _ in 0..3 {
            let mut record = LogRecord::new("b".into(), Utc::now());
            record.resource = Arc::clone(&resource);
            self::record(&mut record, &mut shared);
            sanitized.push(record.resource);
        }
        assert_eq!(sanitized[0]["host"], "h\u{FFFD}");
        assert!(Arc::ptr_eq(&sanitized[0], &sanitized[2]));
        let clean = Arc::new(object(json!({"host": "h"})));
        let mut record = LogRecord::new("b".into(), Utc::now());
        record.resource = Arc::clone(&clean);
        assert!(!self::record(&mut record, &mut shared));
        assert!(!self::record(&mut record, &mut shared));
        assert!(
            Arc::ptr_eq(&record.resource, &clean),
            "a clean resource is not copied"
        );
    }
}
