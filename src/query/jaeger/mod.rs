//! The Jaeger query API under `/jaeger` that Grafana's Jaeger data source calls: services, a
//! service's operations, the trace search, one trace and the service dependencies of the node
//! graph, in Jaeger's JSON shapes. Behind the read API's guard (token, scope, audit) like every
//! read; errors keep their status and headers and come in Jaeger's envelope.

mod params;
mod shape;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::params::Query;
use super::traces::masked_spans;
use super::{Caller, QueryState, with_rows};
use crate::store::read::spans::catalogue::{self, OPERATIONS_LOOKBACK};
use crate::store::read::spans::{self, SpanRow};
use params::{DependencyParams, SearchParams, TraceParams};
use shape::{Envelope, ErrorEntry, ServiceDependency};

/// Spans one answer holds at most; a trace cut there carries a warning.
const MAX_SPANS: i64 = 10_000;

/// The Jaeger routes, unguarded: [`super::router`] puts the guard in front.
pub fn routes() -> OpenApiRouter<QueryState> {
    OpenApiRouter::new()
        .routes(routes!(services))
        .routes(routes!(operations))
        .routes(routes!(search))
        .routes(routes!(trace))
        .routes(routes!(dependencies))
}

/// An error of the Jaeger API: the read API's status and headers, Jaeger's body.
pub struct JaegerError(ApiError);

impl From<ApiError> for JaegerError {
    fn from(error: ApiError) -> Self {
        JaegerError(error)
    }
}

impl From<sqlx::Error> for JaegerError {
    fn from(error: sqlx::Error) -> Self {
        JaegerError(ApiError::from(error))
    }
}

impl IntoResponse for JaegerError {
    fn into_response(self) -> Response {
        let message = self.0.message.clone();
        let (mut parts, _) = self.0.into_response().into_parts();
        let body = Envelope {
            data: serde_json::Value::Null,
            total: 0,
            limit: 0,
            offset: 0,
            errors: Some(vec![ErrorEntry {
                code: parts.status.as_u16(),
                msg: message,
            }]),
        };
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        (parts, Json(body)).into_response()
    }
}

type Answer = Result<Response, JaegerError>;

/// `GET /jaeger/api/services`: the services with spans the caller may read.
#[utoipa::path(get, path = "/jaeger/api/services", operation_id = "jaeger_services",
    tag = "jaeger", responses((status = 200, description = "Jaeger's `{\"data\": ...}` envelope"),
        (status = 400, description = "A parameter is invalid"),
        (status = 401, description = "A token is required"),
        (status = 403, description = "The token may not read"),
        (status = 429, description = "The token's rate or concurrency limit")), security(("bearer" = [])))]
async fn services(State(state): State<QueryState>, caller: Caller) -> Answer {
    let names = catalogue::services(&state.pool, &caller.scope()).await?;
    let total = names.len();
    Ok(with_rows(Json(Envelope::of(names, total, 0)), total))
}

/// `GET /jaeger/api/services/{service}/operations`: its span names of the last week.
#[utoipa::path(get, path = "/jaeger/api/services/{service}/operations",
    operation_id = "jaeger_operations", tag = "jaeger", params(("service" = String, Path)),
    responses((status = 200, description = "Jaeger's `{\"data\": ...}` envelope"),
        (status = 400, description = "A parameter is invalid"),
        (status = 401, description = "A token is required"),
        (status = 403, description = "The token may not read"),
        (status = 429, description = "The token's rate or concurrency limit")), security(("bearer" = [])))]
async fn operations(
    State(state): State<QueryState>,
    caller: Caller,
    axum::extract::Path(service): axum::extract::Path<String>,
) -> Answer {
    let service = params::service(service)?;
    if !caller.may_read_service(&service) {
        let message = format!("this token may not read service {service:?}");
        return Err(ApiError::forbidden(message).into());
    }
    let since = Utc::now() - OPERATIONS_LOOKBACK;
    let names = catalogue::operations(&state.pool, &service, since).await?;
    let total = names.len();
    Ok(with_rows(Json(Envelope::of(names, total, 0)), total))
}

/// `GET /jaeger/api/traces`: the traces matching the search, newest first, with their spans.
#[utoipa::path(get, path = "/jaeger/api/traces", operation_id = "jaeger_search", tag = "jaeger",
    params(("service" = Option<String>, Query), ("operation" = Option<String>, Query),
        ("tags" = Option<String>, Query, description = "A JSON object of tag values"),
        ("minDuration" = Option<String>, Query), ("maxDuration" = Option<String>, Query),
        ("start" = Option<i64>, Query, description = "Microseconds since the epoch"),
        ("end" = Option<i64>, Query, description = "Microseconds since the epoch"),
        ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "Jaeger's `{\"data\": ...}` envelope"),
        (status = 400, description = "A parameter is invalid"),
        (status = 401, description = "A token is required"),
        (status = 403, description = "The token may not read"),
        (status = 429, description = "The token's rate or concurrency limit")), security(("bearer" = [])))]
