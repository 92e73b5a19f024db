//! Errors of the read API: `{"error": {"code", "message", "details"}}` with a precise status.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use crate::auth::AuthError;

/// An error answer of the read API.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    retry_after_seconds: Option<u64>,
}

/// The body of an error answer, for the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: `invalid_parameter`, `unauthorized`, `forbidden`, `not_found`, ...
    pub code: String,
    pub message: String,
    /// Specifics, such as the offending parameter.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
            retry_after_seconds: None,
        }
    }

    /// 400: a query parameter or body field is invalid.
    pub fn invalid(parameter: &str, reason: impl Into<String>) -> ApiError {
        let reason = reason.into();
        let mut error = ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("invalid parameter {parameter:?}: {reason}"),
        );
        error.details = json!({ "parameter": parameter, "reason": reason });
        error
    }

    /// 404: nothing with this id, or nothing the caller may see.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 403: outside the caller's role or scope.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 500 or 503 for a failed query; the cause is logged, never sent.
    pub fn database(error: sqlx::Error) -> ApiError {
        if crate::store::is_connection_error(&error) {
            tracing::warn!(%error, "read query: database unavailable");
            let mut answer = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is unavailable",
            );
            answer.retry_after_seconds = Some(1);
            return answer;
        }
        if crate::store::is_query_canceled(&error) {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "query_timeout",
                "the query took too long; narrow the time range or the filters",
            );
        }
        tracing::error!(%error, "read query failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::database(error)
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let message = error.to_string();
        let (status, code) = match &error {
            AuthError::Missing | AuthError::Invalid => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AuthError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            AuthError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AuthError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        };
        let mut answer = ApiError::new(status, code, message);
        answer.retry_after_seconds = match error {
            AuthError::RateLimited {
                retry_after_seconds,
            } => Some(retry_after_seconds),
            AuthError::Unavailable => Some(1),
            _ => None,
        };
        answer
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": { "code": self.code, "message": self.message, "details": self.details }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = header::HeaderValue::from_static("Bearer");
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}
