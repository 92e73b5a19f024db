//! What the OpenAPI document says of every receiver: the refusals they share (one row per
//! status of [`crate::error`]'s table a receiver answers with) and the bodies they take. The
//! handlers' own `#[utoipa::path]` name their path, content types and success answer.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// The refusals of every receiver, in JSON (`{"error": {...}}`) except where a handler's
/// protocol answers in its own style (Loki text, Elasticsearch's error object, OTLP's
/// `google.rpc.Status`).
#[derive(IntoResponses)]
#[allow(dead_code)] // read only by the OpenAPI document
pub enum IngestRefusals {
    /// The body cannot be decoded, or a JSON batch holds invalid items (each named by index).
    #[response(status = 400)]
    BadRequest,
    /// A token is required (`ingest.require_token`, or a webhook token) and none was given.
    #[response(status = 401)]
    Unauthorized,
    /// The token's role, service scope or browser origin does not allow this write.
    #[response(status = 403)]
    Forbidden,
    /// The body (decompressed) exceeds `ingest.max_body_bytes`, or holds too many records.
    #[response(status = 413)]
    PayloadTooLarge,
    /// The `Content-Type` is not one this endpoint takes; the message lists the ones it takes.
    #[response(status = 415)]
    UnsupportedMediaType,
    /// The ingest queue or the token's rate limit is full; retry after `Retry-After` seconds.
    #[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    TooManyRequests,
    /// The database is unreachable or commits stall; retry after `Retry-After` seconds.
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    ServiceUnavailable,
}

/// A JSON log record: the fields below, or the aliases of pino, loguru, winston, bunyan and
/// ECS (`ingest.aliases`); every other field becomes an attribute.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // read only by the OpenAPI document
pub struct JsonLog {
    /// RFC 3339, or epoch s/ms/µs/ns (told apart by magnitude); missing is the receive time.
    #[schema(example = "2026-01-02T03:04:05Z")]
    timestamp: Option<String>,
    /// `trace`, `debug`, `info`, `warn`, `error`, `fatal` (or pino's numbers 10-60).
    #[schema(example = "error")]
    level: Option<String>,
    #[schema(example = "payment failed")]
    message: Option<String>,
    /// Else the `service` query parameter, else `unknown_service`.
    #[schema(example = "checkout")]
    service: Option<String>,
    /// Lowercase hex, 32 characters.
    trace_id: Option<String>,
    /// Lowercase hex, 16 characters.
    span_id: Option<String>,
    /// Everything else, kept as attributes.
    #[serde(flatten)]
    attributes: BTreeMap<String, serde_json::Value>,
}

/// `POST /api/v1/logs` in JSON: one record, an array of records, or `{"logs": [...]}`. A batch
/// with any invalid record is refused whole (400, every invalid index named). NDJSON bodies
/// (`application/x-ndjson`) hold one record per line.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // read only by the OpenAPI document
pub enum JsonBatch {
    One(JsonLog),
    Many(Vec<JsonLog>),
    Wrapped(JsonLogs),
}

/// `{"logs": [...]}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // read only by the OpenAPI document
pub struct JsonLogs {
    logs: Vec<JsonLog>,
}

/// A Loki push in JSON: `{"streams": [{"stream": {labels}, "values": [["<ns>", "<line>"]]}]}`;
/// the protobuf form is Loki's `PushRequest`, snappy-compressed.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // read only by the OpenAPI document
pub struct LokiPush {
    streams: Vec<LokiStream>,
}

/// One stream of a Loki push.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // read only by the OpenAPI document
pub struct LokiStream {
    /// The stream's labels (`service_name`, `service`, `job` or `app` name the service).
    stream: BTreeMap<String, String>,
    /// `[timestamp in ns as a string, line]`, optionally with structured metadata third.
    values: Vec<Vec<serde_json::Value>>,
}
