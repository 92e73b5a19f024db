//! Receivers: each decodes one wire format into `LogRecord`s (or, for OTLP traces, `SpanRecord`s)
//! and hands them to [`Ingest`], which runs the pipeline, commits them through the store and,
//! once committed, counts them in the derived metrics.

pub mod alerts;
pub mod body;
pub mod bounds;
pub mod browser;
mod context;
pub mod cpu;
pub mod cross_site;
pub mod elastic;
pub mod error;
pub mod faro;
pub mod idempotency;
pub mod json;
pub mod loki;
pub mod openapi;
pub mod otlp;
pub mod policy;
pub mod prepare;
pub mod quota;
mod stacks;

use std::sync::Arc;

use axum::body::Body;
use axum::http::HeaderMap;
use chrono::Utc;

use crate::auth::{Authenticator, Credentials};
use crate::config::Config;
use crate::config::live::Live;
use crate::metrics::{Metrics, Outcome, Protocol, RejectReason};
use crate::pipeline::{Pipeline, limits::Limits};
use crate::sourcemaps::SourceMaps;
use crate::store::Store;
use body::Raw;
use bounds::RequestBounds;
pub use context::{Decoded, DecodedSpans, RequestContext};
use cpu::CpuPool;
use cross_site::Origins;
use error::{IngestError, JsonRejection};
use idempotency::Idempotency;
use policy::QuotaAnswer;
use prepare::{Preparable, Prepared, Preparer};

/// The path from a request's body to committed rows and counted metrics; cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    store: Store,
    metrics: Arc<Metrics>,
    preparer: Preparer,
    cpu: CpuPool,
    max_body_bytes: usize,
    bounds: RequestBounds,
    retry_after_seconds: u64,
    auth: Authenticator,
    origins: Origins,
    idempotency: Idempotency,
    source_maps: Option<SourceMaps>,
}

/// Who counts a request in `logbridge_ingest_requests_total`: [`Ingest::accept`] as it
/// commits, or the receiver of a request accepted in parts, once at its end.
#[derive(Clone, Copy)]
enum Counting {
    Request(Protocol),
    Part(Protocol),
}

impl Counting {
    fn protocol(self) -> Protocol {
        match self {
            Counting::Request(protocol) | Counting::Part(protocol) => protocol,
        }
    }
}

/// A request's body and what its decoder is given besides, to be decoded on the CPU pool.
struct Decoding {
    raw: Raw,
    service: Option<String>,
    preparer: Preparer,
    bounds: RequestBounds,
    received: chrono::DateTime<Utc>,
}

impl Decoding {
    /// Decompresses and decodes the body; records of a service other than the request's
    /// scope (a browser key's) refuse it.
    fn decode<F, D>(self, decode: F) -> Result<D, IngestError>
    where
        F: FnOnce(&[u8], &RequestContext) -> Result<D, IngestError>,
        D: Preparable,
    {
        let scope = self.raw.service_scope().map(str::to_owned);
        let bytes = self.raw.decompress()?;
        let pipeline = self.preparer.pipeline();
        let context = RequestContext {
            received: self.received,
            service: self.service.as_deref(),
            aliases: pipeline.aliases(),
            bounds: &self.bounds,
        };
        let decoded = decode(&bytes, &context)?;
        drop(bytes);
        let other = scope.and_then(|s| decoded.other_service(&s).map(|found| (s, found)));
        if let Some((allowed, found)) = other {
            return Err(IngestError::OtherService { allowed, found });
        }
        Ok(decoded)
    }
}

/// What an accepted request held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Records committed.
    pub records: usize,
    /// Records rejected as invalid (OTLP's `partial_success`).
    pub rejected: usize,
    /// The first rejection's reason.
    pub first_error: Option<String>,
    /// Of the rejected records, those over their service's quota (not invalid).
    pub over_quota: usize,
}

impl Ingest {
    pub fn new(
        store: Store,
        metrics: Arc<Metrics>,
        auth: Authenticator,
        pipeline: impl Into<Live<Pipeline>>,
        config: &Config,
    ) -> Ingest {
        let limits = Limits::from_config(config);
        Ingest {
            store,
            preparer: Preparer::new(limits, pipeline, Arc::clone(&metrics)),
            metrics,
            cpu: CpuPool::per_core(),
            max_body_bytes: config.ingest.max_body_bytes,
            bounds: RequestBounds::from_config(&config.ingest),
            retry_after_seconds: config.ingest.retry_after_seconds,
            auth,
            origins: Origins::from_config(&config.access),
            idempotency: Idempotency::default(),
            source_maps: None,
        }
    }

