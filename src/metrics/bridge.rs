//! The bridge's own metrics (`logbridge_*`): ingest by protocol and outcome, rejections, queue
//! depth, commits, database reachability, deduplicated records, series overflow, rejected
//! histogram observations and redactions.

use std::borrow::Cow;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

use super::Registrar;
use super::catalogue::{MetricInfo, Unit};

/// The wire format a request arrived in.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Protocol {
    otlp_grpc,
    otlp_http_protobuf,
    otlp_http_json,
    json,
    /// The Loki push API, protobuf or JSON.
    loki,
    /// The Elasticsearch-compatible bulk API.
    elasticsearch,
    /// OTLP traces: `TraceService/Export` over gRPC; records are spans.
    otlp_grpc_traces,
    /// OTLP traces: `POST /v1/traces` in protobuf; records are spans.
    otlp_http_protobuf_traces,
    /// OTLP traces: `POST /v1/traces` in JSON; records are spans.
    otlp_http_json_traces,
    /// The Grafana Faro Web SDK: `POST /faro/collect`, `/collect/{app_key}`.
    faro,
}

/// What became of a request or of its records.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    /// Committed.
    accepted,
    /// Invalid input, answered 4xx or through partial success.
    rejected,
    /// Queue full, answered 429.
    throttled,
    /// Database unavailable or shutting down, answered 503.
    unavailable,
    /// The database refused the batch, answered 500.
    failed,
}

/// Why records were rejected.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum RejectReason {
    /// The body could not be decoded.
    decode_error,
    /// A record was invalid (bad ids, no message, unknown level, bad timestamp).
    invalid_record,
    /// The body exceeded the size limit.
    too_large,
    /// The content type is not supported.
    unsupported_media_type,
    /// The bearer token was missing, invalid or of a role that may not send logs.
    unauthorized,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IngestLabels {
    protocol: Protocol,
    outcome: Outcome,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: RejectReason,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SuccessLabels {
    success: bool,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    /// A redaction rule's name: built-in or configured, never input.
    rule: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct MetricLabels {
    /// The family's registered name (counters without `_total`).
    pub metric: Cow<'static, str>,
}

/// Every `logbridge_*` metric.
pub struct BridgeMetrics {
    requests: Family<IngestLabels, Counter>,
    records: Family<IngestLabels, Counter>,
    rejected: Family<ReasonLabels, Counter>,
    dropped_attributes: Counter,
    queue_records: Gauge,
    queue_bytes: Gauge,
    commits: Family<SuccessLabels, Counter>,
    commit_duration: Family<SuccessLabels, Histogram, fn() -> Histogram>,
    batch_records: Family<SuccessLabels, Histogram, fn() -> Histogram>,
    database_up: Gauge,
    dedup_merged: Counter,
    pub(super) series_overflow: Family<MetricLabels, Counter>,
    pub(super) rejected_observations: Family<MetricLabels, Counter>,
    redactions: Family<RuleLabels, Counter>,
    /// The redaction rules in force (`None` until declared): the only `rule` label values.
    redaction_rules: std::sync::RwLock<Option<Vec<String>>>,
}

fn commit_duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

fn batch_records_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 4.0, 9))
}

const REQUESTS: MetricInfo = MetricInfo::counter(
    "logbridge_ingest_requests_total",
    &["protocol", "outcome"],
    "Ingest requests by protocol and outcome",
);
const RECORDS: MetricInfo = MetricInfo::counter(
    "logbridge_ingest_records_total",
    &["protocol", "outcome"],
    "Ingested records by protocol and outcome",
);
const REJECTED: MetricInfo = MetricInfo::counter(
    "logbridge_rejected_records_total",
    &["reason"],
    "Records rejected as invalid, by reason",
);
const DROPPED_ATTRIBUTES: MetricInfo = MetricInfo::counter(
    "logbridge_dropped_attributes_total",
    &[],
    "Attributes dropped over the per-record limit",
);
const QUEUE_RECORDS: MetricInfo = MetricInfo::gauge(
    "logbridge_queue_records",
    &[],
    "Records waiting to be committed",
);
const QUEUE_BYTES: MetricInfo = MetricInfo::gauge(
    "logbridge_queue_bytes",
    &[],
    "Bytes of records waiting to be committed",
)
.with_unit(Unit::Bytes);
const COMMITS: MetricInfo = MetricInfo::counter(
    "logbridge_commits_total",
    &["success"],
    "Group commits (one COPY each) by success",
);
const COMMIT_DURATION: MetricInfo = MetricInfo::histogram(
    "logbridge_commit_duration_seconds",
    &["success"],
    "Time to commit one group",
)
.with_unit(Unit::Seconds);
const BATCH_RECORDS: MetricInfo = MetricInfo::histogram(
    "logbridge_commit_batch_records",
    &["success"],
    "Records per group commit",
);
const DATABASE_UP: MetricInfo = MetricInfo::gauge(
    "logbridge_database_up",
    &[],
    "1 while PostgreSQL answers, else 0",
);
const DEDUP_MERGED: MetricInfo = MetricInfo::counter(
    "logbridge_dedup_merged_total",
    &[],
    "Records stored as part of an identical record's row (deduplication)",
);
const SERIES_OVERFLOW: MetricInfo = MetricInfo::counter(
    "logbridge_metric_series_overflow_total",
    &["metric"],
    "Samples sent to the __overflow__ series because a metric reached its series cap",
);
const REJECTED_OBSERVATIONS: MetricInfo = MetricInfo::counter(
    "logbridge_rejected_observations_total",
    &["metric"],
    "Values a histogram did not observe because they are not finite or absurdly large (a \
     duration over a week), so that its sum stays finite",
);
const REDACTIONS: MetricInfo = MetricInfo::counter(
    "logbridge_redactions_total",
    &["rule"],
    "Values and matches replaced by redaction before storage, by rule",
);

