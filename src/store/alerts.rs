//! Table `alert_history`, write side: the state changes Alertmanager's webhook reports.
//!
//! A row is a state change, not a notification. Alertmanager re-sends a firing alert every
//! `repeat_interval` (and every `group_interval` while its group changes), and an HA pair sends
//! each notification twice; such repeats carry the same fingerprint, status and `startsAt` as
//! the alert's latest row and are skipped. A new `startsAt` (the alert fired again after being
//! resolved) or a new status is a new row.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use super::{StoreError, is_connection_error};

/// Namespace of the advisory locks that serialize writers of one fingerprint.
const LOCK_CLASS: i32 = 4318;

/// One alert of a webhook notification, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChange {
    pub fingerprint: String,
    pub alertname: String,
    /// `firing` or `resolved`.
    pub status: String,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    /// `None` while firing (Alertmanager sends the zero time `0001-01-01T00:00:00Z`).
    pub ends_at: Option<DateTime<Utc>>,
    pub labels: Value,
    pub annotations: Value,
    pub generator_url: Option<String>,
    pub receiver: Option<String>,
    pub group_key: Option<String>,
}

/// Stores the changes in one transaction, skipping repeats of an alert's latest row; returns
/// how many rows were written.
pub async fn record(pool: &PgPool, changes: &[AlertChange]) -> Result<usize, StoreError> {
    record_all(pool, changes).await.map_err(store_error)
}

async fn record_all(pool: &PgPool, changes: &[AlertChange]) -> sqlx::Result<usize> {
    let mut transaction = pool.begin().await?;
    lock_fingerprints(&mut transaction, changes).await?;
    let mut written = 0;
    for change in changes {
        written += insert_unless_repeat(&mut transaction, change).await?;
    }
    transaction.commit().await?;
    Ok(written)
}

/// Takes the fingerprints' advisory locks in one order, so that concurrent notifications about
/// the same alert (an HA pair) cannot both see "no such row yet" nor deadlock.
async fn lock_fingerprints(
    connection: &mut PgConnection,
    changes: &[AlertChange],
) -> sqlx::Result<()> {
    let fingerprints: Vec<&str> = changes.iter().map(|c| c.fingerprint.as_str()).collect();
    sqlx::query(
        "SELECT pg_advisory_xact_lock($1, k) FROM \
         (SELECT DISTINCT hashtext(f) AS k FROM unnest($2::text[]) AS f ORDER BY k) AS keys",
    )
    .bind(LOCK_CLASS)
    .bind(fingerprints)
    .execute(connection)
    .await?;
    Ok(())
}

/// Inserts the change unless the fingerprint's latest row has the same status and start.
async fn insert_unless_repeat(
    connection: &mut PgConnection,
    change: &AlertChange,
) -> sqlx::Result<usize> {
    let result = sqlx::query(
        "INSERT INTO alert_history (fingerprint, alertname, status, severity, service, \
         starts_at, ends_at, labels, annotations, generator_url, receiver, group_key) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
         WHERE NOT EXISTS (SELECT 1 FROM (SELECT status, starts_at FROM alert_history \
             WHERE fingerprint = $1 ORDER BY id DESC LIMIT 1) AS latest \
           WHERE latest.status = $3 AND latest.starts_at IS NOT DISTINCT FROM $6)",
    )
    .bind(&change.fingerprint)
    .bind(&change.alertname)
    .bind(&change.status)
    .bind(&change.severity)
    .bind(&change.service)
    .bind(change.starts_at)
    .bind(change.ends_at)
    .bind(Json(&change.labels))
    .bind(Json(&change.annotations))
    .bind(&change.generator_url)
    .bind(&change.receiver)
    .bind(&change.group_key)
    .execute(connection)
    .await?;
    Ok(result.rows_affected() as usize)
}

/// Connection trouble is retryable (503); anything else is the bridge's fault (500).
fn store_error(error: sqlx::Error) -> StoreError {
    if is_connection_error(&error) {
        tracing::warn!(%error, "alert history: database unavailable");
        return StoreError::Unavailable;
    }
    tracing::error!(%error, "alert history not written");
    StoreError::Refused(error.to_string())
}
