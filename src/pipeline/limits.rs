//! Bounds on what one record or span may hold: attribute counts, string and name lengths and
//! timestamps. Runs first, so every later step and sink sees bounded records.

use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;

use super::fields;
use crate::config::Config;
use crate::model::{Attributes, LogRecord, SpanRecord};

/// Attribute keeping an event time that was out of the accepted window.
pub const ORIGINAL_TIMESTAMP: &str = "logbridge.original_timestamp";

/// The limits, from `ingest` and `storage` configuration.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_attributes: usize,
    pub max_value_bytes: usize,
    /// Attribute keys, service, scope and severity text.
    pub max_name_bytes: usize,
    pub max_past: Duration,
    pub max_future: Duration,
}

impl Limits {
    pub fn from_config(config: &Config) -> Limits {
        Limits {
            max_attributes: config.ingest.max_attributes,
            max_value_bytes: config.ingest.max_value_bytes,
            max_name_bytes: config.ingest.max_name_bytes,
            max_past: Duration::days(i64::from(config.storage.max_past_days)),
            max_future: Duration::hours(i64::from(config.storage.max_future_hours)),
        }
    }

    /// Bounds the record in place; returns the number of attributes dropped.
    pub fn bound(&self, record: &mut LogRecord) -> usize {
        truncate(&mut record.body, self.max_value_bytes);
        self.bound_names(record);
        let mut dropped = self.bound_map(&mut record.attributes);
        if self.exceeded_by(&record.resource) {
            // Shared with the request's other records: copied only when it must change.
            dropped += self.bound_map(Arc::make_mut(&mut record.resource));
        }
        self.clamp_time(record);
        dropped
    }

    /// Bounds a span in place as [`Limits::bound`] bounds a record, received at `received`:
    /// names, attribute maps (the events' and links' too), at most `max_attributes` events and
    /// links, and a start time in the accepted window. Returns the attributes, events and links
    /// dropped.
    pub fn bound_span(&self, span: &mut SpanRecord, received: DateTime<Utc>) -> usize {
        for name in [&mut span.name, &mut span.service] {
            truncate(name, self.max_name_bytes);
        }
        if let Some(scope) = &mut span.scope {
            truncate(scope, self.max_name_bytes);
        }
        if let Some(message) = &mut span.status.message {
            truncate(message, self.max_value_bytes);
        }
        let mut dropped = self.bound_map(&mut span.attributes);
        if self.exceeded_by(&span.resource) {
            dropped += self.bound_map(Arc::make_mut(&mut span.resource));
        }
        dropped += self.bound_events(span);
        let (ts, attributes) = (&mut span.start, &mut span.attributes);
        self.clamp(ts, received, attributes);
        dropped
    }

    /// Keeps the first `max_attributes` events and links, each bounded; gives how many were
    /// dropped, events, links and attributes together.
    fn bound_events(&self, span: &mut SpanRecord) -> usize {
        let excess = span.events.len().saturating_sub(self.max_attributes)
            + span.links.len().saturating_sub(self.max_attributes);
        span.events.truncate(self.max_attributes);
        span.links.truncate(self.max_attributes);
        let mut dropped = excess;
        for event in &mut span.events {
            truncate(&mut event.name, self.max_name_bytes);
            dropped += self.bound_map(&mut event.attributes);
        }
        for link in &mut span.links {
            dropped += self.bound_map(&mut link.attributes);
        }
        dropped
    }

    /// Names label a record rather than hold its content: they get `max_name_bytes`.
    fn bound_names(&self, record: &mut LogRecord) {
        truncate(&mut record.service, self.max_name_bytes);
        let names = [&mut record.scope, &mut record.severity_text];
        for name in names.into_iter().flatten() {
            truncate(name, self.max_name_bytes);
        }
    }

