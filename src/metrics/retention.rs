//! The retention job's metrics (`logbridge_retention_*`): runs by outcome, partitions dropped
//! and archived, archive failures, rows deleted from the smaller tables, last success.

use std::borrow::Cow;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::Registrar;
use super::catalogue::{MetricInfo, Unit};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    /// `ok`, `partial`, `failed` or `skipped`.
    outcome: Cow<'static, str>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    /// One of the five tables retention prunes.
    table: Cow<'static, str>,
}

/// Every `logbridge_retention_*` metric.
#[derive(Default)]
pub struct RetentionMetrics {
    runs: Family<OutcomeLabels, Counter>,
    partitions_dropped: Counter,
    partitions_archived: Counter,
    archive_failures: Counter,
    rows_deleted: Family<TableLabels, Counter>,
    last_success: Gauge,
}

const RUNS: MetricInfo = MetricInfo::counter(
    "logbridge_retention_runs_total",
    &["outcome"],
    "Retention runs by outcome (ok, partial, failed, skipped)",
);
const PARTITIONS_DROPPED: MetricInfo = MetricInfo::counter(
    "logbridge_retention_partitions_dropped_total",
    &[],
    "Partitions of logs dropped by retention",
);
const PARTITIONS_ARCHIVED: MetricInfo = MetricInfo::counter(
    "logbridge_retention_partitions_archived_total",
    &[],
    "Partitions of logs archived (and verified) before being dropped",
);
const ARCHIVE_FAILURES: MetricInfo = MetricInfo::counter(
    "logbridge_retention_archive_failures_total",
    &[],
    "Partitions whose archive failed, so that they were kept",
);
const ROWS_DELETED: MetricInfo = MetricInfo::counter(
    "logbridge_retention_rows_deleted_total",
    &["table"],
    "Rows deleted by retention from the tables beside logs, by table",
);
const LAST_SUCCESS: MetricInfo = MetricInfo::gauge(
    "logbridge_retention_last_success_timestamp_seconds",
    &[],
    "Unix time of the end of the last retention run that did everything due",
)
.with_unit(Unit::Seconds);

impl RetentionMetrics {
    /// Creates the metrics and registers them under the `logbridge_retention_` prefix.
    pub fn register(registrar: &mut Registrar) -> RetentionMetrics {
        let metrics = RetentionMetrics::default();
        let mut r = registrar.sub_registry("logbridge_retention");
        r.register(&RUNS, metrics.runs.clone());
        r.register(&PARTITIONS_DROPPED, metrics.partitions_dropped.clone());
        r.register(&PARTITIONS_ARCHIVED, metrics.partitions_archived.clone());
        r.register(&ARCHIVE_FAILURES, metrics.archive_failures.clone());
        r.register(&ROWS_DELETED, metrics.rows_deleted.clone());
        r.register(&LAST_SUCCESS, metrics.last_success.clone());
        metrics
    }

    /// Counts a run that ended with `outcome`.
    pub fn observe_run(&self, outcome: &'static str) {
        let labels = OutcomeLabels {
            outcome: Cow::Borrowed(outcome),
        };
        self.runs.get_or_create(&labels).inc();
    }

    /// Counts partitions dropped, archived, and whose archive failed.
    pub fn observe_partitions(&self, dropped: usize, archived: usize, archive_failures: usize) {
        self.partitions_dropped.inc_by(dropped as u64);
        self.partitions_archived.inc_by(archived as u64);
        self.archive_failures.inc_by(archive_failures as u64);
    }

    /// Counts rows deleted from one of the pruned tables.
    pub fn observe_deleted(&self, table: &'static str, rows: u64) {
        let labels = TableLabels {
            table: Cow::Borrowed(table),
        };
        self.rows_deleted.get_or_create(&labels).inc_by(rows);
    }

    /// Records the time of a run that did everything due.
    pub fn set_last_success(&self, unix_seconds: i64) {
        self.last_success.set(unix_seconds);
    }
}
