//! The catalogue of every metric the bridge exports, with its type and labels: what rule files
//! and dashboards may refer to (`logbridge rules check`, the dashboard tests). Each component
//! declares its metrics as [`MetricInfo`] constants beside the code that updates them and registers
//! them through a [`super::Registrar`], which records each one: the catalogue is what a registry
//! built with the default configuration declares. A test renders the registry and checks that
//! the catalogue and the exposition agree.

use std::sync::LazyLock;

use crate::config::MetricsConfig;

/// A metric's type, which decides its series names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exposed as `<name>` (the name ends in `_total`).
    Counter,
    /// Exposed as `<name>`.
    Gauge,
    /// Exposed as `<name>_bucket` (with `le`), `<name>_sum` and `<name>_count`.
    Histogram,
}

/// The unit a metric's name ends in, declared to OpenMetrics (`# UNIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Bytes,
}

/// One exported metric, declared once by the component that owns it: registering it exports
/// it and lists it in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    /// The metric's name as exposed (counters with `_total`, units included).
    pub name: &'static str,
    pub kind: Kind,
    /// Its label names.
    pub labels: &'static [&'static str],
    /// The `# HELP` text.
    pub help: &'static str,
    /// The unit its name ends in, if it declares one.
    pub unit: Option<Unit>,
}

impl MetricInfo {
    /// A counter; `name` ends in `_total`.
    pub const fn counter(
        name: &'static str,
        labels: &'static [&'static str],
        help: &'static str,
    ) -> MetricInfo {
        MetricInfo::new(name, Kind::Counter, labels, help)
    }

    /// A gauge.
    pub const fn gauge(
        name: &'static str,
        labels: &'static [&'static str],
        help: &'static str,
    ) -> MetricInfo {
        MetricInfo::new(name, Kind::Gauge, labels, help)
    }

    /// A histogram.
    pub const fn histogram(
        name: &'static str,
        labels: &'static [&'static str],
        help: &'static str,
    ) -> MetricInfo {
        MetricInfo::new(name, Kind::Histogram, labels, help)
    }

    const fn new(
        name: &'static str,
        kind: Kind,
        labels: &'static [&'static str],
        help: &'static str,
    ) -> MetricInfo {
        MetricInfo {
            name,
            kind,
            labels,
            help,
            unit: None,
        }
    }

    /// The same metric, its name ending in `unit` (declared as its OpenMetrics unit).
    pub const fn with_unit(self, unit: Unit) -> MetricInfo {
        MetricInfo {
            unit: Some(unit),
            ..self
        }
    }
}

/// An exported metric known only at runtime (the configured `log_metrics:`), for the same
/// checks as [`all`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMetricInfo {
    /// The metric's name as exposed (counters with `_total`).
    pub name: String,
    pub kind: Kind,
    /// Its label names.
    pub labels: Vec<String>,
}

impl From<&MetricInfo> for OwnedMetricInfo {
    fn from(metric: &MetricInfo) -> Self {
        OwnedMetricInfo {
            name: metric.name.to_string(),
            kind: metric.kind,
            labels: metric.labels.iter().map(|l| l.to_string()).collect(),
        }
    }
}

/// Every metric of `/metrics` but the configured log metrics, in registration order: what the
/// components register with the default configuration.
pub fn all() -> &'static [MetricInfo] {
    static CATALOGUE: LazyLock<Vec<MetricInfo>> = LazyLock::new(|| {
        super::Metrics::new(&MetricsConfig::default())
            .catalogue()
            .to_vec()
    });
    &CATALOGUE
}

/// The metric a series name belongs to, and the labels that series may carry (histogram
/// buckets add `le`); `None` for a name the bridge does not export.
pub fn series(name: &str) -> Option<(&'static MetricInfo, bool)> {
    all().iter().find_map(|metric| {
        let bucket = metric.kind == Kind::Histogram && name == format!("{}_bucket", metric.name);
        let other_part = metric.kind == Kind::Histogram
            && [
                format!("{}_sum", metric.name),
                format!("{}_count", metric.name),
            ]
            .iter()
            .any(|part| part == name);
        (name == metric.name || bucket || other_part).then_some((metric, bucket))
    })
}

