//! The HTTP shell of the `/es` root: the bulk handlers, the token check of the setup calls and
//! the layer that makes every answer look like Elasticsearch's.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::oneshot;

use super::answer::{self, BulkAnswer};
use super::{Elastic, decode};
use crate::auth::Credentials;
use crate::ingest::error::IngestError;
use crate::ingest::{Ingest, RequestContext};
use crate::metrics::Protocol;

const PROTOCOL: Protocol = Protocol::elasticsearch;

/// The content types of bulk bodies: NDJSON, JSON (Filebeat) and the vendor types of the
/// official clients (`; compatible-with=8|9` is a parameter, ignored).
const MEDIA_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/json",
    "application/vnd.elasticsearch+x-ndjson",
    "application/vnd.elasticsearch+json",
];

/// Query parameters of `_bulk`; the others (`timeout`, `pipeline`, `refresh`...) are ignored.
#[derive(Debug, Deserialize)]
pub struct Params {
    /// Service of documents that name none.
    service: Option<String>,
    /// The members of the answer to keep (`errors,items.*.error,items.*.status`).
    filter_path: Option<String>,
}

/// `POST|PUT /es/_bulk`.
#[utoipa::path(method(post, put), path = "/_bulk", operation_id = "elastic_bulk",
    tag = "ingest", description = "Elasticsearch's bulk API for log shippers.",
    params(("service" = Option<String>, Query, description = "Service of documents naming none")),
    request_body(description = "NDJSON: an action line (`index`, `create`; `update` and \\
        `delete` are answered as refused items) then a document line, per document", content(
        (String = "application/x-ndjson"), (String = "application/json"),
        (String = "application/vnd.elasticsearch+x-ndjson"),
        (String = "application/vnd.elasticsearch+json"))),
    responses((status = 200, description = "Committed: Elasticsearch's bulk answer, an item \\
        per action"), crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn bulk(
    State(elastic): State<Elastic>,
    Query(params): Query<Params>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Rejection> {
    answer(&elastic.ingest, None, params, &credentials, &headers, body).await
}

/// `POST|PUT /es/{index}/_bulk`.
#[utoipa::path(method(post, put), path = "/{index}/_bulk", operation_id = "elastic_bulk_into",
    tag = "ingest", description = "Elasticsearch's bulk API into an index (the default `_index`).",
    params(("index" = String, Path, description = "The index of actions naming none"),
        ("service" = Option<String>, Query, description = "Service of documents naming none")),
    request_body(description = "NDJSON: an action line (`index`, `create`; `update` and \\
        `delete` are answered as refused items) then a document line, per document", content(
        (String = "application/x-ndjson"), (String = "application/json"),
        (String = "application/vnd.elasticsearch+x-ndjson"),
        (String = "application/vnd.elasticsearch+json"))),
    responses((status = 200, description = "Committed: Elasticsearch's bulk answer, an item \\
        per action"), crate::ingest::openapi::IngestRefusals),
    security((), ("bearer" = []), ("basic" = [])))]
