//! Metrics from spans, counted once the spans are committed: the contract's request, query and
//! exception metrics (the signal that counts a service's requests chosen by [`sources`]), the
//! span metrics of the OTel spanmetrics connector (`traces_span_metrics_*`) and the service
//! graph of Tempo's metrics-generator (`traces_service_graph_*`, paired in [`graph`]), each
//! capped like the log-derived metrics.

mod derive;
pub mod graph;
pub mod sources;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;

pub use derive::{SpanCalls, SpanLabels, SpanSamples, derive, kind_label, status_label};
use graph::{Edge, Outcome, PairingStore};
use sources::Sources;

use super::Registrar;
use super::bridge::MetricLabels;
use super::catalogue::{MetricInfo, Unit};
use super::derived::{Sample, TraceExemplar};
use super::families::{CappedRegistrar, Counters, Histogram, Histograms, observe};
use super::guard::{OVERFLOW, Overflow};
use super::registrar::registered_name;
use crate::config::MetricsConfig;

/// The spanmetrics connector's default buckets (milliseconds there), in seconds.
const SPAN_BUCKETS: [f64; 16] = [
    0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.4, 2.0, 5.0, 10.0, 15.0,
];
/// Tempo's service-graph buckets: `ExponentialBuckets(0.1, 2, 8)`.
const GRAPH_BUCKETS: [f64; 8] = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8];

fn span_histogram() -> Histogram {
    HistogramWithExemplars::new(SPAN_BUCKETS.into_iter())
}

fn graph_histogram() -> Histogram {
    HistogramWithExemplars::new(GRAPH_BUCKETS.into_iter())
}

/// The labels of `traces_service_graph_*`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GraphLabels {
    pub client: String,
    pub server: String,
    pub connection_type: &'static str,
}

