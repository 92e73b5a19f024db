//! Ingest errors and their one mapping to HTTP status, gRPC code and outcome metric.

use axum::http::StatusCode;
use serde::Serialize;

use crate::auth::AuthError;
use crate::metrics::{Outcome, RejectReason};
use crate::store::StoreError;

/// Why an ingest request was not (fully) accepted.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot decode the body: {0}")]
    Decode(String),
    #[error("{} of {total} items are invalid; nothing was stored", .items.len())]
    InvalidBatch {
        items: Vec<InvalidItem>,
        total: usize,
    },
    #[error("the body exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("request holds {}{counted} {what}; {key} is {limit}", if *.estimated { "up to " } else { "" })]
    TooMany {
        /// `log records` or `attribute entries`.
        what: &'static str,
        counted: usize,
        /// Whether `counted` is an upper bound (JSON bodies) rather than an exact count.
        estimated: bool,
        /// The configuration key of the limit.
        key: &'static str,
        limit: usize,
    },
    #[error("unsupported content type {0:?}")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// `{"error": {...}}`, the body of the JSON receivers' error answers.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'static str,
    message: String,
    details: &'a [InvalidItem],
}

/// One invalid item of a JSON batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidItem {
    /// Zero-based position in the batch.
    pub index: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl IngestError {
    /// The HTTP status answering this error.
    pub fn http_status(&self) -> StatusCode {
        match self {
            IngestError::Decode(_) | IngestError::InvalidBatch { .. } => StatusCode::BAD_REQUEST,
            IngestError::TooLarge { .. } | IngestError::TooMany { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            IngestError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IngestError::Store(StoreError::BatchTooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::Store(StoreError::QueueFull) => StatusCode::TOO_MANY_REQUESTS,
            IngestError::Store(StoreError::Unavailable | StoreError::ShuttingDown) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            IngestError::Store(StoreError::Refused(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            IngestError::Auth(AuthError::Missing | AuthError::Invalid) => StatusCode::UNAUTHORIZED,
            IngestError::Auth(AuthError::Forbidden { .. }) => StatusCode::FORBIDDEN,
            IngestError::Auth(AuthError::RateLimited { .. }) => StatusCode::TOO_MANY_REQUESTS,
            IngestError::Auth(AuthError::Unavailable) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The gRPC code answering this error; UNAVAILABLE is the retryable one in OTLP.
    pub fn grpc_code(&self) -> tonic::Code {
        match self.http_status() {
            StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                tonic::Code::InvalidArgument
            }
            StatusCode::PAYLOAD_TOO_LARGE => tonic::Code::ResourceExhausted,
            StatusCode::UNAUTHORIZED => tonic::Code::Unauthenticated,
            StatusCode::FORBIDDEN => tonic::Code::PermissionDenied,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                tonic::Code::Unavailable
            }
            _ => tonic::Code::Internal,
        }
    }

    /// Whether the client should retry later (answers carry `Retry-After`).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.http_status(),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        )
    }

    /// The message a client may see: the input's fault in detail, ours in general terms.
    pub fn public_message(&self) -> String {
        if self.http_status().is_server_error() && !self.is_retryable() {
            return "internal error; the records were not stored".to_string();
        }
        self.to_string()
    }

    /// The outcome label of the ingest metrics.
    pub fn outcome(&self) -> Outcome {
        match self.http_status() {
            StatusCode::TOO_MANY_REQUESTS => Outcome::throttled,
            StatusCode::SERVICE_UNAVAILABLE => Outcome::unavailable,
            status if status.is_client_error() => Outcome::rejected,
            _ => Outcome::failed,
        }
    }

    /// The rejection reason, for client errors.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        match self {
            IngestError::Decode(_) => Some(RejectReason::decode_error),
            IngestError::InvalidBatch { .. } => Some(RejectReason::invalid_record),
            IngestError::TooLarge { .. }
            | IngestError::TooMany { .. }
            | IngestError::Store(StoreError::BatchTooLarge) => Some(RejectReason::too_large),
            IngestError::UnsupportedMediaType(_) => Some(RejectReason::unsupported_media_type),
            IngestError::Auth(
                AuthError::Missing | AuthError::Invalid | AuthError::Forbidden { .. },
            ) => Some(RejectReason::unauthorized),
            IngestError::Store(_) | IngestError::Auth(_) => None,
        }
    }

    /// A short machine-readable code for JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Decode(_) => "decode_error",
            IngestError::InvalidBatch { .. } => "invalid_batch",
            IngestError::TooLarge { .. } | IngestError::TooMany { .. } => "too_large",
            IngestError::UnsupportedMediaType(_) => "unsupported_media_type",
            IngestError::Store(StoreError::BatchTooLarge) => "too_large",
            IngestError::Store(StoreError::QueueFull) => "queue_full",
            IngestError::Store(StoreError::Unavailable) => "unavailable",
            IngestError::Store(StoreError::ShuttingDown) => "shutting_down",
            IngestError::Store(StoreError::Refused(_)) => "internal",
            IngestError::Auth(AuthError::Missing | AuthError::Invalid) => "unauthorized",
            IngestError::Auth(AuthError::Forbidden { .. }) => "forbidden",
            IngestError::Auth(AuthError::RateLimited { .. }) => "rate_limited",
            IngestError::Auth(AuthError::Unavailable) => "unavailable",
        }
    }
}

impl IngestError {
    /// The JSON answer of the JSON receivers: `{"error": {"code", "message", "details"}}` with
    /// the error's status, the invalid items as details, and `Retry-After` when retryable.
    pub fn json_response(&self, retry_after_seconds: u64) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        let details = match self {
            IngestError::InvalidBatch { items, .. } => items.as_slice(),
            _ => &[],
        };
        // Serialized straight from the items: a `serde_json::Value` of them first cost about
        // 1 KB per item, 14 GB for a 16 MiB body of `1\n` lines.
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                details,
            },
        };
        let mut response = (self.http_status(), axum::Json(body)).into_response();
        if self.is_retryable() {
            let seconds = axum::http::HeaderValue::from(retry_after_seconds);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds);
        }
        response
    }
}
