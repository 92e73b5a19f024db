//! The policy step: what is stored of what was received, decided after the other steps (and
//! after the derived metrics saw every record): minimum levels ([`levels`]), trace-consistent
//! sampling ([`sampling`]) and the per-service quota limits that ingest enforces with its own
//! counters (they outlive a reload of the pipeline).

pub mod levels;
pub mod sampling;
pub mod size;

use std::collections::HashMap;

use crate::config::policy::{PolicyConfig, QuotaConfig};
use crate::config::{FieldAliases, MetricsConfig};
use crate::model::{Level, LogRecord, SpanRecord, SpanStatus};
use levels::MinimumLevels;
use sampling::{InvalidSampling, Sampler};

/// The retention class whose records are never sampled out.
const SECURITY_CLASS: &str = "security";

/// A `policy:` setting that cannot be used, naming its key.
#[derive(Debug, thiserror::Error)]
pub enum InvalidPolicy {
    #[error(transparent)]
    Sampling(#[from] InvalidSampling),
    #[error("{key}: must be greater than 0 (leave it unset for no limit)")]
    ZeroQuota { key: String },
}

/// What becomes of one record or span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Stored (if within its service's quota).
    Store,
    /// Below its minimum level.
    BelowLevel,
    /// Sampled out.
    Sampled,
}

/// Levels, sampling and quota limits, compiled from `policy:`.
#[derive(Debug, Clone)]
pub struct Policy {
    levels: MinimumLevels,
    sampler: Sampler,
    /// Whether any record may be dropped: the fast path skips every lookup otherwise.
    active: bool,
    slow_request_seconds: f64,
    slow_query_seconds: f64,
    default_quota: QuotaConfig,
    quotas: HashMap<String, QuotaConfig>,
}

impl Policy {
    /// Compiles the settings; an unusable one is an error naming its key.
    pub fn from_config(
        config: &PolicyConfig,
        aliases: &FieldAliases,
        metrics: &MetricsConfig,
    ) -> Result<Policy, InvalidPolicy> {
        check_quotas(config)?;
        let levels = MinimumLevels::from_config(&config.levels, &aliases.environment);
        let sampler = Sampler::from_config(&config.sampling)?;
        let quotas = &config.quotas.services;
        Ok(Policy {
            active: !levels.keeps_all() || !sampler.keeps_all(),
            levels,
            sampler,
            slow_request_seconds: metrics.slow_request_seconds,
            slow_query_seconds: metrics.slow_query_seconds,
            default_quota: config.quotas.default,
            quotas: quotas.iter().map(|(s, q)| (s.clone(), *q)).collect(),
        })
    }

    /// Whether the policy may drop anything but over-quota records.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The verdict on a processed record.
    pub fn decide(&self, record: &LogRecord) -> Verdict {
        if !self.active {
            return Verdict::Store;
        }
        if record.level < self.levels.minimum(record) {
            return Verdict::BelowLevel;
        }
        if !self.sampleable(record) || self.sampler.keeps_record(record) {
            return Verdict::Store;
        }
        Verdict::Sampled
    }

    /// The verdict on a processed span: spans have no level, so only sampling applies, to
    /// spans as to `info` records.
    pub fn decide_span(&self, span: &SpanRecord) -> Verdict {
        if !self.active || !self.span_sampleable(span) {
            return Verdict::Store;
        }
        let content = span.span_id.as_str();
        match self
            .sampler
            .keeps(&span.service, Some(&span.trace_id), content)
        {
            true => Verdict::Store,
            false => Verdict::Sampled,
        }
    }

    /// The quota of a service: its own, else the default.
    pub fn quota(&self, service: &str) -> QuotaConfig {
        let own = self.quotas.get(service).copied();
        own.unwrap_or(self.default_quota)
    }

    /// Whether any service has a quota.
    pub fn has_quotas(&self) -> bool {
        let limited = |q: &QuotaConfig| q.records_per_second.is_some() || q.bytes_per_day.is_some();
        limited(&self.default_quota) || self.quotas.values().any(limited)
    }

    /// Whether a record may be sampled out: low severity, no exception, not a slow request or
    /// query, not of the security retention class.
    fn sampleable(&self, record: &LogRecord) -> bool {
        let slow_request = (record.request.as_ref())
            .and_then(|r| r.duration_seconds)
            .is_some_and(|s| s >= self.slow_request_seconds);
        let slow_query = (record.query.as_ref())
            .and_then(|q| q.duration_seconds)
            .is_some_and(|s| s >= self.slow_query_seconds);
        self.sampler.applies_to(record.level)
            && record.exception.is_none()
            && !slow_request
            && !slow_query
            && record.retention_class() != SECURITY_CLASS
    }

    /// Whether a span may be sampled out: not an error, no exception, not slow.
    fn span_sampleable(&self, span: &SpanRecord) -> bool {
        let seconds = span.duration_ns as f64 / 1e9;
        let slow = (span.request.is_some() && seconds >= self.slow_request_seconds)
            || (span.query.is_some() && seconds >= self.slow_query_seconds);
        self.sampler.applies_to(Level::Info)
            && span.status.code != SpanStatus::ERROR
            && span.exceptions.is_empty()
            && !slow
    }
}

/// Refuses a quota of 0, which would refuse every record.
fn check_quotas(config: &PolicyConfig) -> Result<(), InvalidPolicy> {
    let services = (config.quotas.services.iter()).map(|(s, q)| (format!("services.{s}"), q));
    let all = std::iter::once(("default".to_string(), &config.quotas.default)).chain(services);
    for (name, quota) in all {
        let limits = [
            ("records_per_second", quota.records_per_second),
            ("bytes_per_day", quota.bytes_per_day),
        ];
        if let Some((limit, _)) = limits.iter().find(|(_, value)| *value == Some(0)) {
            let key = format!("policy.quotas.{name}.{limit}");
            return Err(InvalidPolicy::ZeroQuota { key });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
