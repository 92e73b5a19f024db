//! Ingest errors, each naming its code in the one error table of [`crate::error`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::AuthError;
use crate::error::{self, ErrorCode};
use crate::listen::BodyRefused;
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
        /// `log records`, `spans` or `attribute entries`.
        what: &'static str,
        counted: usize,
        /// Whether `counted` is an upper bound (JSON bodies) rather than an exact count.
        estimated: bool,
        /// The configuration key of the limit.
        key: &'static str,
        limit: usize,
    },
    #[error("unsupported content type {found:?}; this endpoint takes {expected}")]
    UnsupportedMediaType { found: String, expected: String },
    #[error(
        "requests from the browser origin {0:?} are refused; \
         allowed origins are listed in access.allowed_origins"
    )]
    CrossOrigin(String),
    #[error(
        "this browser key sends records of service {allowed:?} only; the request holds records of {found:?}"
    )]
    OtherService { allowed: String, found: String },
    #[error(
        "service {service:?} is over its quota (policy.quotas); nothing of this request was \
         stored, retry after {retry_after_seconds} s"
    )]
    OverQuota {
        service: String,
        retry_after_seconds: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listener cut the body off (too slow, or the body byte budget taken).
    #[error(transparent)]
    BodyRefused(#[from] BodyRefused),
    #[error(transparent)]
    Auth(#[from] AuthError),
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
    /// Its code in the one error table, which gives the status, gRPC code and metric labels.
    pub fn code(&self) -> ErrorCode {
        match self {
            IngestError::Decode(_) => ErrorCode::DecodeError,
            IngestError::InvalidBatch { .. } => ErrorCode::InvalidBatch,
            IngestError::TooLarge { .. } | IngestError::TooMany { .. } => ErrorCode::TooLarge,
            IngestError::UnsupportedMediaType { .. } => ErrorCode::UnsupportedMediaType,
            IngestError::CrossOrigin(_) | IngestError::OtherService { .. } => ErrorCode::Forbidden,
            IngestError::OverQuota { .. } => ErrorCode::OverQuota,
            IngestError::Store(error) => error.code(),
            IngestError::BodyRefused(_) => ErrorCode::Unavailable,
            IngestError::Auth(error) => error.code(),
        }
    }

    /// The records a refused request is counted with: a JSON batch's items, else none.
    pub fn records(&self) -> usize {
        match self {
            IngestError::InvalidBatch { total, .. } => *total,
            _ => 0,
        }
    }

    /// The HTTP status answering this error.
    pub fn http_status(&self) -> StatusCode {
        self.code().http_status()
    }

    /// The gRPC code answering this error.
    pub fn grpc_code(&self) -> tonic::Code {
        self.code().grpc_code()
    }

    /// Whether the client should retry later (answers carry `Retry-After`).
    pub fn is_retryable(&self) -> bool {
        self.code().is_retryable()
    }

    /// The message a client may see: the input's fault in detail, ours in general terms.
    pub fn public_message(&self) -> String {
        if self.code() == ErrorCode::Internal {
            return "internal error; the records were not stored".to_string();
        }
        self.to_string()
    }

    /// The outcome label of the ingest metrics.
    pub fn outcome(&self) -> Outcome {
        self.code().outcome()
    }

    /// The rejection reason, for client errors.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        self.code().reject_reason()
    }

    /// Seconds to wait before retrying: the token's rate limit says, else the configured value.
    pub fn retry_after_seconds(&self, configured: u64) -> u64 {
        match self {
            IngestError::Auth(error) => error.retry_after_seconds().unwrap_or(configured),
            IngestError::OverQuota {
                retry_after_seconds,
                ..
            } => *retry_after_seconds,
            _ => configured,
        }
    }

    /// The JSON answer of the JSON receivers: `{"error": {"code", "message", "details"}}` with
    /// the error's status, the invalid items as details, and `Retry-After` when retryable.
    pub fn json_response(&self, retry_after_seconds: u64) -> axum::response::Response {
        let details = match self {
            IngestError::InvalidBatch { items, .. } => items.as_slice(),
            _ => &[],
        };
        // Serialized straight from the items: a `serde_json::Value` of them first cost about
        // 1 KB per item, 14 GB for a 16 MiB body of `1\n` lines.
        error::json_response(
            self.code(),
            self.public_message(),
            details,
            self.retry_after_seconds(retry_after_seconds),
        )
    }
}

/// An ingest error answered as the JSON receivers answer it ([`IngestError::json_response`]),
/// with the configured `Retry-After`.
#[derive(Debug)]
pub struct JsonRejection {
    pub error: IngestError,
    /// Seconds to wait before retrying, unless the token's rate limit says otherwise.
    pub retry_after_seconds: u64,
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        self.error.json_response(self.retry_after_seconds)
    }
}