    fn bound_map(&self, map: &mut Attributes) -> usize {
        let collided = self.bound_keys(map);
        let excess: Vec<String> = map.keys().skip(self.max_attributes).cloned().collect();
        for key in &excess {
            map.remove(key);
        }
        map.values_mut().for_each(|v| self.bound_value(v));
        collided + excess.len()
    }

    /// Cuts keys longer than `max_name_bytes`; returns how many were dropped because the cut
    /// key was already there.
    fn bound_keys(&self, map: &mut Attributes) -> usize {
        let long: Vec<String> = (map.keys())
            .filter(|key| key.len() > self.max_name_bytes)
            .cloned()
            .collect();
        let mut collided = 0;
        for key in long {
            let Some(value) = map.remove(&key) else {
                continue;
            };
            let cut = fields::truncate(&key, self.max_name_bytes);
            if map.contains_key(cut) {
                collided += 1;
            } else {
                map.insert(cut.to_string(), value);
            }
        }
        collided
    }

    /// Whether bounding would change the map, checked without copying it.
    fn exceeded_by(&self, map: &Attributes) -> bool {
        map.len() > self.max_attributes
            || map.keys().any(|key| key.len() > self.max_name_bytes)
            || map.values().any(|v| self.value_exceeds(v))
    }

    fn value_exceeds(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => s.len() > self.max_value_bytes,
            Value::Array(items) => {
                items.len() > self.max_attributes || items.iter().any(|v| self.value_exceeds(v))
            }
            Value::Object(map) => self.exceeded_by(map),
            _ => false,
        }
    }

    fn bound_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => truncate(s, self.max_value_bytes),
            Value::Array(items) => {
                items.truncate(self.max_attributes);
                items.iter_mut().for_each(|v| self.bound_value(v));
            }
            Value::Object(map) => {
                self.bound_map(map);
            }
            _ => {}
        }
    }

    /// Event times outside `[observed - max_past, observed + max_future]` become the receive
    /// time; the original is kept in an attribute. Old partitions are never created for them.
    fn clamp_time(&self, record: &mut LogRecord) {
        self.clamp(&mut record.ts, record.observed_ts, &mut record.attributes);
    }

    /// Moves `ts` to `observed` when outside `[observed - max_past, observed + max_future]`,
    /// keeping the original in `attributes`.
    fn clamp(&self, ts: &mut DateTime<Utc>, observed: DateTime<Utc>, attributes: &mut Attributes) {
        let earliest = observed - self.max_past;
        let latest = observed + self.max_future;
        if (earliest..=latest).contains(ts) {
            return;
        }
        let original = ts.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        attributes.insert(ORIGINAL_TIMESTAMP.into(), Value::String(original));
        *ts = observed;
    }
}

