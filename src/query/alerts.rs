//! `GET /api/v1/monitoring/alerts/history`: the alert state changes Alertmanager reported to
//! the webhook receiver, newest first.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::logs::{DEFAULT_LIMIT, limit};
use super::params::{self, Params};
use super::{Caller, QueryState, filters, mask, with_rows};
use crate::auth::Principal;
use crate::store::read::alerts::{self, AlertFilter, AlertRow};

/// Alert state changes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertHistory {
    /// Newest first.
    pub alerts: Vec<AlertRow>,
}

/// Alert state changes matching the filters. A reader scoped to services sees only alerts whose
/// `service` label is in its scope; alerts without one are visible to unscoped readers only.
#[utoipa::path(get, path = "/api/v1/monitoring/alerts/history", tag = "monitoring",
    operation_id = "alert_history",
    params(AlertHistoryQuery),
    responses((status = 200, body = AlertHistory), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = alert_filter(&mut params, &caller, Utc::now())?;
    params.finish()?;
    let mut alerts = alerts::history(&state.pool, &filter).await?;
    if caller.masks_personal_data() {
        alerts.iter_mut().for_each(mask_alert);
    }
    let rows = alerts.len();
    Ok(with_rows(Json(AlertHistory { alerts }), rows))
}

fn alert_filter(
    params: &mut Params,
    caller: &Principal,
    now: DateTime<Utc>,
) -> Result<AlertFilter, ApiError> {
    let filter = AlertFilter {
        from: params.parsed("from", |t| params::instant(t, now))?,
        to: params.parsed("to", |t| params::instant(t, now))?,
        alertname: params.one("alertname")?,
        status: params.parsed("status", status)?,
        severity: params.one("severity")?,
        services: filters::services(params, caller)?,
        limit: params.parsed("limit", limit)?.unwrap_or(DEFAULT_LIMIT),
        scope: caller.scope(),
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(ApiError::invalid("from", "must be before `to`"));
    }
    Ok(filter)
}

fn status(text: &str) -> Result<String, String> {
    match text {
        "firing" | "resolved" => Ok(text.to_string()),
        _ => Err(format!("{text:?} is neither firing nor resolved")),
    }
}

/// Masks personal data in annotation values (free text written by rules) for support tokens.
fn mask_alert(alert: &mut AlertRow) {
    if let Some(annotations) = alert.annotations.0.as_object_mut() {
        for value in annotations.values_mut() {
            if let serde_json::Value::String(text) = value {
                mask::text(text);
            }
        }
    }
}

/// The query parameters of the alert history (for the OpenAPI document).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AlertHistoryQuery {
    /// `received_at` at or after: RFC 3339 or relative like `now-1h`.
    from: Option<String>,
    /// `received_at` before: RFC 3339 or relative like `now`.
    to: Option<String>,
    /// Exact `alertname` label.
    alertname: Option<String>,
    /// `firing` or `resolved`.
    status: Option<String>,
    /// Exact `severity` label.
    severity: Option<String>,
    /// `service` label; repeatable, or comma-separated.
    service: Option<Vec<String>>,
    /// Rows per answer, 1-1000 (default 100).
    limit: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn filter(query: &str, services: Option<Vec<&str>>) -> Result<AlertFilter, ApiError> {
        let caller = Principal {
            token_id: 1,
            name: "t".into(),
            role: Role::Reader,
            services: services.map(|s| s.into_iter().map(String::from).collect()),
        };
        let mut params = Params::parse(Some(query)).unwrap();
        let filter = alert_filter(&mut params, &caller, Utc::now())?;
        params.finish()?;
        Ok(filter)
    }

    #[test]
    fn parameters_are_validated() {
        let f = filter("status=resolved&severity=critical&limit=5", None).unwrap();
        assert_eq!(f.status.as_deref(), Some("resolved"));
        assert_eq!((f.severity.as_deref(), f.limit), (Some("critical"), 5));
        assert_eq!(filter("", None).unwrap().limit, DEFAULT_LIMIT);
        for bad in [
            "status=pending",
            "limit=1001",
            "limit=0",
            "from=now&to=now-1h",
            "x=1",
        ] {
            assert!(filter(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn scoped_readers_keep_their_scope() {
        let f = filter("", Some(vec!["a"])).unwrap();
        assert_eq!(f.scope, Some(vec!["a".to_string()]));
        let error = filter("service=b", Some(vec!["a"])).unwrap_err();
        assert_eq!(error.status(), axum::http::StatusCode::FORBIDDEN);
    }
}
