//! The contract's derived metric families, each capped, and how samples are applied to them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};

use super::bridge::MetricLabels;
use super::derived::{
    ExceptionLabels, LogLabels, QueryLabels, RequestLabels, Sample, SlowQueryLabels,
    SlowRequestLabels, TraceExemplar,
};
use super::guard::{Capped, Overflow};

/// OTel semantic-convention buckets for `http.server.request.duration`.
const HTTP_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// OTel semantic-convention buckets for `db.client.operation.duration`.
const DB_BUCKETS: [f64; 9] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];

type Histogram = HistogramWithExemplars<TraceExemplar>;
type Histograms<L> = Capped<L, Histogram, fn() -> Histogram>;
type Counters<L> = Capped<L, Counter, fn() -> Counter>;

fn http_histogram() -> Histogram {
    HistogramWithExemplars::new(HTTP_BUCKETS.into_iter())
}

fn db_histogram() -> Histogram {
    HistogramWithExemplars::new(DB_BUCKETS.into_iter())
}

/// The contract's derived metric families, each capped.
pub struct DerivedMetrics {
    logs: Counters<LogLabels>,
    requests: Histograms<RequestLabels>,
    slow_requests: Counters<SlowRequestLabels>,
    queries: Histograms<QueryLabels>,
    slow_queries: Counters<SlowQueryLabels>,
    exceptions: Counters<ExceptionLabels>,
}

/// Registers one capped family under `name`, with its overflow counter.
struct Registrar<'a> {
    registry: &'a mut Registry,
    overflow: &'a Family<MetricLabels, Counter>,
    cap: usize,
}

impl Registrar<'_> {
    fn counter<L>(&mut self, name: &'static str, help: &str) -> Counters<L>
    where
        L: Clone + std::hash::Hash + Eq + Overflow + EncodeLabelSet + std::fmt::Debug,
        L: Send + Sync + 'static,
    {
        let family = Family::new_with_constructor(Counter::default as fn() -> Counter);
        let overflowed = self.overflowed(name);
        Capped::register(
            self.registry,
            name,
            help,
            None,
            family,
            self.cap,
            overflowed,
        )
    }

    fn histogram<L>(
        &mut self,
        name: &'static str,
        help: &str,
        new: fn() -> Histogram,
    ) -> Histograms<L>
    where
        L: Clone + std::hash::Hash + Eq + Overflow + EncodeLabelSet + std::fmt::Debug,
        L: Send + Sync + 'static,
    {
        let family = Family::new_with_constructor(new);
        let overflowed = self.overflowed(name);
        Capped::register(
            self.registry,
            name,
            help,
            Some(Unit::Seconds),
            family,
            self.cap,
            overflowed,
        )
    }

    fn overflowed(&self, metric: &'static str) -> Counter {
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
        registry: &mut Registry,
        overflow: &Family<MetricLabels, Counter>,
        cap: usize,
    ) -> DerivedMetrics {
        let mut r = Registrar {
            registry,
            overflow,
            cap,
        };
        DerivedMetrics {
            logs: r.counter("log_records", "Log records accepted, by service and level"),
            requests: r.histogram(
                "http_server_request_duration",
                "Duration of HTTP server requests described by logs",
                http_histogram,
            ),
            slow_requests: r.counter(
                "http_server_slow_requests",
                "HTTP server requests at least as slow as the slow-request threshold",
            ),
            queries: r.histogram(
                "db_client_operation_duration",
                "Duration of database operations described by logs",
                db_histogram,
            ),
            slow_queries: r.counter(
                "db_client_slow_queries",
                "Database queries at least as slow as the slow-query threshold, by fingerprint",
            ),
            exceptions: r.counter("exceptions", "Exceptions logged, by service and type"),
        }
    }

    /// Applies derived samples to the families.
    pub fn apply(&self, samples: Vec<Sample>) {
        for sample in samples {
            match sample {
                Sample::Logs(labels, n) => self.logs.with(&labels, |c| {
                    c.inc_by(n);
                }),
                Sample::RequestDuration(labels, seconds, exemplar) => self
                    .requests
                    .with(&labels, |h| h.observe(seconds, exemplar, None)),
                Sample::SlowRequest(labels) => self.slow_requests.with(&labels, |c| {
                    c.inc();
                }),
                Sample::QueryDuration(labels, seconds, exemplar) => self
                    .queries
                    .with(&labels, |h| h.observe(seconds, exemplar, None)),
                Sample::SlowQuery(labels) => self.slow_queries.with(&labels, |c| {
                    c.inc();
                }),
                Sample::Exception(labels) => self.exceptions.with(&labels, |c| {
                    c.inc();
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests;