impl BridgeMetrics {
    /// Creates the metrics and registers them under the `logbridge_` prefix.
    pub fn register(registrar: &mut Registrar) -> BridgeMetrics {
        let metrics = BridgeMetrics {
            requests: Family::default(),
            records: Family::default(),
            rejected: Family::default(),
            dropped_attributes: Counter::default(),
            queue_records: Gauge::default(),
            queue_bytes: Gauge::default(),
            commits: Family::default(),
            commit_duration: Family::new_with_constructor(commit_duration_histogram),
            batch_records: Family::new_with_constructor(batch_records_histogram),
            database_up: Gauge::default(),
            dedup_merged: Counter::default(),
            series_overflow: Family::default(),
            rejected_observations: Family::default(),
            redactions: Family::default(),
            redaction_rules: std::sync::RwLock::default(),
        };
        let mut r = registrar.sub_registry("logbridge");
        r.register(&REQUESTS, metrics.requests.clone());
        r.register(&RECORDS, metrics.records.clone());
        r.register(&REJECTED, metrics.rejected.clone());
        r.register(&DROPPED_ATTRIBUTES, metrics.dropped_attributes.clone());
        r.register(&QUEUE_RECORDS, metrics.queue_records.clone());
        r.register(&QUEUE_BYTES, metrics.queue_bytes.clone());
        r.register(&COMMITS, metrics.commits.clone());
        r.register(&COMMIT_DURATION, metrics.commit_duration.clone());
        r.register(&BATCH_RECORDS, metrics.batch_records.clone());
        r.register(&DATABASE_UP, metrics.database_up.clone());
        r.register(&DEDUP_MERGED, metrics.dedup_merged.clone());
        r.register(&SERIES_OVERFLOW, metrics.series_overflow.clone());
        r.register(
            &REJECTED_OBSERVATIONS,
            metrics.rejected_observations.clone(),
        );
        r.register(&REDACTIONS, metrics.redactions.clone());
        metrics
    }

    /// Counts one request and its records.
    pub fn observe_request(&self, protocol: Protocol, outcome: Outcome, records: usize) {
        let labels = IngestLabels { protocol, outcome };
        self.requests.get_or_create(&labels).inc();
        self.records.get_or_create(&labels).inc_by(records as u64);
    }

    /// Counts records rejected as invalid.
    pub fn observe_rejected(&self, reason: RejectReason, records: usize) {
        self.rejected
            .get_or_create(&ReasonLabels { reason })
            .inc_by(records as u64);
    }

    /// Counts attributes dropped over the limit.
    pub fn observe_dropped_attributes(&self, count: usize) {
        self.dropped_attributes.inc_by(count as u64);
    }

    /// Records the queue depth, just before a scrape.
    pub fn set_queue_depth(&self, records: usize, bytes: usize) {
        self.queue_records.set(records as i64);
        self.queue_bytes.set(bytes as i64);
    }

    /// Counts one group commit.
    pub fn observe_commit(&self, records: usize, took: Duration, success: bool) {
        let labels = SuccessLabels { success };
        self.commits.get_or_create(&labels).inc();
        self.commit_duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.batch_records
            .get_or_create(&labels)
            .observe(records as f64);
    }

    /// Counts committed records that were folded into another record's row.
    pub fn observe_dedup_merged(&self, records: u64) {
        self.dedup_merged.inc_by(records);
    }

    /// Counts one batch's redactions by rule name (a count of 0 exports the series).
    pub fn observe_redactions<'a>(&self, counts: impl IntoIterator<Item = (&'a str, u64)>) {
        let in_force = self
            .redaction_rules
            .read()
            .unwrap_or_else(|e| e.into_inner());
        for (rule, count) in counts {
            // A batch redacted before a reload may name a rule removed since: not counted.
            if in_force
                .as_ref()
                .is_some_and(|rules| !rules.iter().any(|r| r == rule))
            {
                continue;
            }
            let labels = RuleLabels {
                rule: rule.to_string(),
            };
            self.redactions.get_or_create(&labels).inc_by(count);
        }
    }

    /// Declares the redaction rules in force: each has its `rule` series (from 0), the series
    /// of a rule no longer configured goes, and only these rules are counted from now on.
    pub fn set_redaction_rules(&self, rules: &[String]) {
        let mut in_force = self
            .redaction_rules
            .write()
            .unwrap_or_else(|e| e.into_inner());
        for gone in in_force
            .iter()
            .flatten()
            .filter(|rule| !rules.contains(rule))
        {
            self.redactions.remove(&RuleLabels { rule: gone.clone() });
        }
        for rule in rules {
            let labels = RuleLabels { rule: rule.clone() };
            self.redactions.get_or_create(&labels).inc_by(0);
        }
        *in_force = Some(rules.to_vec());
    }

    /// Records whether the database answers.
    pub fn set_database_up(&self, up: bool) {
        self.database_up.set(i64::from(up));
    }
}
