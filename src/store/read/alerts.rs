//! Reads of `alert_history`: the filtered history, newest first.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};

/// The columns of [`AlertRow`], in `SELECT` order.
const COLUMNS: &str = "id, received_at, alertname, status, severity, service, starts_at, \
    ends_at, labels, annotations, generator_url, receiver, fingerprint";

/// One state change of an alert, as Alertmanager's webhook reported it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AlertRow {
    pub id: i64,
    /// When the bridge received the notification.
    pub received_at: DateTime<Utc>,
    pub alertname: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// The `severity` label.
    pub severity: Option<String>,
    /// The `service` label.
    pub service: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    /// When the alert resolved; null while firing.
    pub ends_at: Option<DateTime<Utc>>,
    #[schema(value_type = Object)]
    pub labels: Json<Value>,
    #[schema(value_type = Object)]
    pub annotations: Json<Value>,
    /// The link to the rule's expression in Prometheus.
    pub generator_url: Option<String>,
    /// The Alertmanager receiver that sent the notification.
    pub receiver: Option<String>,
    /// Alertmanager's fingerprint of the label set.
    pub fingerprint: String,
}

/// Which rows the history returns. `scope` comes from the caller's token, never the request.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Inclusive lower bound on `received_at`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `received_at`.
    pub to: Option<DateTime<Utc>>,
    pub alertname: Option<String>,
    pub status: Option<String>,
    pub severity: Option<String>,
    /// Any of these services (all when empty).
    pub services: Vec<String>,
    pub limit: i64,
    /// The services the caller may read; `None` means every alert, including those without a
    /// `service` label.
    pub scope: Option<Vec<String>>,
}

/// The rows matching the filter, newest first.
#[tracing::instrument(name = "read.alerts.history", skip_all,
    fields(services = filter.services.len(), scoped = filter.scope.is_some(),
        status = ?filter.status, limit = filter.limit, rows = tracing::field::Empty))]
pub async fn history(pool: &PgPool, filter: &AlertFilter) -> sqlx::Result<Vec<AlertRow>> {
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM alert_history WHERE true"));
    push_filter(&mut sql, filter);
    sql.push(" ORDER BY received_at DESC, id DESC LIMIT ")
        .push_bind(filter.limit);
    super::counted(sql.build_query_as().fetch_all(pool).await)
}

fn push_filter(sql: &mut QueryBuilder<Postgres>, filter: &AlertFilter) {
    if let Some(from) = filter.from {
        sql.push(" AND received_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        sql.push(" AND received_at < ").push_bind(to);
    }
    for (column, value) in [
        ("alertname", &filter.alertname),
        ("status", &filter.status),
        ("severity", &filter.severity),
    ] {
        if let Some(value) = value {
            sql.push(format_args!(" AND {column} = "))
                .push_bind(value.clone());
        }
    }
    // `service = ANY(...)` is never true for a null service: scoped callers do not see alerts
    // without a service label.
    if let Some(scope) = &filter.scope {
        sql.push(" AND service = ANY(").push_bind(scope.clone());
        sql.push(")");
    }
    if !filter.services.is_empty() {
        sql.push(" AND service = ANY(")
            .push_bind(filter.services.clone());
        sql.push(")");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_bound_never_spliced() {
        let filter = AlertFilter {
            alertname: Some("x'; DROP TABLE logs; --".into()),
            status: Some("firing".into()),
            severity: Some("'".into()),
            services: vec!["a'".into()],
            scope: Some(vec!["b'".into()]),
            ..AlertFilter::default()
        };
        let mut sql = QueryBuilder::new("SELECT 1 FROM alert_history WHERE true");
        push_filter(&mut sql, &filter);
        let text = sql.sql().as_str().to_string();
        assert!(!text.contains('\''), "{text}");
        assert!(text.contains("$5"), "{text}");
    }
}
