//! OTLP/HTTP receiver: `POST /v1/logs` in protobuf or JSON, gzip or not, answering in the
//! request's encoding as the OTLP specification asks.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use prost::Message;
use serde_json::json;

use super::{OtlpLogs, decode_json, decode_protobuf};
use crate::ingest::body;
use crate::ingest::error::IngestError;
use crate::metrics::Protocol;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// `google.rpc.Status`, the body of OTLP/HTTP error answers.
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// The encoding of a request, which is also the encoding of its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

/// Handles `POST /v1/logs`.
pub async fn export(State(logs): State<OtlpLogs>, headers: HeaderMap, body: Body) -> Response {
    let encoding = match body::media_type(&headers).as_str() {
        PROTOBUF => Encoding::Protobuf,
        JSON => Encoding::Json,
        other => {
            let error = IngestError::UnsupportedMediaType(other.to_string());
            logs.observe_failure(Protocol::otlp_http_protobuf, &error);
            return failure(&logs, Encoding::Json, &error);
        }
    };
    let protocol = match encoding {
        Encoding::Protobuf => Protocol::otlp_http_protobuf,
        Encoding::Json => Protocol::otlp_http_json,
    };
    match decode_and_export(&logs, &headers, body, encoding, protocol).await {
        Ok(partial) => success(encoding, partial),
        Err(error) => failure(&logs, encoding, &error),
    }
}

async fn decode_and_export(
    logs: &OtlpLogs,
    headers: &HeaderMap,
    body: Body,
    encoding: Encoding,
    protocol: Protocol,
) -> Result<Option<ExportLogsPartialSuccess>, IngestError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let authorized = logs.ingest.authorize(authorization).await;
    authorized.inspect_err(|error| logs.observe_failure(protocol, error))?;
    let bounds = logs.ingest.bounds();
    let decoded = body::read(headers, body, logs.ingest.max_body_bytes())
        .await
        .and_then(|bytes| match encoding {
            Encoding::Protobuf => decode_protobuf(&bytes, bounds),
            Encoding::Json => decode_json(&bytes, bounds),
        });
    let request = decoded.inspect_err(|error| logs.observe_failure(protocol, error))?;
    logs.export(request, protocol).await
}

fn success(encoding: Encoding, partial: Option<ExportLogsPartialSuccess>) -> Response {
    match encoding {
        Encoding::Protobuf => {
            let response = ExportLogsServiceResponse {
                partial_success: partial,
            };
            ([(header::CONTENT_TYPE, PROTOBUF)], response.encode_to_vec()).into_response()
        }
        Encoding::Json => {
            // `partialSuccess` only when something was rejected; never `null`.
            let body = match partial {
                Some(p) => json!({"partialSuccess": {
                    "rejectedLogRecords": p.rejected_log_records.to_string(),
                    "errorMessage": p.error_message,
                }}),
                None => json!({}),
            };
            ([(header::CONTENT_TYPE, JSON)], body.to_string()).into_response()
        }
    }
}

fn failure(logs: &OtlpLogs, encoding: Encoding, error: &IngestError) -> Response {
    let status = RpcStatus {
        code: error.grpc_code() as i32,
        message: error.public_message(),
    };
    let (content_type, body) = match encoding {
        Encoding::Protobuf => (PROTOBUF, status.encode_to_vec()),
        Encoding::Json => {
            let body = json!({"code": status.code, "message": status.message});
            (JSON, body.to_string().into_bytes())
        }
    };
    let mut response = (
        error.http_status(),
        [(header::CONTENT_TYPE, content_type)],
        body,
    )
        .into_response();
    if error.is_retryable() {
        let seconds = HeaderValue::from(logs.ingest.retry_after_seconds());
        response.headers_mut().insert(header::RETRY_AFTER, seconds);
    }
    response
}
