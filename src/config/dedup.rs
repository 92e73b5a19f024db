//! `dedup:`: identical records within a time window stored once, with a count (off by default).

use std::collections::BTreeMap;

use serde::Deserialize;

/// Longest window: one day.
pub const MAX_WINDOW_SECONDS: u32 = 86_400;

/// Deduplication of repeated records: records of one service with the same level, body and
/// configured attribute values whose event times fall in the same window are stored as one row
/// with `dedup_count`, `first_seen` and `last_seen`. Metrics still count every record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
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

    /// Checks the ranges and names; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_WINDOW_SECONDS).contains(&self.window_seconds) {
            return Err(format!(
                "dedup.window_seconds: must be from 1 to {MAX_WINDOW_SECONDS}"
            ));
        }
        if self.keep_open_seconds < self.window_seconds {
            return Err(
                "dedup.keep_open_seconds: must be at least dedup.window_seconds".to_string(),
            );
        }
        check_attributes("dedup.attributes", &self.attributes)?;
        for (service, settings) in &self.services {
            if service.is_empty() {
                return Err("dedup.services: a service name must not be empty".to_string());
            }
            if let Some(attributes) = &settings.attributes {
                check_attributes(&format!("dedup.services.{service}.attributes"), attributes)?;
            }
        }
        Ok(())
    }
}

fn check_attributes(key: &str, attributes: &[String]) -> Result<(), String> {
    for (index, attribute) in attributes.iter().enumerate() {
        if attribute.trim().is_empty() {
            return Err(format!("{key}[{index}]: must not be empty"));
        }
        if attributes[..index].contains(attribute) {
            return Err(format!("{key}[{index}]: `{attribute}` is listed twice"));
        }
    }
    Ok(())
}
