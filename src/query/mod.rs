//! The read API under `/api/v1`: logs, traces, exports, stats, exceptions, monitoring views
//! (with the alert history), log patterns (`patterns`), tokens and the audit log, and the
//! admins' configuration reload (`reload`); the Jaeger query API under `/jaeger`; and the live
//! tail (`tail`), Server-Sent Events of rows as they are committed. Every request is
//! authenticated, rate-limited and capped per token and audited by `guard`; handlers take
//! their typed parameters (`params`), call `store::read` and shape the answer. Routes and the
//! OpenAPI document come from one declaration (`routes`).

mod alert_rules;
mod alerts;
mod audit;
mod error;
mod exceptions;
mod export;
mod filters;
mod guard;
mod jaeger;
mod listings;
mod logs;
mod mask;
mod monitoring;
pub mod operations;
mod params;
mod patterns;
mod reload;
mod routes;
mod stats;
pub mod tail;
mod tokens;
mod traces;

use std::sync::Arc;

use axum::middleware;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{Authenticator, Principal};
use crate::config::{Config, ReadBoundsConfig};
use guard::{InFlight, RefusalBudget, Rows, RowsSlot};

pub use error::ApiError;
pub use tokens::{NewToken, create_token};

/// What every read handler shares.
#[derive(Clone)]
pub struct QueryState {
    /// The read API's own pool (see `store::read::pool`).
    pub pool: PgPool,
    /// The audit trail's own small pool (`store::audit::pool`).
    pub audit: PgPool,
    pub auth: Authenticator,
    /// Default `threshold_ms` of the slow-request view (`metrics.slow_request_seconds`).
    pub slow_request_ms: f64,
    /// Default `threshold_ms` of the slow-query view (`metrics.slow_query_seconds`).
    pub slow_query_ms: f64,
    /// What one reader may hold (`query.bounds`).
    pub bounds: ReadBoundsConfig,
    /// The open live tails of this bridge.
    pub tails: Arc<tail::TailHub>,
    /// Seconds between heartbeats on a quiet tail (`query.tail.heartbeat_seconds`).
    pub tail_heartbeat_seconds: u64,
    /// The rule files and Prometheus of the alert-rules view.
    pub rule_sources: alert_rules::RuleSources,
    /// The store, retention job and archive, for the admins' health view and retention runs.
    pub operations: Arc<operations::Operations>,
    /// Reloads the configuration file (`POST /api/v1/admin/reload`).
    pub reloader: Arc<crate::app::reload::Reloader>,
    in_flight: Arc<InFlight>,
    refusals: Arc<RefusalBudget>,
    /// Exports running at once, at most half the read pool: exports left unread can never
    /// hold every read connection.
    exports: Arc<tokio::sync::Semaphore>,
}

impl QueryState {
    /// The read side's pools (connected lazily) and bounds from the configuration.
    pub fn new(
        config: &Config,
        auth: Authenticator,
        operations: Arc<operations::Operations>,
        reloader: Arc<crate::app::reload::Reloader>,
    ) -> anyhow::Result<QueryState> {
        let bounds = config.query.bounds.clone();
        Ok(QueryState {
            pool: crate::store::read::pool(config)?,
            audit: crate::store::audit::pool(config)?,
            auth,
            slow_request_ms: config.metrics.slow_request_seconds * 1000.0,
            slow_query_ms: config.metrics.slow_query_seconds * 1000.0,
            in_flight: Arc::new(InFlight::new(bounds.token_max_concurrent)),
            refusals: Arc::default(),
            exports: Arc::new(tokio::sync::Semaphore::new(export_slots(config))),
            bounds,
            tails: tail::TailHub::new(&config.query.tail),
            tail_heartbeat_seconds: config.query.tail.heartbeat_seconds,
            operations,
            reloader,
            rule_sources: alert_rules::RuleSources::new(config),
        })
    }
}

/// Exports that may run at once: half the read pool's connections, at least one.
fn export_slots(config: &Config) -> usize {
    (config.query.max_connections as usize / 2).max(1)
}

/// An answer that records how many rows it returned.
fn with_rows(answer: impl IntoResponse, rows: usize) -> Response {
    let mut response = answer.into_response();
    response
        .extensions_mut()
        .insert(RowsSlot::new(Rows::Counted(rows as u64)));
    response
}

/// The read API's routes and the Jaeger API's, every one behind the guard, each with its
/// OpenAPI operation.
pub fn router(state: QueryState) -> OpenApiRouter {
    routes::declared()
        .merge(jaeger::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .with_state(state)
}

/// The caller of a guarded handler, put there by the guard.
type Caller = axum::Extension<Principal>;

/// How many of `rows` (up to `limit + 1` fetched) make the page: at most `limit`, and no more
/// than fit in `max_bytes` by `bytes_of` (at least one, so that a page always moves on).
fn fitting<T>(rows: &[T], limit: usize, max_bytes: usize, bytes_of: impl Fn(&T) -> usize) -> usize {
    let mut bytes = 0;
    rows.iter()
        .take(limit)
        .take_while(|row| {
            bytes += bytes_of(row);
            bytes <= max_bytes
        })
        .count()
        .max(1)
}
