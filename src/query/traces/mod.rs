//! `GET /api/v1/traces/{trace_id}` (a trace's spans, oldest first, a page at a time, and the
//! first page of its logs) and `GET /api/v1/traces` (the trace search, newest first, keyset
//! cursor). Both see only the spans and logs of the services the caller may read.

pub mod params;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::logs::{end_page, masked, scope_only};
use super::params::{KeyCursor, Limit, Path, Query};
use super::{Caller, QueryState, mask, with_rows};
use crate::auth::Principal;
use crate::store::read::spans::{self, SpanPosition, SpanRow, TraceHit, TraceSummary};
use crate::store::read::{self, LogRow};
use params::{SearchParams, SpanPageParams, TracePath};

/// Spans per page of a trace unless `limit` says otherwise.
const SPANS_DEFAULT_LIMIT: i64 = 1000;
/// Logs of a trace its answer holds; the rest is at `/api/v1/traces/{trace_id}/logs`.
const LOGS_LIMIT: i64 = 1000;
/// Traces per search page unless `limit` says otherwise.
const SEARCH_DEFAULT_LIMIT: i64 = 20;

/// One trace: its spans, a page at a time, and the first page of its logs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TraceAnswer {
    pub trace_id: String,
    /// Oldest first.
    pub spans: Vec<SpanRow>,
    /// Pass as `cursor` for the next page of spans; null on the last page.
    pub next_cursor: Option<String>,
    /// The trace's logs, oldest first, on the first page only.
    pub logs: Vec<LogRow>,
    /// Pass as `cursor` to `/api/v1/traces/{trace_id}/logs` for the rest of the logs.
    pub logs_next_cursor: Option<String>,
}

/// A page of the trace search.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TracePage {
    /// Newest first, by each trace's latest matching span.
    pub traces: Vec<TraceSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A trace's spans (parent ids, kind, status, events, links) and logs.
#[utoipa::path(get, path = "/api/v1/traces/{trace_id}", operation_id = "get_trace", tag = "traces",
    params(TracePath, SpanPageParams),
    responses((status = 200, body = TraceAnswer), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn by_id(
    State(state): State<QueryState>,
    caller: Caller,
    Path(TracePath { trace_id }): Path<TracePath>,
    Query(params): Query<SpanPageParams>,
) -> Result<Response, ApiError> {
    let trace_id = trace_id.into_string();
    let limit = params.limit.map_or(SPANS_DEFAULT_LIMIT, Limit::get);
    let first_page = params.cursor.is_none();
    let after = params.cursor.map(|c| SpanPosition {
        start: c.at,
        span_id: c.id,
    });
    let budget = state.bounds.answer_max_bytes / 2;
    let scope = caller.scope();
    let mut spans = spans::trace(&state.pool, &scope, &trace_id, after.as_ref(), limit + 1).await?;
    let next_cursor = end_span_page(&mut spans, limit, budget);
    let (logs, logs_next_cursor) = match first_page {
        true => trace_logs(&state, &caller, &trace_id, budget).await?,
        false => (Vec::new(), None),
    };
    if first_page && spans.is_empty() && logs.is_empty() {
        return Err(ApiError::not_found("trace"));
    }
    let rows = spans.len() + logs.len();
    let answer = TraceAnswer {
        trace_id,
        spans: masked_spans(spans, &caller),
        next_cursor,
        logs,
        logs_next_cursor,
    };
    Ok(with_rows(Json(answer), rows))
}

/// The first page of a trace's logs the caller may read, masked as its role requires.
async fn trace_logs(
    state: &QueryState,
    caller: &Principal,
    trace_id: &str,
    budget: usize,
) -> Result<(Vec<LogRow>, Option<String>), ApiError> {
    let filter = scope_only(caller);
    let mut logs = read::logs::trace(&state.pool, &filter, trace_id, None, LOGS_LIMIT + 1).await?;
    let next = end_page(&mut logs, LOGS_LIMIT, budget);
    Ok((masked(logs, caller), next))
}

/// Cuts `spans` (up to `limit + 1` fetched) to the page: at most `limit` spans and no more
/// than fit in `max_bytes` (at least one). The cursor of the rest, when there is a rest.
pub fn end_span_page(spans: &mut Vec<SpanRow>, limit: i64, max_bytes: usize) -> Option<String> {
    let fitting = super::fitting(spans, limit as usize, max_bytes, SpanRow::approx_bytes);
    if spans.len() <= fitting {
        return None;
    }
    spans.truncate(fitting);
    spans
        .last()
        .map(|span| KeyCursor::encode(span.start_ts, &span.span_id))
}

/// The spans with personal data masked when the caller's role requires it.
pub fn masked_spans(mut spans: Vec<SpanRow>, caller: &Principal) -> Vec<SpanRow> {
    if caller.masks_personal_data() {
        spans.iter_mut().for_each(mask::span);
    }
    spans
}

/// Traces having a span that matches every filter, newest first.
#[utoipa::path(get, path = "/api/v1/traces", operation_id = "search_traces", tag = "traces",
    params(SearchParams),
    responses((status = 200, body = TracePage), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<SearchParams>,
) -> Result<Response, ApiError> {
    let store_search = params
        .search(Utc::now())?
        .into_store(&caller, ["min_duration", "max_duration"])?;
    let limit = params.limit.map_or(SEARCH_DEFAULT_LIMIT, Limit::get);
    let after = params.cursor.clone().map(|c| TraceHit {
        trace_id: c.id,
        last_start: c.at,
    });
    let mut hits =
        spans::search::find(&state.pool, &store_search, after.as_ref(), limit + 1).await?;
    let next_cursor = (hits.len() as i64 > limit).then(|| {
        hits.truncate(limit as usize);
        let last = hits.last().expect("a full page");
        KeyCursor::encode(last.last_start, &last.trace_id)
    });
    let traces = summaries_in_order(&state, &caller, &hits).await?;
    let rows = traces.len();
    Ok(with_rows(
        Json(TracePage {
            traces,
            next_cursor,
        }),
        rows,
    ))
}

/// The summaries of the traces found, in the order found, masked as the caller's role requires.
async fn summaries_in_order(
    state: &QueryState,
    caller: &Principal,
    hits: &[TraceHit],
) -> Result<Vec<TraceSummary>, ApiError> {
    let ids: Vec<String> = hits.iter().map(|hit| hit.trace_id.clone()).collect();
    let mut summaries = spans::search::summaries(&state.pool, &caller.scope(), &ids).await?;
    summaries.sort_by_key(|s| ids.iter().position(|id| *id == s.trace_id));
    if caller.masks_personal_data() {
        summaries
            .iter_mut()
            .for_each(|s| mask::text(&mut s.root_name));
    }
    Ok(summaries)
}
