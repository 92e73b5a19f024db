//! The contract's derived metric families, each capped, and how samples are applied to them;
//! the capped registration and observation that the span metrics ([`super::spans`]) reuse.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::EncodeMetric;
use prometheus_client::metrics::TypedMetric;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::family::MetricConstructor;

use super::Registrar;
use super::catalogue::{MetricInfo, Unit};
use super::registrar::registered_name;

use super::bridge::MetricLabels;
use super::derived::{
    ExceptionLabels, LogLabels, MAX_DURATION_SECONDS, QueryLabels, RequestLabels, Sample,
    SlowQueryLabels, SlowRequestLabels, TraceExemplar,
};
use super::guard::{Capped, Overflow, observable};
use super::web_vitals::WebVitalLabels;

/// OTel semantic-convention buckets for `http.server.request.duration`.
const HTTP_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// OTel semantic-convention buckets for `db.client.operation.duration`.
const DB_BUCKETS: [f64; 9] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];
/// Web-vitals durations: around the "good" and "poor" thresholds (INP 0.2/0.5 s, FCP 1.8/3 s,
/// LCP 2.5/4 s, TTFB 0.8/1.8 s).
const VITAL_BUCKETS: [f64; 12] = [0.05, 0.1, 0.2, 0.5, 0.8, 1.0, 1.8, 2.5, 3.0, 4.0, 6.0, 10.0];
/// Layout shift scores around the "good" and "poor" thresholds (0.1, 0.25).
const CLS_BUCKETS: [f64; 7] = [0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0];

pub(super) type Histogram = HistogramWithExemplars<TraceExemplar>;
pub(super) type Histograms<L> = Capped<L, Histogram, fn() -> Histogram>;
pub(super) type Counters<L> = Capped<L, Counter, fn() -> Counter>;

fn http_histogram() -> Histogram {
    HistogramWithExemplars::new(HTTP_BUCKETS.into_iter())
}

fn db_histogram() -> Histogram {
    HistogramWithExemplars::new(DB_BUCKETS.into_iter())
}

fn vital_histogram() -> Histogram {
    HistogramWithExemplars::new(VITAL_BUCKETS.into_iter())
}

fn cls_histogram() -> Histogram {
    HistogramWithExemplars::new(CLS_BUCKETS.into_iter())
}

/// The contract's derived metric families, each capped.
pub struct DerivedMetrics {
    logs: Counters<LogLabels>,
    requests: Histograms<RequestLabels>,
    slow_requests: Counters<SlowRequestLabels>,
    queries: Histograms<QueryLabels>,
    slow_queries: Counters<SlowQueryLabels>,
    exceptions: Counters<ExceptionLabels>,
    web_vitals: Histograms<WebVitalLabels>,
    cls: Histograms<WebVitalLabels>,
    /// Durations refused by each histogram.
    rejected_requests: Counter,
    rejected_queries: Counter,
    rejected_vitals: Counter,
}

const WEB_VITALS: MetricInfo = MetricInfo::histogram(
    "browser_web_vitals_duration_seconds",
    &["service", "route", "vital"],
    "Web vitals of browser pages (lcp, fcp, ttfb, inp) from Faro web-vitals measurements",
)
.with_unit(Unit::Seconds);
const CLS: MetricInfo = MetricInfo::histogram(
    "browser_web_vitals_cls",
    &["service", "route", "vital"],
    "Cumulative layout shift score of browser pages from Faro web-vitals measurements",
);
const LOGS: MetricInfo = MetricInfo::counter(
    "log_records_total",
    &["service", "level"],
    "Log records accepted, by service and level",
);
const REQUESTS: MetricInfo = MetricInfo::histogram(
    "http_server_request_duration_seconds",
    &["service", "method", "route", "status_code"],
    "Duration of HTTP server requests described by logs or server spans",
)
.with_unit(Unit::Seconds);
const SLOW_REQUESTS: MetricInfo = MetricInfo::counter(
    "http_server_slow_requests_total",
    &["service", "method", "route"],
    "HTTP server requests at least as slow as the slow-request threshold",
);
const QUERIES: MetricInfo = MetricInfo::histogram(
    "db_client_operation_duration_seconds",
    &["service", "db_system", "operation"],
    "Duration of database operations described by logs or database client spans",
)
.with_unit(Unit::Seconds);
const SLOW_QUERIES: MetricInfo = MetricInfo::counter(
    "db_client_slow_queries_total",
    &["service", "db_system", "query"],
    "Database queries at least as slow as the slow-query threshold, by fingerprint",
);
const EXCEPTIONS: MetricInfo = MetricInfo::counter(
    "exceptions_total",
    &["service", "exception_type"],
    "Exceptions logged or recorded as span events, by service and type",
);

/// Registers capped families, each with its series in the overflow counter.
pub(super) struct CappedRegistrar<'r, 'a> {
    pub(super) registrar: &'r mut Registrar<'a>,
    pub(super) overflow: &'r Family<MetricLabels, Counter>,
    pub(super) cap: usize,
}

