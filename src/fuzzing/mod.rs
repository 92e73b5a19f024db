//! The fuzzing harness, built only for tests and for `--cfg fuzzing` (the `fuzz/` crate): each
//! entry point runs one wire format's request path as far as it is pure — decode, convert,
//! [`Limits::bound`], [`Pipeline::process`], COPY encoding and the derived metrics — and panics
//! when an invariant of that path breaks, not only when the code under it panics.

mod invariants;
mod sinks;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};

use crate::config::Config;
use crate::ingest::bounds::RequestBounds;
use crate::ingest::error::IngestError;
use crate::ingest::{alerts, body, json, otlp};
use crate::metrics::Metrics;
use crate::model::LogRecord;
use crate::pipeline::Pipeline;
use crate::pipeline::limits::Limits;

/// The service a JSON request names with `?service=`.
const QUERY_SERVICE: &str = "fuzz-service";

/// The default configuration's pipeline and limits, built once.
struct Harness {
    config: Config,
    limits: Limits,
    /// The default records and attribute entries per request.
    bounds: RequestBounds,
    pipeline: Pipeline,
    /// Receipt time of every request: fixed, so that a run is reproducible.
    now: DateTime<Utc>,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let config = Config::default();
    Harness {
        limits: Limits::from_config(&config),
        bounds: RequestBounds::from_config(&config.ingest),
        pipeline: Pipeline::from_config(&config).expect("the default pipeline builds"),
        now: Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap(),
        config,
    }
});

/// `POST /v1/logs` with `application/x-protobuf`, and gRPC `LogsService/Export`.
pub fn otlp_protobuf(data: &[u8]) {
    match otlp::decode_protobuf(data, &HARNESS.bounds) {
        Ok(request) => export(request),
        Err(error) => rejected(&error),
    }
}

/// `POST /v1/logs` with `application/json`.
pub fn otlp_json(data: &[u8]) {
    match otlp::decode_json(data, &HARNESS.bounds) {
        Ok(request) => export(request),
        Err(error) => rejected(&error),
    }
}

/// `POST /api/v1/logs`: JSON, arrays, `{"logs": [...]}` and NDJSON.
pub fn json_logs(data: &[u8]) {
    let harness = &*HARNESS;
    let aliases = harness.pipeline.aliases();
    match json::decode(
        data,
        Some(QUERY_SERVICE),
        aliases,
        harness.now,
        &HARNESS.bounds,
    ) {
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
        }
        Err(error) => {
            let known = matches!(error, IngestError::Decode(_) | IngestError::TooLarge { .. });
            assert!(known, "gunzip failed with {error:?}");
            rejected(&error);
        }
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
    assert_eq!(converted.first_error.is_some(), converted.rejected > 0);
    accept(converted.records);
}

/// What `Ingest::accept` does before and after the commit, with the invariants of each step.
fn accept(mut records: Vec<LogRecord>) {
    let harness = &*HARNESS;
    let mut redactions = harness.pipeline.redactions();
    for record in &mut records {
        harness.limits.bound(record);
        harness.pipeline.process(record, &mut redactions);
        invariants::record(record, &harness.limits);
    }
    sinks::copy_rows(&records);
    let metrics = Metrics::new(&harness.config.metrics);
    metrics.observe_accepted(&records);
    sinks::exposition(&metrics);
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
