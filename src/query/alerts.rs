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
    if caller.masks_personal_data() {
        refuse_unmasked_filters(&params)?;
    }
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

/// Refuses (403) an equality filter holding an address from a support token: it would match
/// only the rows whose masked labels hide that address.
fn refuse_unmasked_filters(params: &AlertHistoryParams) -> Result<(), ApiError> {
    let labels = [
        ("alertname", &params.alertname),
        ("severity", &params.severity),
    ];
    let services = params.service.iter().map(|s| ("service", s));
    let values = labels
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_ref()?)))
        .chain(services);
    for (parameter, value) in values {
        if mask::holds_personal_text(value) {
            return Err(ApiError::forbidden(format!(
                "a support token may not filter on {parameter}: \
                 the value holds an e-mail or IP address"
            )));
        }
    }
    Ok(())
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

/// Masks personal data for support tokens as in log rows: values under personal label and
/// annotation keys, addresses in every other value (nested ones included), in keys, in the
/// label columns and in the generator URL (percent-encoded addresses included).
fn mask_alert(alert: &mut AlertRow) {
    mask::value(&mut alert.labels.0, None);
    mask::value(&mut alert.annotations.0, None);
    mask::text(&mut alert.alertname);
    for text in [
        &mut alert.severity,
        &mut alert.service,
        &mut alert.generator_url,
        &mut alert.receiver,
    ]
    .into_iter()
    .flatten()
    {
        mask::text(text);
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
            origins: None,
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
    fn support_tokens_see_alerts_masked_like_log_rows() {
        let mut alert = AlertRow {
            id: 1,
            received_at: Utc::now(),
            alertname: "HostDown 10.1.2.3".into(),
            status: "firing".into(),
            severity: Some("page".into()),
            service: Some("api".into()),
            starts_at: None,
            ends_at: None,
            labels: sqlx::types::Json(serde_json::json!({
                "instance": "10.1.2.3:9100", "user_email": "bob@example.com",
                "ops@example.com": "owner"
            })),
            annotations: sqlx::types::Json(serde_json::json!({
                "summary": {"text": "down for ::1"}, "list": ["a@b.io"]
            })),
            generator_url: Some("http://p/graph?g0.expr=up%7Bip%3D%2210.1.2.3%22%7D".into()),
            receiver: None,
            fingerprint: "f".into(),
        };
        mask_alert(&mut alert);
        let text = serde_json::to_string(&alert).unwrap();
        for hidden in ["10.1.2.3", "bob@", "ops@", "::1", "a@b.io"] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
        assert_eq!(alert.labels.0["user_email"], "***");
        assert_eq!(alert.alertname, "HostDown ***");
        assert_eq!(alert.severity.as_deref(), Some("page"));
    }

    #[test]
    fn support_tokens_may_not_filter_on_addresses() {
        let support = Principal {
            token_id: 1,
            name: "s".into(),
            role: Role::Support,
            services: None,
            origins: None,
        };
        let params = from_query("alertname=Down%2010.1.2.3").unwrap();
        let error = alert_filter(params, &support, Utc::now()).unwrap_err();
        assert_eq!(error.status(), axum::http::StatusCode::FORBIDDEN);
        let params = from_query("alertname=HostDown").unwrap();
        assert!(alert_filter(params, &support, Utc::now()).is_ok());
    }

    #[test]
    fn scoped_readers_keep_their_scope() {
        let f = filter("", Some(vec!["a"])).unwrap();
        assert_eq!(f.scope, Some(vec!["a".to_string()]));
        let error = filter("service=b", Some(vec!["a"])).unwrap_err();
        assert_eq!(error.status(), axum::http::StatusCode::FORBIDDEN);
    }
}
