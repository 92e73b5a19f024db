//! Decoder tests on captured output of real loggers (tests/fixtures) and on bad input.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::ingest::bounds::RequestBounds;
use crate::model::Level;

/// `decode` within the default bounds.
fn decode(
    body: &[u8],
    service: Option<&str>,
    aliases: &FieldAliases,
    observed_ts: DateTime<Utc>,
) -> Result<Vec<LogRecord>, IngestError> {
    let context = RequestContext {
        received: observed_ts,
        service,
        aliases,
        bounds: &RequestBounds::default(),
    };
    super::decode(body, &context)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap()
}

fn decode_ok(body: &str, service: Option<&str>) -> Vec<LogRecord> {
    decode(body.as_bytes(), service, &FieldAliases::default(), now()).unwrap()
}

fn invalid_items(body: &str) -> Vec<InvalidItem> {
    match decode(body.as_bytes(), None, &FieldAliases::default(), now()) {
        Err(IngestError::InvalidBatch { items, .. }) => items,
        other => panic!("expected an invalid batch, got {other:?}"),
    }
}

#[test]
fn pino_lines_keep_level_time_message_and_logger() {
    let records = decode_ok(
        include_str!("../../../tests/fixtures/pino.ndjson"),
        Some("shop"),
    );
    assert_eq!(records.len(), 12);
    let first = &records[0];
    assert_eq!(first.level, Level::Trace);
    assert_eq!(first.body, "cart lookup started");
    assert_eq!(first.ts.timestamp_millis(), 1795363656935);
    assert_eq!(
        first.scope.as_deref(),
        Some("checkout"),
        "pino name is the logger"
    );
    assert_eq!(
        first.service, "shop",
        "?service= applies when the record names none"
    );
    assert_eq!(first.attributes["hostname"], json!("vm"));
    assert!(!first.attributes.contains_key("msg"));
    let levels: Vec<Level> = records.iter().map(|r| r.level).collect();
    assert!(levels.contains(&Level::Fatal) && levels.contains(&Level::Error));
}

#[test]
fn loguru_records_use_the_nested_fields_and_extra() {
    let records = decode_ok(include_str!("../../../tests/fixtures/loguru.ndjson"), None);
    assert_eq!(records.len(), 12);
    assert_eq!(records[0].level, Level::Trace);
    assert_eq!(records[0].body, "trace line");
    assert_eq!(records[0].ts.timestamp_micros(), 1795363659462537);
    let bound = records
        .iter()
        .find(|r| r.service == "billing")
        .expect("bind(service=...)");
    assert_eq!(bound.attributes["user_id"], json!(42));
    let success = records
        .iter()
        .find(|r| r.severity_text.as_deref() == Some("SUCCESS"));
    assert_eq!(success.map(|r| r.level), Some(Level::Info));
}

#[test]
fn ecs_winston_bunyan_and_plain_all_decode() {
    let ecs = decode_ok(include_str!("../../../tests/fixtures/ecs.ndjson"), None);
    assert_eq!(ecs[0].service, "orders-api");
    assert_eq!(ecs[0].body, "orders api starting");
    assert_eq!(ecs[0].ts.to_rfc3339(), "2026-11-22T16:07:38.814+00:00");
    let winston = decode_ok(include_str!("../../../tests/fixtures/winston.ndjson"), None);
    assert_eq!(winston[0].service, "user-service");
    let bunyan = decode_ok(include_str!("../../../tests/fixtures/bunyan.ndjson"), None);
    assert!(bunyan.iter().all(|r| !r.body.is_empty()));
    let plain = decode_ok(include_str!("../../../tests/fixtures/plain.ndjson"), None);
    assert_eq!(plain[2].ts.to_rfc3339(), "2026-01-15T10:00:02.500+00:00");
    assert!(
        plain
            .iter()
            .any(|r| r.trace_id.as_deref().is_some_and(|t| t.len() == 32))
    );
}

#[test]
fn one_object_an_array_and_an_envelope_are_all_batches() {
    let one = r#"{"message": "a"}"#;
    let array = r#"[{"message": "a"}, {"msg": "b"}]"#;
    let envelope = r#"{"logs": [{"message": "a"}, {"message": "b"}, {"message": "c"}]}"#;
    assert_eq!(decode_ok(one, None).len(), 1);
    assert_eq!(decode_ok(array, None).len(), 2);
    assert_eq!(decode_ok(envelope, None).len(), 3);
    assert_eq!(decode_ok(one, None)[0].service, UNKNOWN_SERVICE);
}

#[test]
fn every_invalid_item_is_listed_with_its_reason() {
    let body = concat!(
        r#"{"message": "fine"}"#,
        "\n",
        r#"[1, 2]"#,
        "\n",
        r#"{"level": "info"}"#,
        "\n",
        r#"{"message": "x", "level": "loud"}"#,
        "\n",
        r#"{"message": "x", "timestamp": "yesterday"}"#,
        "\n",
    );
    let items = invalid_items(body);
    let indexes: Vec<usize> = items.iter().map(|i| i.index).collect();
    assert_eq!(indexes, vec![1, 2, 3, 4]);
    assert!(
        items[0].reason.contains("not a JSON object"),
        "{}",
        items[0].reason
    );
    assert!(
        items[1].reason.contains("no message"),
        "{}",
        items[1].reason
    );
    assert!(
        items[2].reason.contains("unknown level"),
        "{}",
        items[2].reason
    );
    assert!(
        items[3].reason.contains("unparseable timestamp"),
        "{}",
        items[3].reason
    );
}

