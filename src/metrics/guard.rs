//! The cardinality guard: a label family with a cap on its series; label sets past the cap are
//! counted in one `__overflow__` series and in `logbridge_metric_series_overflow_total`.

use std::hash::Hash;
use std::sync::Mutex;

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::TypedMetric;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};

/// Whether a histogram may observe `value` without its sum becoming infinite or losing every
/// later observation to rounding: finite and at most `max` in magnitude.
pub fn observable(value: f64, max: f64) -> bool {
    value.is_finite() && value.abs() <= max
}

/// The label value of the overflow series.
pub const OVERFLOW: &str = "__overflow__";

/// A label set that has an overflow form (every label `__overflow__`).
pub trait Overflow {
    /// The label set of the overflow series of the family `self` belongs to.
    fn overflow(&self) -> Self;
}

/// A metric family holding at most `cap` series besides the overflow series.
pub struct Capped<L, M, C> {
    family: Family<L, M, C>,
    cap: usize,
    /// Series created so far; guarded by the lock so that two threads cannot both take the last.
    series: Mutex<usize>,
    overflowed: Counter,
}

impl<L, M, C> Capped<L, M, C>
where
    L: Clone + Hash + Eq + Overflow + EncodeLabelSet + std::fmt::Debug + Send + Sync + 'static,
    M: EncodeMetric + TypedMetric + std::fmt::Debug + Send + Sync + 'static,
    C: MetricConstructor<M> + Clone + Send + Sync + 'static,
{
    /// A family capped at `cap` series; its overflows also count in `overflowed`.
    pub fn new(family: Family<L, M, C>, cap: usize, overflowed: Counter) -> Self {
        Capped {
            family,
            cap,
            series: Mutex::new(0),
            overflowed,
        }
    }

    /// The family, to register (it shares its series with this guard).
    pub fn family(&self) -> Family<L, M, C> {
        self.family.clone()
    }

    /// Applies `update` to the series of `labels`, or to the overflow series when `labels` would
    /// be a new series past the cap.
    pub fn with(&self, labels: &L, update: impl FnOnce(&M)) {
        if let Some(metric) = self.family.get(labels) {
            return update(&metric);
        }
        let mut series = self.series.lock().expect("series count lock");
        if self.family.get(labels).is_some() {
            return update(&self.family.get_or_create(labels));
        }
        if *series < self.cap {
            *series += 1;
            return update(&self.family.get_or_create(labels));
        }
        self.overflowed.inc();
        update(&self.family.get_or_create(&labels.overflow()));
    }
}
