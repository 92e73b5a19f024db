//! Conversion tests on captured OTLP payloads of real SDKs and on invalid records.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::ingest::bounds::RequestBounds;
use crate::ingest::error::IngestError;
use crate::ingest::otlp;
use crate::model::Level;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

fn decode_json(body: &[u8]) -> Result<ExportLogsServiceRequest, IngestError> {
    otlp::parse_json(body, &RequestBounds::default())
}

fn decode_protobuf(body: &[u8]) -> Result<ExportLogsServiceRequest, IngestError> {
    otlp::parse_protobuf(body, &RequestBounds::default())
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap()
}

#[test]
fn handmade_json_rejects_exactly_the_bad_trace_id() {
    let request = decode_json(include_bytes!(
        "../../../../tests/fixtures/otlp-handmade.json"
    ))
    .unwrap();
    let converted = convert(request, now());
    assert_eq!(converted.records.len(), 6);
    assert_eq!(converted.rejected, 1);
    let error = converted.first_error.unwrap();
    assert!(
        error.contains("logRecords[3]") && error.contains("traceId must be 16 bytes"),
        "{error}"
    );
    let services: Vec<&str> = converted
        .records
        .iter()
        .map(|r| r.service.as_str())
        .collect();
    assert!(
        services
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            >= 2
    );
}

#[test]
fn handmade_json_values_keep_their_types() {
    let request = decode_json(include_bytes!(
        "../../../../tests/fixtures/otlp-handmade.json"
    ))
    .unwrap();
    let records = convert(request, now()).records;
    let all: Vec<&Attributes> = records.iter().map(|r| &r.attributes).collect();
    let has = |check: &dyn Fn(&Value) -> bool| all.iter().any(|a| a.values().any(check));
    assert!(
        has(&|v| v.as_i64() == Some(9007199254740993)),
        "string int64 above 2^53"
    );
    assert!(has(&|v| v.is_object()), "kvlistValue becomes an object");
    assert!(has(&|v| v.is_array()), "arrayValue becomes an array");
    let with_trace = records.iter().find(|r| r.trace_id.is_some()).unwrap();
    assert_eq!(with_trace.trace_id.as_ref().unwrap().len(), 32);
    assert_eq!(with_trace.span_id.as_ref().unwrap().len(), 16);
}

#[test]
fn js_sdk_json_decodes_with_numeric_int_values() {
    let request = decode_json(include_bytes!("../../../../tests/fixtures/otlp-js.json")).unwrap();
    let converted = convert(request, now());
    assert_eq!(converted.records.len(), 8);
    assert_eq!(converted.rejected, 0);
    assert!(
        converted
            .records
            .iter()
            .all(|r| r.service != UNKNOWN_SERVICE)
    );
    assert!(
        converted
            .records
            .iter()
            .any(|r| r.attributes.contains_key("exception.type"))
    );
}

#[test]
fn python_sdk_protobuf_decodes() {
    let request =
        decode_protobuf(include_bytes!("../../../../tests/fixtures/otlp-python.pb")).unwrap();
    let records = convert(request, now()).records;
    assert_eq!(records.len(), 7);
    let warn = records
        .iter()
        .find(|r| r.severity_text.as_deref() == Some("WARN"))
        .unwrap();
    assert_eq!(warn.level, Level::Warn);
    assert!(records.iter().any(|r| r.level == Level::Error));
    assert!(records[0].resource.contains_key("telemetry.sdk.language"));
}

#[test]
fn a_body_without_resource_logs_is_not_otlp() {
    for body in [&b"{}"[..], b"{\"message\": \"hi\"}", b"[]"] {
        assert!(
            decode_json(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(decode_json(b"{\"resourceLogs\": []}").is_ok());
}

#[test]
fn random_and_truncated_protobuf_never_panics() {
    let good = include_bytes!("../../../../tests/fixtures/otlp-python.pb");
    for len in 0..good.len() {
        let _ = decode_protobuf(&good[..len]).map(|r| convert(r, now()));
    }
    let mut seed = 0x2545F4914F6CDD1Du64;
    for _ in 0..2000 {
        let bytes: Vec<u8> = (0..64)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let _ = decode_protobuf(&bytes).map(|r| convert(r, now()));
    }
}

#[test]
fn zero_and_unrepresentable_times() {
    let otlp = OtlpRecord {
        time_unix_nano: u64::MAX,
        ..OtlpRecord::default()
    };
    let record = record(otlp, now()).unwrap();
    assert_eq!(record.ts, now());
    assert_eq!(
        record.attributes[ORIGINAL_TIMESTAMP],
        json!(u64::MAX.to_string())
    );
    let zero = super::record(OtlpRecord::default(), now()).unwrap();
    assert_eq!(zero.ts, now(), "0 means unknown: the receive time");
    assert_eq!(zero.level, Level::Info);
}

#[test]
fn unknown_json_keys_are_ignored_as_the_spec_asks() {
    let body = br#"{"resourceLogs": [{"futureField": {"a": 1}, "scopeLogs": [{"logRecords": [
        {"body": {"stringValue": "kept"}, "futureRecordField": [1, 2],
         "attributes": [{"key": "k", "value": {"intValue": 7}},
                        {"key": "n", "value": {"futureValue": 1, "stringValue": "s"}}]}]}]}]}"#;
    let records = convert(decode_json(body).unwrap(), now()).records;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].body, "kept");
    assert_eq!(records[0].attributes["k"], json!(7));
    assert_eq!(records[0].attributes["n"], json!("s"));
}

fn fuzz_fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/fuzz/otlp_protobuf/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn nested_array_bodies_decode_up_to_prosts_recursion_limit() {
    let request = decode_protobuf(&fuzz_fixture("nesting-within-prost-limit.pb")).unwrap();
    let records = convert(request, now()).records;
    assert_eq!(
        records[0].body,
        format!("{}\"deep\"{}", "[".repeat(45), "]".repeat(45))
    );
    let error = decode_protobuf(&fuzz_fixture("nesting-past-prost-limit.pb")).unwrap_err();
    assert!(error.to_string().contains("recursion limit"), "{error}");
    assert_eq!(error.http_status(), 400);
}
