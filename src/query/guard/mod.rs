//! The guard every read goes through: authenticates (401), checks the role (403), rate-limits
//! (429), caps the token's reads in flight (429), runs the handler, and writes the audit entry
//! before the first byte of the answer. A streamed answer's entry is written `open` first and
//! completed with its row count when the stream ends; refusals are audited too, within a
//! per-source budget.

mod inflight;
mod record;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use super::{ApiError, QueryState};
use crate::auth::{Credentials, Direction, Role};
use crate::store::audit::{self, AuditRecord, StreamEnd};

pub use inflight::InFlight;
pub use record::RefusalBudget;

/// How many rows an answer returned, for the audit log: known at once, or when a streamed
/// answer ends (with how it ended).
pub enum Rows {
    Counted(u64),
    Streamed(oneshot::Receiver<(StreamEnd, u64)>),
}

/// Response extensions must be `Clone`; the slot hands its `Rows` to the guard once.
#[derive(Clone)]
pub struct RowsSlot(std::sync::Arc<std::sync::Mutex<Option<Rows>>>);

impl RowsSlot {
    pub fn new(rows: Rows) -> RowsSlot {
        RowsSlot(std::sync::Arc::new(std::sync::Mutex::new(Some(rows))))
    }

    fn take(&self) -> Option<Rows> {
        self.0.lock().expect("rows slot lock").take()
    }
}

/// The middleware of every read route.
pub async fn guard(
    State(state): State<QueryState>,
    credentials: Credentials,
    request: Request,
    next: Next,
) -> Response {
    let (entry, mut request) = record::of_request(request).await;
    let authorization = credentials.authorization();
    let principal = match state
        .auth
        .authenticate(authorization, Direction::Read)
        .await
    {
        Ok(principal) => principal,
        Err(error) => return refused(&state, entry, ApiError::from(error)).await,
    };
    let entry = record::with_caller(entry, &principal);
    if let Err(error) = principal.require(Role::can_read, "read") {
        return refused(&state, entry, ApiError::from(error)).await;
    }
    let Some(permit) = state.in_flight.try_start(principal.token_id) else {
        let error = ApiError::too_many_in_flight(state.in_flight.per_token());
        return refused(&state, entry, error).await;
    };
    request.extensions_mut().insert(principal);
    let response = next.run(request).await;
    audited(&state.audit, entry, response, permit).await
}

/// A refusal before the handler ran, audited within the source's budget.
async fn refused(state: &QueryState, mut entry: AuditRecord, error: ApiError) -> Response {
    let response = error.into_response();
    if !state.refusals.admits(entry.client_addr) {
        tracing::debug!(endpoint = %entry.endpoint, "refusal not audited: over the source's budget");
        return response;
    }
    entry.status = response.status().as_u16();
    if let Err(error) = audit::insert(&state.audit, &entry).await {
        // The refusal gives nothing away: it is answered even when it cannot be audited.
        tracing::error!(%error, endpoint = %entry.endpoint, "audit entry of a refusal not written");
    }
    response
}

/// Writes the audit entry of `response` before any of it is sent, or answers an error instead
/// when the entry cannot be written (fail closed). A streamed answer's entry is completed
/// when the stream ends; the token's slot is held until then.
async fn audited(
    pool: &PgPool,
    mut entry: AuditRecord,
    response: Response,
    permit: OwnedSemaphorePermit,
) -> Response {
    entry.status = response.status().as_u16();
    let rows = response
        .extensions()
        .get::<RowsSlot>()
        .and_then(RowsSlot::take);
    let streamed = match rows {
        Some(Rows::Streamed(done)) => Some(done),
        Some(Rows::Counted(n)) => {
            entry.rows = Some(n);
            None
        }
        None => None,
    };
    entry.stream = streamed.as_ref().map(|_| StreamEnd::Open);
    let id = match audit::insert(pool, &entry).await {
        Ok(id) => id,
        Err(error) => return not_audited(error),
    };
    if let Some(done) = streamed {
        let pool = pool.clone();
        tokio::spawn(async move {
            let (end, rows) = done.await.unwrap_or((StreamEnd::Failed, 0));
            drop(permit);
            if let Err(error) = audit::finish(&pool, id, end, rows).await {
                tracing::error!(%error, id, "audit entry of a stream not completed");
            }
        });
    }
    response
}

/// The answer given instead of one that cannot be audited.
fn not_audited(error: sqlx::Error) -> Response {
    let answer = match error {
        sqlx::Error::PoolTimedOut => ApiError::busy("audit trail"),
        error => ApiError::database(error),
    };
    answer.into_response()
}
