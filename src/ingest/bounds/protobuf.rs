//! The OTLP protobuf walk: counts the log records and attribute entries of an
//! `ExportLogsServiceRequest`, or the spans and attribute entries of an
//! `ExportTraceServiceRequest`, on the wire, without decoding or allocating.
//!
//! Only the messages that lead to records and attributes are entered; every other field is
//! skipped as prost skips unknown fields. Malformed wire data stops the walk with the counts so
//! far: prost's decode fails at the same place, so it never holds more than was counted.

use prost::encoding::{WireType, decode_key, decode_varint};

use super::Counted;

/// prost refuses messages nested deeper than 100; the walk goes deeper, so it never stops
/// counting where prost would go on decoding.
const MAX_DEPTH: usize = 128;

/// The messages of the request the walk enters, and the leaves it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    ResourceLogs,
    Resource,
    EntityRef,
    /// A string of `EntityRef.id_keys` or `description_keys`: counted, not entered.
    EntityKey,
    ScopeLogs,
    Scope,
    LogRecord,
    KeyValue,
    AnyValue,
    /// An `AnyValue` that is an element of an `ArrayValue`: counted as an attribute entry.
    Element,
    ArrayValue,
    KeyValueList,
    /// `ExportTraceServiceRequest`, and the messages that lead to its spans' entries.
    TraceRequest,
    ResourceSpans,
    ScopeSpans,
    Span,
    /// A span event or link: counted as an attribute entry, its attributes too.
    SpanEvent,
    SpanLink,
}

/// Wire data prost refuses too.
pub(super) struct Malformed;

/// Counts the records and attribute entries of a protobuf `ExportLogsServiceRequest`.
pub fn count(body: &[u8]) -> Counted {
    let mut counted = Counted::default();
    let _complete = walk(body, Kind::Request, 0, &mut counted);
    counted
}

/// Counts the spans (as records) and attribute entries of a protobuf `ExportTraceServiceRequest`;
/// span events and links count as attribute entries, as do their attributes.
pub fn count_spans(body: &[u8]) -> Counted {
    let mut counted = Counted::default();
    let _complete = walk(body, Kind::TraceRequest, 0, &mut counted);
    counted
}

/// The message a length-delimited field `tag` of a `parent` holds, if the walk enters it.
fn child(parent: Kind, tag: u32) -> Option<Kind> {
    use Kind::*;
    match (parent, tag) {
        (Request, 1) => Some(ResourceLogs),
        (ResourceLogs, 1) => Some(Resource),
        (ResourceLogs, 2) => Some(ScopeLogs),
        (Resource, 1) | (Scope, 3) | (LogRecord, 6) | (KeyValueList, 1) => Some(KeyValue),
        (Resource, 3) => Some(EntityRef),
        (EntityRef, 3 | 4) => Some(EntityKey),
        (ScopeLogs, 1) => Some(Scope),
        (ScopeLogs, 2) => Some(LogRecord),
        (LogRecord, 5) | (KeyValue, 2) => Some(AnyValue),
        (TraceRequest, 1) => Some(ResourceSpans),
        (ResourceSpans, 1) => Some(Resource),
        (ResourceSpans, 2) => Some(ScopeSpans),
        (ScopeSpans, 1) => Some(Scope),
        (ScopeSpans, 2) => Some(Span),
        (Span, 9) | (SpanEvent, 3) | (SpanLink, 4) => Some(KeyValue),
        (Span, 11) => Some(SpanEvent),
        (Span, 13) => Some(SpanLink),
        (ArrayValue, 1) => Some(Element),
        (AnyValue | Element, 5) => Some(ArrayValue),
        (AnyValue | Element, 6) => Some(KeyValueList),
        _ => None,
    }
}

fn tally(kind: Kind, counted: &mut Counted) {
    match kind {
        Kind::LogRecord | Kind::Span => counted.records += 1,
        Kind::KeyValue
        | Kind::EntityRef
        | Kind::EntityKey
        | Kind::Element
        | Kind::SpanEvent
        | Kind::SpanLink => counted.attributes += 1,
        _ => {}
    }
}

/// Walks the fields of one message of `kind`, counting and entering its children.
fn walk(mut buf: &[u8], kind: Kind, depth: usize, counted: &mut Counted) -> Result<(), Malformed> {
    if depth > MAX_DEPTH {
        return Err(Malformed);
    }
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf).map_err(|_| Malformed)?;
        if wire_type != WireType::LengthDelimited {
            skip(&mut buf, tag, wire_type, depth)?;
            continue;
        }
        let payload = length_delimited(&mut buf)?;
        let Some(child) = child(kind, tag) else {
            continue;
        };
        tally(child, counted);
        if child != Kind::EntityKey {
            walk(payload, child, depth + 1, counted)?;
        }
    }
    Ok(())
}

/// Takes the bytes of a length-delimited field whose key was read.
pub(super) fn length_delimited<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], Malformed> {
    let len = decode_varint(buf).map_err(|_| Malformed)?;
    let len = usize::try_from(len).map_err(|_| Malformed)?;
    if len > buf.len() {
        return Err(Malformed);
    }
    let (payload, rest) = buf.split_at(len);
    *buf = rest;
    Ok(payload)
}

/// Skips a field that is not length-delimited, as prost's `skip_field` does.
pub(super) fn skip(
    buf: &mut &[u8],
    tag: u32,
    wire_type: WireType,
    depth: usize,
) -> Result<(), Malformed> {
    let width = match wire_type {
        WireType::Varint => return decode_varint(buf).map(drop).map_err(|_| Malformed),
        WireType::SixtyFourBit => 8,
        WireType::ThirtyTwoBit => 4,
        WireType::StartGroup => return skip_group(buf, tag, depth),
        WireType::EndGroup | WireType::LengthDelimited => return Err(Malformed),
    };
    if width > buf.len() {
        return Err(Malformed);
    }
    *buf = &buf[width..];
    Ok(())
}

/// Skips a group up to its matching end-group key (groups hold no records).
fn skip_group(buf: &mut &[u8], tag: u32, depth: usize) -> Result<(), Malformed> {
    if depth >= MAX_DEPTH {
        return Err(Malformed);
    }
    loop {
        let (inner_tag, wire_type) = decode_key(buf).map_err(|_| Malformed)?;
        match wire_type {
            WireType::EndGroup if inner_tag == tag => return Ok(()),
            WireType::LengthDelimited => length_delimited(buf).map(drop)?,
            _ => skip(buf, inner_tag, wire_type, depth + 1)?,
        }
    }
}
