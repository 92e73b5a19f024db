//! `POST /loki/api/v1/push` (and the legacy `/api/prom/push`): the Loki receiver's HTTP shell.
//! Answers 204 once every record is committed, and errors in Loki's text style.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flate2::read::{DeflateDecoder, ZlibDecoder};
use serde::Deserialize;

use super::{Push, decode_json, decode_protobuf};
use crate::auth::Credentials;
use crate::error;
use crate::ingest::error::IngestError;
use crate::ingest::{Decoded, Ingest, RequestContext};
use crate::metrics::Protocol;

const PROTOCOL: Protocol = Protocol::loki;

/// The content types taken: JSON, and protobuf under the names Loki's clients send. Loki reads
/// any other type as protobuf too; the bridge refuses the ones a browser may send cross-site,
/// and takes a missing type (some clients send none) only without a disallowed `Origin`.
const MEDIA_TYPES: &[&str] = &[
    "application/json",
    "application/x-protobuf",
    "application/protobuf",
    "application/octet-stream",
];

/// Query parameters of the Loki receiver.
#[derive(Debug, Deserialize)]
pub struct Params {
    /// Service of records whose labels and line name none.
    service: Option<String>,
}

/// How the push body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Protobuf,
    Json,
}

/// The compression under the format: gzip is undone by [`Ingest::read`]'s body, deflate here;
/// snappy is the protobuf format's own, whatever the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Passed,
    Deflate,
}

/// Handles a push.
#[utoipa::path(post, path = "/loki/api/v1/push", operation_id = "loki_push", tag = "ingest",
    description = "Loki's push API: protobuf `PushRequest` with snappy, or JSON (gzip or deflate \
        allowed). Errors are answered in text, as Loki does.",
    params(("service" = Option<String>, Query, description = "Service of streams naming none")),
    request_body(content(
        (crate::ingest::openapi::LokiPush = "application/json"),
        (Vec<u8> = "application/x-protobuf"), (Vec<u8> = "application/protobuf"),
        (Vec<u8> = "application/octet-stream"))),
    responses((status = 204, description = "Committed"), crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn push(
    State(ingest): State<Ingest>,
    Query(params): Query<Params>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, TextRejection> {
    let pushed = receive(&ingest, params, &credentials, headers, body).await;
    pushed.map_err(|error| TextRejection {
        retry_after_seconds: error.retry_after_seconds(ingest.retry_after_seconds()),
        error,
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn receive(
    ingest: &Ingest,
    params: Params,
    credentials: &Credentials,
    mut headers: HeaderMap,
    body: Body,
) -> Result<(), IngestError> {
    let format = format(ingest, &headers)?;
    ingest.authenticate(PROTOCOL, credentials).await?;
    let compression = compression(&mut headers);
    let raw = ingest.read(PROTOCOL, &headers, body).await?;
    let push = Push {
        tenant: tenant(&headers),
        max_bytes: ingest.max_body_bytes(),
    };
    let decode = move |bytes: &[u8], context: &RequestContext| -> Result<Decoded, IngestError> {
        let inflated = match compression {
            Compression::Deflate => Some(inflate(bytes, push.max_bytes)?),
            Compression::Passed => None,
        };
        let bytes = inflated.as_deref().unwrap_or(bytes);
        match format {
            Format::Protobuf => decode_protobuf(bytes, context, &push),
            Format::Json => decode_json(bytes, context, &push),
        }
    };
    ingest.accept(PROTOCOL, raw, params.service, decode).await?;
    Ok(())
}

/// The body's format, once the cross-site checks passed: JSON for `application/json`,
/// protobuf for the protobuf types and for a request without a content type.
fn format(ingest: &Ingest, headers: &HeaderMap) -> Result<Format, IngestError> {
    if !headers.contains_key(CONTENT_TYPE) {
        let checked = ingest.origins().check(headers);
        checked.map_err(|error| ingest.refuse(PROTOCOL, error))?;
        return Ok(Format::Protobuf);
    }
    match ingest
        .check_cross_site(PROTOCOL, headers, MEDIA_TYPES)?
        .as_str()
    {
        "application/json" => Ok(Format::Json),
        _ => Ok(Format::Protobuf),
    }
}

/// Reads `Content-Encoding` as Loki does: `snappy` names the protobuf format's own
/// compression and `deflate` is undone by the decoder, so both leave the header; gzip and
/// anything else stay for the body reader (which refuses what it does not know).
fn compression(headers: &mut HeaderMap) -> Compression {
    let encoding = headers.get(CONTENT_ENCODING).and_then(|v| v.to_str().ok());
    let encoding = encoding.map(|e| e.trim().to_ascii_lowercase());
    let compression = match encoding.as_deref() {
        Some("snappy") => Compression::Passed,
        Some("deflate") => Compression::Deflate,
        _ => return Compression::Passed,
    };
    headers.remove(CONTENT_ENCODING);
    compression
}

/// Inflates a deflate body, zlib-wrapped (what HTTP means) or raw (what Go's `flate` reads),
/// answering 413 past `limit` bytes.
fn inflate(compressed: &[u8], limit: usize) -> Result<Bytes, IngestError> {
    let zlib = compressed.len() >= 2
        && compressed[0] & 0x0f == 8
        && u16::from_be_bytes([compressed[0], compressed[1]]).is_multiple_of(31);
    let reader: Box<dyn Read> = match zlib {
        true => Box::new(ZlibDecoder::new(compressed)),
        false => Box::new(DeflateDecoder::new(compressed)),
    };
    let mut out = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| IngestError::Decode(format!("invalid deflate: {e}")))?;
    if out.len() > limit {
        return Err(IngestError::TooLarge { limit });
    }
    Ok(out.into())
}

fn tenant(headers: &HeaderMap) -> Option<String> {
    let tenant = headers.get("x-scope-orgid")?.to_str().ok()?.trim();
    (!tenant.is_empty()).then(|| tenant.to_string())
}

/// An error answered as Loki answers one: its status and a text/plain line saying what was
/// wrong, with `Retry-After` when the client should retry.
#[derive(Debug)]
pub struct TextRejection {
    pub error: IngestError,
    pub retry_after_seconds: u64,
}

impl IntoResponse for TextRejection {
    fn into_response(self) -> Response {
        let code = self.error.code();
        let text = format!("{}\n", self.error.public_message());
        let content_type = [(CONTENT_TYPE, "text/plain; charset=utf-8")];
        let mut response = (code.http_status(), content_type, text).into_response();
        error::with_headers(&mut response, code, self.retry_after_seconds);
        response
    }
}

/// Handles a push on Loki's legacy path.
#[utoipa::path(post, path = "/api/prom/push", operation_id = "loki_push_legacy", tag = "ingest",
    description = "Loki's legacy push path; the same as `POST /loki/api/v1/push`.",
    params(("service" = Option<String>, Query, description = "Service of streams naming none")),
    request_body(content(
        (crate::ingest::openapi::LokiPush = "application/json"),
        (Vec<u8> = "application/x-protobuf"), (Vec<u8> = "application/protobuf"),
        (Vec<u8> = "application/octet-stream"))),
    responses((status = 204, description = "Committed"), crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn push_legacy(
    state: State<Ingest>,
    params: Query<Params>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, TextRejection> {
    push(state, params, credentials, headers, body).await
}