impl Overflow for GraphLabels {
    fn overflow(&self) -> Self {
        GraphLabels {
            client: OVERFLOW.to_string(),
            server: OVERFLOW.to_string(),
            connection_type: OVERFLOW,
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

const CALLS: MetricInfo = MetricInfo::counter(
    "traces_span_metrics_calls_total",
    &["service_name", "span_name", "span_kind", "status_code"],
    "Spans received, by service, name, kind and status (as the OTel spanmetrics connector)",
);
const DURATION: MetricInfo = MetricInfo::histogram(
    "traces_span_metrics_duration_seconds",
    &["service_name", "span_name", "span_kind", "status_code"],
    "Duration of spans, by service, name, kind and status",
)
.with_unit(Unit::Seconds);
const GRAPH_LABELS: &[&str] = &["client", "server", "connection_type"];
const GRAPH_REQUESTS: MetricInfo = MetricInfo::counter(
    "traces_service_graph_request_total",
    GRAPH_LABELS,
    "Requests between two services (client and server spans paired), or to a virtual node",
);
const GRAPH_FAILED: MetricInfo = MetricInfo::counter(
    "traces_service_graph_request_failed_total",
    GRAPH_LABELS,
    "Requests between two services whose client or server span had status error",
);
const GRAPH_SERVER: MetricInfo = MetricInfo::histogram(
    "traces_service_graph_request_server_seconds",
    GRAPH_LABELS,
    "Duration of requests between two services, as the server span measured it",
)
.with_unit(Unit::Seconds);
const GRAPH_CLIENT: MetricInfo = MetricInfo::histogram(
    "traces_service_graph_request_client_seconds",
    GRAPH_LABELS,
    "Duration of requests between two services, as the client span measured it",
)
.with_unit(Unit::Seconds);
const UNPAIRED: MetricInfo = MetricInfo::counter(
    "logbridge_service_graph_unpaired_spans_total",
    &["reason"],
    "Client and server spans that made no service-graph edge: their peer did not arrive within \
     metrics.service_graph_wait_seconds (expired) or the pairing store was full (evicted)",
);

/// The metrics derived from spans, and the state their derivation keeps.
pub struct SpanMetrics {
    calls: Counters<SpanLabels>,
    durations: Histograms<SpanLabels>,
    rejected_durations: Counter,
    requests: Counters<GraphLabels>,
    failed: Counters<GraphLabels>,
    server_seconds: Histograms<GraphLabels>,
    client_seconds: Histograms<GraphLabels>,
    rejected_server: Counter,
    rejected_client: Counter,
    unpaired: Family<ReasonLabels, Counter>,
    store: Mutex<PairingStore>,
    /// Which signal counts each service's requests and queries.
    sources: Sources,
}

impl SpanMetrics {
    /// Creates the families, each capped at `cap` series, and registers them.
    pub(super) fn register(
        registrar: &mut Registrar,
        (overflow, rejected): (
            &Family<MetricLabels, Counter>,
            &Family<MetricLabels, Counter>,
        ),
        config: &MetricsConfig,
    ) -> SpanMetrics {
        let rejected_of = |info: &MetricInfo| {
            let metric = registered_name(info, "").to_string().into();
            rejected.get_or_create(&MetricLabels { metric }).clone()
        };
        let unpaired = Family::<ReasonLabels, Counter>::default();
        registrar
            .sub_registry("logbridge")
            .register(&UNPAIRED, unpaired.clone());
        let mut r = CappedRegistrar {
            registrar,
            overflow,
            cap: config.max_series_per_metric,
        };
        let wait = Duration::from_secs(config.service_graph_wait_seconds);
        SpanMetrics {
            rejected_durations: rejected_of(&DURATION),
            rejected_server: rejected_of(&GRAPH_SERVER),
            rejected_client: rejected_of(&GRAPH_CLIENT),
            calls: r.counter(&CALLS),
            durations: r.histogram(&DURATION, span_histogram),
            requests: r.counter(&GRAPH_REQUESTS),
            failed: r.counter(&GRAPH_FAILED),
            server_seconds: r.histogram(&GRAPH_SERVER, graph_histogram),
            client_seconds: r.histogram(&GRAPH_CLIENT, graph_histogram),
            unpaired,
            store: Mutex::new(PairingStore::new(wait, config.service_graph_max_items)),
            sources: Sources::new(config),
        }
    }

    /// Keeps of a batch of log samples those whose signal counts from logs for their service
    /// at `now`: a request (query) of a service whose spans count is dropped.
    pub fn keep_log_samples(&self, samples: &mut Vec<Sample>, now: Instant) {
        self.sources.requests.logs_count(now, |requests| {
            samples.retain(|sample| match sample {
                Sample::RequestDuration(labels, ..) => requests(&labels.service),
                Sample::SlowRequest(labels) => requests(&labels.service),
                _ => true,
            })
        });
        self.sources.queries.logs_count(now, |queries| {
            samples.retain(|sample| match sample {
                Sample::QueryDuration(labels, ..) => queries(&labels.service),
                Sample::SlowQuery(labels) => queries(&labels.service),
                _ => true,
            })
        });
    }

    /// Counts a committed batch of spans at `now`; gives back the request, query and
    /// exception samples that count, for the contract's families.
    pub fn apply(&self, samples: SpanSamples, now: Instant) -> Vec<Sample> {
        let SpanSamples {
            mut derived,
            request_services,
            query_services,
            calls,
            graph,
            ..
        } = samples;
        let requests = &self.sources.requests;
        let queries = &self.sources.queries;
        requests.mark(request_services.iter().map(String::as_str), now);
        queries.mark(query_services.iter().map(String::as_str), now);
        derived.retain(|sample| match sample {
            Sample::RequestDuration(..) | Sample::SlowRequest(_) => requests.spans_count(),
            Sample::QueryDuration(..) | Sample::SlowQuery(_) => queries.spans_count(),
            _ => true,
        });
        calls.into_iter().for_each(|calls| self.count_calls(calls));
        let mut outcome = Outcome::default();
        {
            let mut store = self.store.lock().expect("pairing store lock");
            graph
                .into_iter()
                .for_each(|span| store.add(span, now, &mut outcome));
            store.expire(now, &mut outcome);
        }
        self.count_graph(outcome);
        derived
    }

    /// Draws or gives up the service-graph sides whose wait has passed at `now` (at each
    /// scrape, so that edges appear without further spans).
    pub fn expire(&self, now: Instant) {
        let mut outcome = Outcome::default();
        self.store
            .lock()
            .expect("pairing store lock")
            .expire(now, &mut outcome);
        self.count_graph(outcome);
    }

    fn count_calls(&self, calls: SpanCalls) {
        let count = calls.seconds.len() as u64;
        self.calls.with(&calls.labels, |c| {
            c.inc_by(count);
        });
        let last = calls.seconds.len() - 1;
        for (i, seconds) in calls.seconds.into_iter().enumerate() {
            let exemplar = if i == last {
                calls.exemplar.clone()
            } else {
                None
            };
            let (family, rejected) = (&self.durations, &self.rejected_durations);
            observe(family, rejected, &calls.labels, seconds, exemplar);
        }
    }

    fn count_graph(&self, outcome: Outcome) {
        for (reason, count) in [("expired", outcome.expired), ("evicted", outcome.evicted)] {
            if count > 0 {
                self.unpaired
                    .get_or_create(&ReasonLabels { reason })
                    .inc_by(count);
            }
        }
        outcome
            .edges
            .into_iter()
            .for_each(|edge| self.count_edge(edge));
    }

    fn count_edge(&self, edge: Edge) {
        let labels = GraphLabels {
            client: edge.client.to_string(),
            server: edge.server.to_string(),
            connection_type: edge.connection.as_str(),
        };
        self.requests.with(&labels, |c| {
            c.inc();
        });
        if edge.failed {
            self.failed.with(&labels, |c| {
                c.inc();
            });
        }
        let exemplar = || {
            let trace_id = format!("{:032x}", edge.trace);
            Some(TraceExemplar { trace_id })
        };
        let sides = [
            (
                &self.server_seconds,
                &self.rejected_server,
                edge.server_seconds,
            ),
            (
                &self.client_seconds,
                &self.rejected_client,
                edge.client_seconds,
            ),
        ];
        for (family, rejected, seconds) in sides {
            if let Some(seconds) = seconds {
                observe(family, rejected, &labels, seconds, exemplar());
            }
        }
    }
}

#[cfg(test)]
mod tests;
