//! `GET /api/v1/monitoring/slow-requests`, `/slow-queries` and `/error-rates`: views over the
//! request and query columns the pipeline derived, within `[from, to)` (default: the last hour).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::params::{Limit, Query, Time, window};
use super::{Caller, QueryState, filters, mask, with_rows};
use crate::store::read::monitoring::{self, RouteErrors, RouteKey, SlowQuery, SlowRequest};

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

/// 5xx ratios per route, a page at a time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorRates {
    /// Highest ratio first, then most requests.
    pub routes: Vec<RouteErrors>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The parameters of the slow-request view.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlowRequestParams {
    /// Default `metrics.slow_request_seconds` in milliseconds
    #[param(value_type = Option<f64>)]
    threshold_ms: Option<Milliseconds>,
    /// Default now-1h
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    /// Default now
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    /// Repeatable
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    service: Vec<String>,
    /// Route template
    route: Option<String>,
    /// 1-1000 (default 100)
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
}

/// The parameters of the slow-query view.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlowQueryParams {
    /// Default `metrics.slow_query_seconds` in milliseconds
    #[param(value_type = Option<f64>)]
    threshold_ms: Option<Milliseconds>,
    /// Default now-1h
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    /// Default now
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    /// Repeatable
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    service: Vec<String>,
    /// Groups, 1-1000 (default 100)
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
}

/// The parameters of the error-rate view.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorRateParams {
    /// Default now-1h
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    /// Default now
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    /// Repeatable
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    service: Vec<String>,
    /// Leave out routes with fewer requests (default 1)
    #[param(value_type = Option<i64>)]
    min_requests: Option<AtLeastOne>,
    /// Routes per page, 1-1000 (default 100)
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
    /// `next_cursor` of the previous page
    #[param(value_type = Option<String>)]
    cursor: Option<RouteCursor>,
}

/// Where a page of error rates continues: `base64url(JSON of the last route's key)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct RouteCursor(RouteKey);

impl RouteCursor {
    fn encode(key: &RouteKey) -> String {
        let json = serde_json::to_vec(key).expect("keys serialize");
        URL_SAFE_NO_PAD.encode(json)
    }
}

impl TryFrom<String> for RouteCursor {
    type Error = String;

    fn try_from(text: String) -> Result<RouteCursor, String> {
        let invalid = || "not a cursor returned by this API".to_string();
        let json = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let key: RouteKey = serde_json::from_slice(&json).map_err(|_| invalid())?;
        if !key.error_ratio.is_finite() {
            return Err(invalid());
        }
        Ok(RouteCursor(key))
    }
}

/// Requests taking at least `threshold_ms`, slowest first.
#[utoipa::path(get, path = "/api/v1/monitoring/slow-requests", tag = "monitoring",
    params(SlowRequestParams),
    responses((status = 200, body = SlowRequests), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn slow_requests(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<SlowRequestParams>,
) -> Result<Response, ApiError> {
    let range = window(params.from, params.to, Utc::now(), Duration::hours(1))?;
    let mut filter = filters::view_filter(params.service, &caller, range)?;
    filter.route = params.route;
    let threshold_ms = threshold(params.threshold_ms, state.slow_request_ms);
    let limit = Limit::or_default(params.limit);
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
    params(SlowQueryParams),
    responses((status = 200, body = SlowQueries), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn slow_queries(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<SlowQueryParams>,
) -> Result<Response, ApiError> {
    let range = window(params.from, params.to, Utc::now(), Duration::hours(1))?;
    let filter = filters::view_filter(params.service, &caller, range)?;
    let threshold_ms = threshold(params.threshold_ms, state.slow_query_ms);
    let limit = Limit::or_default(params.limit);
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
    params(ErrorRateParams),
    responses((status = 200, body = ErrorRates), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn error_rates(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<ErrorRateParams>,
) -> Result<Response, ApiError> {
    let range = window(params.from, params.to, Utc::now(), Duration::hours(1))?;
    let filter = filters::view_filter(params.service, &caller, range)?;
    let min_requests = params.min_requests.map_or(1, |n| n.0);
    let limit = Limit::or_default(params.limit);
    let after = params.cursor.map(|c| c.0);
    let pool = &state.pool;
    let mut routes =
        monitoring::error_rates(pool, &filter, min_requests, after.as_ref(), limit + 1).await?;
    let next_cursor = (routes.len() as i64 > limit).then(|| {
        routes.truncate(limit as usize);
        RouteCursor::encode(&routes[routes.len() - 1].key())
    });
    if caller.masks_personal_data() {
        routes.iter_mut().for_each(|r| mask_option(&mut r.route));
    }
    let rows = routes.len();
    let answer = ErrorRates {
        routes,
        next_cursor,
    };
    Ok(with_rows(Json(answer), rows))
}

/// `threshold_ms` as given, else `default`.
fn threshold(given: Option<Milliseconds>, default: f64) -> f64 {
    given.map_or(default, |ms| ms.0)
}

/// A finite, non-negative number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct Milliseconds(f64);

impl TryFrom<String> for Milliseconds {
    type Error = String;

    fn try_from(text: String) -> Result<Milliseconds, String> {
        match text.parse::<f64>() {
            Ok(ms) if ms.is_finite() && ms >= 0.0 => Ok(Milliseconds(ms)),
            _ => Err(format!("{text:?} is not a number of milliseconds >= 0")),
        }
    }
}

/// A positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AtLeastOne(i64);

impl TryFrom<String> for AtLeastOne {
    type Error = String;

    fn try_from(text: String) -> Result<AtLeastOne, String> {
        match text.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(AtLeastOne(n)),
            _ => Err(format!("{text:?} is not an integer >= 1")),
        }
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
    use crate::query::params::from_query;

    fn milliseconds(text: &str) -> Result<f64, String> {
        Milliseconds::try_from(text.to_string()).map(|m| m.0)
    }

    fn at_least_one(text: &str) -> Result<i64, String> {
        AtLeastOne::try_from(text.to_string()).map(|n| n.0)
    }

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
        let params: SlowQueryParams = from_query("threshold_ms=5").unwrap();
        assert_eq!(threshold(params.threshold_ms, 1000.0), 5.0);
        let params: SlowQueryParams = from_query("").unwrap();
        assert_eq!(threshold(params.threshold_ms, 1000.0), 1000.0);
        let error = from_query::<SlowQueryParams>("threshold_ms=x").unwrap_err();
        assert_eq!(error.parameter.as_deref(), Some("threshold_ms"));
    }
}