    /// This path, symbolicating browser stack frames through `maps`.
    pub fn with_source_maps(self, maps: SourceMaps) -> Ingest {
        Ingest {
            source_maps: Some(maps),
            ..self
        }
    }

    /// The source maps of browser stack frames, if any are used.
    pub fn source_maps(&self) -> Option<&SourceMaps> {
        self.source_maps.as_ref()
    }

    /// Refuses a cross-site request: one whose content type is not among `media_types` (415)
    /// or whose browser `Origin` is not allowed (403). A refusal is counted.
    pub fn check_cross_site(
        &self,
        protocol: Protocol,
        headers: &HeaderMap,
        media_types: &'static [&'static str],
    ) -> Result<String, IngestError> {
        let checked = cross_site::require_media_type(headers, media_types)
            .and_then(|found| self.origins.check(headers).map(|()| found));
        checked.map_err(|error| self.refuse(protocol, error))
    }

    /// The `Idempotency-Key`s of recent requests (the Faro receiver's).
    pub fn idempotency(&self) -> &Idempotency {
        &self.idempotency
    }

    /// The browser origins the receivers accept.
    pub fn origins(&self) -> &Origins {
        &self.origins
    }

    /// Checks the request's credentials: a token of role `ingest` or `admin` when one is given
    /// or `ingest.require_token` is set. A refusal is counted.
    pub async fn authenticate(
        &self,
        protocol: Protocol,
        credentials: &Credentials,
    ) -> Result<(), IngestError> {
        let authorized = self
            .auth
            .authorize_ingest(credentials.authorization())
            .await;
        authorized
            .map(drop)
            .map_err(|error| self.refuse(protocol, error.into()))
    }

    /// Reads the body within `ingest.max_body_bytes`; a refusal is counted.
    pub async fn read(
        &self,
        protocol: Protocol,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<Raw, IngestError> {
        let read = body::read(headers, body, self.max_body_bytes).await;
        read.map_err(|error| self.refuse(protocol, error))
    }

    /// Decompresses, decodes and prepares the body on the CPU pool, commits its records (log
    /// records or spans) and, once they are committed, counts them. `service` is the request's
    /// `?service=`.
    pub async fn accept<F, D>(
        &self,
        protocol: Protocol,
        raw: Raw,
        service: Option<String>,
        decode: F,
    ) -> Result<Accepted, IngestError>
    where
        F: FnOnce(&[u8], &RequestContext) -> Result<D, IngestError> + Send + 'static,
        D: Preparable,
    {
        let counting = Counting::Request(protocol);
        self.accept_counting(counting, raw, service, decode).await
    }

    /// [`Ingest::accept`] for one part of a request that is accepted in several (a Faro
    /// payload's spans, then its records): the request is not counted here, its receiver
    /// counts it once with [`Ingest::count_request`]. Its metric samples are counted as usual.
    pub async fn accept_part<F, D>(
        &self,
        protocol: Protocol,
        raw: Raw,
        service: Option<String>,
        decode: F,
    ) -> Result<Accepted, IngestError>
    where
        F: FnOnce(&[u8], &RequestContext) -> Result<D, IngestError> + Send + 'static,
        D: Preparable,
    {
        let counting = Counting::Part(protocol);
        self.accept_counting(counting, raw, service, decode).await
    }

    /// Counts a request accepted in parts ([`Ingest::accept_part`]) once: accepted with all
    /// its records, or refused for its error.
    pub fn count_request(&self, protocol: Protocol, outcome: &Result<usize, IngestError>) {
        match outcome {
            Ok(records) => {
                (self.metrics.bridge).observe_request(protocol, Outcome::accepted, *records)
            }
            Err(error) => self.observe_failure(protocol, error, error.records()),
        }
    }

    async fn accept_counting<F, D>(
        &self,
        counting: Counting,
        raw: Raw,
        service: Option<String>,
        decode: F,
    ) -> Result<Accepted, IngestError>
    where
        F: FnOnce(&[u8], &RequestContext) -> Result<D, IngestError> + Send + 'static,
        D: Preparable,
    {
        let answer = QuotaAnswer::of(counting.protocol());
        let prepared = self.prepare(raw, service, answer, decode).await;
        let prepared = prepared.map_err(|error| self.refuse_counting(counting, error))?;
        self.finish(counting, prepared).await
    }

    /// Counts a refusal when the request is counted here.
    fn refuse_counting(&self, counting: Counting, error: IngestError) -> IngestError {
        match counting {
            Counting::Request(protocol) => self.refuse(protocol, error),
            Counting::Part(_) => error,
        }
    }

    /// Counts the rejected records and commits the valid ones.
    async fn finish(
        &self,
        counting: Counting,
        (prepared, accepted): (Prepared, Accepted),
    ) -> Result<Accepted, IngestError> {
        let invalid = accepted.rejected - accepted.over_quota;
        if invalid > 0 {
            let bridge = &self.metrics.bridge;
            bridge.observe_rejected(RejectReason::invalid_record, invalid);
        }
        if accepted.records > 0 || prepared.tallies.policy.held_at_quota() > 0 {
            self.commit(counting, prepared).await?;
        }
        Ok(accepted)
    }

    /// Decompression, decoding and [`Preparable::prepare`] (quotas answered as `answer`
    /// says), on the CPU pool.
    async fn prepare<F, D>(
        &self,
        raw: Raw,
        service: Option<String>,
        answer: QuotaAnswer,
        decode: F,
    ) -> Result<(Prepared, Accepted), IngestError>
    where
        F: FnOnce(&[u8], &RequestContext) -> Result<D, IngestError> + Send + 'static,
        D: Preparable,
    {
        let decoding = self.decoding(raw, service);
        let preparer = self.preparer.clone();
        (self.cpu)
            .run(move || decoding.decode(decode)?.prepare(&preparer, answer))
            .await
    }

    /// What decoding a request's body takes, to be run on the CPU pool.
    fn decoding(&self, raw: Raw, service: Option<String>) -> Decoding {
        Decoding {
            raw,
            service,
            preparer: self.preparer.clone(),
            bounds: self.bounds,
            received: Utc::now(),
        }
    }

    /// Commits a prepared batch and counts it: its samples and tallies once committed, the
    /// failure otherwise.
    async fn commit(&self, counting: Counting, prepared: Prepared) -> Result<(), IngestError> {
        let Prepared {
            batch,
            mut samples,
            tallies,
        } = prepared;
        // While the commit waits, only the encoded rows (bounded by the queue) and the samples
        // are held.
        let committed = match batch.records {
            0 => Ok(Vec::new()),
            _ => self.store.commit(batch).await,
        };
        match committed {
            Ok(skipped) => samples.forget_spans(&skipped),
            Err(error) => {
                let error = IngestError::from(error);
                if let Counting::Request(protocol) = counting {
                    self.observe_failure(protocol, &error, tallies.records);
                }
                return Err(error);
            }
        }
        if let Counting::Request(protocol) = counting {
            let bridge = &self.metrics.bridge;
            bridge.observe_request(protocol, Outcome::accepted, tallies.records);
        }
        self.preparer.observe(samples, &tallies);
        Ok(())
    }

    /// Counts a request refused before its records reached the store, and gives the error back.
    pub fn refuse(&self, protocol: Protocol, error: IngestError) -> IngestError {
        self.observe_failure(protocol, &error, error.records());
        error
    }

    /// Counts a request that was not accepted.
    pub fn observe_failure(&self, protocol: Protocol, error: &IngestError, records: usize) {
        let bridge = &self.metrics.bridge;
        bridge.observe_request(protocol, error.outcome(), records);
        if let Some(reason) = error.reject_reason() {
            bridge.observe_rejected(reason, records);
        }
    }

    /// The JSON answer of an error.
    pub fn rejection(&self, error: IngestError) -> JsonRejection {
        JsonRejection {
            error,
            retry_after_seconds: self.retry_after_seconds,
        }
    }

    /// The CPU pool, for receivers outside this path.
    pub fn cpu(&self) -> &CpuPool {
        &self.cpu
    }

    /// Largest accepted body, decompressed.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Seconds clients should wait before retrying after 429 or 503.
    pub fn retry_after_seconds(&self) -> u64 {
        self.retry_after_seconds
    }
}
