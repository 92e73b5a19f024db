//! The one error surface of every answer, ingest and reads alike: an [`ErrorCode`] per kind of
//! failure, one table from code to HTTP status, gRPC code and metric labels, and the one JSON
//! body `{"error": {"code", "message", "details"}}` with `Retry-After` and `WWW-Authenticate`
//! where they belong. Module errors (`IngestError`, `ApiError`, ...) name their code; this
//! module turns it into an answer.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::metrics::{Outcome, RejectReason};

/// What went wrong, as clients (and tests) tell it apart: the `code` of an error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body cannot be decoded in its format.
    DecodeError,
    /// A JSON batch holds invalid items; `details` lists them.
    InvalidBatch,
    /// The body, or what it holds, is over a limit.
    TooLarge,
    /// The content type or encoding is not one the endpoint takes.
    UnsupportedMediaType,
    /// A query parameter or body field of the read API is invalid.
    InvalidParameter,
    /// Nothing with this id, or nothing the caller may see.
    NotFound,
    /// No bearer token, or one that is invalid or revoked.
    Unauthorized,
    /// The token's role or scope does not allow this.
    Forbidden,
    /// Too many requests for this token.
    RateLimited,
    /// The ingest queue is full.
    QueueFull,
    /// A service is over its quota (`policy.quotas`).
    OverQuota,
    /// The database is unavailable.
    Unavailable,
    /// Every connection of a pool is taken (the read or audit pool): retry shortly.
    Busy,
    /// The bridge is shutting down.
    ShuttingDown,
    /// A read query ran past its statement timeout.
    QueryTimeout,
    /// A reloaded configuration file was refused; the running configuration stays in force.
    InvalidConfig,
    /// Our fault; the cause is logged, never sent.
    Internal,
}

impl ErrorCode {
    /// The HTTP status answering this code: the one table every protocol derives from.
    pub fn http_status(self) -> StatusCode {
        match self {
            ErrorCode::DecodeError | ErrorCode::InvalidBatch | ErrorCode::InvalidParameter => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited | ErrorCode::QueueFull | ErrorCode::OverQuota => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ErrorCode::Unavailable | ErrorCode::Busy | ErrorCode::ShuttingDown => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorCode::QueryTimeout | ErrorCode::InvalidConfig => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The gRPC code answering this code; UNAVAILABLE is the retryable one in OTLP.
    pub fn grpc_code(self) -> tonic::Code {
        match self {
            ErrorCode::DecodeError
            | ErrorCode::InvalidBatch
            | ErrorCode::InvalidParameter
            | ErrorCode::UnsupportedMediaType => tonic::Code::InvalidArgument,
            ErrorCode::TooLarge => tonic::Code::ResourceExhausted,
            ErrorCode::NotFound => tonic::Code::NotFound,
            ErrorCode::Unauthorized => tonic::Code::Unauthenticated,
            ErrorCode::Forbidden => tonic::Code::PermissionDenied,
            ErrorCode::RateLimited
            | ErrorCode::QueueFull
            | ErrorCode::OverQuota
            | ErrorCode::Unavailable
            | ErrorCode::Busy
            | ErrorCode::ShuttingDown => tonic::Code::Unavailable,
            ErrorCode::QueryTimeout => tonic::Code::DeadlineExceeded,
            ErrorCode::InvalidConfig => tonic::Code::FailedPrecondition,
            ErrorCode::Internal => tonic::Code::Internal,
        }
    }

    /// The `reason` label of `logbridge_ingest_rejected_records_total`, for the input's faults.
    pub fn reject_reason(self) -> Option<RejectReason> {
        match self {
            ErrorCode::DecodeError => Some(RejectReason::decode_error),
            ErrorCode::InvalidBatch => Some(RejectReason::invalid_record),
            ErrorCode::TooLarge => Some(RejectReason::too_large),
            ErrorCode::UnsupportedMediaType => Some(RejectReason::unsupported_media_type),
            ErrorCode::Unauthorized | ErrorCode::Forbidden => Some(RejectReason::unauthorized),
            _ => None,
        }
    }

    /// The `outcome` label of the ingest request metrics.
    pub fn outcome(self) -> Outcome {
        match self.http_status() {
            StatusCode::TOO_MANY_REQUESTS => Outcome::throttled,
            StatusCode::SERVICE_UNAVAILABLE => Outcome::unavailable,
            status if status.is_client_error() => Outcome::rejected,
            _ => Outcome::failed,
        }
    }

    /// Whether the client should retry later; such answers carry `Retry-After`.
    pub fn is_retryable(self) -> bool {
        matches!(
            self.http_status(),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        )
    }

    /// The code as it appears in error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::DecodeError => "decode_error",
            ErrorCode::InvalidBatch => "invalid_batch",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QueueFull => "queue_full",
            ErrorCode::OverQuota => "over_quota",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Busy => "busy",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::QueryTimeout => "query_timeout",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::Internal => "internal",
        }
    }
}

/// `{"error": {...}}`, the body of every JSON error answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<D: Serialize = serde_json::Value> {
    pub error: ErrorDetail<D>,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail<D: Serialize = serde_json::Value> {
    /// Machine-readable: `invalid_parameter`, `unauthorized`, `too_large`, ...
    pub code: ErrorCode,
    /// For people: the input's fault in detail, ours in general terms.
    pub message: String,
    /// Specifics: the offending parameter, or the invalid items of a batch.
    #[schema(value_type = Object)]
    pub details: D,
}

/// A JSON error answer: the code's status, the body, `Retry-After` when retryable (`retry_after`
/// seconds), and the bearer challenge on 401.
pub fn json_response<D: Serialize>(
    code: ErrorCode,
    message: String,
    details: D,
    retry_after: u64,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message,
            details,
        },
    };
    let mut response = (code.http_status(), axum::Json(body)).into_response();
    with_headers(&mut response, code, retry_after);
    response
}

/// Adds the headers every error answer of `code` carries, whatever its body's format.
pub fn with_headers(response: &mut Response, code: ErrorCode, retry_after: u64) {
    let headers = response.headers_mut();
    if code.is_retryable() {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
    if code == ErrorCode::Unauthorized {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_retryable_code_maps_to_grpc_unavailable() {
        let codes = [
            ErrorCode::RateLimited,
            ErrorCode::QueueFull,
            ErrorCode::Unavailable,
        ];
        for code in codes {
            assert!(code.is_retryable());
            assert_eq!(code.grpc_code(), tonic::Code::Unavailable);
        }
        assert!(!ErrorCode::Internal.is_retryable());
    }

    #[test]
    fn codes_serialize_as_their_names() {
        let json = serde_json::to_string(&ErrorCode::UnsupportedMediaType).unwrap();
        assert_eq!(
            json,
            format!("\"{}\"", ErrorCode::UnsupportedMediaType.as_str())
        );
    }
}
