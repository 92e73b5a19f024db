//! Encoding of spans into `COPY ... FROM STDIN` text rows of table `spans`, with the escapes and
//! NUL replacement of the `logs` rows ([`super`]).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

use super::{
    EncodedBatch, ExceptionCounts, json, number, optional_number, optional_text, tab, text,
};
use crate::model::{Attributes, PromotedFields, SpanEvent, SpanLink, SpanRecord};
use crate::store::copy_text::timestamp;

/// The `COPY` statement of table `spans`, in the column order of [`encode_spans`].
pub const SPANS_COPY_STATEMENT: &str = "COPY spans (trace_id, span_id, parent_span_id, name, \
    kind, start_ts, duration_ns, status_code, status_message, service, scope, http_route, \
    http_method, http_status, db_system, db_operation, db_query_fingerprint, attributes, \
    resource, events, links) FROM STDIN";

/// The rows of `spans` in a batch, the days they fall on, and their exceptions.
#[derive(Debug, Default)]
pub struct SpanRows {
    /// `COPY` text rows, one per span.
    pub data: Vec<u8>,
    /// The distinct UTC days of the spans' starts, whose partitions must exist.
    pub days: Vec<NaiveDate>,
    /// Each span's key, in the batch's order: a span's place here is its place in the batch.
    pub keys: Vec<SpanKey>,
    /// The `exception` events of each span that has some (by its place), for table
    /// `exception_groups`: kept per span so that a span stored already (sent again) does not
    /// count them again.
    pub exceptions: Vec<(u32, ExceptionCounts)>,
}

/// What makes a span the same span: trace id, span id, and start in microseconds (as stored).
pub type SpanKey = (String, String, i64);

/// An event as stored in column `events`.
#[derive(Serialize)]
struct EventJson<'a> {
    name: &'a str,
    time: String,
    attributes: &'a Attributes,
}

/// A link as stored in column `links`.
#[derive(Serialize)]
struct LinkJson<'a> {
    trace_id: &'a str,
    span_id: &'a str,
    attributes: &'a Attributes,
}

/// Encodes spans as a batch holding rows of `spans` and the groups of their exceptions.
pub fn encode_spans(spans: &[SpanRecord]) -> EncodedBatch {
    let mut rows = SpanRows {
        data: Vec::with_capacity(spans.len() * 768),
        ..SpanRows::default()
    };
    let mut encoder = SpanEncoder::default();
    for (place, span) in (0u32..).zip(spans) {
        let day = span.start.date_naive();
        if !rows.days.contains(&day) {
            rows.days.push(day);
        }
        encoder.row(&mut rows.data, span);
        rows.keys.push(key(span));
        if !span.exceptions.is_empty() {
            rows.exceptions.push((place, count_exceptions(span)));
        }
    }
    EncodedBatch {
        records: spans.len(),
        spans: rows,
        ..EncodedBatch::default()
    }
}

fn key(span: &SpanRecord) -> SpanKey {
    let start = span.start.timestamp_micros();
    (span.trace_id.clone(), span.span_id.clone(), start)
}

/// The span's `exception` events counted in their groups, at the time of each event.
fn count_exceptions(span: &SpanRecord) -> ExceptionCounts {
    let mut exceptions = ExceptionCounts::default();
    for found in &span.exceptions {
        exceptions.add_exception(&span.service, found.time, &found.exception);
    }
    exceptions
}

/// Encodes rows of `spans`, reusing its buffers.
#[derive(Default)]
struct SpanEncoder<'a> {
    scratch: Vec<u8>,
    /// The last resource encoded and its bytes: the spans of one resource share it, so it is
    /// encoded once and copied.
    resource: Option<(&'a Arc<Attributes>, Vec<u8>)>,
}

impl<'a> SpanEncoder<'a> {
    /// Appends one span's row, newline included.
    fn row(&mut self, out: &mut Vec<u8>, span: &'a SpanRecord) {
        encode_span(out, span);
        encode_promoted(out, &span.promoted);
        json(out, &span.attributes, &mut self.scratch);
        tab(out);
        self.resource(out, &span.resource);
        tab(out);
        encode_events_and_links(out, span, &mut self.scratch);
        out.push(b'\n');
    }

