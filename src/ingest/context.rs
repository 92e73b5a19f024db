//! What a decoder is given ([`RequestContext`]) and what it gives back ([`Decoded`]): every
//! receiver's `decode(bytes, &RequestContext)` is a pure function between the two.

use chrono::{DateTime, Utc};

use super::bounds::RequestBounds;
use crate::config::FieldAliases;
use crate::model::{LogRecord, SpanRecord};

/// What a decoder needs besides the bytes.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// When the bridge received the request: the time of records that carry none.
    pub received: DateTime<Utc>,
    /// The `?service=` of the request, for records that name no service.
    pub service: Option<&'a str>,
    /// The JSON field aliases.
    pub aliases: &'a FieldAliases,
    /// Records and attribute entries one request may hold, checked before decoding.
    pub bounds: &'a RequestBounds,
}

/// A decoded request: its valid records, and the records it rejected (OTLP's `partial_success`).
#[derive(Debug, Default)]
pub struct Decoded {
    /// The valid records.
    pub records: Vec<LogRecord>,
    /// How many records were rejected.
    pub rejected: usize,
    /// The first rejection's reason, for `partial_success.error_message`.
    pub first_error: Option<String>,
}

impl Decoded {
    /// A request whose records were all valid.
    pub fn all(records: Vec<LogRecord>) -> Decoded {
        Decoded {
            records,
            ..Decoded::default()
        }
    }
}

/// A decoded trace request: its valid spans, and the spans it rejected (OTLP's
/// `partial_success.rejected_spans`).
#[derive(Debug, Default)]
pub struct DecodedSpans {
    /// The valid spans.
    pub spans: Vec<SpanRecord>,
    /// How many spans were rejected.
    pub rejected: usize,
    /// The first rejection's reason, for `partial_success.error_message`.
    pub first_error: Option<String>,
}
