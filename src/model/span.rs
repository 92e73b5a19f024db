//! The span record the OTLP trace receiver produces and the `spans` table stores: the OTel trace
//! data model, beside [`super::LogRecord`].

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Attributes, DbQuery, ExceptionInfo, HttpRequest, UNKNOWN_SERVICE};

/// One span, as decoded from OTLP and then bounded, redacted and enriched by the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRecord {
    /// Lowercase hex, 32 characters.
    pub trace_id: String,
    /// Lowercase hex, 16 characters.
    pub span_id: String,
    /// Lowercase hex, 16 characters; `None` for a root span.
    pub parent_span_id: Option<String>,
    /// The operation name.
    pub name: String,
    pub kind: SpanKind,
    /// When the span started.
    pub start: DateTime<Utc>,
    /// End minus start, in nanoseconds; never negative.
    pub duration_ns: i64,
    pub status: SpanStatus,
    /// Service name (resource `service.name`), `unknown_service` when the resource names none.
    pub service: String,
    /// Instrumentation scope name.
    pub scope: Option<String>,
    /// The span's attributes.
    pub attributes: Attributes,
    /// Attributes of the emitting resource, shared by every span of that resource in a request.
    pub resource: Arc<Attributes>,
    /// Timed events, `exception` events among them.
    pub events: Vec<SpanEvent>,
    /// Links to spans of this or other traces.
    pub links: Vec<SpanLink>,
    /// The filtered-on attributes, promoted to columns by the pipeline.
    pub promoted: PromotedFields,
    /// Set by the pipeline for an HTTP server span: the request, as logs describe one.
    pub request: Option<HttpRequest>,
    /// Set by the pipeline for a database client span: the query, as logs describe one.
    pub query: Option<DbQuery>,
    /// Set by the pipeline: the exceptions of the `exception` events, each with its group's
    /// fingerprint.
    pub exceptions: Vec<SpanException>,
}

/// The span kind of OTLP (`SPAN_KIND_*`), stored in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpanKind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// The kind of an OTLP enum value; values the protocol does not define are unspecified.
    pub fn from_otlp(value: i32) -> SpanKind {
        match value {
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        }
    }

    /// The value of column `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// A span's status: OTLP's code (0 unset, 1 ok, 2 error) and message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanStatus {
    /// 0, 1 or 2; other values the protocol does not define are stored as 0 (unset).
    pub code: i16,
    /// The description, when the source gave one.
    pub message: Option<String>,
}

impl SpanStatus {
    /// OTLP's `STATUS_CODE_ERROR`.
    pub const ERROR: i16 = 2;

    /// The status of OTLP's code and message.
    pub fn from_otlp(code: i32, message: String) -> SpanStatus {
        SpanStatus {
            code: i16::try_from(code)
                .ok()
                .filter(|c| (0..=2).contains(c))
                .unwrap_or(0),
            message: (!message.is_empty()).then_some(message),
        }
    }
}

/// A timed event of a span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    pub name: String,
    pub time: DateTime<Utc>,
    pub attributes: Attributes,
}

/// The exception an `exception` event of a span records.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanException {
    /// The event's time.
    pub time: DateTime<Utc>,
    pub exception: ExceptionInfo,
}

/// A link from a span to another span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanLink {
    /// Lowercase hex, 32 characters.
    pub trace_id: String,
    /// Lowercase hex, 16 characters.
    pub span_id: String,
    pub attributes: Attributes,
}

/// The attributes the `spans` table has columns for, read under their current and their older
/// semantic-convention names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromotedFields {
    /// `http.route`.
    pub http_route: Option<String>,
    /// `http.request.method`, else `http.method`.
    pub http_method: Option<String>,
    /// `http.response.status_code`, else `http.status_code`.
    pub http_status: Option<i16>,
    /// `db.system.name`, else `db.system`.
    pub db_system: Option<String>,
    /// `db.operation.name`, else `db.operation`.
    pub db_operation: Option<String>,
    /// The SQL fingerprint of `db.query.text`, else of `db.statement`.
    pub db_query_fingerprint: Option<String>,
}

impl SpanRecord {
    /// A root span of `unknown_service` with the given ids, name and times, and nothing else;
    /// decoders fill in the rest.
    pub fn new(
        trace_id: String,
        span_id: String,
        name: String,
        start: DateTime<Utc>,
    ) -> SpanRecord {
        SpanRecord {
            trace_id,
            span_id,
            parent_span_id: None,
            name,
            kind: SpanKind::Unspecified,
            start,
            duration_ns: 0,
            status: SpanStatus::default(),
            service: UNKNOWN_SERVICE.to_string(),
            scope: None,
            attributes: Attributes::new(),
            resource: Arc::default(),
            events: Vec::new(),
            links: Vec::new(),
            promoted: PromotedFields::default(),
            request: None,
            query: None,
            exceptions: Vec::new(),
        }
    }
}