/// Cuts a string in place to at most `max` bytes, on a character boundary.
fn truncate(s: &mut String, max: usize) {
    let end = fields::truncate(s, max).len();
    s.truncate(end);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn limits() -> Limits {
        Limits {
            max_attributes: 3,
            max_value_bytes: 5,
            max_name_bytes: 4,
            max_past: Duration::days(30),
            max_future: Duration::hours(24),
        }
    }

    fn record() -> LogRecord {
        LogRecord::new(
            "héllo world".into(),
            Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap(),
        )
    }

    #[test]
    fn strings_are_cut_on_char_boundaries() {
        let mut r = record();
        r.attributes
            .insert("a".into(), json!({"deep": ["abcdefgh"]}));
        limits().bound(&mut r);
        assert_eq!(
            r.body, "héll",
            "é is two bytes, so 5 bytes end inside nothing"
        );
        assert_eq!(r.attributes["a"], json!({"deep": ["abcde"]}));
    }

    #[test]
    fn keys_service_scope_and_severity_text_are_cut_to_the_name_limit() {
        let mut r = record();
        r.service = "checkout-service".into();
        r.scope = Some("com.acme.Handler".into());
        r.severity_text = Some("WARNING".into());
        r.attributes.insert("a".into(), json!({"nested.key": 1}));
        r.attributes.insert("long.key".into(), json!(1));
        r.attributes.insert("long.other".into(), json!(2));
        let resource = Arc::make_mut(&mut r.resource);
        resource.insert("service.name".into(), json!("x"));
        assert_eq!(limits().bound(&mut r), 1, "long.other cut to long collides");
        assert_eq!(r.service, "chec");
        assert_eq!(r.scope.as_deref(), Some("com."));
        assert_eq!(r.severity_text.as_deref(), Some("WARN"));
        assert_eq!(r.attributes["a"], json!({"nest": 1}));
        assert_eq!(
            r.attributes["long"],
            json!(1),
            "the first key cut keeps its value"
        );
        assert_eq!(r.resource.keys().collect::<Vec<_>>(), ["serv"]);
    }

    #[test]
    fn names_are_cut_on_char_boundaries() {
        let mut r = record();
        r.service = "séé".into();
        r.attributes.insert("ééé".into(), json!(1));
        limits().bound(&mut r);
        assert_eq!(r.service, "sé", "4 bytes end inside the second é");
        assert!(r.attributes.contains_key("éé"));
    }

    #[test]
    fn attributes_over_the_limit_are_dropped_and_counted() {
        let mut r = record();
        for i in 0..5000 {
            r.attributes.insert(format!("k{i}"), json!(i));
        }
        assert_eq!(limits().bound(&mut r), 4997);
        assert_eq!(r.attributes.len(), 3);
    }

    #[test]
    fn absurd_timestamps_become_receive_time_and_keep_the_original() {
        for ts in [
            Utc.timestamp_opt(0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0).unwrap(),
        ] {
            let mut r = record();
            r.ts = ts;
            limits().bound(&mut r);
            assert_eq!(r.ts, r.observed_ts);
            let original = r.attributes[ORIGINAL_TIMESTAMP].as_str().unwrap();
            assert!(
                original.starts_with(&ts.format("%Y").to_string()),
                "{original}"
            );
        }
    }

    #[test]
    fn timestamps_in_the_window_are_kept() {
        let mut r = record();
        r.ts = r.observed_ts - Duration::days(2);
        limits().bound(&mut r);
        assert_eq!(r.ts, r.observed_ts - Duration::days(2));
        assert!(!r.attributes.contains_key(ORIGINAL_TIMESTAMP));
    }

    #[test]
    fn spans_are_bounded_as_records_are_and_their_events_and_links_counted() {
        use crate::model::{SpanEvent, SpanLink, SpanRecord};
        let received = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        let epoch = Utc.timestamp_opt(0, 0).unwrap();
        let mut span = SpanRecord::new("ab".repeat(16), "01".repeat(8), "long name".into(), epoch);
        span.duration_ns = 42;
        let event = |i: usize| SpanEvent {
            name: format!("event {i}"),
            time: epoch,
            attributes: json!({"a": 1, "b": 2, "c": 3, "d": 4})
                .as_object()
                .unwrap()
                .clone(),
        };
        span.events = (0..5).map(event).collect();
        let link = SpanLink {
            trace_id: "cd".repeat(16),
            span_id: "02".repeat(8),
            attributes: Attributes::new(),
        };
        span.links = vec![link; 4];
        let dropped = limits().bound_span(&mut span, received);
        assert_eq!(span.name, "long");
        assert_eq!((span.events.len(), span.links.len()), (3, 3));
        assert_eq!(span.events[0].name, "even");
        assert!(span.events.iter().all(|e| e.attributes.len() == 3));
        assert_eq!(
            dropped,
            2 + 1 + 3,
            "two events, a link and an attribute of each kept event"
        );
        assert_eq!((span.start, span.duration_ns), (received, 42));
        assert!(
            span.attributes[ORIGINAL_TIMESTAMP]
                .as_str()
                .unwrap()
                .starts_with("1970")
        );
    }
}
