//! `retention:`: how long each class of logs is kept (first matching class wins), when the
//! retention job runs, and how long the smaller tables keep their rows. The retention step
//! checks the classes (`pipeline::retention::check`), the retention job the rest
//! (`jobs::retention::check`).

use serde::{Deserialize, Serialize};

use crate::model::DEFAULT_RETENTION_CLASS;

/// The class name of `logs` partitions made before retention classes existed (they hold every
/// class); no configured class may take it.
pub const LEGACY_CLASS: &str = "all";

/// The retention job and the classes it keeps logs by.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Whether `serve` runs the retention job on a schedule (`logbridge retention run` always can).
    pub enabled: bool,
    /// Seconds between two scheduled runs.
    pub interval_seconds: u64,
    /// Seconds after `serve` starts before the first scheduled run.
    pub first_run_delay_seconds: u64,
    /// Longest wait, in seconds, for the lock of an expired day's partition before the job
    /// gives up on it until the next run (reads of that day wait behind the job meanwhile).
    pub lock_timeout_seconds: u64,
    /// Retention classes, first match wins; the last is `standard`, with no conditions, the
    /// class of every record no other class takes. Setting the list replaces the defaults.
    /// Spans take the first class whose one condition is `services`, else `standard`.
    pub classes: Vec<RetentionClassConfig>,
    /// Days an exception group is kept after its last occurrence (`exception_groups`).
    pub exceptions_days: u32,
    /// Days the audit trail is kept (`audit_log`); at least 365.
    pub audit_days: u32,
    /// Days alert state changes are kept (`alert_history`).
    pub alert_history_days: u32,
    /// Days the rollups are kept (`log_counts`, `error_counts`, `scope_counts`); unset: the
    /// longest class's days.
    pub rollup_days: Option<u32>,
    /// Days after which the IP addresses in stored logs and spans are truncated (last IPv4
    /// octet, last 80 bits of IPv6), once per day partition; null: never (GDPR data
    /// minimization).
    pub anonymize_ips_after_days: Option<u32>,
}

/// One retention class: which records it takes and how many days they are kept.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetentionClassConfig {
    /// The class name (`[a-z][a-z0-9_]{0,30}`), stored in column `logs.retention_class`.
    pub name: String,
    /// Days a day's records are kept after the day ends.
    pub days: u32,
    /// Levels (`trace` ... `fatal`), any of them; empty: any level.
    #[serde(default)]
    pub levels: Vec<String>,
    /// Services, any of them; empty: any service.
    #[serde(default)]
    pub services: Vec<String>,
    /// Categories (attribute aliases `fields.category`, e.g. ECS `event.category`), any of
    /// them, compared case-insensitively; empty: any category.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Whether the record must carry an exception (`true`) or must not (`false`); unset: either.
    #[serde(default)]
    pub has_exception: Option<bool>,
}

impl RetentionClassConfig {
    fn new(name: &str, days: u32) -> RetentionClassConfig {
        RetentionClassConfig {
            name: name.to_string(),
            days,
            levels: Vec::new(),
            services: Vec::new(),
            categories: Vec::new(),
            has_exception: None,
        }
    }

    /// Whether the class sets no condition (and so takes every record that reaches it).
    pub fn matches_everything(&self) -> bool {
        self.levels.is_empty()
            && self.services.is_empty()
            && self.categories.is_empty()
            && self.has_exception.is_none()
    }
}

impl Default for RetentionConfig {
    fn default() -> Self {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect();
        RetentionConfig {
            enabled: true,
            interval_seconds: 24 * 3600,
            first_run_delay_seconds: 300,
            lock_timeout_seconds: 5,
            classes: vec![
                RetentionClassConfig {
                    categories: words(&["security", "authentication", "audit"]),
                    ..RetentionClassConfig::new("security", 365)
                },
                RetentionClassConfig {
                    has_exception: Some(true),
                    ..RetentionClassConfig::new("exceptions", 365)
                },
                RetentionClassConfig {
                    levels: words(&["trace", "debug"]),
                    ..RetentionClassConfig::new("debug", 14)
                },
                RetentionClassConfig::new(DEFAULT_RETENTION_CLASS, 90),
            ],
            exceptions_days: 365,
            audit_days: 365,
            alert_history_days: 365,
            rollup_days: None,
            anonymize_ips_after_days: Some(30),
        }
    }
}

impl RetentionConfig {
    /// The longest `days` of any class: how long partitions of no (or an unknown) class live.
    pub fn longest_class_days(&self) -> u32 {
        self.classes.iter().map(|c| c.days).max().unwrap_or(1)
    }

    /// Days the per-minute rollups are kept.
    pub fn rollup_days(&self) -> u32 {
        self.rollup_days
            .unwrap_or_else(|| self.longest_class_days())
    }
}

#[cfg(test)]
mod tests;
