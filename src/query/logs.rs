//! `GET /api/v1/logs` (filtered, newest first, keyset cursor), `GET /api/v1/logs/{id}` (the
//! whole record) and `GET /api/v1/traces/{trace_id}/logs` (oldest first, keyset cursor). List
//! answers are bounded in rows and bytes: long fields are cut (and named in `truncated`), and a
//! page ends early once its rows reach `query.bounds.answer_max_bytes`.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::filters::{self, LogParams};
use super::params::{Cursor, Integer, Limit, Path, Query, TraceId};
use super::{Caller, QueryState, mask, with_rows};
use crate::auth::Principal;
use crate::store::read::{self, LogFilter, LogRow};

/// A page of logs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LogPage {
    pub logs: Vec<LogRow>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The logs of one trace, oldest first, a page at a time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TraceLogs {
    pub trace_id: String,
    pub logs: Vec<LogRow>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Rows per page of a trace unless `limit` says otherwise.
const TRACE_DEFAULT_LIMIT: i64 = 1000;

/// The parameters of the log list besides its filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(ignore)]
    filter: LogParams,
    /// Rows per page, 1-1000 (default 100)
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
    /// `next_cursor` of the previous page
    #[param(value_type = Option<String>)]
    cursor: Option<Cursor>,
}

/// The path of one log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LogPath {
    /// The log's id
    #[param(value_type = i64)]
    id: Integer,
}

/// The path of one trace's logs.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TracePath {
    /// 32 hex digits
    #[param(value_type = String)]
    trace_id: TraceId,
}

/// The paging of one trace's logs.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceParams {
    /// Rows per page, 1-1000 (default 1000)
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
    /// `next_cursor` of the previous page
    #[param(value_type = Option<String>)]
    cursor: Option<Cursor>,
}

/// Logs matching the filters, newest first.
#[utoipa::path(get, path = "/api/v1/logs", operation_id = "list_logs", tag = "logs",
    params(LogParams, ListParams),
    responses((status = 200, body = LogPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Response, ApiError> {
    let filter = filters::log_filter(params.filter, &caller, Utc::now())?;
    let limit = Limit::or_default(params.limit);
    let after = params.cursor.map(|c| c.0);
    // One row more than asked tells whether another page exists.
    let mut logs = read::logs::page(&state.pool, &filter, after, limit + 1).await?;
    let next_cursor = end_page(&mut logs, limit, state.bounds.answer_max_bytes);
    let logs = masked(logs, &caller);
    let rows = logs.len();
    Ok(with_rows(Json(LogPage { logs, next_cursor }), rows))
}

/// Cuts `rows` (up to `limit + 1` fetched) to the page: at most `limit` rows, and no more rows
/// than fit in `max_bytes` (at least one). The cursor of the rest, when there is a rest.
pub(super) fn end_page(rows: &mut Vec<LogRow>, limit: i64, max_bytes: usize) -> Option<String> {
    let fitting = super::fitting(rows, limit as usize, max_bytes, LogRow::approx_bytes);
    if rows.len() <= fitting {
        return None;
    }
    rows.truncate(fitting);
    rows.last().map(|row| Cursor::encode(row.position()))
}

/// One whole log by id: no field cut.
#[utoipa::path(get, path = "/api/v1/logs/{id}", operation_id = "get_log", tag = "logs",
    params(LogPath),
    responses((status = 200, body = LogRow), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn by_id(
    State(state): State<QueryState>,
    caller: Caller,
    Path(LogPath { id }): Path<LogPath>,
) -> Result<Response, ApiError> {
    let row = read::logs::by_id(&state.pool, &scope_only(&caller), id.0)
        .await?
        .ok_or_else(|| ApiError::not_found("log"))?;
    let row = masked(vec![row], &caller).remove(0);
    Ok(with_rows(Json(row), 1))
}

/// The logs of a trace, oldest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/traces/{trace_id}/logs", operation_id = "trace_logs", tag = "logs",
    params(TracePath, TraceParams),
    responses((status = 200, body = TraceLogs), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn trace(
    State(state): State<QueryState>,
    caller: Caller,
    Path(TracePath { trace_id }): Path<TracePath>,
    Query(params): Query<TraceParams>,
) -> Result<Response, ApiError> {
    let trace_id = trace_id.into_string();
    let limit = params.limit.map_or(TRACE_DEFAULT_LIMIT, Limit::get);
    let after = params.cursor.map(|c| c.0);
    let filter = scope_only(&caller);
    let mut logs = read::logs::trace(&state.pool, &filter, &trace_id, after, limit + 1).await?;
    let next_cursor = end_page(&mut logs, limit, state.bounds.answer_max_bytes);
    let logs = masked(logs, &caller);
    let rows = logs.len();
    let page = TraceLogs {
        trace_id,
        logs,
        next_cursor,
    };
    Ok(with_rows(Json(page), rows))
}

/// A filter holding only the caller's scope.
pub fn scope_only(caller: &Principal) -> LogFilter {
    LogFilter {
        scope: caller.scope(),
        ..LogFilter::default()
    }
}

/// The rows with personal data masked when the caller's role requires it. A field cut short
/// loses its last word first: a cut e-mail or IP address would escape the mask's patterns.
pub fn masked(mut rows: Vec<LogRow>, caller: &Principal) -> Vec<LogRow> {
    if caller.masks_personal_data() {
        for row in &mut rows {
            for column in row.truncated.clone() {
                if let Some(text) = row.cut_text_mut(&column) {
                    drop_last_word(text);
                }
            }
            mask::row(row);
        }
    }
    rows
}

/// Removes the text's last word (what follows its last whitespace), which a cut may have split.
pub fn drop_last_word(text: &mut String) {
    let end = text.rfind(char::is_whitespace).map_or(0, |at| at + 1);
    text.truncate(end);
}
