//! OTLP/HTTP trace receiver: `POST /v1/traces` in protobuf or JSON, gzip or not, through the
//! same checks as `POST /v1/logs` ([`receive`]), answering in the request's encoding.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;
use serde_json::json;

use super::{OtlpTraces, decode_json, decode_protobuf};
use crate::auth::Credentials;
use crate::ingest::otlp::http::{Encoding, Rejection, receive};
use crate::metrics::Protocol;

/// The `protocol` label of a traces request in this encoding.
fn protocol(encoding: Encoding) -> Protocol {
    match encoding {
        Encoding::Protobuf => Protocol::otlp_http_protobuf_traces,
        Encoding::Json => Protocol::otlp_http_json_traces,
    }
}

/// Handles `POST /v1/traces`.
#[utoipa::path(post, path = "/v1/traces", operation_id = "otlp_traces", tag = "ingest",
    description = "OTLP/HTTP traces, optionally gzip (`Content-Encoding: gzip`). Answers in the \
        request's encoding; invalid spans are refused through `partialSuccess`.",
    request_body(description = "`ExportTraceServiceRequest`", content(
        (Vec<u8> = "application/x-protobuf"), (serde_json::Value = "application/json"))),
    responses((status = 200, description = "Committed; `ExportTraceServiceResponse`"),
        crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn export(
    State(traces): State<OtlpTraces>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<Answer, Rejection> {
    let ingest = traces.ingest();
    let (encoding, raw) = receive(ingest, protocol, &credentials, &headers, body).await?;
    let decode = match encoding {
        Encoding::Protobuf => decode_protobuf,
        Encoding::Json => decode_json,
    };
    let exported = traces.export(protocol(encoding), raw, decode).await;
    let partial = exported.map_err(|error| Rejection::of(ingest, encoding, error))?;
    Ok(Answer { encoding, partial })
}

/// A successful export's answer, in the request's encoding.
pub struct Answer {
    encoding: Encoding,
    partial: Option<ExportTracePartialSuccess>,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let body = match (self.encoding, self.partial) {
            (Encoding::Protobuf, partial_success) => {
                let response = ExportTraceServiceResponse { partial_success };
                response.encode_to_vec()
            }
            // `partialSuccess` only when something was rejected; never `null`.
            (Encoding::Json, Some(p)) => json!({"partialSuccess": {
                "rejectedSpans": p.rejected_spans.to_string(),
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
