//! Encoding of spans into `COPY ... FROM STDIN` text rows of table `spans`, with the escapes and
//! NUL replacement of the `logs` rows ([`super`]).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

use super::{EncodedBatch, json, number, optional_number, optional_text, tab, text};
use crate::model::{Attributes, SpanEvent, SpanLink, SpanRecord};
use crate::store::copy_text::timestamp;

/// The `COPY` statement of table `spans`, in the column order of [`encode_spans`].
pub const SPANS_COPY_STATEMENT: &str = "COPY spans (trace_id, span_id, parent_span_id, name, \
    kind, start_ts, duration_ns, status_code, status_message, service, scope, http_route, \
    http_method, http_status, db_system, db_operation, db_query_fingerprint, attributes, \
    resource, events, links) FROM STDIN";

/// The rows of `spans` in a batch, and the days they fall on.
#[derive(Debug, Default)]
pub struct SpanRows {
    /// `COPY` text rows, one per span.
    pub data: Vec<u8>,
    /// The distinct UTC days of the spans' starts, whose partitions must exist.
    pub days: Vec<NaiveDate>,
}

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

/// Encodes spans as a batch holding only rows of `spans`.
pub fn encode_spans(spans: &[SpanRecord]) -> EncodedBatch {
    let mut rows = SpanRows {
        data: Vec::with_capacity(spans.len() * 768),
        days: Vec::new(),
    };
    let mut scratch = Vec::new();
    for span in spans {
        let day = span.start.date_naive();
        if !rows.days.contains(&day) {
            rows.days.push(day);
        }
        encode_row(&mut rows.data, span, &mut scratch);
    }
    EncodedBatch {
        records: spans.len(),
        spans: rows,
        ..EncodedBatch::default()
    }
}

/// Appends one span's row, newline included.
fn encode_row(out: &mut Vec<u8>, span: &SpanRecord, scratch: &mut Vec<u8>) {
    let promoted = &span.promoted;
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
    optional_text(out, promoted.http_route.as_deref());
    tab(out);
    optional_text(out, promoted.http_method.as_deref());
    tab(out);
    optional_number(out, promoted.http_status);
    tab(out);
    for field in [&promoted.db_system, &promoted.db_operation] {
        optional_text(out, field.as_deref());
        tab(out);
    }
    optional_text(out, promoted.db_query_fingerprint.as_deref());
    tab(out);
    encode_json(out, span, scratch);
    out.push(b'\n');
}

/// The four JSON columns: attributes, resource, events and links.
fn encode_json(out: &mut Vec<u8>, span: &SpanRecord, scratch: &mut Vec<u8>) {
    json(out, &span.attributes, scratch);
    tab(out);
    json(out, &*span.resource, scratch);
    tab(out);
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
