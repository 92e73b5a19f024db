//! The fuzzing harness, built only for tests and for `--cfg fuzzing` (the `fuzz/` crate): each
//! entry point runs one wire format's request path as far as it is pure — decode, convert, then
//! the ingest path's own [`Preparer`] (limits, pipeline, COPY encoding, metric samples) — and
//! panics when an invariant of that path breaks, not only when the code under it panics.

mod invariants;
mod sinks;
mod spans;
#[cfg(test)]
mod tests;

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, TimeZone, Utc};

use crate::config::Config;
use crate::ingest::bounds::RequestBounds;
use crate::ingest::elastic::{self, answer::BulkAnswer};
use crate::ingest::error::IngestError;
use crate::ingest::prepare::Preparer;
use crate::ingest::{Decoded, RequestContext, alerts, body, json, loki, otlp};
use crate::metrics::Metrics;
use crate::model::LogRecord;
use crate::pipeline::Pipeline;
use crate::pipeline::limits::Limits;
pub use spans::{otlp_traces_json, otlp_traces_protobuf};

/// The service a JSON request names with `?service=`.
const QUERY_SERVICE: &str = "fuzz-service";

/// The default configuration's pipeline and limits, built once.
struct Harness {
    config: Config,
    limits: Limits,
    /// The default records and attribute entries per request.
    bounds: RequestBounds,
    pipeline: Arc<Pipeline>,
    /// Receipt time of every request: fixed, so that a run is reproducible.
    now: DateTime<Utc>,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let config = Config::default();
    Harness {
        limits: Limits::from_config(&config),
        bounds: RequestBounds::from_config(&config.ingest),
        pipeline: Arc::new(Pipeline::from_config(&config).expect("the default pipeline builds")),
        now: Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap(),
        config,
    }
});

/// The context of a JSON request: the default aliases and bounds, the fixed receipt time and
/// a `?service=`.
fn context() -> RequestContext<'static> {
    let harness = &*HARNESS;
    RequestContext {
        received: harness.now,
        service: Some(QUERY_SERVICE),
        aliases: harness.pipeline.aliases(),
        bounds: &harness.bounds,
    }
}

/// `POST /v1/logs` with `application/x-protobuf`, and gRPC `LogsService/Export`.
pub fn otlp_protobuf(data: &[u8]) {
    match otlp::parse_protobuf(data, &HARNESS.bounds) {
        Ok(request) => export(request),
        Err(error) => rejected(&error),
    }
}

/// `POST /v1/logs` with `application/json`.
pub fn otlp_json(data: &[u8]) {
    match otlp::parse_json(data, &HARNESS.bounds) {
        Ok(request) => export(request),
        Err(error) => rejected(&error),
    }
}

/// `POST /api/v1/logs`: JSON, arrays, `{"logs": [...]}` and NDJSON.
pub fn json_logs(data: &[u8]) {
    match json::decode(data, &context()) {
        Ok(records) => {
            assert!(!records.is_empty(), "an accepted JSON body holds records");
            accept(records);
        }
        Err(error) => rejected_batch(&error),
    }
}

/// A gzip body (`Content-Encoding: gzip`), decompressed within the default body limit, then
/// given to every decoder.
pub fn gzip(data: &[u8]) {
    let limit = HARNESS.config.ingest.max_body_bytes;
    match body::gunzip(data, limit) {
        Ok(plain) => {
            assert!(plain.len() <= limit, "gunzip kept {} bytes", plain.len());
            otlp_protobuf(&plain);
            otlp_json(&plain);
            json_logs(&plain);
            es_bulk(&plain);
        }
        Err(error) => {
            let known = matches!(error, IngestError::Decode(_) | IngestError::TooLarge { .. });
            assert!(known, "gunzip failed with {error:?}");
            rejected(&error);
        }
    }
}

/// `POST /loki/api/v1/push` with a protobuf body: `data` is the `PushRequest`, sent as the
/// raw snappy block clients send (so mutations reach the protobuf), and `data` itself as the
/// body too (so they reach the snappy decoder).
pub fn loki_protobuf(data: &[u8]) {
    let compressed = snap::raw::Encoder::new()
        .compress_vec(data)
        .expect("snappy compresses any input");
    for body in [compressed.as_slice(), data] {
        match loki::decode_protobuf(body, &context(), &loki_push()) {
            Ok(decoded) => accept_decoded(decoded),
            Err(error) => rejected(&error),
        }
    }
}

