//! The browser receivers' own metrics: requests refused for their `Origin` (CORS preflights
//! and the requests themselves).

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::Registrar;
use super::catalogue::MetricInfo;

/// The receiver a browser sent to.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum BrowserReceiver {
    /// `/v1/logs`.
    otlp_logs,
    /// `/v1/traces`.
    otlp_traces,
    /// `/faro/collect` and `/collect/{app_key}`.
    faro,
}

/// Where the origin was refused.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum OriginStage {
    /// An `OPTIONS` preflight.
    preflight,
    /// The request itself.
    request,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusedLabels {
    receiver: BrowserReceiver,
    stage: OriginStage,
}

const ORIGIN_REFUSED: MetricInfo = MetricInfo::counter(
    "logbridge_browser_origin_refused_total",
    &["receiver", "stage"],
    "Browser requests and CORS preflights refused (403) because no browser key or \
     access.allowed_origins allows their Origin",
);

/// Every `logbridge_browser_*` metric.
pub struct BrowserMetrics {
    origin_refused: Family<RefusedLabels, Counter>,
}

impl BrowserMetrics {
    pub fn register(registrar: &mut Registrar) -> BrowserMetrics {
        let metrics = BrowserMetrics {
            origin_refused: Family::default(),
        };
        let mut r = registrar.sub_registry("logbridge");
        r.register(&ORIGIN_REFUSED, metrics.origin_refused.clone());
        metrics
    }

    /// Counts a request or preflight refused for its origin.
    pub fn observe_origin_refused(&self, receiver: BrowserReceiver, stage: OriginStage) {
        let labels = RefusedLabels { receiver, stage };
        self.origin_refused.get_or_create(&labels).inc();
    }
}
