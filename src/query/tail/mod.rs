//! `GET /api/v1/logs/tail`: the rows matching the log filters as they are committed, through
//! any bridge on the database, as Server-Sent Events (`log` events, and `dropped` events when
//! the client read too slowly to keep up), masked and scoped like every read and audited once
//! per stream. Each bridge has one listener ([`listener`]) and a hub of its open tails
//! ([`hub`]), each with a buffer bounded in rows.

mod hub;
mod listener;
mod stream;

use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use tokio::sync::oneshot;

use super::error::{ApiError, ErrorBody};
use super::filters::{self, LogParams};
use super::guard::{Rows, RowsSlot};
use super::params::Query;
use super::{Caller, QueryState};
use crate::config::Config;

pub use hub::{Refused, TailHub};

/// The comment sent on a quiet stream, so that proxies see it alive.
const HEARTBEAT: &str = "heartbeat";

/// Starts the bridge's listener of committed rows, which ends when the hub is closed.
pub fn start(state: &QueryState, config: &Config) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listen = crate::store::tail::listener_pool(config)?;
    let run = listener::run(state.tails.clone(), state.pool.clone(), listen);
    Ok(tokio::spawn(run))
}

/// The rows matching the filters as they are committed, oldest first within each commit.
#[utoipa::path(get, path = "/api/v1/logs/tail", operation_id = "tail_logs", tag = "logs",
    params(LogParams),
    description = "Server-Sent Events: `event: log` with a log row (as in the log list) for \
        each row committed after the stream opened that matches the filters (`from` and `to` \
        excepted: a tail has no time range); `event: dropped` with `{\"dropped\": n}` when \
        the client read too slowly and n rows were left out; a `: heartbeat` comment on a \
        quiet stream.",
    responses((status = 200, description = "The event stream", content_type = "text/event-stream"),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 429, description = "`query.tail.max_streams` tails are open", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn tail(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<LogParams>,
) -> Result<Response, ApiError> {
    refuse_time_range(&params)?;
    let mut filter = filters::log_filter(params, &caller, Utc::now())?;
    (filter.from, filter.to) = (None, None);
    let subscription = state
        .tails
        .subscribe(filter, caller.0.clone())
        .map_err(refusal)?;
    let (ended, count) = oneshot::channel();
    let events = stream::events(subscription, ended);
    let heartbeat = Duration::from_secs(state.tail_heartbeat_seconds);
    let keep_alive = KeepAlive::new().interval(heartbeat).text(HEARTBEAT);
    let mut response = Sse::new(events).keep_alive(keep_alive).into_response();
    response
        .extensions_mut()
        .insert(RowsSlot::new(Rows::Streamed(count)));
    Ok(response)
}

/// A tail sends what is committed from now on: `from` and `to` are refused (400).
fn refuse_time_range(params: &LogParams) -> Result<(), ApiError> {
    let why = "a tail has no time range: it sends the rows committed after it opened";
    if params.from.is_some() {
        return Err(ApiError::invalid("from", why));
    }
    if params.to.is_some() {
        return Err(ApiError::invalid("to", why));
    }
    Ok(())
}

fn refusal(refused: Refused) -> ApiError {
    match refused {
        Refused::Full(max) => ApiError::too_many_tails(max),
        Refused::Closed => ApiError::shutting_down(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;
    use sqlx::types::Json;

    use crate::store::read::LogRow;

    /// A log row with id `id` and an e-mail address in its body.
    pub fn row(id: i64) -> LogRow {
        LogRow {
            id,
            ts: Utc::now(),
            observed_ts: Utc::now(),
            service: "api".into(),
            level: "info".into(),
            severity_number: 9,
            severity_text: None,
            body: "signed in as bob@example.com".into(),
            trace_id: None,
            span_id: None,
            scope: None,
            user_id: Some("u-1".into()),
            http_method: None,
            http_route: None,
            http_status: None,
            http_duration_ms: None,
            db_system: None,
            db_operation: None,
            db_query: None,
            db_duration_ms: None,
            exception_type: None,
            exception_message: None,
            exception_stacktrace: None,
            exception_fingerprint: None,
            attributes: Json(json!({})),
            resource: Json(json!({})),
            dedup_count: 1,
            first_seen: Utc::now(),
            last_seen: Utc::now(),
            truncated: Vec::new(),
        }
    }
}
