//! The families of the configured log metrics, each capped like the derived ones.

use std::borrow::Cow;
use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::registry::Registry;

use super::check::{InvalidLogMetric, check};
use super::{LogMetricLabels, LogMetricRules, LogSample};
use crate::config::log_metrics::{LogMetricConfig, LogMetricKind};
use crate::metrics::Registrar;
use crate::metrics::bridge::MetricLabels;
use crate::metrics::derived::TraceExemplar;
use crate::metrics::guard::{Capped, observable};
use crate::model::LogRecord;

type Histogram = HistogramWithExemplars<TraceExemplar>;

/// Creates the histograms of one metric, with its buckets.
#[derive(Debug, Clone)]
struct Buckets(Arc<[f64]>);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        HistogramWithExemplars::new(self.0.iter().copied())
    }
}

enum LogFamily {
    Counter(Capped<LogMetricLabels, Counter, fn() -> Counter>),
    /// The histogram, and the count of values it refused (see [`MAX_OBSERVED`]).
    Histogram(Capped<LogMetricLabels, Histogram, Buckets>, Counter),
}

/// The largest magnitude a log metric histogram observes: past it (or not finite) a value is
/// counted in `logbridge_rejected_observations_total{metric}`, so that `_sum` stays finite and
/// keeps the precision of later observations.
pub const MAX_OBSERVED: f64 = 1e15;

/// The configured log metrics: their compiled rules and their registered families.
pub struct LogMetricFamilies {
    rules: LogMetricRules,
    families: Vec<LogFamily>,
}

impl LogMetricFamilies {
    /// Checks `config` against the rules and the metrics `registrar` holds already, compiles
    /// it, then registers one family per metric, capped at `cap` series with overflow counted
    /// in `overflow{metric}`.
    pub(in crate::metrics) fn register(
        registrar: &mut Registrar,
        guards: (
            &Family<MetricLabels, Counter>,
            &Family<MetricLabels, Counter>,
        ),
        cap: usize,
        config: &[LogMetricConfig],
    ) -> Result<LogMetricFamilies, InvalidLogMetric> {
        check(config, registrar.declared())?;
        let rules = LogMetricRules::compile(config)?;
        let registry = registrar.registry();
        let families = config
            .iter()
            .map(|metric| register_one(registry, guards, cap, metric))
            .collect();
        Ok(LogMetricFamilies { rules, families })
    }

    /// The samples of records; no work at all when no log metric is configured.
    pub fn evaluate(&self, records: &[LogRecord]) -> Vec<LogSample> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        self.rules.evaluate(records)
    }

    /// Counts the samples of committed records.
    pub fn apply(&self, samples: Vec<LogSample>) {
        for sample in samples {
            match sample {
                LogSample::Count(index, labels, n) => {
                    if let LogFamily::Counter(family) = &self.families[index] {
                        family.with(&labels, |c| {
                            c.inc_by(n);
                        });
                    }
                }
                LogSample::Observe(index, labels, value, exemplar) => {
                    let LogFamily::Histogram(family, rejected) = &self.families[index] else {
                        continue;
                    };
                    if observable(value, MAX_OBSERVED) {
                        family.with(&labels, |h| h.observe(value, exemplar, None));
                    } else {
                        rejected.inc();
                    }
                }
            }
        }
    }
}

/// Registers one configured metric's family under its configured name and help.
fn register_one(
    registry: &mut Registry,
    (overflow, rejected): (
        &Family<MetricLabels, Counter>,
        &Family<MetricLabels, Counter>,
    ),
    cap: usize,
    metric: &LogMetricConfig,
) -> LogFamily {
    let name = metric.family_name();
    let labels = MetricLabels {
        metric: Cow::Owned(name.to_string()),
    };
    let overflowed = overflow.get_or_create(&labels).clone();
    match metric.kind {
        LogMetricKind::Counter => {
            let family = Family::new_with_constructor(Counter::default as fn() -> Counter);
            let capped = Capped::new(family, cap, overflowed);
            registry.register(name, &metric.help, capped.family());
            LogFamily::Counter(capped)
        }
        LogMetricKind::Histogram => {
            let family = Family::new_with_constructor(Buckets(metric.buckets().into()));
            let capped = Capped::new(family, cap, overflowed);
            registry.register(name, &metric.help, capped.family());
            LogFamily::Histogram(capped, rejected.get_or_create(&labels).clone())
        }
    }
}
