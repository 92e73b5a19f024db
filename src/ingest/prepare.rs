//! The one step between decoding and the store: bounds ([`Limits::bound`]), the pipeline
//! ([`Pipeline::process`]), metric samples of every record ([`Metrics::samples`]), the policy
//! step ([`policy::apply`]: levels, sampling, quotas), COPY rows of the records kept
//! ([`copy::encode`]) and the tallies counted once the rows are committed. Every receiver, the
//! fuzz harness and the pipeline bench go through it; spans take the same steps in their span
//! form ([`Preparer::prepare_spans`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::error::IngestError;
use super::policy::{self, Applied, PolicyTally, QuotaAnswer};
use super::quota::Quotas;
use super::{Accepted, Decoded, DecodedSpans};
use crate::config::live::Live;
use crate::metrics::{AcceptedSamples, Metrics};
use crate::model::{LogRecord, SpanRecord};
use crate::pipeline::Pipeline;
use crate::pipeline::limits::Limits;
use crate::store::copy::{self, EncodedBatch};

/// A decoded request that the steps turn into rows: log records or spans.
pub trait Preparable: Send + 'static {
    /// Prepares the valid records, and tells what the request held; `Err` when the request is
    /// refused over quota (`answer` [`QuotaAnswer::RefuseRequest`]).
    fn prepare(
        self,
        preparer: &Preparer,
        answer: QuotaAnswer,
    ) -> Result<(Prepared, Accepted), IngestError>;

    /// The first record's service that is not `service`, if any.
    fn other_service(&self, service: &str) -> Option<String>;
}

impl Preparable for Decoded {
    fn prepare(
        self,
        preparer: &Preparer,
        answer: QuotaAnswer,
    ) -> Result<(Prepared, Accepted), IngestError> {
        let accepted = Accepted {
            records: self.records.len(),
            rejected: self.rejected,
            first_error: self.first_error,
            over_quota: 0,
        };
        let (prepared, applied) = preparer.prepare_records(self.records, Some(answer), |_| {})?;
        Ok((prepared.0, accepted.less_rejected(&applied)))
    }

    fn other_service(&self, service: &str) -> Option<String> {
        let mut services = self.records.iter().map(|r| &r.service);
        services.find(|s| *s != service).cloned()
    }
}

impl Preparable for DecodedSpans {
    fn prepare(
        self,
        preparer: &Preparer,
        answer: QuotaAnswer,
    ) -> Result<(Prepared, Accepted), IngestError> {
        let accepted = Accepted {
            records: self.spans.len(),
            rejected: self.rejected,
            first_error: self.first_error,
            over_quota: 0,
        };
        let (prepared, applied) =
            preparer.prepare_span_batch(self.spans, Utc::now(), Some(answer), |_| {})?;
        Ok((prepared.0, accepted.less_rejected(&applied)))
    }

    fn other_service(&self, service: &str) -> Option<String> {
        let mut services = self.spans.iter().map(|s| &s.service);
        services.find(|s| *s != service).cloned()
    }
}

impl Accepted {
    /// What a request held once the quotas rejected some of its records (OTLP's
    /// `partial_success`).
    fn less_rejected(self, applied: &Applied) -> Accepted {
        let Some(refusal) = &applied.first_refusal else {
            return self;
        };
        let message = format!(
            "{} records of service {:?} over its quota (policy.quotas) were not stored; retry \
             after {} s",
            applied.rejected, refusal.service, refusal.retry_after_seconds
        );
        Accepted {
            records: self.records - applied.rejected,
            rejected: self.rejected + applied.rejected,
            first_error: self.first_error.or(Some(message)),
            over_quota: applied.rejected,
        }
    }
}

/// What a decoded batch becomes: what the store commits, and what is counted after the commit.
pub struct Prepared {
    /// The encoded rows.
    pub batch: EncodedBatch,
    /// The derived metric samples of the records.
    pub samples: AcceptedSamples,
    /// What the steps counted.
    pub tallies: Tallies,
}

