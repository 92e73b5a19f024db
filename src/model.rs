//! The one record type every log receiver produces and every sink consumes (OTel log data
//! model), and beside it the span record of the trace receiver ([`span`]).

pub mod span;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

pub use span::{
    PromotedFields, SpanEvent, SpanException, SpanKind, SpanLink, SpanRecord, SpanStatus,
};

/// A JSON object: attributes and resource attributes are stored as JSONB.
pub type Attributes = Map<String, Value>;

/// The normalized severity levels of the contract, in increasing order of severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 6] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ];

    /// The contract name used in the `level` column and metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// The lowest OTLP severity number of this level's range (TRACE=1, DEBUG=5, ... FATAL=21).
    pub fn base_severity_number(self) -> u8 {
        match self {
            Level::Trace => 1,
            Level::Debug => 5,
            Level::Info => 9,
            Level::Warn => 13,
            Level::Error => 17,
            Level::Fatal => 21,
        }
    }
}

/// One log record, as decoded from any wire format and then enriched by the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// Event time.
    pub ts: DateTime<Utc>,
    /// Time the bridge received the record.
    pub observed_ts: DateTime<Utc>,
    /// Service name (`service.name`), `unknown_service` when nothing names one.
    pub service: String,
    /// Normalized level.
    pub level: Level,
    /// OTLP severity number, 1-24.
    pub severity_number: u8,
    /// The level as the source wrote it, if it wrote one.
    pub severity_text: Option<String>,
    /// The message.
    pub body: String,
    /// Lowercase hex, 32 characters.
    pub trace_id: Option<String>,
    /// Lowercase hex, 16 characters.
    pub span_id: Option<String>,
    /// Logger or instrumentation scope name.
    pub scope: Option<String>,
    /// The end user the record is about (`enduser.id`, `user.id`, ...), set by the pipeline.
    pub user_id: Option<String>,
    /// The error group of an `error` or `fatal` record, set by the pipeline's grouping step:
    /// its exception's fingerprint, else a hash of its service and normalized message.
    pub error_fingerprint: Option<String>,
    /// Everything else the record carried.
    pub attributes: Attributes,
    /// Attributes of the emitting resource (process, host, SDK), shared by every record of
    /// that resource in a request.
    pub resource: Arc<Attributes>,
    /// Set by the pipeline when the record describes an HTTP request.
    pub request: Option<HttpRequest>,
    /// Set by the pipeline when the record describes a database query.
    pub query: Option<DbQuery>,
    /// Set by the pipeline when the record carries an exception.
    pub exception: Option<ExceptionInfo>,
    /// The retention class the pipeline chose (column `retention_class`); unset means
    /// [`DEFAULT_RETENTION_CLASS`].
    pub retention_class: Option<Arc<str>>,
    /// Set by the pipeline's dedup step for services with deduplication on: records with the
    /// same key are stored as one row.
    pub dedup_key: Option<i64>,
}

/// An HTTP server request described by a record.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// Upper-case method, `_OTHER` for unknown methods (OTel semconv).
    pub method: String,
    /// Route template such as `/users/{id}`.
    pub route: String,
    /// Response status code, if known.
    pub status_code: Option<u16>,
    /// Duration in seconds, if known.
    pub duration_seconds: Option<f64>,
}

/// A database query described by a record.
#[derive(Debug, Clone, PartialEq)]
pub struct DbQuery {
    /// `db.system.name` / `db.system`, lower case; `other_sql` when absent.
    pub system: String,
    /// Operation such as `SELECT`, from the statement's first keyword.
    pub operation: String,
    /// Normalized statement: literals replaced by `?`, `IN` lists collapsed.
    pub fingerprint: String,
    /// Duration in seconds, if known.
    pub duration_seconds: Option<f64>,
}

/// An exception carried by a record.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionInfo {
    /// Exception type or class name, such as `ValueError` or `java.lang.NullPointerException`.
    pub exception_type: String,
    /// The exception message.
    pub message: String,
    /// The stack trace as text, if any.
    pub stacktrace: Option<String>,
    /// The exception group: a hash of service, type, normalized message and top frames, set by
    /// the pipeline's grouping step (empty before it).
    pub fingerprint: String,
}

impl LogRecord {
    /// A record with the given body and defaults everywhere else; decoders fill in the rest.
    pub fn new(body: String, observed_ts: DateTime<Utc>) -> LogRecord {
        LogRecord {
            ts: observed_ts,
            observed_ts,
            service: UNKNOWN_SERVICE.to_string(),
            level: Level::Info,
            severity_number: Level::Info.base_severity_number(),
            severity_text: None,
            body,
            trace_id: None,
            span_id: None,
            scope: None,
            user_id: None,
            error_fingerprint: None,
            attributes: Attributes::new(),
            resource: Arc::default(),
            request: None,
            query: None,
            exception: None,
            retention_class: None,
            dedup_key: None,
        }
    }

    /// The record's retention class, [`DEFAULT_RETENTION_CLASS`] when none was chosen.
    pub fn retention_class(&self) -> &str {
        self.retention_class
            .as_deref()
            .unwrap_or(DEFAULT_RETENTION_CLASS)
    }
}

/// The retention class of records no configured class takes (and the column's default).
pub const DEFAULT_RETENTION_CLASS: &str = "standard";

/// The service name used when neither the record nor the request names one.
pub const UNKNOWN_SERVICE: &str = "unknown_service";
