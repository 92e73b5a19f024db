//! `dedup:`: identical records within a time window stored once, with a count (off by default).
//! The dedup step checks these settings when it is built (`pipeline::dedup::check`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest window: one day.
pub const MAX_WINDOW_SECONDS: u32 = 86_400;

/// Deduplication of repeated records: records of one service with the same level, body and
/// configured attribute values whose event times fall in the same window are stored as one row
/// with `dedup_count`, `first_seen` and `last_seen`. Metrics still count every record.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// Whether records of every service are deduplicated; `services` may override it per service.
    pub enabled: bool,
    /// Width of the windows, in seconds (1-86400): tumbling windows on event time, aligned on the
    /// Unix epoch, so a divisor of 60 keeps every window inside one minute.
    pub window_seconds: u32,
    /// Attributes whose values must also be equal (literal key or dotted path; the record's
    /// attribute, else the resource's; a missing one counts as a value of its own).
    pub attributes: Vec<String>,
    /// How long a stored row stays open for duplicates after it last took one, in seconds (at
    /// least `window_seconds`); a duplicate arriving later starts a new row.
    pub keep_open_seconds: u32,
    /// Per-service overrides, by service name.
    pub services: BTreeMap<String, ServiceDedup>,
}

/// How one service's records are deduplicated, where it differs from the global settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceDedup {
    /// Whether this service's records are deduplicated; unset: the global `enabled`.
    pub enabled: Option<bool>,
    /// The attributes compared for this service instead of the global list; unset: the global one.
    pub attributes: Option<Vec<String>>,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            enabled: false,
            window_seconds: 10,
            attributes: Vec::new(),
            keep_open_seconds: 300,
            services: BTreeMap::new(),
        }
    }
}

impl DedupConfig {
    /// Whether any service's records may be deduplicated.
    pub fn any_enabled(&self) -> bool {
        self.enabled || self.services.values().any(|s| s.enabled == Some(true))
    }
}