/// What preparing a batch counted, for the bridge's own metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies {
    /// Records in the batch accepted: stored, or left out by levels and sampling (not those
    /// rejected over quota).
    pub records: usize,
    /// Attributes dropped over the limits.
    pub dropped_attributes: usize,
    /// Redactions per rule, for the rules that redacted something.
    pub redactions: Vec<(String, u64)>,
    /// What the policy step did not store, and the bytes stored.
    pub policy: PolicyTally,
}

/// The steps' configuration; cheap to clone. The pipeline is the one in force when a batch
/// starts (it is replaced whole on reload, see `app::reload`).
#[derive(Clone)]
pub struct Preparer {
    limits: Limits,
    pipeline: Live<Pipeline>,
    metrics: Arc<Metrics>,
    /// What each service used of its quota: outside the pipeline, so a reload keeps it.
    quotas: Arc<Quotas>,
}

impl Preparer {
    /// The steps of these limits, this pipeline and these metrics.
    pub fn new(
        limits: Limits,
        pipeline: impl Into<Live<Pipeline>>,
        metrics: Arc<Metrics>,
    ) -> Preparer {
        Preparer {
            limits,
            pipeline: pipeline.into(),
            metrics,
            quotas: Arc::default(),
        }
    }

    /// The pipeline in force, whose field aliases the decoders read.
    pub fn pipeline(&self) -> Arc<Pipeline> {
        self.pipeline.current()
    }

    /// Prepares a decoded batch; the records are dropped once encoded and counted, as they take
    /// several times the size of their rows.
    #[tracing::instrument(name = "prepare", skip_all, fields(records = records.len()))]
    pub fn prepare(&self, records: Vec<LogRecord>) -> Prepared {
        self.prepare_checked(records, |_| {}).0
    }

    /// [`Preparer::prepare`], calling `check` on each record once processed and giving back the
    /// records stored: the fuzz harness checks its invariants on them. Quotas are not applied.
    pub fn prepare_checked(
        &self,
        records: Vec<LogRecord>,
        check: impl FnMut(&LogRecord),
    ) -> (Prepared, Vec<LogRecord>) {
        let prepared = self.prepare_records(records, None, check);
        prepared.expect("no quota applied").0
    }

    /// Bounds and processes records, derives their samples, applies the policy (and the quotas
    /// when `answer` is given) and encodes the records kept.
    fn prepare_records(
        &self,
        mut records: Vec<LogRecord>,
        answer: Option<QuotaAnswer>,
        mut check: impl FnMut(&LogRecord),
    ) -> Result<((Prepared, Vec<LogRecord>), Applied), IngestError> {
        let mut dropped_attributes = 0;
        let pipeline = self.pipeline.current();
        let mut redactions = pipeline.redactions();
        for record in &mut records {
            dropped_attributes += self.limits.bound(record);
            pipeline.process(record, &mut redactions);
            check(record);
        }
        let received = records.len();
        let samples = self.metrics.samples(&records);
        let mut applied = self.apply_policy(&mut records, answer)?;
        let tallies = Tallies {
            records: received - applied.rejected,
            dropped_attributes,
            redactions: (redactions.counted())
                .map(|(rule, count)| (rule.to_string(), count))
                .collect(),
            policy: std::mem::take(&mut applied.tally),
        };
        let prepared = Prepared {
            batch: copy::encode(&records),
            samples,
            tallies,
        };
        Ok(((prepared, records), applied))
    }

    /// [`policy::apply`] with this preparer's quotas; a request refused whole is counted here.
    fn apply_policy<T: policy::Item>(
        &self,
        items: &mut Vec<T>,
        answer: Option<QuotaAnswer>,
    ) -> Result<Applied, IngestError> {
        let quotas = answer.map(|answer| (&*self.quotas, answer));
        let pipeline = self.pipeline.current();
        let applied = policy::apply(items, pipeline.policy(), quotas);
        applied.map_err(|(refusal, held)| {
            held.observe(&self.metrics.policy);
            IngestError::OverQuota {
                service: refusal.service,
                retry_after_seconds: refusal.retry_after_seconds,
            }
        })
    }

    /// Prepares a decoded batch of spans: bounded, redacted and enriched as records are, then
    /// encoded as rows of `spans`, with the metric samples they derive.
    #[tracing::instrument(name = "prepare_spans", skip_all, fields(spans = spans.len()))]
    pub fn prepare_spans(&self, spans: Vec<SpanRecord>) -> Prepared {
        self.prepare_spans_checked(spans, Utc::now(), |_| {}).0
    }

