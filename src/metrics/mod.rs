//! Every metric the bridge exports: the contract's log-derived metrics (capped), the bridge's own
//! `logbridge_*` metrics, and their exposition in OpenMetrics or Prometheus text format.

mod bridge;
pub mod catalogue;
mod derived;
mod exposition;
mod families;
mod guard;

use std::sync::Arc;

use prometheus_client::registry::Registry;

pub use bridge::{BridgeMetrics, Outcome, Protocol, RejectReason};
pub use derived::{Sample, Thresholds, derive};
pub use exposition::{Format, content_type};
pub use families::DerivedMetrics;

use crate::config::MetricsConfig;
use crate::model::LogRecord;

/// The registry and every metric in it.
pub struct Metrics {
    registry: Registry,
    derived: DerivedMetrics,
    thresholds: Thresholds,
    /// The bridge's own metrics, shared with the store.
    pub bridge: Arc<BridgeMetrics>,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new(config: &MetricsConfig) -> Metrics {
        let mut registry = Registry::default();
        let bridge = BridgeMetrics::register(&mut registry);
        let cap = config.max_series_per_metric;
        let derived = DerivedMetrics::register(&mut registry, &bridge.series_overflow, cap);
        Metrics {
            registry,
            derived,
            thresholds: Thresholds {
                slow_request_seconds: config.slow_request_seconds,
                slow_query_seconds: config.slow_query_seconds,
            },
            bridge: Arc::new(bridge),
        }
    }

    /// Counts accepted (committed) records into the derived metrics.
    pub fn observe_accepted(&self, records: &[LogRecord]) {
        self.derived.apply(derive(records, self.thresholds));
    }

    /// Renders the registry in the given format.
    pub fn render(&self, format: Format) -> String {
        exposition::render(&self.registry, format)
    }
}