async fn search(
    State(state): State<QueryState>,
    caller: Caller,
    params: Result<Query<SearchParams>, ApiError>,
) -> Answer {
    let Query(params) = params?;
    let store_search = params
        .search(Utc::now())?
        .into_store(&caller, ["minDuration", "maxDuration"])?;
    let limit = params.limit();
    let hits = spans::search::find(&state.pool, &store_search, None, limit).await?;
    let ids: Vec<String> = hits.into_iter().map(|hit| hit.trace_id).collect();
    let rows = spans::traces(&state.pool, &caller.scope(), &ids, MAX_SPANS + 1).await?;
    let (rows, cut) = bounded(rows, state.bounds.answer_max_bytes);
    let traces = shape::traces(masked_spans(rows, &caller), &ids, cut.as_deref());
    let (total, spans) = (traces.len(), traces.iter().map(|t| t.spans.len()).sum());
    Ok(with_rows(
        Json(Envelope::of(traces, total, limit as usize)),
        spans,
    ))
}

/// `GET /jaeger/api/traces/{trace_id}`: one trace's spans the caller may read; 404 when none.
#[utoipa::path(get, path = "/jaeger/api/traces/{trace_id}", operation_id = "jaeger_trace",
    tag = "jaeger", params(("trace_id" = String, Path, description = "1 to 32 hex digits")),
    responses((status = 200, description = "Jaeger's `{\"data\": ...}` envelope"),
        (status = 400, description = "A parameter is invalid"),
        (status = 401, description = "A token is required"),
        (status = 403, description = "The token may not read"),
        (status = 429, description = "The token's rate or concurrency limit"), (status = 404, description = "No span of the trace")), security(("bearer" = [])))]
async fn trace(
    State(state): State<QueryState>,
    caller: Caller,
    axum::extract::Path(trace_id): axum::extract::Path<String>,
    params: Result<Query<TraceParams>, ApiError>,
) -> Answer {
    let trace_id = params::trace_id(&trace_id)?;
    params?;
    let ids = [trace_id];
    let rows = spans::traces(&state.pool, &caller.scope(), &ids, MAX_SPANS + 1).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("trace").into());
    }
    let (rows, cut) = bounded(rows, state.bounds.answer_max_bytes);
    let traces = shape::traces(masked_spans(rows, &caller), &ids, cut.as_deref());
    let spans = traces[0].spans.len();
    Ok(with_rows(Json(Envelope::of(traces, 1, 0)), spans))
}

/// `GET /jaeger/api/dependencies`: calls between services in `[endTs - lookback, endTs)`.
#[utoipa::path(get, path = "/jaeger/api/dependencies", operation_id = "jaeger_dependencies",
    tag = "jaeger", params(("endTs" = Option<i64>, Query, description = "Milliseconds"),
        ("lookback" = Option<i64>, Query, description = "Milliseconds")),
    responses((status = 200, description = "Jaeger's `{\"data\": ...}` envelope"),
        (status = 400, description = "A parameter is invalid"),
        (status = 401, description = "A token is required"),
        (status = 403, description = "The token may not read"),
        (status = 429, description = "The token's rate or concurrency limit")), security(("bearer" = [])))]
async fn dependencies(
    State(state): State<QueryState>,
    caller: Caller,
    params: Result<Query<DependencyParams>, ApiError>,
) -> Answer {
    let Query(params) = params?;
    let window = params.window(Utc::now())?;
    let found = catalogue::dependencies(&state.pool, &caller.scope(), window).await?;
    let data: Vec<ServiceDependency> = found.into_iter().map(Into::into).collect();
    let total = data.len();
    Ok(with_rows(Json(Envelope::of(data, total, 0)), total))
}

/// At most [`MAX_SPANS`] of the spans (fetched up to one more) and no more than fit in
/// `max_bytes`, and the trace whose spans were cut, if any.
fn bounded(mut rows: Vec<SpanRow>, max_bytes: usize) -> (Vec<SpanRow>, Option<String>) {
    let fitting = super::fitting(&rows, MAX_SPANS as usize, max_bytes, SpanRow::approx_bytes);
    if rows.len() <= fitting {
        return (rows, None);
    }
    let cut = rows[fitting].trace_id.clone();
    rows.truncate(fitting);
    // The trace cut is the one the next span belonged to, if it has spans in the answer.
    let cut = rows.iter().any(|row| row.trace_id == cut).then_some(cut);
    (rows, cut)
}
