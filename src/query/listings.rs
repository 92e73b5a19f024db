//! `GET /api/v1/logs/services`, `/logs/scopes` and `/logs/levels`: what is stored, per service,
//! per logger/module name and per level, within `[from, to)` (default: the last 24 hours),
//! answered from the rollups (`store::read::listings`). Scoped tokens see their services only.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::params::{Limit, Query, Time, window};
use super::{Caller, QueryState, filters, with_rows};
use crate::model::Level;
use crate::store::read::LogFilter;
use crate::store::read::listings::{self, LevelSummary, ScopeSummary, ServiceSummary};

/// The services with records in the window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Services {
    /// Most records first.
    pub services: Vec<ServiceSummary>,
}

/// The scopes (logger or module names) with records in the window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Scopes {
    /// Most records first.
    pub scopes: Vec<ScopeSummary>,
}

/// Records per level in the window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Levels {
    /// Every level, from trace to fatal, with its records (0 for none).
    pub levels: Vec<LevelSummary>,
}

/// The window and services of a listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingParams {
    /// Default now-24h; whole minutes (scopes and `last_seen`: whole hours)
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    /// Default now
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    /// Repeatable, or comma-separated
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    service: Vec<String>,
    /// 1-1000 (default 100); not for levels
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
}

/// How far back a listing looks unless `from` says otherwise.
const DEFAULT_WINDOW: Duration = Duration::hours(24);

/// The listing's filter: its window, its services (403 outside the caller's scope), the scope.
fn filter_of(params: &ListingParams, caller: &Caller) -> Result<LogFilter, ApiError> {
    let range = window(params.from, params.to, Utc::now(), DEFAULT_WINDOW)?;
    filters::view_filter(params.service.clone(), caller, range)
}

/// Services with their records, errors and latest record in the window.
#[utoipa::path(get, path = "/api/v1/logs/services", operation_id = "list_services", tag = "logs",
    params(ListingParams),
    responses((status = 200, body = Services), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn services(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<ListingParams>,
) -> Result<Response, ApiError> {
    let filter = filter_of(&params, &caller)?;
    let limit = Limit::or_default(params.limit);
    let services = listings::services(&state.pool, &filter, limit).await?;
    let rows = services.len();
    Ok(with_rows(Json(Services { services }), rows))
}

/// Logger/module names with their records, per service.
#[utoipa::path(get, path = "/api/v1/logs/scopes", operation_id = "list_scopes", tag = "logs",
    params(ListingParams),
    responses((status = 200, body = Scopes), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn scopes(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<ListingParams>,
) -> Result<Response, ApiError> {
    let filter = filter_of(&params, &caller)?;
    let limit = Limit::or_default(params.limit);
    let scopes = listings::scopes(&state.pool, &filter, limit).await?;
    let rows = scopes.len();
    Ok(with_rows(Json(Scopes { scopes }), rows))
}

/// Records per level.
#[utoipa::path(get, path = "/api/v1/logs/levels", operation_id = "list_levels", tag = "logs",
    params(ListingParams),
    responses((status = 200, body = Levels), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn levels(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<ListingParams>,
) -> Result<Response, ApiError> {
    if params.limit.is_some() {
        return Err(ApiError::invalid("limit", "the level listing has six rows"));
    }
    let filter = filter_of(&params, &caller)?;
    let counted = listings::levels(&state.pool, &filter).await?;
    let levels = every_level(counted);
    Ok(with_rows(Json(Levels { levels }), Level::ALL.len()))
}

/// Every level in order, with the records counted for it (0 for none).
fn every_level(counted: Vec<LevelSummary>) -> Vec<LevelSummary> {
    Level::ALL
        .iter()
        .map(|level| LevelSummary {
            level: level.as_str().to_string(),
            records: counted
                .iter()
                .find(|c| c.level == level.as_str())
                .map_or(0, |c| c.records),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_is_listed_in_order_with_zero_for_none() {
        let counted = vec![LevelSummary {
            level: "error".into(),
            records: 3,
        }];
        let levels = every_level(counted);
        let names: Vec<&str> = levels.iter().map(|l| l.level.as_str()).collect();
        assert_eq!(names, ["trace", "debug", "info", "warn", "error", "fatal"]);
        let records: Vec<i64> = levels.iter().map(|l| l.records).collect();
        assert_eq!(records, [0, 0, 0, 0, 3, 0]);
    }
}
