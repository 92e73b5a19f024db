//! The retention job's metrics (`logbridge_retention_*`): runs by outcome, partitions dropped
//! and archived, archive failures, rows deleted from the smaller tables, last success.

use std::borrow::Cow;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

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

impl RetentionMetrics {
    /// Creates the metrics and registers them under the `logbridge_retention_` prefix.
    pub fn register(registry: &mut Registry) -> RetentionMetrics {
        let metrics = RetentionMetrics::default();
        let r = registry.sub_registry_with_prefix("logbridge_retention");
        r.register(
            "runs",
            "Retention runs by outcome (ok, partial, failed, skipped)",
            metrics.runs.clone(),
        );
        r.register(
            "partitions_dropped",
            "Partitions of logs dropped by retention",
            metrics.partitions_dropped.clone(),
        );
        r.register(
            "partitions_archived",
            "Partitions of logs archived (and verified) before being dropped",
            metrics.partitions_archived.clone(),
        );
        r.register(
            "archive_failures",
            "Partitions whose archive failed, so that they were kept",
            metrics.archive_failures.clone(),
        );
        r.register(
            "rows_deleted",
            "Rows deleted by retention from the tables beside logs, by table",
            metrics.rows_deleted.clone(),
        );
        r.register_with_unit(
            "last_success_timestamp",
            "Unix time of the end of the last retention run that did everything due",
            Unit::Seconds,
            metrics.last_success.clone(),
        );
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
