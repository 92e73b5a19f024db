//! The trace receivers' entry points of the fuzzing harness: `POST /v1/traces` (and gRPC
//! `TraceService/Export`) decoded, converted and prepared as `Ingest::accept` does, with the
//! invariants of each step and of the `spans` rows.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde_json::Value;

use super::{HARNESS, invariants, rejected};
use crate::ingest::otlp::traces;
use crate::ingest::prepare::Preparer;
use crate::metrics::{Format, Metrics};
use crate::model::SpanRecord;
use crate::store::copy::{EncodedBatch, SPANS_COPY_STATEMENT};

/// `POST /v1/traces` with `application/x-protobuf`, and gRPC `TraceService/Export`.
pub fn otlp_traces_protobuf(data: &[u8]) {
    match traces::parse_protobuf(data, &HARNESS.bounds) {
        Ok(request) => export(request),
        Err(error) => rejected(&error),
    }
}

/// `POST /v1/traces` with `application/json`.
pub fn otlp_traces_json(data: &[u8]) {
    match traces::parse_json(data, &HARNESS.bounds) {
        Ok(request) => export(request),
        Err(error) => rejected(&error),
    }
}

/// Every span is either converted or counted as rejected with a reason; the converted ones are
/// prepared, checked, encoded and counted in the metrics.
fn export(request: ExportTraceServiceRequest) {
    let total: usize = (request.resource_spans.iter())
        .flat_map(|resource| &resource.scope_spans)
        .map(|scope| scope.spans.len())
        .sum();
    let converted = traces::convert(request);
    assert_eq!(converted.spans.len() + converted.rejected, total);
    assert_eq!(converted.first_error.is_some(), converted.rejected > 0);
    let harness = &*HARNESS;
    let metrics = Arc::new(Metrics::new(&harness.config.metrics));
    let pipeline = Arc::clone(&harness.pipeline);
    let preparer = Preparer::new(harness.limits.clone(), pipeline, Arc::clone(&metrics));
    let check = |span: &SpanRecord| invariants::span(span, &harness.limits, harness.now);
    let (prepared, spans) = preparer.prepare_spans_checked(converted.spans, harness.now, check);
    copy_rows(&prepared.batch, &spans);
    preparer.observe(prepared.samples, &prepared.tallies);
    metrics.render(Format::OpenMetrics);
}

/// One `spans` row per span with every column, ids as they are, and JSON columns that parse
/// without the `\u0000` escape `jsonb` refuses.
fn copy_rows(batch: &EncodedBatch, spans: &[SpanRecord]) {
    assert_eq!(batch.records, spans.len());
    assert!(batch.data.is_empty(), "no rows of logs");
    let data = &batch.spans.data;
    assert!(!data.contains(&0), "NUL in COPY data");
    let text = std::str::from_utf8(data).expect("COPY data is UTF-8");
    let rows: Vec<&str> = text.split_terminator('\n').collect();
    assert_eq!(rows.len(), spans.len(), "one line per span");
    let columns = SPANS_COPY_STATEMENT.matches(',').count() + 1;
    for (row, span) in rows.iter().zip(spans) {
        let fields: Vec<&str> = row.split('\t').collect();
        assert_eq!(fields.len(), columns, "columns of {row:?}");
        assert_eq!(
            (fields[0], fields[1]),
            (span.trace_id.as_str(), span.span_id.as_str())
        );
        for json in &fields[columns - 4..] {
            let json = json.replace("\\\\", "\\");
            let value: Value = serde_json::from_str(&json).expect("JSON columns parse");
            assert!(
                !invariants::has_nul(&value),
                "jsonb refuses \\u0000: {json}"
            );
        }
    }
}