impl CappedRegistrar<'_, '_> {
    pub(super) fn counter<L>(&mut self, info: &MetricInfo) -> Counters<L>
    where
        L: Clone + std::hash::Hash + Eq + Overflow + EncodeLabelSet + std::fmt::Debug,
        L: Send + Sync + 'static,
    {
        let family = Family::new_with_constructor(Counter::default as fn() -> Counter);
        self.register(info, family)
    }

    pub(super) fn histogram<L>(
        &mut self,
        info: &MetricInfo,
        new: fn() -> Histogram,
    ) -> Histograms<L>
    where
        L: Clone + std::hash::Hash + Eq + Overflow + EncodeLabelSet + std::fmt::Debug,
        L: Send + Sync + 'static,
    {
        self.register(info, Family::new_with_constructor(new))
    }

    fn register<L, M, C>(&mut self, info: &MetricInfo, family: Family<L, M, C>) -> Capped<L, M, C>
    where
        L: Clone + std::hash::Hash + Eq + Overflow + EncodeLabelSet + std::fmt::Debug,
        L: Send + Sync + 'static,
        M: EncodeMetric + TypedMetric + std::fmt::Debug + Send + Sync + 'static,
        C: MetricConstructor<M> + Clone + Send + Sync + 'static,
    {
        let capped = Capped::new(family, self.cap, self.overflowed(info));
        self.registrar.register(info, capped.family());
        capped
    }

    /// The overflow series of a family, labelled with its registered name (no `_total`, no
    /// unit).
    fn overflowed(&self, info: &MetricInfo) -> Counter {
        let metric = registered_name(info, "").to_string();
        self.overflow
            .get_or_create(&MetricLabels {
                metric: metric.into(),
            })
            .clone()
    }
}

impl DerivedMetrics {
    /// Creates the families, each capped at `cap` series, and registers them.
    pub(super) fn register(
        registrar: &mut Registrar,
        (overflow, rejected): (
            &Family<MetricLabels, Counter>,
            &Family<MetricLabels, Counter>,
        ),
        cap: usize,
    ) -> DerivedMetrics {
        let mut r = CappedRegistrar {
            registrar,
            overflow,
            cap,
        };
        let rejected_of = |info: &MetricInfo| {
            let metric = registered_name(info, "").to_string().into();
            rejected.get_or_create(&MetricLabels { metric }).clone()
        };
        DerivedMetrics {
            rejected_requests: rejected_of(&REQUESTS),
            rejected_queries: rejected_of(&QUERIES),
            logs: r.counter(&LOGS),
            requests: r.histogram(&REQUESTS, http_histogram),
            slow_requests: r.counter(&SLOW_REQUESTS),
            queries: r.histogram(&QUERIES, db_histogram),
            slow_queries: r.counter(&SLOW_QUERIES),
            exceptions: r.counter(&EXCEPTIONS),
            web_vitals: r.histogram(&WEB_VITALS, vital_histogram),
            cls: r.histogram(&CLS, cls_histogram),
            rejected_vitals: rejected_of(&WEB_VITALS),
        }
    }

    /// Applies derived samples to the families.
    pub fn apply(&self, samples: Vec<Sample>) {
        for sample in samples {
            match sample {
                Sample::Logs(labels, n) => self.logs.with(&labels, |c| {
                    c.inc_by(n);
                }),
                Sample::RequestDuration(labels, seconds, exemplar) => observe(
                    &self.requests,
                    &self.rejected_requests,
                    &labels,
                    seconds,
                    exemplar,
                ),
                Sample::SlowRequest(labels) => self.slow_requests.with(&labels, |c| {
                    c.inc();
                }),
                Sample::QueryDuration(labels, seconds, exemplar) => observe(
                    &self.queries,
                    &self.rejected_queries,
                    &labels,
                    seconds,
                    exemplar,
                ),
                Sample::SlowQuery(labels) => self.slow_queries.with(&labels, |c| {
                    c.inc();
                }),
                Sample::Exception(labels) => self.exceptions.with(&labels, |c| {
                    c.inc();
                }),
                Sample::WebVitalDuration(labels, seconds, exemplar) => observe(
                    &self.web_vitals,
                    &self.rejected_vitals,
                    &labels,
                    seconds,
                    exemplar,
                ),
                Sample::WebVitalCls(labels, score) => {
                    observe(&self.cls, &self.rejected_vitals, &labels, score, None)
                }
            }
        }
    }
}

/// Observes a duration, or counts it in `rejected` when it is not a plausible one.
pub(super) fn observe<L>(
    family: &Histograms<L>,
    rejected: &Counter,
    labels: &L,
    seconds: f64,
    exemplar: Option<TraceExemplar>,
) where
    L: Clone + std::hash::Hash + Eq + Overflow + EncodeLabelSet + std::fmt::Debug,
    L: Send + Sync + 'static,
{
    if observable(seconds, MAX_DURATION_SECONDS) {
        family.with(labels, |h| h.observe(seconds, exemplar, None));
    } else {
        rejected.inc();
    }
}

#[cfg(test)]
mod tests;
