//! The ingest policy's metrics: records not stored, by service, level and reason, and bytes
//! stored, by service and level; capped like the derived metrics.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::Registrar;
use super::bridge::MetricLabels;
use super::catalogue::{MetricInfo, Unit};
use super::families::{CappedRegistrar, Counters};
use super::guard::{OVERFLOW, Overflow};
use crate::model::Level;

/// Why a received record was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotStored {
    /// Below its minimum level.
    BelowLevel,
    /// Sampled out.
    Sampled,
    /// Over its service's quota.
    Quota,
}

impl NotStored {
    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            NotStored::BelowLevel => "below_level",
            NotStored::Sampled => "sampled",
            NotStored::Quota => "quota",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SampledOutLabels {
    service: String,
    level: String,
    reason: String,
}

impl Overflow for SampledOutLabels {
    fn overflow(&self) -> Self {
        let overflow = || OVERFLOW.to_string();
        SampledOutLabels {
            service: overflow(),
            level: overflow(),
            reason: overflow(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoredLabels {
    service: String,
    level: String,
}

impl Overflow for StoredLabels {
    fn overflow(&self) -> Self {
        StoredLabels {
            service: OVERFLOW.to_string(),
            level: OVERFLOW.to_string(),
        }
    }
}

const SAMPLED_OUT: MetricInfo = MetricInfo::counter(
    "logbridge_ingest_sampled_out_total",
    &["service", "level", "reason"],
    "Records (and spans, level info) received but not stored, by reason: below_level, \
     sampled or quota",
);
const STORED_BYTES: MetricInfo = MetricInfo::counter(
    "logbridge_ingest_stored_bytes_total",
    &["service", "level"],
    "Bytes of records (and spans, level info) stored: body, names and attributes, as the \
     quotas count them",
)
.with_unit(Unit::Bytes);

/// The policy's counters, each capped.
pub struct PolicyMetrics {
    sampled_out: Counters<SampledOutLabels>,
    stored_bytes: Counters<StoredLabels>,
}

impl PolicyMetrics {
    pub(super) fn register(
        registrar: &mut Registrar,
        overflow: &Family<MetricLabels, Counter>,
        cap: usize,
    ) -> PolicyMetrics {
        let mut r = CappedRegistrar {
            registrar,
            overflow,
            cap,
        };
        PolicyMetrics {
            sampled_out: r.counter(&SAMPLED_OUT),
            stored_bytes: r.counter(&STORED_BYTES),
        }
    }

    /// Counts records of a service and level not stored for `reason`.
    pub fn observe_not_stored(&self, service: &str, level: Level, reason: NotStored, n: u64) {
        let labels = SampledOutLabels {
            service: service.to_string(),
            level: level.as_str().to_string(),
            reason: reason.as_str().to_string(),
        };
        self.sampled_out.with(&labels, |c| {
            c.inc_by(n);
        });
    }

    /// Counts bytes stored of a service and level.
    pub fn observe_stored_bytes(&self, service: &str, level: Level, bytes: u64) {
        let labels = StoredLabels {
            service: service.to_string(),
            level: level.as_str().to_string(),
        };
        self.stored_bytes.with(&labels, |c| {
            c.inc_by(bytes);
        });
    }
}
