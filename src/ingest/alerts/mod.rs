//! Alertmanager's webhook (`POST /api/v1/alerts/webhook`, payload version 4): every alert of a
//! notification becomes an [`AlertChange`] for `alert_history`. Unknown fields are ignored; a
//! payload with an invalid alert is rejected whole, naming the alert's index. NUL, which
//! PostgreSQL cannot store, becomes U+FFFD in every string, as in log records.

pub mod http;

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::error::{IngestError, InvalidItem};
use crate::pipeline::sanitize;
use crate::store::alerts::AlertChange;

/// Most alerts one notification may carry.
pub const MAX_ALERTS: usize = 1000;

/// A webhook notification: one group of alerts sent to one receiver.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AlertmanagerNotification)]
struct Notification {
    version: Option<String>,
    group_key: Option<String>,
    receiver: Option<String>,
    alerts: Vec<Alert>,
}

/// One alert of a notification.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AlertmanagerAlert)]
struct Alert {
    status: String,
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    #[serde(rename = "generatorURL")]
    generator_url: Option<String>,
    fingerprint: Option<String>,
}

/// Decodes a notification into one change per alert, in payload order.
pub fn decode(body: &[u8]) -> Result<Vec<AlertChange>, IngestError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    let notification: Notification = serde_path_to_error::deserialize(deserializer)
        .map_err(|error| IngestError::Decode(describe(&error)))?;
    if let Some(version) = notification.version.as_deref().filter(|v| *v != "4") {
        return Err(IngestError::Decode(format!(
            "version: {version:?} is not the supported webhook version \"4\""
        )));
    }
    let mut notification = notification;
    optional(&mut notification.receiver);
    optional(&mut notification.group_key);
    let total = notification.alerts.len();
    if total > MAX_ALERTS {
        return Err(IngestError::Decode(format!(
            "alerts: {total} alerts, more than {MAX_ALERTS} in one notification"
        )));
    }
    let mut changes = Vec::with_capacity(total);
    let mut invalid = Vec::new();
    for (index, alert) in notification.alerts.into_iter().enumerate() {
        match change(alert, &notification.receiver, &notification.group_key) {
            Ok(change) => changes.push(change),
            Err(reason) => invalid.push(InvalidItem { index, reason }),
        }
    }
    if !invalid.is_empty() {
        return Err(IngestError::InvalidBatch {
            items: invalid,
            total,
        });
    }
    Ok(changes)
}

/// PostgreSQL text cannot hold NUL: it becomes U+FFFD, as in log records.
fn optional(text: &mut Option<String>) {
    if let Some(text) = text {
        sanitize::text(text);
    }
}

/// Labels or annotations with NUL replaced in keys and values.
fn sanitized(map: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let replace = |(mut key, mut value): (String, String)| {
        sanitize::text(&mut key);
        sanitize::text(&mut value);
        (key, value)
    };
    map.into_iter().map(replace).collect()
}

/// `alerts[0].startsAt: <what serde says>`, or only serde's text at the top level.
fn describe(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = error.path().to_string();
    match path.as_str() {
        "." | "" => error.inner().to_string(),
        _ => format!("{path}: {}", error.inner()),
    }
}

fn change(
    mut alert: Alert,
    receiver: &Option<String>,
    group_key: &Option<String>,
) -> Result<AlertChange, String> {
    if !matches!(alert.status.as_str(), "firing" | "resolved") {
        return Err(format!(
            "status: {:?} is neither \"firing\" nor \"resolved\"",
            alert.status
        ));
    }
    alert.labels = sanitized(alert.labels);
    alert.annotations = sanitized(alert.annotations);
    optional(&mut alert.generator_url);
    optional(&mut alert.fingerprint);
    let fingerprint = alert
        .fingerprint
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| fingerprint(&alert.labels));
    Ok(AlertChange {
        fingerprint,
        alertname: alert.labels.get("alertname").cloned().unwrap_or_default(),
        status: alert.status,
        severity: alert.labels.get("severity").cloned(),
        service: alert.labels.get("service").cloned(),
        starts_at: alert.starts_at.filter(|t| !is_zero(t)),
        ends_at: alert.ends_at.filter(|t| !is_zero(t)),
        labels: to_json(alert.labels),
        annotations: to_json(alert.annotations),
        generator_url: alert.generator_url.filter(|url| !url.is_empty()),
        receiver: receiver.clone(),
        group_key: group_key.clone(),
    })
}

/// Go's zero time, `0001-01-01T00:00:00Z`: what Alertmanager sends for "not set".
fn is_zero(time: &DateTime<Utc>) -> bool {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single() == Some(*time)
}

fn to_json(map: BTreeMap<String, String>) -> Value {
    map.into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Alertmanager's fingerprint of a label set (Prometheus `LabelSet.Fingerprint`: FNV-1a 64
/// over the sorted names and values, each followed by 0xff), for payloads without one.
fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET: u64 = 14_695_981_039_346_656_037;
    const PRIME: u64 = 1_099_511_628_211;
    let mut hash = OFFSET;
    for (name, value) in labels {
        for part in [name.as_bytes(), value.as_bytes()] {
            for byte in part.iter().chain(&[0xff]) {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(PRIME);
            }
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests;
