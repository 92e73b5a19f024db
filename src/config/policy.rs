//! `policy:`: what ingest stores of what it receives, to control cost: minimum levels, sampling
//! and per-service quotas. Off by default (everything is stored). The policy step checks these
//! settings when it is built (`pipeline::policy::Policy::from_config`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Level;

/// Cost control at ingest. Derived metrics count every record received before any of it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Minimum levels: records below their minimum are not stored.
    pub levels: LevelsConfig,
    /// Sampling of low-severity records, the same decision for every record and span of a trace.
    pub sampling: SamplingConfig,
    /// Records per second and bytes per day per service; over them records are refused.
    pub quotas: QuotasConfig,
}

/// Minimum levels; the most specific match wins: the longest scope prefix, then the service,
/// then the environment, then `default`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LevelsConfig {
    /// The minimum of records nothing below matches.
    pub default: LevelName,
    /// By environment: `deployment.environment.name` (or `deployment.environment`) of the
    /// resource, else the record's `fields.environment` alias, e.g. `{production: info}`.
    pub environments: BTreeMap<String, LevelName>,
    /// By service name, e.g. `{auth: info}`.
    pub services: BTreeMap<String, LevelName>,
    /// By prefix of the record's scope (logger name), e.g. `{"services.auth": info, "infra.": warn}`.
    pub scopes: BTreeMap<String, LevelName>,
}

/// Sampling of records at or below a level, by a ratio per service.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamplingConfig {
    /// Records at or below this level may be sampled out; `warn` and above never are, nor
    /// exceptions, slow requests and queries, and the `security` retention class.
    pub at_or_below: LevelName,
    /// The share of traces (records without a trace id: of contents) kept, 0 to 1.
    pub default_ratio: f64,
    /// The ratio by service name, overriding `default_ratio`.
    pub services: BTreeMap<String, f64>,
}

/// Per-service quotas; a service without its own entry takes `default`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuotasConfig {
    /// The quota of every service without its own entry.
    pub default: QuotaConfig,
    /// By service name.
    pub services: BTreeMap<String, QuotaConfig>,
}

/// One service's quota; an unset limit is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuotaConfig {
    /// Records (and spans) stored per second, on average over one second's burst.
    pub records_per_second: Option<u64>,
    /// Bytes of records stored per UTC day (body, names and attributes).
    pub bytes_per_day: Option<u64>,
}

/// A level as configuration names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelName {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl From<LevelName> for Level {
    fn from(name: LevelName) -> Level {
        match name {
            LevelName::Trace => Level::Trace,
            LevelName::Debug => Level::Debug,
            LevelName::Info => Level::Info,
            LevelName::Warn => Level::Warn,
            LevelName::Error => Level::Error,
            LevelName::Fatal => Level::Fatal,
        }
    }
}

impl Default for LevelsConfig {
    fn default() -> Self {
        LevelsConfig {
            default: LevelName::Trace,
            environments: BTreeMap::new(),
            services: BTreeMap::new(),
            scopes: BTreeMap::new(),
        }
    }
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            at_or_below: LevelName::Info,
            default_ratio: 1.0,
            services: BTreeMap::new(),
        }
    }
}
