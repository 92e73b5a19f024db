//! Errors of the read API, answered through the one error table and body of [`crate::error`].

use serde_json::{Value, json};

use super::params::ParamError;
use crate::auth::AuthError;
use crate::error::{self, ErrorCode};

pub use crate::error::ErrorBody;

/// An error answer of the read API.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
    retry_after_seconds: u64,
}

impl ApiError {
    fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: Value::Null,
            retry_after_seconds: 1,
        }
    }

    /// 400: a query parameter or body field is invalid.
    pub fn invalid(parameter: &str, reason: impl Into<String>) -> ApiError {
        let reason = reason.into();
        let mut error = ApiError::new(
            ErrorCode::InvalidParameter,
            format!("invalid parameter {parameter:?}: {reason}"),
        );
        error.details = json!({ "parameter": parameter, "reason": reason });
        error
    }

    /// An answer of `code` saying `message` (the source map API's refusals).
    pub fn coded(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(code, message)
    }

    /// 404: nothing with this id, or nothing the caller may see.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 403: outside the caller's role or scope.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Forbidden, message)
    }

    /// 503 with Retry-After: every connection of a pool is taken; not an outage.
    pub fn busy(what: &str) -> ApiError {
        ApiError::new(
            ErrorCode::Busy,
            format!("the {what} is busy; retry in a moment"),
        )
    }

    /// 429 with Retry-After: the token has as many reads in flight as it may.
    pub fn too_many_in_flight(limit: u32) -> ApiError {
        ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "this token already has {limit} reads or exports in flight; retry when one ends"
            ),
        )
    }

    /// 429 with Retry-After: the bridge has as many live tails open as it may.
    pub fn too_many_tails(max: usize) -> ApiError {
        ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "{max} live tails are open on this bridge (query.tail.max_streams); retry when one ends"
            ),
        )
    }

    /// 503 with Retry-After: the database is unavailable.
    pub fn unavailable() -> ApiError {
        ApiError::new(ErrorCode::Unavailable, "the database is unavailable")
    }

    /// 422: a reloaded configuration file was refused (`message` is the startup's error).
    pub fn invalid_config(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidConfig, message)
    }

    /// 503 with Retry-After: the bridge is stopping.
    pub fn shutting_down() -> ApiError {
        ApiError::new(ErrorCode::ShuttingDown, "the bridge is shutting down")
    }

    /// 500 or 503 for a failed query; the cause is logged, never sent.
    pub fn database(error: sqlx::Error) -> ApiError {
        if matches!(error, sqlx::Error::PoolTimedOut) {
            return ApiError::busy("read pool");
        }
        if crate::store::is_connection_error(&error) {
            tracing::warn!(%error, "read query: database unavailable");
            return ApiError::new(ErrorCode::Unavailable, "the database is unavailable");
        }
        if crate::store::is_query_canceled(&error) {
            return ApiError::new(
                ErrorCode::QueryTimeout,
                "the query took too long; narrow the time range or the filters",
            );
        }
        tracing::error!(%error, "read query failed");
        ApiError::new(ErrorCode::Internal, "internal error")
    }

    /// The HTTP status answering this error.
    pub fn status(&self) -> axum::http::StatusCode {
        self.code.http_status()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::database(error)
    }
}

impl From<ParamError> for ApiError {
    fn from(error: ParamError) -> Self {
        ApiError::invalid(error.parameter.as_deref().unwrap_or("query"), error.reason)
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let mut answer = ApiError::new(error.code(), error.to_string());
        answer.retry_after_seconds = error.retry_after_seconds().unwrap_or(1);
        answer
    }
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        error::json_response(
            self.code,
            self.message,
            self.details,
            self.retry_after_seconds,
        )
    }
}
