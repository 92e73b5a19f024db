//! Conversion of OTLP spans into `SpanRecord`s: a span with ids of the wrong length, all-zero
//! ids or impossible times is counted and described for `partial_success`, and the others kept.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span as OtlpSpan;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};

use crate::ingest::DecodedSpans;
use crate::ingest::otlp::convert::{attributes, service_of};
use crate::model::{Attributes, SpanEvent, SpanKind, SpanLink, SpanRecord, SpanStatus};

/// The resource and scope every span of one `ScopeSpans` shares.
struct Origin {
    service: String,
    resource: Arc<Attributes>,
    scope: Option<String>,
}

/// Converts every span of the request: the valid spans, and the invalid ones counted and
/// described (the first reason names the span's place in the request).
pub fn convert(request: ExportTraceServiceRequest) -> DecodedSpans {
    let mut converted = DecodedSpans::default();
    let scopes = request.resource_spans.iter().flat_map(|r| &r.scope_spans);
    let spans = scopes.map(|scope| scope.spans.len()).sum();
    converted.spans.reserve_exact(spans);
    for (r, resource_spans) in request.resource_spans.into_iter().enumerate() {
        let resource = (resource_spans.resource)
            .map(|resource| Arc::new(attributes(resource.attributes)))
            .unwrap_or_default();
        let service = service_of(&resource);
        for (s, scope_spans) in resource_spans.scope_spans.into_iter().enumerate() {
            let origin = Origin {
                service: service.clone(),
                resource: Arc::clone(&resource),
                scope: (scope_spans.scope)
                    .map(|scope| scope.name)
                    .filter(|name| !name.is_empty()),
            };
            for (i, otlp) in scope_spans.spans.into_iter().enumerate() {
                match span(otlp, &origin) {
                    Ok(span) => converted.spans.push(span),
                    Err(reason) => {
                        converted.rejected += 1;
                        let place = format!("resourceSpans[{r}].scopeSpans[{s}].spans[{i}]");
                        (converted.first_error).get_or_insert(format!("{place}: {reason}"));
                    }
                }
            }
        }
    }
    converted
}

/// One span, or why it is invalid.
fn span(otlp: OtlpSpan, origin: &Origin) -> Result<SpanRecord, String> {
    let trace_id = required_id(&otlp.trace_id, 16, "traceId")?;
    let span_id = required_id(&otlp.span_id, 8, "spanId")?;
    let parent_span_id = parent_id(&otlp.parent_span_id)?;
    let (start, duration_ns) = times(otlp.start_time_unix_nano, otlp.end_time_unix_nano)?;
    let events = otlp.events.into_iter().map(|e| event(e, start));
    let links = otlp.links.into_iter().map(link);
    let status = otlp.status.unwrap_or_default();
    let mut record = SpanRecord::new(trace_id, span_id, otlp.name, start);
    record.parent_span_id = parent_span_id;
    record.kind = SpanKind::from_otlp(otlp.kind);
    record.duration_ns = duration_ns;
    record.status = SpanStatus::from_otlp(status.code, status.message);
    record.service = origin.service.clone();
    record.resource = Arc::clone(&origin.resource);
    record.scope = origin.scope.clone();
    record.attributes = attributes(otlp.attributes);
    record.events = events.collect::<Result<_, _>>()?;
    record.links = links.collect::<Result<_, _>>()?;
    Ok(record)
}

/// A trace or span id that must be there: exactly `len` bytes, not all zero, as lowercase hex.
fn required_id(bytes: &[u8], len: usize, name: &str) -> Result<String, String> {
    if bytes.len() != len {
        return Err(format!("{name} must be {len} bytes, got {}", bytes.len()));
    }
    if bytes.iter().all(|b| *b == 0) {
        return Err(format!("{name} is all zero, which OTLP defines as invalid"));
    }
    Ok(hex::encode(bytes))
}

/// The parent span id: none when empty or all zero (a root span), else exactly 8 bytes.
fn parent_id(bytes: &[u8]) -> Result<Option<String>, String> {
    if bytes.is_empty() {
        return Ok(None);
    }
    if bytes.len() != 8 {
        return Err(format!(
            "parentSpanId must be empty or 8 bytes, got {}",
            bytes.len()
        ));
    }
    Ok(bytes.iter().any(|b| *b != 0).then(|| hex::encode(bytes)))
}

/// The start time and the duration in nanoseconds; a span must have a start time PostgreSQL can
/// hold (before the year 2262), and must not end before it starts.
fn times(start_nanos: u64, end_nanos: u64) -> Result<(DateTime<Utc>, i64), String> {
    if start_nanos == 0 {
        return Err("startTimeUnixNano is missing".to_string());
    }
    let start = instant(start_nanos, "startTimeUnixNano")?;
    let end = instant(end_nanos, "endTimeUnixNano")?;
    if end < start {
        return Err(format!(
            "endTimeUnixNano ({end_nanos}) is before startTimeUnixNano ({start_nanos})"
        ));
    }
    Ok((DateTime::from_timestamp_nanos(start), end - start))
}

/// Nanoseconds since the epoch that a timestamp can hold.
fn instant(nanos: u64, name: &str) -> Result<i64, String> {
    i64::try_from(nanos).map_err(|_| format!("{name} ({nanos}) is past the year 2262"))
}

/// An event; one without a time happened when the span started.
fn event(otlp: Event, start: DateTime<Utc>) -> Result<SpanEvent, String> {
    let time = match otlp.time_unix_nano {
        0 => start,
        nanos => DateTime::from_timestamp_nanos(instant(nanos, "events[].timeUnixNano")?),
    };
    Ok(SpanEvent {
        name: otlp.name,
        time,
        attributes: attributes(otlp.attributes),
    })
}

/// A link; its ids must be valid as a span's are.
fn link(otlp: Link) -> Result<SpanLink, String> {
    Ok(SpanLink {
        trace_id: required_id(&otlp.trace_id, 16, "links[].traceId")?,
        span_id: required_id(&otlp.span_id, 8, "links[].spanId")?,
        attributes: attributes(otlp.attributes),
    })
}