#[test]
fn malformed_bodies_are_decode_errors() {
    let deep = "[".repeat(100_000);
    for body in [
        "",
        "   ",
        "{\"message\": ",
        deep.as_str(),
        "{\"message\": \"a\"} {",
    ] {
        let result = decode(body.as_bytes(), None, &FieldAliases::default(), now());
        assert!(
            matches!(result, Err(IngestError::Decode(_))),
            "{:?}",
            &body[..body.len().min(20)]
        );
    }
    let invalid_utf8 = b"{\"message\": \"\xff\xfe\"}";
    let result = decode(invalid_utf8, None, &FieldAliases::default(), now());
    assert!(matches!(result, Err(IngestError::Decode(_))));
}

#[test]
fn malformed_trace_ids_stay_attributes() {
    let records = decode_ok(r#"{"message": "m", "trace_id": "not-hex"}"#, None);
    assert_eq!(records[0].trace_id, None);
    assert_eq!(records[0].attributes["trace_id"], json!("not-hex"));
    let upper = decode_ok(
        r#"{"message": "m", "traceId": "4BF92F3577B34DA6A3CE929D0E0E4736"}"#,
        None,
    );
    assert_eq!(
        upper[0].trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
}

mod atomicity {
    use super::*;
    use proptest::prelude::*;

    /// An item and whether it is valid.
    fn item() -> impl Strategy<Value = (Value, bool)> {
        prop_oneof![
            "[a-z ]{1,20}".prop_map(|m| (json!({"message": m}), true)),
            (1u64..=60).prop_map(|l| (json!({"msg": "m", "level": l}), true)),
            Just((json!({"message": "m", "level": "warning"}), true)),
            Just((json!({"level": "info"}), false)),
            Just((json!({"message": "m", "level": "nonsense"}), false)),
            Just((json!({"message": "m", "time": "not a time"}), false)),
            Just((json!(42), false)),
            Just((json!(["message"]), false)),
        ]
    }

    proptest! {
        /// A batch decodes only when every item is valid; otherwise exactly the invalid items
        /// are listed, so nothing of it reaches the store.
        #[test]
        fn batches_are_all_or_nothing(items in proptest::collection::vec(item(), 1..30)) {
            let body: String = items.iter().map(|(v, _)| format!("{v}\n")).collect();
            let expected: Vec<usize> = items.iter().enumerate()
                .filter(|(_, (_, valid))| !valid).map(|(i, _)| i).collect();
            match decode(body.as_bytes(), None, &FieldAliases::default(), now()) {
                Ok(records) => {
                    prop_assert!(expected.is_empty());
                    prop_assert_eq!(records.len(), items.len());
                }
                Err(IngestError::InvalidBatch { items: invalid, total }) => {
                    prop_assert_eq!(total, items.len());
                    let indexes: Vec<usize> = invalid.iter().map(|i| i.index).collect();
                    prop_assert_eq!(indexes, expected);
                }
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
        }
    }
}

#[test]
fn an_empty_service_names_none() {
    let records = decode_ok(r#"{"message": "a", "service": ""}"#, Some("shop"));
    assert_eq!(records[0].service, "shop");
    let records = decode_ok(r#"{"message": "a", "service": ""}"#, Some(""));
    assert_eq!(records[0].service, "unknown_service");
    assert!(!records[0].attributes.contains_key("service"));
}

#[tokio::test]
async fn the_error_answer_lists_every_invalid_item() {
    let error = decode(
        b"1\n{\"message\": \"ok\"}\n[]",
        None,
        &FieldAliases::default(),
        now(),
    );
    let response = error.unwrap_err().json_response(1);
    assert_eq!(response.status(), 400);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "invalid_batch");
    assert_eq!(
        body["error"]["message"],
        "2 of 3 items are invalid; nothing was stored"
    );
    let details = &body["error"]["details"];
    assert_eq!(
        details[0],
        json!({"index": 0, "reason": "not a JSON object but a number"})
    );
    assert_eq!(
        details[1],
        json!({"index": 2, "reason": "not a JSON object but an array"})
    );
}

#[test]
fn nesting_past_serde_jsons_limit_is_a_decode_error() {
    let path = |name: &str| {
        let root = env!("CARGO_MANIFEST_DIR");
        std::fs::read(format!("{root}/tests/fixtures/fuzz/json_logs/{name}")).unwrap()
    };
    let aliases = FieldAliases::default();
    let deep = decode(
        &path("nesting-within-serde-limit.json"),
        None,
        &aliases,
        now(),
    );
    assert!(deep.unwrap()[0].attributes["a"].is_array());
    let error = decode(
        &path("nesting-past-serde-limit.json"),
        None,
        &aliases,
        now(),
    );
    let error = error.unwrap_err().to_string();
    assert!(
        error.contains("item 0: invalid JSON: recursion limit exceeded"),
        "{error}"
    );
}
