//! The read API under `/api/v1`: logs, exports, stats, exceptions, monitoring views (with the
//! alert history), tokens and the audit log. Every request is authenticated, rate-limited per
//! token and audited by [`guard`]; handlers take their typed parameters (`params`), call
//! `store::read` and shape the answer. Routes and the OpenAPI document come from one
//! declaration (`routes`).

mod alerts;
mod audit;
mod error;
mod exceptions;
mod export;
mod filters;
mod logs;
mod mask;
mod monitoring;
mod params;
mod routes;
mod stats;
mod tokens;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sqlx::PgPool;
use tokio::sync::oneshot;

use crate::auth::{Authenticator, Credentials, Direction, Principal, Role};
use crate::store::audit::AuditRecord;

pub use error::ApiError;
pub use tokens::{NewToken, create_token};

/// What every read handler shares.
#[derive(Clone)]
pub struct QueryState {
    /// The read API's own pool (see `store::read::pool`).
    pub pool: PgPool,
    pub auth: Authenticator,
    /// Default `threshold_ms` of the slow-request view (`metrics.slow_request_seconds`).
    pub slow_request_ms: f64,
    /// Default `threshold_ms` of the slow-query view (`metrics.slow_query_seconds`).
    pub slow_query_ms: f64,
}

/// How many rows an answer returned, for the audit log: known at once, or when a streamed
/// answer ends.
enum Rows {
    Counted(u64),
    Streamed(oneshot::Receiver<u64>),
}

/// An answer that records how many rows it returned.
fn with_rows(answer: impl IntoResponse, rows: usize) -> Response {
    let mut response = answer.into_response();
    response
        .extensions_mut()
        .insert(RowsSlot::new(Rows::Counted(rows as u64)));
    response
}

/// Response extensions must be `Clone`; the slot hands its `Rows` to the guard once.
#[derive(Clone)]
struct RowsSlot(std::sync::Arc<std::sync::Mutex<Option<Rows>>>);

impl RowsSlot {
    fn new(rows: Rows) -> RowsSlot {
        RowsSlot(std::sync::Arc::new(std::sync::Mutex::new(Some(rows))))
    }

    fn take(&self) -> Option<Rows> {
        self.0.lock().expect("rows slot lock").take()
    }
}

/// The read API's routes, every one behind [`guard`], and the OpenAPI document built from
/// the same declaration.
pub fn router(state: QueryState) -> Router {
    let (routes, spec) = routes::declared().split_for_parts();
    routes
        .route_layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
        .route(
            "/api/v1/openapi.json",
            get(move || routes::document(spec.clone())),
        )
}

/// Authenticates (401), checks that the role may read (403), rate-limits (429), runs the
/// handler with the [`Principal`] in the request's extensions, then writes the audit row.
async fn guard(
    State(state): State<QueryState>,
    credentials: Credentials,
    mut request: Request,
    next: Next,
) -> Response {
    let authorization = credentials.authorization();
    let principal = match state
        .auth
        .authenticate(authorization, Direction::Read)
        .await
    {
        Ok(principal) => principal,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let audit = audit_record(&principal, &request);
    let response = match principal.require(Role::can_read, "read") {
        Ok(()) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(error) => ApiError::from(error).into_response(),
    };
    audited(&state.pool, audit, response).await
}

/// The audit entry of a request, before its answer is known.
fn audit_record(principal: &Principal, request: &Request) -> AuditRecord {
    AuditRecord {
        token_id: Some(principal.token_id),
        token_name: Some(principal.name.clone()),
        role: Some(principal.role.as_str().to_string()),
        method: request.method().to_string(),
        endpoint: request.uri().path().to_string(),
        filters: params::audit_filters(request.uri().query()),
        status: 0,
        rows: None,
    }
}

/// Writes the audit entry of `response` and gives the response, or a 5xx when the entry of an
/// answer already complete cannot be written.
async fn audited(pool: &PgPool, mut audit: AuditRecord, response: Response) -> Response {
    audit.status = response.status().as_u16();
    let rows = response
        .extensions()
        .get::<RowsSlot>()
        .and_then(RowsSlot::take);
    match rows {
        Some(Rows::Streamed(done)) => {
            // The body is still streaming: record the entry when it ends.
            let pool = pool.clone();
            tokio::spawn(async move {
                audit.rows = done.await.ok();
                write_audit(&pool, &audit).await;
            });
        }
        counted => {
            audit.rows = match counted {
                Some(Rows::Counted(n)) => Some(n),
                _ => None,
            };
            // Fail closed: an answer that cannot be audited is not given.
            if let Err(error) = crate::store::audit::insert(pool, &audit).await {
                return ApiError::database(error).into_response();
            }
        }
    }
    response
}

/// Writes the audit entry of a streamed answer, which has already been sent.
async fn write_audit(pool: &PgPool, audit: &AuditRecord) {
    if let Err(error) = crate::store::audit::insert(pool, audit).await {
        tracing::error!(%error, endpoint = %audit.endpoint, "audit entry not written");
    }
}

/// The caller of a guarded handler, put there by [`guard`].
type Caller = axum::Extension<Principal>;
