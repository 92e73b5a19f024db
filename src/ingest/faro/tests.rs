//! Decoder tests on a payload shaped as the Faro Web SDK sends it (tests/fixtures/faro) and on
//! hostile bodies.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::config::FieldAliases;
use crate::ingest::bounds::RequestBounds;

const FIXTURE: &str = include_str!("../../../tests/fixtures/faro/web-sdk.json");

fn decode_with(body: &[u8], service: Option<&str>) -> Result<Vec<LogRecord>, IngestError> {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    let context = RequestContext {
        received: Utc.with_ymd_and_hms(2026, 12, 4, 18, 0, 0).unwrap(),
        service,
        aliases: &aliases,
        bounds: &bounds,
    };
    decode(body, &context).map(|decoded| decoded.records)
}

fn decode_error(body: &[u8]) -> String {
    decode_with(body, None).unwrap_err().to_string()
}

#[test]
fn every_item_of_the_sdk_payload_becomes_a_record_of_the_app() {
    let records = decode_with(FIXTURE.as_bytes(), None).unwrap();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r.attributes["faro.kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["log", "log", "exception", "measurement", "event", "event"]
    );
    for record in &records {
        assert_eq!(record.service, "shop");
        assert_eq!(record.resource["service.version"], "1.4.2");
        assert_eq!(record.resource["deployment.environment.name"], "production");
        assert_eq!(record.attributes["session.id"], "Yz0fOqFJbN");
        assert_eq!(record.attributes["user.id"], "u-1042");
        assert_eq!(
            record.attributes["page.url"],
            "https://shop.example.com/cart/3"
        );
        assert_eq!(record.attributes["browser.name"], "Chrome");
    }
    let log = &records[0];
    assert_eq!((log.body.as_str(), log.level), ("cart loaded", Level::Info));
    assert_eq!(
        log.ts,
        Utc.with_ymd_and_hms(2026, 12, 4, 17, 50, 1).unwrap() + chrono::Duration::milliseconds(123)
    );
    assert_eq!(
        log.trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(log.span_id.as_deref(), Some("00f067aa0ba902b7"));
    assert_eq!(log.attributes["context.items"], "3");
    assert_eq!(records[1].level, Level::Warn);
    let measurement = &records[3];
    assert_eq!(measurement.attributes["measurement.type"], "web-vitals");
    assert_eq!(measurement.attributes["measurement.lcp"], 1874.3);
    assert_eq!(measurement.attributes["context.rating"], "good");
    assert_eq!(records[5].attributes["event.sku"], "A-17");
}

#[test]
fn an_exception_is_an_error_record_with_its_frames_as_a_stack() {
    let records = decode_with(FIXTURE.as_bytes(), None).unwrap();
    let exception = &records[2];
    assert_eq!(exception.level, Level::Error);
    let message = "Cannot read properties of undefined (reading 'price')";
    assert_eq!(exception.body, format!("TypeError: {message}"));
    assert_eq!(exception.attributes["exception.type"], "TypeError");
    assert_eq!(exception.attributes["exception.message"], message);
    let stack = exception.attributes["exception.stacktrace"]
        .as_str()
        .unwrap();
    let lines: Vec<&str> = stack.lines().collect();
    assert_eq!(
        lines[1..],
        [
            "    at total (https://shop.example.com/assets/index-B3k1.js:1:48213)",
            "    at HTMLButtonElement.onClick (https://shop.example.com/assets/index-B3k1.js:1:50122)",
            "    at ? (https://shop.example.com/cart/3)",
        ]
    );
    let fatal = json!({"exceptions": [{"type": "Error", "value": "boom", "fatal": true}]});
    let records = decode_with(fatal.to_string().as_bytes(), None).unwrap();
    assert_eq!(records[0].level, Level::Fatal);
}

#[test]
fn without_an_app_name_the_request_s_service_is_used() {
    let body =
        json!({"meta": {}, "logs": [{"message": "hi", "timestamp": "2026-12-04T17:00:00Z"}]});
    let records = decode_with(body.to_string().as_bytes(), Some("shop")).unwrap();
    assert_eq!(records[0].service, "shop");
    let records = decode_with(body.to_string().as_bytes(), None).unwrap();
    assert_eq!(records[0].service, crate::model::UNKNOWN_SERVICE);
}

#[test]
fn hostile_bodies_are_refused_naming_what_is_wrong() {
    assert!(decode_error(b"<html>").contains("expected value"));
    let error = decode_error(br#"{"logs": [{"message": 7}]}"#);
    assert!(error.contains("logs[0].message"), "{error}");
    let error = decode_error(br#"{"logs": [{"message": "x", "timestamp": "yesterday"}]}"#);
    assert!(error.contains("logs[0].timestamp"), "{error}");
    let frames: Vec<_> = (0..10_000)
        .map(|i| json!({"filename": "a.js", "function": "f", "lineno": i}))
        .collect();
    let many =
        json!({"exceptions": [{"type": "E", "value": "v", "stacktrace": {"frames": frames}}]});
    let error = decode_error(many.to_string().as_bytes());
    assert!(
        error.contains("exceptions[0].stacktrace.frames holds 10000 frames"),
        "{error}"
    );
    let absurd = json!({"exceptions": [{"type": "E", "stacktrace": {"frames": [
        {"filename": "a.js", "lineno": 1e300}
    ]}}]});
    let error = decode_error(absurd.to_string().as_bytes());
    assert!(error.contains("frames[0].lineno"), "{error}");
    let bad_trace =
        json!({"logs": [{"message": "x", "trace": {"trace_id": "zz", "span_id": "00"}}]});
    let records = decode_with(bad_trace.to_string().as_bytes(), None).unwrap();
    assert_eq!(
        (records[0].trace_id.as_ref(), records[0].span_id.as_ref()),
        (None, None)
    );
}

/// The Faro requests `tests/clients/browser/capture.js` captured from the SDK in Chromium
/// (`tests/fixtures/browser/faro-*.json`), each decoded whole.
fn captured_records() -> Vec<LogRecord> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/browser");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/fixtures/browser")
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("faro-")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no captured Faro payloads in {dir}");
    let decode_file = |path: &std::path::PathBuf| {
        let body = std::fs::read(path).unwrap();
        decode_with(&body, None).unwrap_or_else(|error| panic!("{path:?}: {error}"))
    };
    files.iter().flat_map(decode_file).collect()
}

#[test]
fn what_the_sdk_sent_from_chromium_decodes_into_logs_an_exception_vitals_and_events() {
    let records = captured_records();
    let kind = |record: &LogRecord| record.attributes["faro.kind"].as_str().unwrap().to_owned();
    let logs: Vec<&str> = records
        .iter()
        .filter(|r| kind(r) == "log")
        .map(|r| r.body.as_str())
        .collect();
    assert_eq!(logs, ["faro-capture-0", "faro-capture-1"]);
    let session = &records[0].attributes["session.id"];
    for record in &records {
        assert_eq!(record.service, "shop");
        assert_eq!(record.resource["service.version"], "1.4.2");
        assert_eq!(&record.attributes["session.id"], session);
        assert_eq!(record.attributes["sdk.version"], "2.12.1");
        assert_eq!(record.attributes["os.name"], "Linux");
    }
    let exceptions: Vec<&LogRecord> = records.iter().filter(|r| kind(r) == "exception").collect();
    assert_eq!(exceptions.len(), 1);
    let attributes = &exceptions[0].attributes;
    assert_eq!(attributes["exception.type"], "TypeError");
    let stack = attributes["exception.stacktrace"].as_str().unwrap();
    assert!(
        stack.contains("    at cartTotal (http://127.0.0.1:"),
        "{stack}"
    );
    assert!(stack.contains("/bundle.js:30:"), "{stack}");
    let vitals: Vec<&str> = records
        .iter()
        .filter(|r| {
            r.attributes
                .get("measurement.type")
                .is_some_and(|t| t == "web-vitals")
        })
        .flat_map(|r| {
            ["fcp", "ttfb", "lcp", "cls"]
                .into_iter()
                .filter(|v| r.attributes.contains_key(&format!("measurement.{v}")))
        })
        .collect();
    for vital in ["fcp", "ttfb", "lcp", "cls"] {
        assert!(vitals.contains(&vital), "{vital} in {vitals:?}");
    }
    let events = records.iter().filter(|r| kind(r) == "event");
    assert!(
        events
            .map(|r| r.body.as_str())
            .any(|name| name == "session_start")
    );
}
