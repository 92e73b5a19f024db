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
use crate::metrics::bridge::MetricLabels;
use crate::metrics::catalogue::MetricInfo;
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

/// The configured log metrics: their compiled rules and families, in a registry of their own
/// that is exposed beside the bridge's, so that a reload can replace them whole.
pub struct LogMetricFamilies {
    rules: LogMetricRules,
    families: Vec<Arc<LogFamily>>,
    config: Vec<LogMetricConfig>,
    registry: Registry,
}

/// The families that count series past their cap (`overflow{metric}`) and values refused
/// (`rejected{metric}`).
pub type Guards<'a> = (
    &'a Family<MetricLabels, Counter>,
    &'a Family<MetricLabels, Counter>,
);

impl LogMetricFamilies {
    /// Checks `config` against the rules and the bridge's own metrics (`declared`), compiles
    /// it, then registers one family per metric, capped at `cap` series with overflow counted
    /// in `overflow{metric}`. A metric configured exactly as in `previous` keeps its family
    /// and so its series.
    pub(in crate::metrics) fn build(
        declared: &[MetricInfo],
        guards: Guards,
        cap: usize,
        config: &[LogMetricConfig],
        previous: Option<&LogMetricFamilies>,
    ) -> Result<LogMetricFamilies, InvalidLogMetric> {
        check(config, declared)?;
        let rules = LogMetricRules::compile(config)?;
        let mut registry = Registry::default();
        let families = config
            .iter()
            .map(|metric| {
                let kept = previous.and_then(|previous| previous.family_of(metric));
                let family = kept.unwrap_or_else(|| Arc::new(new_family(guards, cap, metric)));
                register(&mut registry, metric, &family);
                family
            })
            .collect();
        Ok(LogMetricFamilies {
            rules,
            families,
            config: config.to_vec(),
            registry,
        })
    }

    /// The registry of these metrics, exposed after the bridge's own.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The family of a metric configured exactly like `metric`.
    fn family_of(&self, metric: &LogMetricConfig) -> Option<Arc<LogFamily>> {
        let index = self.config.iter().position(|c| c == metric)?;
        Some(Arc::clone(&self.families[index]))
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
                    if let LogFamily::Counter(family) = self.families[index].as_ref() {
                        family.with(&labels, |c| {
                            c.inc_by(n);
                        });
                    }
                }
                LogSample::Observe(index, labels, value, exemplar) => {
                    let LogFamily::Histogram(family, rejected) = self.families[index].as_ref()
                    else {
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

/// The family of one configured metric, capped.
fn new_family((overflow, rejected): Guards, cap: usize, metric: &LogMetricConfig) -> LogFamily {
    let labels = MetricLabels {
        metric: Cow::Owned(metric.family_name().to_string()),
    };
    let overflowed = overflow.get_or_create(&labels).clone();
    match metric.kind {
        LogMetricKind::Counter => {
            let family = Family::new_with_constructor(Counter::default as fn() -> Counter);
            LogFamily::Counter(Capped::new(family, cap, overflowed))
        }
        LogMetricKind::Histogram => {
            let family = Family::new_with_constructor(Buckets(metric.buckets().into()));
            let capped = Capped::new(family, cap, overflowed);
            LogFamily::Histogram(capped, rejected.get_or_create(&labels).clone())
        }
    }
}

/// Registers a metric's family under its configured name and help.
fn register(registry: &mut Registry, metric: &LogMetricConfig, family: &LogFamily) {
    let name = metric.family_name();
    match family {
        LogFamily::Counter(capped) => registry.register(name, &metric.help, capped.family()),
        LogFamily::Histogram(capped, _) => registry.register(name, &metric.help, capped.family()),
    }
}
