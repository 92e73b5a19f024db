//! `GET /api/v1/monitoring/slow-requests`, `/slow-queries` and `/error-rates`: views over the
//! request and query columns the pipeline derived, within `[from, to)` (default: the last hour).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::logs::{DEFAULT_LIMIT, limit};
use super::params::{self, Params};
use super::{Caller, QueryState, filters, mask, with_rows};
use crate::store::read::LogFilter;
use crate::store::read::monitoring::{self, RouteErrors, SlowQuery, SlowRequest};

/// Requests at least as slow as the threshold.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlowRequests {
    pub threshold_ms: f64,
    /// Slowest first.
    pub requests: Vec<SlowRequest>,
}

/// Query fingerprints with occurrences at least as slow as the threshold.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlowQueries {
    pub threshold_ms: f64,
    /// Most frequent first; percentiles are over the slow occurrences only.
    pub queries: Vec<SlowQuery>,
}

/// 5xx ratios per route.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorRates {
    /// Highest ratio first, then most requests.
    pub routes: Vec<RouteErrors>,
}

/// Requests taking at least `threshold_ms`, slowest first.
#[utoipa::path(get, path = "/api/v1/monitoring/slow-requests", tag = "monitoring",
    params(
        ("threshold_ms" = Option<f64>, Query,
            description = "Default `metrics.slow_request_seconds` in milliseconds"),
        ("from" = Option<String>, Query, description = "Default now-1h"),
        ("to" = Option<String>, Query, description = "Default now"),
        ("service" = Option<Vec<String>>, Query, description = "Repeatable"),
        ("route" = Option<String>, Query, description = "Route template"),
        ("limit" = Option<i64>, Query, description = "1-1000 (default 100)")),
    responses((status = 200, body = SlowRequests), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn slow_requests(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let mut filter = view_filter(&mut params, &caller)?;
    filter.route = params.one("route")?;
    let threshold_ms = threshold(&mut params, state.slow_request_ms)?;
    let limit = params.parsed("limit", limit)?.unwrap_or(DEFAULT_LIMIT);
    params.finish()?;
    let mut requests = monitoring::slow_requests(&state.pool, &filter, threshold_ms, limit).await?;
    if caller.masks_personal_data() {
        requests.iter_mut().for_each(|r| mask_option(&mut r.route));
    }
    let rows = requests.len();
    let answer = SlowRequests {
        threshold_ms,
        requests,
    };
    Ok(with_rows(Json(answer), rows))
}

/// Queries taking at least `threshold_ms`, grouped by database system and fingerprint.
#[utoipa::path(get, path = "/api/v1/monitoring/slow-queries", tag = "monitoring",
    params(
        ("threshold_ms" = Option<f64>, Query,
            description = "Default `metrics.slow_query_seconds` in milliseconds"),
        ("from" = Option<String>, Query, description = "Default now-1h"),
        ("to" = Option<String>, Query, description = "Default now"),
        ("service" = Option<Vec<String>>, Query, description = "Repeatable"),
        ("limit" = Option<i64>, Query, description = "Groups, 1-1000 (default 100)")),
    responses((status = 200, body = SlowQueries), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn slow_queries(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = view_filter(&mut params, &caller)?;
    let threshold_ms = threshold(&mut params, state.slow_query_ms)?;
    let limit = params.parsed("limit", limit)?.unwrap_or(DEFAULT_LIMIT);
    params.finish()?;
    let mut queries = monitoring::slow_queries(&state.pool, &filter, threshold_ms, limit).await?;
    if caller.masks_personal_data() {
        queries
            .iter_mut()
            .for_each(|q| mask::text(&mut q.fingerprint));
    }
    let rows = queries.len();
    let answer = SlowQueries {
        threshold_ms,
        queries,
    };
    Ok(with_rows(Json(answer), rows))
}

/// Requests and 5xx answers per service and route, among records with an HTTP status.
#[utoipa::path(get, path = "/api/v1/monitoring/error-rates", tag = "monitoring",
    params(
        ("from" = Option<String>, Query, description = "Default now-1h"),
        ("to" = Option<String>, Query, description = "Default now"),
        ("service" = Option<Vec<String>>, Query, description = "Repeatable"),
        ("min_requests" = Option<i64>, Query,
            description = "Leave out routes with fewer requests (default 1)")),
    responses((status = 200, body = ErrorRates), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn error_rates(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = view_filter(&mut params, &caller)?;
    let min_requests = params.parsed("min_requests", at_least_one)?.unwrap_or(1);
    params.finish()?;
    let mut routes = monitoring::error_rates(&state.pool, &filter, min_requests).await?;
    if caller.masks_personal_data() {
        routes.iter_mut().for_each(|r| mask_option(&mut r.route));
    }
    let rows = routes.len();
    Ok(with_rows(Json(ErrorRates { routes }), rows))
}

/// `from`, `to` (default: the last hour) and `service`, within the caller's scope.
fn view_filter(params: &mut Params, caller: &Caller) -> Result<LogFilter, ApiError> {
    let range = params::range(params, Utc::now(), Duration::hours(1))?;
    filters::view_filter(params, caller, range)
}

/// `threshold_ms`, else `default`.
fn threshold(params: &mut Params, default: f64) -> Result<f64, ApiError> {
    Ok(params
        .parsed("threshold_ms", milliseconds)?
        .unwrap_or(default))
}

/// A finite, non-negative number of milliseconds.
fn milliseconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(ms) if ms.is_finite() && ms >= 0.0 => Ok(ms),
        _ => Err(format!("{text:?} is not a number of milliseconds >= 0")),
    }
}

/// A positive integer.
fn at_least_one(text: &str) -> Result<i64, String> {
    match text.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{text:?} is not an integer >= 1")),
    }
}

fn mask_option(text: &mut Option<String>) {
    if let Some(text) = text {
        mask::text(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_non_negative_milliseconds() {
        assert_eq!(milliseconds("250"), Ok(250.0));
        assert_eq!(milliseconds("0.5"), Ok(0.5));
        for bad in ["-1", "fast", "NaN", "inf", ""] {
            assert!(milliseconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn min_requests_is_a_positive_integer() {
        assert_eq!(at_least_one("3"), Ok(3));
        assert!(at_least_one("0").is_err() && at_least_one("1.5").is_err());
    }

    #[test]
    fn thresholds_default_to_the_configured_value() {
        let mut params = Params::parse(Some("threshold_ms=5")).unwrap();
        assert_eq!(threshold(&mut params, 1000.0).unwrap(), 5.0);
        let mut params = Params::parse(Some("")).unwrap();
        assert_eq!(threshold(&mut params, 1000.0).unwrap(), 1000.0);
        let mut params = Params::parse(Some("threshold_ms=x")).unwrap();
        let error = threshold(&mut params, 1000.0).unwrap_err();
        assert_eq!(error.details["parameter"], "threshold_ms");
    }
}