/// Whether a series of this name may carry this label.
pub fn has_label(name: &str, label: &str) -> bool {
    series(name)
        .is_some_and(|(metric, bucket)| metric.labels.contains(&label) || (bucket && label == "le"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use chrono::Utc;

    use super::*;
    use crate::config::MetricsConfig;
    use crate::metrics::{
        BodyRefusal, BrowserReceiver, CloseReason, Format, Listener, Metrics, NotStored,
        OriginStage, Outcome, Protocol, RejectReason,
    };
    use crate::model::{
        DbQuery, ExceptionInfo, HttpRequest, Level, LogRecord, SpanKind, SpanRecord, SpanStatus,
    };

    /// Spans that reach every span family: a failed root server span, and three client spans
    /// through a pairing store of one, the first drawn to its peer, the second given up.
    fn spans() -> Vec<SpanRecord> {
        let span = |id: u64, kind: SpanKind| {
            let mut span =
                SpanRecord::new("1".repeat(32), format!("{id:016x}"), "s".into(), Utc::now());
            span.kind = kind;
            span.duration_ns = 1_000_000;
            span
        };
        let mut root = span(1, SpanKind::Server);
        root.status.code = SpanStatus::ERROR;
        let mut peer = span(2, SpanKind::Client);
        let address = serde_json::Value::from("payments");
        peer.attributes.insert("server.address".into(), address);
        vec![
            root,
            peer,
            span(3, SpanKind::Client),
            span(4, SpanKind::Client),
        ]
    }

    /// A registry with a sample in every family.
    fn populated() -> String {
        let metrics = Metrics::new(&MetricsConfig {
            service_graph_max_items: 1,
            ..MetricsConfig::default()
        });
        metrics.observe_samples(metrics.span_samples(&spans()));
        let mut record = LogRecord::new("m".into(), Utc::now());
        record.trace_id = Some("0".repeat(32));
        record.request = Some(HttpRequest {
            method: "GET".into(),
            route: "/x".into(),
            status_code: Some(500),
            duration_seconds: Some(2.0),
        });
        record.query = Some(DbQuery {
            system: "postgresql".into(),
            operation: "SELECT".into(),
            fingerprint: "SELECT ?".into(),
            duration_seconds: Some(1.0),
        });
        record.exception = Some(ExceptionInfo {
            exception_type: "E".into(),
            message: "m".into(),
            stacktrace: None,
            fingerprint: String::new(),
        });
        let mut vitals = LogRecord::new("measurement web-vitals".into(), Utc::now());
        vitals.scope = Some("faro".into());
        let values = serde_json::json!({"measurement.type": "web-vitals", "measurement.lcp": 900.0,
            "measurement.cls": 0.1});
        vitals.attributes = values.as_object().cloned().unwrap_or_default();
        metrics.observe_accepted(&[record, vitals]);
        let bridge = &metrics.bridge;
        bridge.observe_request(Protocol::json, Outcome::accepted, 1);
        bridge.observe_rejected(RejectReason::decode_error, 1);
        bridge.observe_dropped_attributes(1);
        bridge.set_queue_depth(1, 1);
        bridge.observe_commit(1, Duration::from_millis(1), true);
        bridge.set_database_up(true);
        metrics.retention.observe_run("ok");
        metrics.retention.observe_deleted("audit_log", 1);
        bridge.observe_redactions([("email", 1)]);
        let listener = &metrics.listener;
        listener.connection(Listener::http, true);
        listener.refused(Listener::http);
        listener.timed_out(CloseReason::header_timeout);
        listener.body_refused(BodyRefusal::busy);
        let browser = &metrics.browser;
        browser.observe_origin_refused(BrowserReceiver::faro, OriginStage::preflight);
        let policy = &metrics.policy;
        policy.observe_not_stored("web", Level::Info, NotStored::Sampled, 1);
        policy.observe_stored_bytes("web", Level::Info, 10);
        metrics.render(Format::PrometheusText)
    }

    #[test]
    fn the_catalogue_lists_exactly_what_is_exported() {
        let text = populated();
        let exported: BTreeSet<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split_whitespace().next())
            .collect();
        let base = |m: &MetricInfo| m.name.trim_end_matches("_total").to_string();
        let listed: BTreeSet<String> = all().iter().map(base).collect();
        let exported: BTreeSet<String> = exported
            .iter()
            .map(|n| n.trim_end_matches("_total").to_string())
            .collect();
        assert_eq!(exported, listed);
    }

    #[test]
    fn every_exported_series_and_label_is_in_the_catalogue() {
        let text = populated();
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty());
        for line in samples {
            let name_end = line.find(['{', ' ']).unwrap();
            let name = &line[..name_end];
            assert!(series(name).is_some(), "{name} is not in the catalogue");
            if let Some(labels) = line[name_end..].strip_prefix('{') {
                let labels = &labels[..labels.find('}').unwrap()];
                for pair in labels.split(',') {
                    let label = pair.split('=').next().unwrap();
                    assert!(has_label(name, label), "{name} has no label {label}");
                }
            }
        }
    }

    #[test]
    fn histogram_parts_and_unknown_names() {
        assert!(has_label(
            "http_server_request_duration_seconds_bucket",
            "le"
        ));
        assert!(!has_label(
            "http_server_request_duration_seconds_count",
            "le"
        ));
        assert!(has_label("log_records_total", "level"));
        assert!(series("log_records").is_none());
        assert!(series("nonexistent_metric").is_none());
    }
}