pub async fn bulk_into(
    State(elastic): State<Elastic>,
    Path(index): Path<String>,
    Query(params): Query<Params>,
    credentials: Credentials,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Rejection> {
    let index = Some(index);
    answer(&elastic.ingest, index, params, &credentials, &headers, body).await
}

/// Answers 200 with an item per action once the stored documents are committed.
async fn answer(
    ingest: &Ingest,
    index: Option<String>,
    params: Params,
    credentials: &Credentials,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Rejection> {
    let started = Instant::now();
    let filter_path = params.filter_path;
    let received = receive(ingest, index, params.service, credentials, headers, body).await;
    let items = received.map_err(|error| Rejection::new(ingest, error))?;
    let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let body = BulkAnswer::new(took, items).encode(filter_path.as_deref());
    Ok(answer::json_response(StatusCode::OK, body))
}

async fn receive(
    ingest: &Ingest,
    index: Option<String>,
    service: Option<String>,
    credentials: &Credentials,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<answer::Item>, IngestError> {
    ingest.check_cross_site(PROTOCOL, headers, MEDIA_TYPES)?;
    ingest.authenticate(PROTOCOL, credentials).await?;
    let raw = ingest.read(PROTOCOL, headers, body).await?;
    // The items leave the decoder (on the CPU pool) beside the records it hands to the store.
    let (items_sender, items) = oneshot::channel();
    let decode = move |bytes: &[u8], context: &RequestContext| {
        let bulk = decode(bytes, index.as_deref(), context)?;
        let _ = items_sender.send(bulk.items);
        Ok(bulk.decoded)
    };
    ingest.accept(PROTOCOL, raw, service, decode).await?;
    Ok(items.await.expect("accepted requests were decoded"))
}

/// An ingest error in Elasticsearch's error shape, `Retry-After` on 429 and 503.
#[derive(Debug)]
pub struct Rejection {
    error: IngestError,
    retry_after_seconds: u64,
}

impl Rejection {
    fn new(ingest: &Ingest, error: IngestError) -> Rejection {
        let retry_after_seconds = error.retry_after_seconds(ingest.retry_after_seconds());
        Rejection {
            error,
            retry_after_seconds,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = self.error.http_status();
        let retry_after = (self.error.is_retryable()).then_some(self.retry_after_seconds);
        let reason = self.error.public_message();
        answer::error(status, answer::error_type(status), &reason, retry_after)
    }
}

/// Refuses a setup call without the credentials ingest needs (a token when one is given or
/// `ingest.require_token` is set).
pub async fn authenticated(
    State(elastic): State<Elastic>,
    credentials: Credentials,
    request: Request,
    next: Next,
) -> Response {
    match elastic.ingest.authenticate(PROTOCOL, &credentials).await {
        Ok(()) => next.run(request).await,
        Err(error) => Rejection::new(&elastic.ingest, error).into_response(),
    }
}

/// Longest failed answer read back to be turned into Elasticsearch's error shape; a longer one
/// keeps only its status's reason.
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// The outermost layer of the HTTP router (outside the listener's body admission, whose 503s
/// it covers too), acting on answers under `/es` only: `X-Elastic-Product: Elasticsearch` (the
/// official clients refuse a server without it), and a JSON body: a failed answer not already
/// in Elasticsearch's error shape (the router's 405, a query string that does not parse, the
/// listener's JSON 503) is turned into it.
pub async fn product(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let under_es = path == "/es" || path.starts_with("/es/");
    let response = next.run(request).await;
    if !under_es {
        return response;
    }
    let failed = response.status().is_client_error() || response.status().is_server_error();
    let mut response = match failed {
        true => as_error(response).await,
        false => response,
    };
    let content_type = HeaderValue::from_static(answer::JSON);
    let headers = response.headers_mut();
    headers.entry(header::CONTENT_TYPE).or_insert(content_type);
    let product = HeaderName::from_static("x-elastic-product");
    let elasticsearch = HeaderValue::from_static("Elasticsearch");
    response.headers_mut().insert(product, elasticsearch);
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    let value = headers.get(header::CONTENT_TYPE);
    value
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("json"))
}

/// A failed answer as an Elasticsearch error of the same status, unless it is one already: the
/// reason is the bridge's error message, or the body's text.
async fn as_error(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BYTES).await;
    let bytes = bytes.unwrap_or_default();
    let json = is_json(&parts.headers)
        .then(|| serde_json::from_slice::<Value>(&bytes).ok())
        .flatten();
    if json
        .as_ref()
        .is_some_and(|json| json["error"]["type"].is_string())
    {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let message = json
        .as_ref()
        .and_then(|json| json["error"]["message"].as_str());
    let status = parts.status;
    let reason = match message.map(str::to_string) {
        Some(message) => message,
        None => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let reason = match reason.trim() {
        "" => status.canonical_reason().unwrap_or("").to_string(),
        _ => reason,
    };
    let mut answer = answer::error(status, answer::error_type(status), &reason, None);
    if let Some(retry_after) = parts.headers.get(header::RETRY_AFTER) {
        let retry_after = retry_after.clone();
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    answer
}
