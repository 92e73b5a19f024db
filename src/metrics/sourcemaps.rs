//! The source map cache's own metrics: lookups answered from memory or the database, and what
//! the parsed maps kept in memory take (`crate::sourcemaps` updates them).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

use super::Registrar;
use super::catalogue::{MetricInfo, Unit};

const HITS: MetricInfo = MetricInfo::counter(
    "logbridge_sourcemap_cache_hits_total",
    &[],
    "Stack frame files whose source map (or the lack of one) was known in memory",
);
const MISSES: MetricInfo = MetricInfo::counter(
    "logbridge_sourcemap_cache_misses_total",
    &[],
    "Stack frame files whose source map was looked up in the database (and parsed if found)",
);
const EVICTIONS: MetricInfo = MetricInfo::counter(
    "logbridge_sourcemap_cache_evictions_total",
    &[],
    "Parsed source maps dropped from memory to stay within sourcemaps.cache_bytes",
);
const MAPS: MetricInfo = MetricInfo::gauge(
    "logbridge_sourcemap_cache_maps",
    &[],
    "Parsed source maps kept in memory",
);
const BYTES: MetricInfo = MetricInfo::gauge(
    "logbridge_sourcemap_cache_bytes",
    &[],
    "Estimated memory the parsed source maps kept take (bounded by sourcemaps.cache_bytes)",
)
.with_unit(Unit::Bytes);

/// Every `logbridge_sourcemap_*` metric.
#[derive(Default)]
pub struct SourceMapMetrics {
    hits: Counter,
    misses: Counter,
    evictions: Counter,
    maps: Gauge,
    bytes: Gauge,
}

impl SourceMapMetrics {
    pub fn register(registrar: &mut Registrar) -> SourceMapMetrics {
        let metrics = SourceMapMetrics::default();
        let mut r = registrar.sub_registry("logbridge");
        r.register(&HITS, metrics.hits.clone());
        r.register(&MISSES, metrics.misses.clone());
        r.register(&EVICTIONS, metrics.evictions.clone());
        r.register(&MAPS, metrics.maps.clone());
        r.register(&BYTES, metrics.bytes.clone());
        metrics
    }

    /// Counts frame files looked up: `hits` answered from memory, `misses` from the database.
    pub fn observe_lookups(&self, hits: usize, misses: usize) {
        self.hits.inc_by(hits as u64);
        self.misses.inc_by(misses as u64);
    }

    /// Counts maps dropped for the budget.
    pub fn observe_evictions(&self, maps: usize) {
        self.evictions.inc_by(maps as u64);
    }

    /// Sets what the cache holds now.
    pub fn set_size(&self, maps: usize, bytes: usize) {
        self.maps.set(maps as i64);
        self.bytes.set(bytes as i64);
    }
}
