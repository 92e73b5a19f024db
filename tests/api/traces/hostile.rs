//! Hostile spans: absurd times, ten thousand events, ids of every wrong length, deep attribute
//! nesting. Each is a clear 4xx or a per-span rejection, the bridge keeps serving, and no
//! partition is made for an absurd day.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, KeyValueList, any_value};
use opentelemetry_proto::tonic::trace::v1::span::Event;
use prost::Message;
use serde_json::json;
use sqlx::Row;

use super::{count_spans, request, span};
use crate::api::helpers::{TestApp, spawn_app};

/// Posts a protobuf request; gives the status and, on 200, the number of spans rejected.
async fn post(app: &TestApp, body: Vec<u8>) -> (u16, i64) {
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let rejected = match status {
        200 => ExportTraceServiceResponse::decode(bytes)
            .unwrap()
            .partial_success
            .map_or(0, |p| p.rejected_spans),
        _ => 0,
    };
    (status, rejected)
}

#[tokio::test]
async fn absurd_times_are_rejected_or_moved_to_the_receive_time() {
    let app = spawn_app().await;
    let mut epoch = span(1);
    (epoch.start_time_unix_nano, epoch.end_time_unix_nano) = (1, 5);
    let mut far = span(2);
    far.start_time_unix_nano = 9_000_000_000_000_000_000;
    far.end_time_unix_nano = far.start_time_unix_nano + 7;
    let mut beyond = span(3);
    (beyond.start_time_unix_nano, beyond.end_time_unix_nano) = (u64::MAX - 1, u64::MAX);
    let mut never_ended = span(4);
    never_ended.end_time_unix_nano = 0;
    let body = request("clock", vec![epoch, far, beyond, never_ended]).encode_to_vec();
    assert_eq!(post(&app, body).await, (200, 2));
    let rows = sqlx::query(
        "SELECT duration_ns, attributes ? 'logbridge.original_timestamp' AS kept, \
         start_ts > now() - interval '1 minute' AS recent FROM spans ORDER BY span_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    for (row, duration) in rows.iter().zip([4, 7]) {
        assert_eq!(row.get::<i64, _>("duration_ns"), duration);
        assert!(row.get::<bool, _>("kept") && row.get::<bool, _>("recent"));
    }
    let partitions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relname IN ('spans_p19700101', 'spans_p22550130')",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(partitions, 0, "no partition for an absurd day");
}

#[tokio::test]
async fn ten_thousand_events_on_one_span_are_stored_bounded() {
    let app = spawn_app().await;
    let mut busy = span(1);
    let event = |i: u64| Event {
        time_unix_nano: busy.start_time_unix_nano + i,
        name: format!("retry {i}"),
        ..Event::default()
    };
    busy.events = (0..10_000).map(event).collect();
    assert_eq!(
        post(&app, request("busy", vec![busy]).encode_to_vec()).await,
        (200, 0)
    );
    let stored: i32 = sqlx::query_scalar("SELECT jsonb_array_length(events) FROM spans")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 256, "ingest.max_attributes events are kept");
    let dropped = app
        .metric_sum("logbridge_dropped_attributes_total", &[])
        .await;
    assert_eq!(dropped, 9_744.0);
}

#[tokio::test]
async fn ids_of_every_wrong_length_are_rejected_span_by_span() {
    let app = spawn_app().await;
    let mut spans = vec![span(0x11)];
    for len in (0..=40).filter(|len| *len != 16) {
        let mut bad = span(1);
        bad.trace_id = vec![0xab; len];
        spans.push(bad);
    }
    for len in (0..=24).filter(|len| *len != 8) {
        let mut bad = span(2);
        bad.span_id = vec![0x22; len];
        spans.push(bad);
    }
    for len in (1..=24).filter(|len| *len != 8) {
        let mut bad = span(3);
        bad.parent_span_id = vec![0x33; len];
        spans.push(bad);
    }
    let wrong = spans.len() as i64 - 1;
    assert_eq!(
        post(&app, request("ids", spans).encode_to_vec()).await,
        (200, wrong)
    );
    assert_eq!(count_spans(&app, "true").await, 1);
    assert_eq!(count_spans(&app, "span_id = '1111111111111111'").await, 1);
}

/// An attribute value nested `depth` key-value lists deep.
fn nested(depth: usize) -> KeyValue {
    let mut value = AnyValue {
        value: Some(any_value::Value::StringValue("bottom".into())),
    };
    for _ in 0..depth {
        let entry = KeyValue {
            key: "deeper".into(),
            value: Some(value),
            ..KeyValue::default()
        };
        value = AnyValue {
            value: Some(any_value::Value::KvlistValue(KeyValueList {
                values: vec![entry],
            })),
        };
    }
    KeyValue {
        key: "nested".into(),
        value: Some(value),
        ..KeyValue::default()
    }
}

#[tokio::test]
async fn deep_attribute_nesting_is_a_clear_400_and_moderate_nesting_is_kept() {
    let app = spawn_app().await;
    let mut deep = span(1);
    deep.attributes = vec![nested(200)];
    assert_eq!(
        post(&app, request("deep", vec![deep]).encode_to_vec())
            .await
            .0,
        400
    );
    let mut json_body = json!("bottom");
    for _ in 0..300 {
        json_body = json!({"kvlistValue": {"values": [{"key": "deeper", "value": json_body}]}});
    }
    let json_request = json!({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": "ab".repeat(16), "spanId": "01".repeat(8), "name": "deep",
        "startTimeUnixNano": "1", "endTimeUnixNano": "2",
        "attributes": [{"key": "nested", "value": json_body}]
    }]}]}]});
    let response = app
        .post("/v1/traces", "application/json", json_request.to_string())
        .await;
    assert_eq!(response.status(), 400);
    let mut moderate = span(2);
    moderate.attributes = vec![nested(20)];
    let body = request("deep", vec![moderate]).encode_to_vec();
    assert_eq!(post(&app, body).await, (200, 0), "the bridge still serves");
    assert_eq!(count_spans(&app, "service = 'deep'").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_of_a_hundred_thousand_spans_is_stored_and_one_more_is_413() {
    let app = spawn_app().await;
    let root = span(1);
    let child = |i: u32| {
        let mut child = root.clone();
        child.span_id = [&[0x5a; 4][..], &i.to_be_bytes()].concat();
        child.parent_span_id = vec![1; 8];
        child.name = "SELECT".into();
        child
    };
    let mut spans: Vec<_> = (1..100_000).map(child).collect();
    spans.push(root.clone());
    assert_eq!(
        post(&app, request("huge", spans.clone()).encode_to_vec()).await,
        (200, 0)
    );
    assert_eq!(
        count_spans(&app, "trace_id = repeat('ab', 16)").await,
        100_000
    );
    spans.push(child(100_000));
    assert_eq!(
        post(&app, request("huge", spans).encode_to_vec()).await.0,
        413
    );
}
