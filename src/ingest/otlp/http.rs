//! OTLP/HTTP receiver: `POST /v1/logs` in protobuf or JSON, gzip or not, answering in the
//! request's encoding as the OTLP specification asks; [`receive`] is the checks every OTLP/HTTP
//! request passes, `POST /v1/traces` ([`super::traces::http`]) included.

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
use crate::auth::Credentials;
use crate::ingest::body::Raw;
use crate::ingest::error::IngestError;
use crate::ingest::{Ingest, cross_site};
use crate::metrics::{BrowserReceiver, Protocol};

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
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// The encoding the request's content type names, if it names one of the two; a beacon's
    /// `text/plain` is JSON when the request's key is in its URL.
    fn of(headers: &HeaderMap, credentials: &Credentials) -> Result<Encoding, IngestError> {
        let expected: &'static [&'static str] = if credentials.key_in_url() {
            &[PROTOBUF, JSON, cross_site::BEACON_MEDIA_TYPE]
        } else {
            &[PROTOBUF, JSON]
        };
        match cross_site::require_media_type(headers, expected)?.as_str() {
            PROTOBUF => Ok(Encoding::Protobuf),
            _ => Ok(Encoding::Json),
        }
    }

    /// The `protocol` label of a logs request in this encoding.
    fn protocol(self) -> Protocol {
        match self {
            Encoding::Protobuf => Protocol::otlp_http_protobuf,
            Encoding::Json => Protocol::otlp_http_json,
        }
    }

    /// The `Content-Type` of requests and answers in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => PROTOBUF,
            Encoding::Json => JSON,
        }
    }
}

/// Handles `POST /v1/logs`.
#[utoipa::path(post, path = "/v1/logs", operation_id = "otlp_logs", tag = "ingest",
    description = "OTLP/HTTP logs, optionally gzip (`Content-Encoding: gzip`). Answers in the \
        request's encoding; invalid records are refused through `partialSuccess`.",
    request_body(description = "`ExportLogsServiceRequest`", content(
        (Vec<u8> = "application/x-protobuf"), (serde_json::Value = "application/json"))),
    responses((status = 200, description = "Committed; `ExportLogsServiceResponse`"),
        crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn export(
    State(logs): State<OtlpLogs>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<Answer, Rejection> {
    let ingest = &logs.ingest;
    let (encoding, raw) = receive(ingest, Encoding::protocol, &credentials, &headers, body).await?;
    let decode = match encoding {
        Encoding::Protobuf => decode_protobuf,
        Encoding::Json => decode_json,
    };
    let exported = logs.export(encoding.protocol(), raw, decode).await;
    let partial = exported.map_err(|error| Rejection::of(ingest, encoding, error))?;
    Ok(Answer { encoding, partial })
}

/// The checks of an OTLP/HTTP request, in order: its content type names an encoding, its origin
/// and credentials (the `Authorization` header, else a browser key in `?key=`) are allowed (a
/// browser key limits the records to its service, see [`Ingest::authenticate_browser`]), and
/// its body is within the size limit. Gives the encoding
/// and the body; a refusal is counted under `protocol` of the encoding.
pub async fn receive(
    ingest: &Ingest,
    protocol: fn(Encoding) -> Protocol,
    credentials: &Credentials,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Encoding, Raw), Rejection> {
    let credentials = &credentials.clone().or_query_key();
    let encoding = Encoding::of(headers, credentials).map_err(|error| {
        let error = ingest.refuse(protocol(Encoding::Protobuf), error);
        Rejection::of(ingest, Encoding::Json, error)
    })?;
    let receiver = match protocol(encoding) {
        Protocol::otlp_http_protobuf_traces | Protocol::otlp_http_json_traces => {
            BrowserReceiver::otlp_traces
        }
        _ => BrowserReceiver::otlp_logs,
    };
    let protocol = protocol(encoding);
    let received = async {
        let scope = ingest
            .authenticate_browser(protocol, receiver, credentials, headers)
            .await?;
        let raw = ingest.read(protocol, headers, body).await?;
        Ok(raw.scoped_to(scope))
    };
    let raw = received
        .await
        .map_err(|error| Rejection::of(ingest, encoding, error))?;
    Ok((encoding, raw))
}

/// A successful export's answer, in the request's encoding.
pub struct Answer {
    encoding: Encoding,
    partial: Option<ExportLogsPartialSuccess>,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let body = match (self.encoding, self.partial) {
            (Encoding::Protobuf, partial_success) => {
                let response = ExportLogsServiceResponse { partial_success };
                response.encode_to_vec()
            }
            // `partialSuccess` only when something was rejected; never `null`.
            (Encoding::Json, Some(p)) => json!({"partialSuccess": {
                "rejectedLogRecords": p.rejected_log_records.to_string(),
                "errorMessage": p.error_message,
            }})
            .to_string()
            .into_bytes(),
            (Encoding::Json, None) => b"{}".to_vec(),
        };
        let content_type = self.encoding.content_type();
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    }
}

/// An error answered as OTLP/HTTP does: a `google.rpc.Status` in the request's encoding.
#[derive(Debug)]
pub struct Rejection {
    pub error: IngestError,
    pub encoding: Encoding,
    pub retry_after_seconds: u64,
}

impl Rejection {
    /// The answer to `error` in `encoding`.
    pub fn of(ingest: &Ingest, encoding: Encoding, error: IngestError) -> Rejection {
        Rejection {
            error,
            encoding,
            retry_after_seconds: ingest.retry_after_seconds(),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = RpcStatus {
            code: self.error.grpc_code() as i32,
            message: self.error.public_message(),
        };
        let body = match self.encoding {
            Encoding::Protobuf => status.encode_to_vec(),
            Encoding::Json => {
                let body = json!({"code": status.code, "message": status.message});
                body.to_string().into_bytes()
            }
        };
        let code = self.error.code();
        let content_type = self.encoding.content_type();
        let parts = [(header::CONTENT_TYPE, content_type)];
        let mut response = (code.http_status(), parts, body).into_response();
        // Only `Retry-After`, as OTLP/HTTP always answered: no bearer challenge on 401, and
        // the configured delay even when a token's rate limit refused the request.
        if code.is_retryable() {
            let seconds = HeaderValue::from(self.retry_after_seconds);
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}
