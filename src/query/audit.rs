//! `GET /api/v1/audit`: the audit log, newest first, for admins.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::params::{Integer, Query, Time};
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

/// The parameters of the audit log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    #[param(value_type = Option<i64>)]
    token_id: Option<Integer>,
    endpoint: Option<String>,
    #[param(value_type = Option<i64>)]
    limit: Option<Integer>,
    #[param(value_type = Option<i64>)]
    before_id: Option<Integer>,
}

/// Audit entries (admin): filters `from`, `to`, `token_id`, `endpoint`; paging `limit`,
/// `before_id`.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit", tag = "audit",
    params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    params: Result<Query<AuditParams>, ApiError>,
) -> Result<Response, ApiError> {
    // The role first: a non-admin learns nothing about the parameters.
    caller.require(Role::is_admin, "read the audit log")?;
    let Query(params) = params?;
    let filter = audit_filter(params)?;
    let entries = audit::list(&state.pool, &filter).await?;
    let next_before_id = (entries.len() as i64 == filter.limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let rows = entries.len();
    let page = AuditPage {
        entries,
        next_before_id,
    };
    Ok(with_rows(Json(page), rows))
}

/// The store's filter of the parameters; `limit` is from 1 to 1000 (default 100).
fn audit_filter(params: AuditParams) -> Result<AuditFilter, ApiError> {
    let limit = params.limit.map_or(100, |n| n.0);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 1000"));
    }
    let now = Utc::now();
    Ok(AuditFilter {
        from: params.from.map(|t| t.at(now)),
        to: params.to.map(|t| t.at(now)),
        token_id: params.token_id.map(|n| n.0),
        endpoint: params.endpoint,
        before_id: params.before_id.map(|n| n.0),
        limit,
    })
}
