//! The Loki push request in protobuf (`logproto.PushRequest`), declared from its documented
//! field numbers, and the raw snappy block every protobuf push body is compressed with.

use prost::Message;

use crate::ingest::bounds::{self, RequestBounds};
use crate::ingest::error::IngestError;

/// `logproto.PushRequest`; `format` (2) is not read.
#[derive(Clone, PartialEq, Message)]
pub struct PushRequest {
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<Stream>,
}

/// `logproto.StreamAdapter`; `hash` (3) is not read.
#[derive(Clone, PartialEq, Message)]
pub struct Stream {
    /// A selector, `{name="value", ...}`.
    #[prost(string, tag = "1")]
    pub labels: String,
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<Entry>,
}

/// `logproto.EntryAdapter`; `parsed` (4) is query-side only and not read.
#[derive(Clone, PartialEq, Message)]
pub struct Entry {
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<Timestamp>,
    /// Bytes, not a string: Loki takes lines that are not valid UTF-8, so the bridge repairs
    /// them rather than refusing the request.
    #[prost(bytes = "vec", tag = "2")]
    pub line: Vec<u8>,
    #[prost(message, repeated, tag = "3")]
    pub structured_metadata: Vec<LabelPair>,
}

/// `logproto.LabelPairAdapter`.
#[derive(Clone, PartialEq, Message)]
pub struct LabelPair {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// Decompresses a raw snappy block, refusing (413) a block whose length header says it holds
/// more than `limit` bytes before anything is allocated.
pub fn unsnappy(body: &[u8], limit: usize) -> Result<Vec<u8>, IngestError> {
    let invalid = |e: snap::Error| IngestError::Decode(format!("invalid snappy block: {e}"));
    let length = snap::raw::decompress_len(body).map_err(invalid)?;
    if length > limit {
        return Err(IngestError::TooLarge { limit });
    }
    snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(invalid)
}

/// Parses a decompressed `PushRequest`, once its entries and attribute entries, counted on
/// the wire, are within `bounds`.
pub fn parse(body: &[u8], bounds: &RequestBounds) -> Result<PushRequest, IngestError> {
    bounds.check(bounds::loki::count_protobuf(body))?;
    PushRequest::decode(body)
        .map_err(|e| IngestError::Decode(format!("invalid protobuf PushRequest: {e}")))
}

/// A line as text: valid UTF-8 as it is (no copy), anything else repaired.
pub fn line_text(line: Vec<u8>) -> String {
    String::from_utf8(line)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}
