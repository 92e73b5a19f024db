//! The OTLP receivers' decode functions on captured payloads, without a server: what they give
//! is what parsing and converting give, partial rejections included, and bounds refuse first.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::config::FieldAliases;
use crate::ingest::body;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap()
}

fn context<'a>(aliases: &'a FieldAliases, bounds: &'a RequestBounds) -> RequestContext<'a> {
    RequestContext {
        received: now(),
        service: None,
        aliases,
        bounds,
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).expect("the fixture")
}

#[test]
fn protobuf_decodes_what_parsing_and_converting_give() {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    let body = fixture("otlp-python.pb");
    let decoded = decode_protobuf(&body, &context(&aliases, &bounds)).unwrap();
    let parsed = convert(parse_protobuf(&body, &bounds).unwrap(), now());
    assert!(!decoded.records.is_empty());
    assert_eq!(decoded.records, parsed.records);
    assert_eq!((decoded.rejected, decoded.first_error), (0, None));
}

#[test]
fn json_decoding_carries_the_partial_rejection() {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    let body = fixture("otlp-handmade.json");
    let decoded = decode_json(&body, &context(&aliases, &bounds)).unwrap();
    assert_eq!((decoded.records.len(), decoded.rejected), (6, 1));
    let error = decoded.first_error.unwrap();
    assert!(error.contains("traceId must be 16 bytes"), "{error}");
}

#[test]
fn records_without_a_time_take_the_receipt_time() {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    let body =
        br#"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": "x"}}]}]}]}"#;
    let decoded = decode_json(body, &context(&aliases, &bounds)).unwrap();
    assert_eq!(decoded.records[0].ts, now());
    assert_eq!(decoded.records[0].observed_ts, now());
}

#[test]
fn bounds_refuse_before_decoding() {
    let aliases = FieldAliases::default();
    let bounds = RequestBounds {
        max_records: 1,
        max_attributes: 1_000,
    };
    let body = fixture("otlp-python.pb");
    let refused = decode_protobuf(&body, &context(&aliases, &bounds)).unwrap_err();
    assert!(matches!(
        refused,
        IngestError::TooMany {
            what: "log records",
            ..
        }
    ));
}

#[tokio::test]
async fn a_gzip_body_decodes_once_decompressed() {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    let compressed = Body::from(fixture("otlp-js-gzip.json.gz"));
    let raw = body::read(&headers, compressed, 1 << 20).await.unwrap();
    let plain = raw.decompress().unwrap();
    let decoded = decode_json(&plain, &context(&aliases, &bounds)).unwrap();
    assert!(!decoded.records.is_empty());
    assert_eq!(decoded.rejected, 0);
}
