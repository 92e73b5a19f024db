//! `GET /api/v1/audit`: the audit log, newest first, for admins.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::params::{self, Params};
use super::{Caller, QueryState, with_rows};
use crate::auth::Role;
use crate::store::audit::{self, AuditEntry, AuditFilter};

/// A page of the audit log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before_id` for the next page; null on the last page.
    pub next_before_id: Option<i64>,
}

/// Audit entries (admin): filters `from`, `to`, `token_id`, `endpoint`; paging `limit`,
/// `before_id`.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit", tag = "audit",
    params(("from" = Option<String>, Query), ("to" = Option<String>, Query),
           ("token_id" = Option<i64>, Query), ("endpoint" = Option<String>, Query),
           ("limit" = Option<i64>, Query), ("before_id" = Option<i64>, Query)),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(Role::is_admin, "read the audit log")?;
    let mut params = Params::parse(query.as_deref())?;
    let now = Utc::now();
    let integer = |t: &str| {
        t.parse::<i64>()
            .map_err(|_| "must be an integer".to_string())
    };
    let limit = params.parsed("limit", integer)?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 1000"));
    }
    let filter = AuditFilter {
        from: params.parsed("from", |t| params::instant(t, now))?,
        to: params.parsed("to", |t| params::instant(t, now))?,
        token_id: params.parsed("token_id", integer)?,
        endpoint: params.one("endpoint")?,
        before_id: params.parsed("before_id", integer)?,
        limit,
    };
    params.finish()?;
    let entries = audit::list(&state.pool, &filter).await?;
    let next_before_id = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let rows = entries.len();
    Ok(with_rows(
        Json(AuditPage {
            entries,
            next_before_id,
        }),
        rows,
    ))
}
