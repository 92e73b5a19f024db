//! The contract's log-derived metrics: a pure derivation from records to samples, and the capped
//! families the samples are applied to.

use std::collections::HashMap;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};

use super::bridge::MetricLabels;
use super::guard::{Capped, OVERFLOW, Overflow};
use crate::model::{Level, LogRecord};

/// OTel semantic-convention buckets for `http.server.request.duration`.
const HTTP_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// OTel semantic-convention buckets for `db.client.operation.duration`.
const DB_BUCKETS: [f64; 9] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];

/// Slow thresholds, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub slow_request_seconds: f64,
    pub slow_query_seconds: f64,
}

macro_rules! label_set {
    ($name:ident { $($field:ident),* }) => {
        #[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
        pub struct $name { $(pub $field: String),* }
        impl Overflow for $name {
            fn overflow() -> Self { $name { $($field: OVERFLOW.to_string()),* } }
        }
    };
}

label_set!(LogLabels { service, level });
label_set!(RequestLabels {
    service,
    method,
    route,
    status_code
});
label_set!(SlowRequestLabels {
    service,
    method,
    route
});
label_set!(QueryLabels {
    service,
    db_system,
    operation
});
label_set!(SlowQueryLabels {
    service,
    db_system,
    query
});
label_set!(ExceptionLabels {
    service,
    exception_type
});

/// The exemplar of a histogram observation.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TraceExemplar {
    pub trace_id: String,
}

/// One observation derived from records.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    Logs(LogLabels, u64),
    RequestDuration(RequestLabels, f64, Option<TraceExemplar>),
    SlowRequest(SlowRequestLabels),
    QueryDuration(QueryLabels, f64, Option<TraceExemplar>),
    SlowQuery(SlowQueryLabels),
    Exception(ExceptionLabels),
}

/// Derives the samples of a batch of accepted records; log counts are summed per label set.
pub fn derive(records: &[LogRecord], thresholds: Thresholds) -> Vec<Sample> {
    let mut counts: HashMap<(&str, Level), u64> = HashMap::new();
    let mut samples = Vec::new();
    for record in records {
        *counts.entry((&record.service, record.level)).or_default() += 1;
        derive_record(record, thresholds, &mut samples);
    }
    let logs = counts.into_iter().map(|((service, level), n)| {
        let labels = LogLabels {
            service: service.to_string(),
            level: level.as_str().to_string(),
        };
        Sample::Logs(labels, n)
    });
    samples.extend(logs);
    samples
}

fn derive_record(record: &LogRecord, thresholds: Thresholds, samples: &mut Vec<Sample>) {
    let service = &record.service;
    let exemplar = || {
        let trace_id = record.trace_id.clone()?;
        Some(TraceExemplar { trace_id })
    };
    if let Some(request) = &record.request
        && let Some(seconds) = request.duration_seconds
    {
        let status_code = request
            .status_code
            .map(|s| s.to_string())
            .unwrap_or_default();
        let labels = RequestLabels {
            service: service.clone(),
            method: request.method.clone(),
            route: request.route.clone(),
            status_code,
        };
        samples.push(Sample::RequestDuration(labels, seconds, exemplar()));
        if seconds >= thresholds.slow_request_seconds {
            samples.push(Sample::SlowRequest(SlowRequestLabels {
                service: service.clone(),
                method: request.method.clone(),
                route: request.route.clone(),
            }));
        }
    }
    if let Some(query) = &record.query
        && let Some(seconds) = query.duration_seconds
    {
        let labels = QueryLabels {
            service: service.clone(),
            db_system: query.system.clone(),
            operation: query.operation.clone(),
        };
        samples.push(Sample::QueryDuration(labels, seconds, exemplar()));
        if seconds >= thresholds.slow_query_seconds {
            samples.push(Sample::SlowQuery(SlowQueryLabels {
                service: service.clone(),
                db_system: query.system.clone(),
                query: query.fingerprint.clone(),
            }));
        }
    }
    if let Some(exception) = &record.exception {
        samples.push(Sample::Exception(ExceptionLabels {
            service: service.clone(),
            exception_type: exception.exception_type.clone(),
        }));
    }
}

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
            .get_or_create(&MetricLabels { metric })
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
