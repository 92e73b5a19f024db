//! Tests of the COPY text encoding.

use super::*;
use crate::model::{HttpRequest, LogRecord};
use chrono::{TimeZone, Utc};
use serde_json::json;

fn record(body: &str) -> LogRecord {
    let ts = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    LogRecord::new(body.to_string(), ts)
}

fn columns(batch: &EncodedBatch) -> Vec<String> {
    let text = String::from_utf8(batch.data.clone()).unwrap();
    let line = text.strip_suffix('\n').unwrap();
    line.split('\t').map(str::to_string).collect()
}

#[test]
fn row_has_one_column_per_copy_column() {
    let batch = encode(&[record("hello")]);
    let listed = COPY_STATEMENT.matches(',').count() + 1;
    assert_eq!(columns(&batch).len(), listed);
    assert_eq!(batch.records, 1);
    let partitions: Vec<_> = batch.partitions.iter().collect();
    assert_eq!(partitions.len(), 1);
    assert_eq!(partitions[0].0.to_string(), "2026-11-22");
    assert_eq!(&*partitions[0].1, "standard", "the default class");
    assert_eq!(columns(&batch).last().unwrap(), "standard");
}

#[test]
fn partitions_list_each_day_and_class_once() {
    let debug: Arc<str> = Arc::from("debug");
    let mut records: Vec<LogRecord> = (0..4).map(|i| record(&format!("r{i}"))).collect();
    records[1].retention_class = Some(debug.clone());
    records[2].retention_class = Some(Arc::from("debug"));
    records[3].ts = records[3].ts - chrono::Days::new(1);
    let batch = encode(&records);
    let partitions: Vec<String> = batch
        .partitions
        .iter()
        .map(|(day, class)| format!("{day} {class}"))
        .collect();
    assert_eq!(
        partitions,
        [
            "2026-11-22 standard",
            "2026-11-22 debug",
            "2026-11-21 standard"
        ]
    );
}

#[test]
fn specials_are_escaped_and_nul_replaced() {
    let mut r = record("a\tb\nc\\d\re\0f");
    r.attributes.insert("k\0".into(), json!("v\0 \"q\" \\ \n"));
    let cols = columns(&encode(&[r]));
    assert_eq!(cols[6], "a\\tb\\nc\\\\d\\re\u{FFFD}f");
    // JSON escapes are themselves backslash-escaped for COPY.
    assert_eq!(
        cols[24],
        "{\"k\u{FFFD}\":\"v\u{FFFD} \\\\\"q\\\\\" \\\\\\\\ \\\\n\"}"
    );
}

#[test]
fn absent_fields_are_null_and_durations_in_ms() {
    let mut r = record("x");
    r.request = Some(HttpRequest {
        method: "GET".into(),
        route: "/users/{id}".into(),
        status_code: Some(200),
        duration_seconds: Some(0.25),
    });
    let cols = columns(&encode(&[r]));
    assert_eq!(cols[0], "2026-11-22 10:00:00.000000+00");
    assert_eq!(cols[7], "\\N", "trace_id");
    assert_eq!(cols[10], "GET");
    assert_eq!(cols[12], "200");
    assert_eq!(cols[13], "250");
    assert_eq!(cols[14], "\\N", "db_system");
}

#[test]
fn timestamps_keep_microseconds_and_padding() {
    let mut r = record("x");
    r.ts = Utc.with_ymd_and_hms(987, 3, 4, 5, 6, 7).unwrap() + chrono::Duration::microseconds(89);
    assert_eq!(columns(&encode(&[r]))[0], "0987-03-04 05:06:07.000089+00");
}

#[test]
fn a_shared_resource_is_encoded_once_per_run_and_copied() {
    let shared = std::sync::Arc::new(json!({"service.name": "a\\b"}).as_object().unwrap().clone());
    let other = std::sync::Arc::new(json!({"host": "h"}).as_object().unwrap().clone());
    let mut records = vec![record("1"), record("2"), record("3")];
    records[0].resource = shared.clone();
    records[1].resource = shared;
    records[2].resource = other;
    let text = String::from_utf8(encode(&records).data).unwrap();
    let resources: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit('\t').nth(1).unwrap())
        .collect();
    assert_eq!(
        resources,
        vec![
            r#"{"service.name":"a\\\\b"}"#,
            r#"{"service.name":"a\\\\b"}"#,
            r#"{"host":"h"}"#
        ]
    );
}
