//! The one step between decoding and the store: bounds ([`Limits::bound`]), the pipeline
//! ([`Pipeline::process`]), COPY rows ([`copy::encode`]), metric samples ([`Metrics::samples`])
//! and the tallies counted once the rows are committed. Every receiver, the fuzz harness and the
//! pipeline bench go through it.

use std::sync::Arc;

use crate::metrics::{AcceptedSamples, Metrics};
use crate::model::LogRecord;
use crate::pipeline::Pipeline;
use crate::pipeline::limits::Limits;
use crate::store::copy::{self, EncodedBatch};

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
    /// Records in the batch.
    pub records: usize,
    /// Attributes dropped over the limits.
    pub dropped_attributes: usize,
    /// Redactions per rule, for the rules that redacted something.
    pub redactions: Vec<(String, u64)>,
}

/// The steps' configuration; cheap to clone.
#[derive(Clone)]
pub struct Preparer {
    limits: Limits,
    pipeline: Arc<Pipeline>,
    metrics: Arc<Metrics>,
}

impl Preparer {
    /// The steps of these limits, this pipeline and these metrics.
    pub fn new(limits: Limits, pipeline: Arc<Pipeline>, metrics: Arc<Metrics>) -> Preparer {
        Preparer {
            limits,
            pipeline,
            metrics,
        }
    }

    /// The pipeline, whose field aliases the decoders read.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Prepares a decoded batch; the records are dropped once encoded and counted, as they take
    /// several times the size of their rows.
    #[tracing::instrument(name = "prepare", skip_all, fields(records = records.len()))]
    pub fn prepare(&self, records: Vec<LogRecord>) -> Prepared {
        self.prepare_checked(records, |_| {}).0
    }

    /// [`Preparer::prepare`], calling `check` on each record once processed and giving back the
    /// records: the fuzz harness checks its invariants on them.
    pub fn prepare_checked(
        &self,
        mut records: Vec<LogRecord>,
        mut check: impl FnMut(&LogRecord),
    ) -> (Prepared, Vec<LogRecord>) {
        let mut dropped_attributes = 0;
        let mut redactions = self.pipeline.redactions();
        for record in &mut records {
            dropped_attributes += self.limits.bound(record);
            self.pipeline.process(record, &mut redactions);
            check(record);
        }
        let tallies = Tallies {
            records: records.len(),
            dropped_attributes,
            redactions: (redactions.counted())
                .map(|(rule, count)| (rule.to_string(), count))
                .collect(),
        };
        let prepared = Prepared {
            batch: copy::encode(&records),
            samples: self.metrics.samples(&records),
            tallies,
        };
        (prepared, records)
    }

    /// Counts a committed batch: its samples and tallies.
    pub fn observe(&self, samples: AcceptedSamples, tallies: &Tallies) {
        let bridge = &self.metrics.bridge;
        bridge.observe_dropped_attributes(tallies.dropped_attributes);
        let redactions = tallies.redactions.iter();
        bridge.observe_redactions(redactions.map(|(rule, count)| (rule.as_str(), *count)));
        self.metrics.observe_samples(samples);
    }
}
