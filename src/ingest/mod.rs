//! Receivers: each decodes one wire format into `LogRecord`s and hands them to [`Ingest`], which
//! runs the pipeline, commits them through the store and, once committed, counts them in the
//! derived metrics.

pub mod alerts;
pub mod body;
pub mod bounds;
pub mod error;
pub mod json;
pub mod otlp;

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::config::{Config, FieldAliases};
use crate::metrics::{Metrics, Outcome, Protocol};
use crate::model::LogRecord;
use crate::pipeline::{Pipeline, limits::Limits};
use crate::store::{Store, copy};
use bounds::RequestBounds;
use error::IngestError;

/// The path from decoded records to committed rows and counted metrics; cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    store: Store,
    metrics: Arc<Metrics>,
    pipeline: Arc<Pipeline>,
    limits: Limits,
    max_body_bytes: usize,
    bounds: RequestBounds,
    retry_after_seconds: u64,
    auth: Authenticator,
}

impl Ingest {
    pub fn new(
        store: Store,
        metrics: Arc<Metrics>,
        auth: Authenticator,
        pipeline: Arc<Pipeline>,
        config: &Config,
    ) -> Ingest {
        Ingest {
            store,
            metrics,
            pipeline,
            limits: Limits::from_config(config),
            max_body_bytes: config.ingest.max_body_bytes,
            bounds: RequestBounds::from_config(&config.ingest),
            retry_after_seconds: config.ingest.retry_after_seconds,
            auth,
        }
    }

    /// Checks the request's `Authorization` header value: a token of role `ingest` or `admin`
    /// when one is given or `ingest.require_token` is set.
    pub async fn authorize(&self, authorization: Option<&str>) -> Result<(), IngestError> {
        self.auth.authorize_ingest(authorization).await?;
        Ok(())
    }

    /// Runs the pipeline over the records and answers once they are committed.
    pub async fn accept(
        &self,
        protocol: Protocol,
        mut records: Vec<LogRecord>,
    ) -> Result<(), IngestError> {
        let count = records.len();
        let mut dropped_attributes = 0;
        let mut redactions = self.pipeline.redactions();
        for record in &mut records {
            dropped_attributes += self.limits.bound(record);
            self.pipeline.process(record, &mut redactions);
        }
        let batch = copy::encode(&records);
        // While the commit waits, only the encoded rows (bounded by the queue) and the samples
        // are held: the decoded records take several times their encoded size.
        let samples = self.metrics.samples(&records);
        drop(records);
        if let Err(error) = self.store.commit(batch).await {
            let error = IngestError::from(error);
            self.observe_failure(protocol, &error, count);
            return Err(error);
        }
        let bridge = &self.metrics.bridge;
        bridge.observe_request(protocol, Outcome::accepted, count);
        bridge.observe_dropped_attributes(dropped_attributes);
        bridge.observe_redactions(redactions.counted());
        self.metrics.observe_samples(samples);
        Ok(())
    }

    /// Counts a request that was not accepted.
    pub fn observe_failure(&self, protocol: Protocol, error: &IngestError, records: usize) {
        let bridge = &self.metrics.bridge;
        bridge.observe_request(protocol, error.outcome(), records);
        if let Some(reason) = error.reject_reason() {
            bridge.observe_rejected(reason, records);
        }
    }

    /// The metrics, for receivers that count rejections themselves.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The alias table.
    pub fn fields(&self) -> &FieldAliases {
        self.pipeline.aliases()
    }

    /// Largest accepted body, decompressed.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Records and attribute entries one request may hold.
    pub fn bounds(&self) -> &RequestBounds {
        &self.bounds
    }

    /// Seconds clients should wait before retrying after 429 or 503.
    pub fn retry_after_seconds(&self) -> u64 {
        self.retry_after_seconds
    }
}
