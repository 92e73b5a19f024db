//! The Loki push API (`POST /loki/api/v1/push`): protobuf with raw snappy or JSON, optionally
//! gzip, decoded into one record per entry; labels are the resource, structured metadata and
//! the line's own fields the attributes.

pub mod http;
mod json;
mod labels;
mod legacy;
mod line;
mod logfmt;
pub mod proto;
mod stream;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::bounds;
use super::error::IngestError;
use super::{Decoded, RequestContext};
use crate::model::{Attributes, LogRecord};
use stream::{Entry, Shared, StreamLabels};

/// What a push request adds to the decoder's context.
#[derive(Debug, Clone, Default)]
pub struct Push {
    /// The `X-Scope-OrgID` header, kept as attribute `tenant`.
    pub tenant: Option<String>,
    /// The largest body accepted once decompressed: a snappy block whose length header says
    /// more is refused before it is allocated.
    pub max_bytes: usize,
}

/// Decodes a protobuf push body (a raw snappy block): decompressed within `push.max_bytes`,
/// counted on the wire and refused when over the context's bounds, then parsed.
pub fn decode_protobuf(
    body: &[u8],
    context: &RequestContext,
    push: &Push,
) -> Result<Decoded, IngestError> {
    let request = proto::parse(&proto::unsnappy(body, push.max_bytes)?, context.bounds)?;
    let shared = Shared {
        context,
        tenant: push.tenant.as_deref(),
    };
    let total = request.streams.iter().map(|s| s.entries.len()).sum();
    let mut records = Vec::with_capacity(total);
    for (index, stream) in request.streams.into_iter().enumerate() {
        let labels = labels::parse(&stream.labels).map_err(|error| {
            IngestError::Decode(format!("streams[{index}]: couldn't parse labels: {error}"))
        })?;
        let labels = StreamLabels::new(labels);
        for entry in stream.entries {
            let entry = protobuf_entry(entry, context.received);
            records.push(stream::record(&labels, entry, &shared));
        }
    }
    Ok(Decoded::all(records))
}

/// An entry of the protobuf body; an entry without a timestamp, or one out of range, takes
/// the time the request was received.
fn protobuf_entry(entry: proto::Entry, received: DateTime<Utc>) -> Entry {
    let ts = entry.timestamp.and_then(|ts| {
        let nanos = u32::try_from(ts.nanos).ok()?;
        DateTime::from_timestamp(ts.seconds, nanos)
    });
    let metadata = entry.structured_metadata.into_iter();
    let metadata: Attributes = metadata
        .map(|pair| (pair.name, Value::String(pair.value)))
        .collect();
    Entry {
        ts: ts.unwrap_or(received),
        line: proto::line_text(entry.line),
        metadata,
    }
}

/// Decodes a JSON push body, refused before parsing when the upper bounds of its entries and
/// attribute entries are over the context's bounds.
pub fn decode_json(
    body: &[u8],
    context: &RequestContext,
    push: &Push,
) -> Result<Decoded, IngestError> {
    (context.bounds).check(bounds::loki::count_json(body))?;
    let streams = json::streams(body)?;
    let shared = Shared {
        context,
        tenant: push.tenant.as_deref(),
    };
    let mut records: Vec<LogRecord> = Vec::new();
    for stream in streams {
        let labels = StreamLabels::new(stream.labels);
        let entries = stream.entries.into_iter();
        records.extend(entries.map(|entry| stream::record(&labels, entry, &shared)));
    }
    Ok(Decoded::all(records))
}

#[cfg(test)]
mod tests;