    /// The resource's JSON, encoded once per resource.
    fn resource(&mut self, out: &mut Vec<u8>, resource: &'a Arc<Attributes>) {
        match &mut self.resource {
            Some((last, bytes)) if Arc::ptr_eq(last, resource) => out.extend_from_slice(bytes),
            cached => {
                let mut bytes = Vec::new();
                json(&mut bytes, &**resource, &mut self.scratch);
                out.extend_from_slice(&bytes);
                *cached = Some((resource, bytes));
            }
        }
    }
}

/// The columns from `trace_id` to `scope`, each followed by a tab.
fn encode_span(out: &mut Vec<u8>, span: &SpanRecord) {
    for id in [&span.trace_id, &span.span_id] {
        text(out, id);
        tab(out);
    }
    optional_text(out, span.parent_span_id.as_deref());
    tab(out);
    text(out, &span.name);
    tab(out);
    text(out, span.kind.as_str());
    tab(out);
    timestamp(out, &span.start);
    tab(out);
    number(out, span.duration_ns);
    tab(out);
    number(out, span.status.code);
    tab(out);
    optional_text(out, span.status.message.as_deref());
    tab(out);
    text(out, &span.service);
    tab(out);
    optional_text(out, span.scope.as_deref());
    tab(out);
}

/// The promoted columns, each followed by a tab.
fn encode_promoted(out: &mut Vec<u8>, promoted: &PromotedFields) {
    optional_text(out, promoted.http_route.as_deref());
    tab(out);
    optional_text(out, promoted.http_method.as_deref());
    tab(out);
    optional_number(out, promoted.http_status);
    tab(out);
    let texts = [
        &promoted.db_system,
        &promoted.db_operation,
        &promoted.db_query_fingerprint,
    ];
    for field in texts {
        optional_text(out, field.as_deref());
        tab(out);
    }
}

/// The last two JSON columns: events and links.
fn encode_events_and_links(out: &mut Vec<u8>, span: &SpanRecord, scratch: &mut Vec<u8>) {
    let events: Vec<EventJson> = span.events.iter().map(event).collect();
    json(out, &events, scratch);
    tab(out);
    let links: Vec<LinkJson> = span.links.iter().map(link).collect();
    json(out, &links, scratch);
}

fn event(event: &SpanEvent) -> EventJson<'_> {
    EventJson {
        name: &event.name,
        time: rfc3339(&event.time),
        attributes: &event.attributes,
    }
}

fn link(link: &SpanLink) -> LinkJson<'_> {
    LinkJson {
        trace_id: &link.trace_id,
        span_id: &link.span_id,
        attributes: &link.attributes,
    }
}

fn rfc3339(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use serde_json::{Value, json};

    use super::*;
    use crate::model::SpanKind;

    fn columns(batch: &EncodedBatch) -> Vec<String> {
        let text = String::from_utf8(batch.spans.data.clone()).unwrap();
        let line = text.strip_suffix('\n').unwrap();
        line.split('\t').map(str::to_string).collect()
    }

    #[test]
    fn a_row_has_every_column_in_order_and_its_day() {
        let start = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        let mut span = SpanRecord::new("ab".repeat(16), "01".repeat(8), "GET /\t".into(), start);
        span.kind = SpanKind::Server;
        span.duration_ns = 1_500;
        span.promoted.http_status = Some(404);
        span.resource = Arc::new(json!({"service.name": "a\\b"}).as_object().unwrap().clone());
        span.events.push(SpanEvent {
            name: "exception".into(),
            time: start,
            attributes: Attributes::new(),
        });
        let batch = encode_spans(&[span]);
        assert_eq!((batch.records, batch.data.len()), (1, 0), "no rows of logs");
        assert_eq!(batch.spans.days.len(), 1);
        let cols = columns(&batch);
        assert_eq!(cols.len(), SPANS_COPY_STATEMENT.matches(',').count() + 1);
        assert_eq!(cols[2], "\\N", "a root span");
        assert_eq!(cols[3], "GET /\\t");
        assert_eq!(
            (cols[4].as_str(), cols[6].as_str(), cols[7].as_str()),
            ("server", "1500", "0")
        );
        assert_eq!(cols[13], "404");
        assert_eq!(cols[18], r#"{"service.name":"a\\\\b"}"#);
        let events: Value = serde_json::from_str(&cols[19]).unwrap();
        assert_eq!(events[0]["time"], "2026-11-22T10:00:00.000000000Z");
        assert_eq!(cols[20], "[]");
    }
}
