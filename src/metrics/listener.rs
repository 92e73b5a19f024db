//! The listeners' metrics: open connections and connections refused over the cap (per
//! listener), connections closed by a timeout, bodies cut off, and body bytes being read.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::Registrar;
use super::catalogue::{MetricInfo, Unit};

/// Which listener.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Listener {
    http,
    grpc,
}

/// Why the bridge closed a connection.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum CloseReason {
    /// The request's headers did not arrive within `header_read_timeout_seconds`.
    header_timeout,
    /// Nothing was read or written for `idle_timeout_seconds`.
    idle_timeout,
}

/// Why a request body was cut off.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum BodyRefusal {
    /// Slower than `min_body_bytes_per_second` after the grace.
    too_slow,
    /// `max_body_bytes_in_flight` were all taken.
    busy,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListenerLabels {
    listener: Listener,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CloseLabels {
    reason: CloseReason,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BodyLabels {
    reason: BodyRefusal,
}

/// Every listener metric.
#[derive(Default)]
pub struct ListenerMetrics {
    open: Family<ListenerLabels, Gauge>,
    refused: Family<ListenerLabels, Counter>,
    closed: Family<CloseLabels, Counter>,
    bodies_refused: Family<BodyLabels, Counter>,
    body_bytes: Gauge,
}

const OPEN: MetricInfo = MetricInfo::gauge(
    "logbridge_connections",
    &["listener"],
    "Open connections, by listener (http, grpc)",
);
const REFUSED: MetricInfo = MetricInfo::counter(
    "logbridge_connections_refused_total",
    &["listener"],
    "Connections refused because listen.limits.max_connections were open (HTTP answers 503)",
);
const CLOSED: MetricInfo = MetricInfo::counter(
    "logbridge_connections_timed_out_total",
    &["reason"],
    "Connections closed by the bridge for slowness, by reason (header_timeout, idle_timeout)",
);
const BODIES_REFUSED: MetricInfo = MetricInfo::counter(
    "logbridge_http_bodies_refused_total",
    &["reason"],
    "Request bodies cut off and answered 503, by reason (too_slow, busy)",
);
const BODY_BYTES: MetricInfo = MetricInfo::gauge(
    "logbridge_http_body_in_flight_bytes",
    &[],
    "Bytes of request bodies being read (bounded by listen.limits.max_body_bytes_in_flight)",
)
.with_unit(Unit::Bytes);

impl ListenerMetrics {
    /// Creates the metrics and registers them under the `logbridge_` prefix.
    pub fn register(registrar: &mut Registrar) -> ListenerMetrics {
        let metrics = ListenerMetrics::default();
        let mut r = registrar.sub_registry("logbridge");
        r.register(&OPEN, metrics.open.clone());
        r.register(&REFUSED, metrics.refused.clone());
        r.register(&CLOSED, metrics.closed.clone());
        r.register(&BODIES_REFUSED, metrics.bodies_refused.clone());
        r.register(&BODY_BYTES, metrics.body_bytes.clone());
        metrics
    }

    /// A connection was accepted (`true`) or has ended (`false`).
    pub fn connection(&self, listener: Listener, opened: bool) {
        let open = self.open.get_or_create(&ListenerLabels { listener });
        match opened {
            true => open.inc(),
            false => open.dec(),
        };
    }

    /// A connection was refused over the cap.
    pub fn refused(&self, listener: Listener) {
        self.refused
            .get_or_create(&ListenerLabels { listener })
            .inc();
    }

    /// The bridge closed a connection for slowness.
    pub fn timed_out(&self, reason: CloseReason) {
        self.closed.get_or_create(&CloseLabels { reason }).inc();
    }

    /// A body was cut off.
    pub fn body_refused(&self, reason: BodyRefusal) {
        self.bodies_refused
            .get_or_create(&BodyLabels { reason })
            .inc();
    }

    /// Body bytes admitted (positive) or released (negative).
    pub fn body_bytes(&self, delta: i64) {
        self.body_bytes.inc_by(delta);
    }
}