    /// [`Preparer::prepare_spans`] of spans received at `received`, calling `check` on each
    /// span once processed and giving back the spans stored: the fuzz harness checks its
    /// invariants on them. Quotas are not applied.
    pub fn prepare_spans_checked(
        &self,
        spans: Vec<SpanRecord>,
        received: DateTime<Utc>,
        check: impl FnMut(&SpanRecord),
    ) -> (Prepared, Vec<SpanRecord>) {
        let prepared = self.prepare_span_batch(spans, received, None, check);
        prepared.expect("no quota applied").0
    }

    /// Spans as [`Preparer::prepare_records`] takes records.
    fn prepare_span_batch(
        &self,
        mut spans: Vec<SpanRecord>,
        received: DateTime<Utc>,
        answer: Option<QuotaAnswer>,
        mut check: impl FnMut(&SpanRecord),
    ) -> Result<((Prepared, Vec<SpanRecord>), Applied), IngestError> {
        let mut dropped_attributes = 0;
        let pipeline = self.pipeline.current();
        let mut redactions = pipeline.redactions();
        for span in &mut spans {
            dropped_attributes += self.limits.bound_span(span, received);
            pipeline.process_span(span, &mut redactions);
            check(span);
        }
        let received = spans.len();
        let mut samples = self.metrics.span_samples(&spans);
        let mut applied = self.apply_policy(&mut spans, answer)?;
        if let Some(places) = applied.stored_places.take() {
            samples.stored_spans_at(places);
        }
        let tallies = Tallies {
            records: received - applied.rejected,
            dropped_attributes,
            redactions: (redactions.counted())
                .map(|(rule, count)| (rule.to_string(), count))
                .collect(),
            policy: std::mem::take(&mut applied.tally),
        };
        let prepared = Prepared {
            batch: copy::encode_spans(&spans),
            samples,
            tallies,
        };
        Ok(((prepared, spans), applied))
    }

    /// Counts a committed batch: its samples and tallies.
    pub fn observe(&self, samples: AcceptedSamples, tallies: &Tallies) {
        let bridge = &self.metrics.bridge;
        bridge.observe_dropped_attributes(tallies.dropped_attributes);
        let redactions = tallies.redactions.iter();
        bridge.observe_redactions(redactions.map(|(rule, count)| (rule.as_str(), *count)));
        tallies.policy.observe(&self.metrics.policy);
        self.metrics.observe_samples(samples);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::config::Config;

    fn preparer() -> Preparer {
        let config = Config::default();
        let pipeline = Pipeline::from_config(&config).expect("the default pipeline");
        let metrics = Metrics::new(&config.metrics);
        Preparer::new(
            Limits::from_config(&config),
            Arc::new(pipeline),
            Arc::new(metrics),
        )
    }

    fn records(bodies: &[&str]) -> Vec<LogRecord> {
        let now = Utc::now();
        let record = |body: &&str| LogRecord::new(body.to_string(), now);
        bodies.iter().map(record).collect()
    }

    #[test]
    fn one_row_per_record_and_the_tallies_of_the_steps() {
        let preparer = preparer();
        let bodies = ["plain", "mail alice@example.com please", "another"];
        let prepared = preparer.prepare(records(&bodies));
        assert_eq!(prepared.batch.records, 3);
        assert_eq!(prepared.tallies.records, 3);
        let redacted: u64 = prepared.tallies.redactions.iter().map(|(_, n)| n).sum();
        assert_eq!(redacted, 1, "{:?}", prepared.tallies.redactions);
    }

    #[test]
    fn the_check_sees_every_record_once_processed() {
        let preparer = preparer();
        let mut seen = Vec::new();
        let batch = records(&["a", "write to bob@example.com"]);
        let (prepared, records) =
            preparer.prepare_checked(batch, |record| seen.push(record.body.clone()));
        assert_eq!(seen.len(), 2);
        assert!(!seen[1].contains("bob@example.com"), "{}", seen[1]);
        assert_eq!(records.len(), prepared.tallies.records);
    }
}
