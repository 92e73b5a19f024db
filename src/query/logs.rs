//! `GET /api/v1/logs` (filtered, newest first, keyset cursor), `GET /api/v1/logs/{id}` and
//! `GET /api/v1/traces/{trace_id}/logs`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::params::Params;
use super::{Caller, QueryState, filters, mask, with_rows};
use crate::auth::Principal;
use crate::store::read::{self, LogFilter, LogRow, Position};

/// Rows per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: i64 = 100;
/// Largest `limit`.
pub const MAX_LIMIT: i64 = 1000;

/// A page of logs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LogPage {
    pub logs: Vec<LogRow>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Every log of one trace, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TraceLogs {
    pub trace_id: String,
    pub logs: Vec<LogRow>,
}

/// Logs matching the filters, newest first.
#[utoipa::path(get, path = "/api/v1/logs", operation_id = "list_logs", tag = "logs",
    params(LogQuery,
        ("limit" = Option<i64>, Query, description = "Rows per page, 1-1000 (default 100)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses((status = 200, body = LogPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = filters::log_filter(&mut params, &caller, Utc::now())?;
    let limit = params.parsed("limit", limit)?.unwrap_or(DEFAULT_LIMIT);
    let after = params.parsed("cursor", decode_cursor)?;
    params.finish()?;
    // One row more than asked tells whether another page exists.
    let mut logs = read::logs::page(&state.pool, &filter, after, limit + 1).await?;
    let next_cursor = if logs.len() as i64 > limit {
        logs.truncate(limit as usize);
        logs.last().map(|row| encode_cursor(row.position()))
    } else {
        None
    };
    let logs = masked(logs, &caller);
    let rows = logs.len();
    Ok(with_rows(Json(LogPage { logs, next_cursor }), rows))
}

/// One log by id.
#[utoipa::path(get, path = "/api/v1/logs/{id}", operation_id = "get_log", tag = "logs",
    params(("id" = i64, Path, description = "The log's id")),
    responses((status = 200, body = LogRow), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn by_id(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", "must be an integer"))?;
    let row = read::logs::by_id(&state.pool, &scope_only(&caller), id)
        .await?
        .ok_or_else(|| ApiError::not_found("log"))?;
    let row = masked(vec![row], &caller).remove(0);
    Ok(with_rows(Json(row), 1))
}

/// Every log of a trace, oldest first.
#[utoipa::path(get, path = "/api/v1/traces/{trace_id}/logs", operation_id = "trace_logs", tag = "logs",
    params(("trace_id" = String, Path, description = "32 hex digits")),
    responses((status = 200, body = TraceLogs), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn trace(
    State(state): State<QueryState>,
    caller: Caller,
    Path(trace_id): Path<String>,
) -> Result<Response, ApiError> {
    let valid = trace_id.len() == 32 && trace_id.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(ApiError::invalid("trace_id", "must be 32 hex digits"));
    }
    let trace_id = trace_id.to_ascii_lowercase();
    let logs = read::logs::trace(&state.pool, &scope_only(&caller), &trace_id).await?;
    let logs = masked(logs, &caller);
    let rows = logs.len();
    Ok(with_rows(Json(TraceLogs { trace_id, logs }), rows))
}

/// A filter holding only the caller's scope.
pub fn scope_only(caller: &Principal) -> LogFilter {
    LogFilter {
        scope: caller.scope(),
        ..LogFilter::default()
    }
}

/// The rows with personal data masked when the caller's role requires it.
pub fn masked(mut rows: Vec<LogRow>, caller: &Principal) -> Vec<LogRow> {
    if caller.masks_personal_data() {
        rows.iter_mut().for_each(mask::row);
    }
    rows
}

/// A `limit`: an integer from 1 to [`MAX_LIMIT`].
pub fn limit(text: &str) -> Result<i64, String> {
    match text.parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!("must be an integer from 1 to {MAX_LIMIT}")),
    }
}

/// The cursor is `base64url("<ts micros>:<id>")`: opaque to clients, cheap to check.
fn encode_cursor(position: Position) -> String {
    let text = format!("{}:{}", position.ts.timestamp_micros(), position.id);
    URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(cursor: &str) -> Result<Position, String> {
    let invalid = || "not a cursor returned by this API".to_string();
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (micros, id) = text.split_once(':').ok_or_else(invalid)?;
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    let ts = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(invalid)?;
    let id = id.parse().map_err(|_| invalid())?;
    Ok(Position { ts, id })
}

/// The log filter parameters of the log list, export and stats (for the OpenAPI document).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LogQuery {
    /// Start, inclusive: RFC 3339 or relative like `now-1h`.
    from: Option<String>,
    /// End, exclusive: RFC 3339 or relative like `now`.
    to: Option<String>,
    /// Service name; repeatable, or comma-separated.
    service: Option<Vec<String>>,
    /// Level (trace, debug, info, warn, error, fatal); repeatable.
    level: Option<Vec<String>>,
    /// This level and above.
    min_level: Option<String>,
    /// 32 hex digits.
    trace_id: Option<String>,
    /// 16 hex digits.
    span_id: Option<String>,
    /// The end user (`enduser.id`, `user.id`, ... at ingest).
    user_id: Option<String>,
    /// Route template, e.g. `/users/{id}`.
    route: Option<String>,
    /// A status code (`404`) or class (`5xx`).
    status: Option<String>,
    /// Full text: every word must appear in the body or the exception message.
    q: Option<String>,
    /// Case-insensitive substring of the body.
    contains: Option<String>,
    /// `attr.<key>=<value>`: attribute equality, any number of them (key literal or dotted
    /// path into nested objects; value compared as text).
    #[param(rename = "attr.<key>")]
    attr: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let position = Position {
            ts: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: 42,
        };
        assert_eq!(decode_cursor(&encode_cursor(position)), Ok(position));
        assert!(decode_cursor("!!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("1:x")).is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("99999999999999999999:1")).is_err());
    }
}