/// `POST /loki/api/v1/push` with `application/json`.
pub fn loki_json(data: &[u8]) {
    match loki::decode_json(data, &context(), &loki_push()) {
        Ok(decoded) => accept_decoded(decoded),
        Err(error) => rejected(&error),
    }
}

/// `POST /es/{index}/_bulk`: every action has one item, in order, stored or refused; the answer
/// is JSON with as many items.
pub fn es_bulk(data: &[u8]) {
    match elastic::decode(data, Some("fuzz-index"), &context()) {
        Ok(bulk) => {
            let failed = bulk.items.iter().filter(|i| i.outcome.is_err()).count();
            assert_eq!(bulk.items.len(), bulk.decoded.records.len() + failed);
            assert_eq!(failed, bulk.decoded.rejected);
            let items = bulk.items.len();
            let answer = BulkAnswer::new(0, bulk.items).encode(None);
            let answer: serde_json::Value =
                serde_json::from_slice(&answer).expect("the answer is JSON");
            let answered = answer["items"].as_array().map_or(0, Vec::len);
            assert_eq!(answered, items, "one item per action");
            accept_decoded(bulk.decoded);
        }
        Err(error) => rejected(&error),
    }
}

/// A push with `X-Scope-OrgID` and the default body limit.
fn loki_push() -> loki::Push {
    loki::Push {
        tenant: Some("fuzz-tenant".to_string()),
        max_bytes: HARNESS.config.ingest.max_body_bytes,
    }
}

/// `POST /api/v1/alerts/webhook` (Alertmanager's payload), up to what is stored.
pub fn alert_webhook(data: &[u8]) {
    match alerts::decode(data) {
        Ok(changes) => changes.iter().for_each(invariants::alert_change),
        Err(error) => rejected_batch(&error),
    }
}

/// The OTLP export: every record is either converted or counted as rejected with a reason.
fn export(request: opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest) {
    let total: usize = (request.resource_logs.iter())
        .flat_map(|resource| &resource.scope_logs)
        .map(|scope| scope.log_records.len())
        .sum();
    let converted = otlp::convert(request, HARNESS.now);
    assert_eq!(converted.records.len() + converted.rejected, total);
    accept_decoded(converted);
}

/// What `Ingest::accept` does before and after the commit (the one [`Preparer`]), with the
/// invariants of each step.
fn accept(records: Vec<LogRecord>) {
    let harness = &*HARNESS;
    let metrics = Arc::new(Metrics::new(&harness.config.metrics));
    let pipeline = Arc::clone(&harness.pipeline);
    let preparer = Preparer::new(harness.limits.clone(), pipeline, Arc::clone(&metrics));
    let check = |record: &LogRecord| invariants::record(record, &harness.limits);
    let (prepared, records) = preparer.prepare_checked(records, check);
    sinks::copy_rows(&prepared.batch, &records);
    assert_eq!(prepared.tallies.records, records.len());
    preparer.observe(prepared.samples, &prepared.tallies);
    sinks::exposition(&metrics);
}

/// [`accept`] of what a receiver's decode function gave.
fn accept_decoded(decoded: Decoded) {
    assert_eq!(decoded.first_error.is_some(), decoded.rejected > 0);
    accept(decoded.records);
}

/// A rejected body: a 4xx answer whose message says what was wrong.
fn rejected(error: &IngestError) {
    let status = error.http_status();
    assert!(status.is_client_error(), "{error:?} answers {status}");
    let message = error.public_message();
    assert!(
        message.len() > "cannot decode the body: ".len(),
        "{message:?}"
    );
}

/// A rejected JSON body, with the JSON answer the JSON receivers give.
fn rejected_batch(error: &IngestError) {
    rejected(error);
    if let IngestError::InvalidBatch { items, total } = error {
        assert!(!items.is_empty() && items.len() <= *total);
        assert!(items.windows(2).all(|pair| pair[0].index < pair[1].index));
        assert!(
            items
                .iter()
                .all(|i| i.index < *total && !i.reason.is_empty())
        );
    }
    let response = error.json_response(1);
    assert_eq!(response.status(), error.http_status());
}
