//! The catalogue of every metric the bridge exports, with its type and labels: what rule files
//! and dashboards may refer to (`logbridge rules check`, the dashboard tests). A test renders
//! the registry and checks that the catalogue and the exposition agree.

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

/// One exported metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    /// The metric's name as exposed (counters with `_total`, units included).
    pub name: &'static str,
    pub kind: Kind,
    /// Its label names.
    pub labels: &'static [&'static str],
}

/// An exported metric known only at runtime (the configured `log_metrics:`), for the same
/// checks as [`CATALOGUE`]'s.
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

const fn metric(name: &'static str, kind: Kind, labels: &'static [&'static str]) -> MetricInfo {
    MetricInfo { name, kind, labels }
}

/// Every metric of `/metrics`: the contract's log-derived metrics, then the bridge's own.
pub const CATALOGUE: &[MetricInfo] = &[
    metric("log_records_total", Kind::Counter, &["service", "level"]),
    metric(
        "http_server_request_duration_seconds",
        Kind::Histogram,
        &["service", "method", "route", "status_code"],
    ),
    metric(
        "http_server_slow_requests_total",
        Kind::Counter,
        &["service", "method", "route"],
    ),
    metric(
        "db_client_operation_duration_seconds",
        Kind::Histogram,
        &["service", "db_system", "operation"],
    ),
    metric(
        "db_client_slow_queries_total",
        Kind::Counter,
        &["service", "db_system", "query"],
    ),
    metric(
        "exceptions_total",
        Kind::Counter,
        &["service", "exception_type"],
    ),
    metric(
        "logbridge_ingest_requests_total",
        Kind::Counter,
        &["protocol", "outcome"],
    ),
    metric(
        "logbridge_ingest_records_total",
        Kind::Counter,
        &["protocol", "outcome"],
    ),
    metric(
        "logbridge_rejected_records_total",
        Kind::Counter,
        &["reason"],
    ),
    metric("logbridge_dropped_attributes_total", Kind::Counter, &[]),
    metric("logbridge_queue_records", Kind::Gauge, &[]),
    metric("logbridge_queue_bytes", Kind::Gauge, &[]),
    metric("logbridge_commits_total", Kind::Counter, &["success"]),
    metric(
        "logbridge_commit_duration_seconds",
        Kind::Histogram,
        &["success"],
    ),
    metric(
        "logbridge_commit_batch_records",
        Kind::Histogram,
        &["success"],
    ),
    metric("logbridge_database_up", Kind::Gauge, &[]),
    metric("logbridge_dedup_merged_total", Kind::Counter, &[]),
    metric(
        "logbridge_metric_series_overflow_total",
        Kind::Counter,
        &["metric"],
    ),
    metric(
        "logbridge_retention_runs_total",
        Kind::Counter,
        &["outcome"],
    ),
    metric(
        "logbridge_retention_partitions_dropped_total",
        Kind::Counter,
        &[],
    ),
    metric(
        "logbridge_retention_partitions_archived_total",
        Kind::Counter,
        &[],
    ),
    metric(
        "logbridge_retention_archive_failures_total",
        Kind::Counter,
        &[],
    ),
    metric(
        "logbridge_retention_rows_deleted_total",
        Kind::Counter,
        &["table"],
    ),
    metric(
        "logbridge_retention_last_success_timestamp_seconds",
        Kind::Gauge,
        &[],
    ),
    metric("logbridge_redactions_total", Kind::Counter, &["rule"]),
];

/// The metric a series name belongs to, and the labels that series may carry (histogram
/// buckets add `le`); `None` for a name the bridge does not export.
pub fn series(name: &str) -> Option<(&'static MetricInfo, bool)> {
    CATALOGUE.iter().find_map(|metric| {
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
    use crate::metrics::{Format, Metrics, Outcome, Protocol, RejectReason};
    use crate::model::{DbQuery, ExceptionInfo, HttpRequest, LogRecord};

    /// A registry with a sample in every family.
    fn populated() -> String {
        let metrics = Metrics::new(&MetricsConfig::default());
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
        metrics.observe_accepted(&[record]);
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
        let listed: BTreeSet<String> = CATALOGUE.iter().map(base).collect();
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
