//! `GET /api/v1/monitoring/alerts/history`: the alert state changes Alertmanager reported to
//! the webhook receiver, newest first.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::params::{Limit, Query, Time, bounds};
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
    params(AlertHistoryParams),
    responses((status = 200, body = AlertHistory), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<AlertHistoryParams>,
) -> Result<Response, ApiError> {
    let filter = alert_filter(params, &caller, Utc::now())?;
    let mut alerts = alerts::history(&state.pool, &filter).await?;
    if caller.masks_personal_data() {
        alerts.iter_mut().for_each(mask_alert);
    }
    let rows = alerts.len();
    Ok(with_rows(Json(AlertHistory { alerts }), rows))
}

/// The history's filter: the parameters, checked together and with the caller's scope.
fn alert_filter(
    params: AlertHistoryParams,
    caller: &Principal,
    now: DateTime<Utc>,
) -> Result<AlertFilter, ApiError> {
    let (from, to) = bounds(params.from, params.to, now)?;
    Ok(AlertFilter {
        from,
        to,
        alertname: params.alertname,
        status: params.status.map(|s| s.0),
        severity: params.severity,
        services: filters::services(params.service, caller)?,
        limit: Limit::or_default(params.limit),
        scope: caller.scope(),
    })
}

/// `firing` or `resolved`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AlertStatus(String);

impl TryFrom<String> for AlertStatus {
    type Error = String;

    fn try_from(text: String) -> Result<AlertStatus, String> {
        match text.as_str() {
            "firing" | "resolved" => Ok(AlertStatus(text)),
            _ => Err(format!("{text:?} is neither firing nor resolved")),
        }
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

/// The parameters of the alert history.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertHistoryParams {
    /// `received_at` at or after: RFC 3339 or relative like `now-1h`.
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    /// `received_at` before: RFC 3339 or relative like `now`.
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    /// Exact `alertname` label.
    alertname: Option<String>,
    /// `firing` or `resolved`.
    #[param(value_type = Option<String>)]
    status: Option<AlertStatus>,
    /// Exact `severity` label.
    severity: Option<String>,
    /// `service` label; repeatable, or comma-separated.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    service: Vec<String>,
    /// Rows per answer, 1-1000 (default 100).
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::query::params::{DEFAULT_LIMIT, from_query};

    fn filter(query: &str, services: Option<Vec<&str>>) -> Result<AlertFilter, ApiError> {
        let caller = Principal {
            token_id: 1,
            name: "t".into(),
            role: Role::Reader,
            services: services.map(|s| s.into_iter().map(String::from).collect()),
        };
        alert_filter(from_query(query)?, &caller, Utc::now())
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
