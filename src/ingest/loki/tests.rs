//! Decoder tests on bodies shaped as the shippers build them (tests/fixtures/loki) and on
//! hostile bodies.

use chrono::{TimeZone, Utc};
use prost::Message;
use serde_json::json;

use super::proto::{self, PushRequest};
use super::*;
use crate::config::FieldAliases;
use crate::ingest::bounds::RequestBounds;
use crate::model::Level;

const LIMIT: usize = 1 << 20;

fn context<'a>(aliases: &'a FieldAliases, bounds: &'a RequestBounds) -> RequestContext<'a> {
    RequestContext {
        received: Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap(),
        service: None,
        aliases,
        bounds,
    }
}

fn push() -> Push {
    Push {
        tenant: Some("team-a".to_string()),
        max_bytes: LIMIT,
    }
}

fn protobuf(body: &[u8]) -> Result<Vec<LogRecord>, IngestError> {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    decode_protobuf(body, &context(&aliases, &bounds), &push()).map(|d| d.records)
}

fn json_body(body: &[u8]) -> Result<Vec<LogRecord>, IngestError> {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    decode_json(body, &context(&aliases, &bounds), &push()).map(|d| d.records)
}

fn snappy(request: &PushRequest) -> Vec<u8> {
    let bytes = request.encode_to_vec();
    snap::raw::Encoder::new().compress_vec(&bytes).unwrap()
}

fn one_stream(labels: &str, lines: usize) -> PushRequest {
    let entry = |n: usize| proto::Entry {
        timestamp: Some(proto::Timestamp {
            seconds: 1_796_292_000,
            nanos: n as i32,
        }),
        line: format!("line {n}").into_bytes(),
        structured_metadata: Vec::new(),
    };
    PushRequest {
        streams: vec![proto::Stream {
            labels: labels.to_string(),
            entries: (0..lines).map(entry).collect(),
        }],
    }
}

#[test]
fn alloy_protobuf_with_metadata() {
    let records = protobuf(include_bytes!(
        "../../../tests/fixtures/loki/alloy.pb.snappy"
    ))
    .unwrap();
    assert_eq!(records.len(), 4);
    let logfmt = &records[0];
    assert_eq!(logfmt.service, "checkout");
    assert_eq!(logfmt.body, "payment declined");
    assert_eq!(logfmt.level, Level::Error);
    assert_eq!(
        logfmt.ts.timestamp_nanos_opt(),
        Some(1_796_292_000_001_000_007)
    );
    assert_eq!(
        logfmt.trace_id.as_deref(),
        None,
        "metadata stays attributes"
    );
    assert_eq!(
        logfmt.attributes["trace_id"],
        json!("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(logfmt.attributes["order_id"], json!("o-17"));
    assert_eq!(logfmt.attributes["tenant"], json!("team-a"));
    assert_eq!(logfmt.resource["namespace"], json!("shop"));
    let pino = &records[1];
    assert_eq!(
        (pino.body.as_str(), pino.level),
        ("GET /cart 200", Level::Info)
    );
    assert_eq!(pino.scope.as_deref(), Some("http"));
    assert_eq!(pino.attributes["responseTime"], json!(12));
    let plain = &records[2];
    assert_eq!(
        plain.body,
        r#"plain text line with "quotes" and a \backslash"#
    );
    assert_eq!(plain.level, Level::Warn, "the metadata level");
    let debug = &records[3];
    assert_eq!(
        (debug.service.as_str(), debug.level),
        ("worker", Level::Debug)
    );
    assert_eq!(debug.resource["msg"], json!("say \"hi\"\n"));
}

#[test]
fn vector_unescaped_labels() {
    let records = protobuf(include_bytes!(
        "../../../tests/fixtures/loki/vector.pb.snappy"
    ))
    .unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].resource["msg"], json!("say \"hi\""));
    assert_eq!(records[0].resource["source_type"], json!("docker_logs"));
    assert_eq!(records[0].service, "web");
    assert_eq!(records[0].level, Level::Error);
    assert_eq!(records[1].level, Level::Info);
}

#[test]
fn fluent_bit_json_one_stream_per_record() {
    let gz = include_bytes!("../../../tests/fixtures/loki/fluent-bit.json.gz");
    let body = crate::ingest::body::gunzip(gz, LIMIT).unwrap();
    let records = json_body(&body).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].service, "nginx");
    assert_eq!(
        records[0].body,
        r#"10.0.0.1 - - "GET /login HTTP/1.1" 500 12"#
    );
    assert_eq!(records[0].level, Level::Error);
    assert_eq!(records[0].attributes["request_id"], json!("r-1"));
    assert_eq!(records[0].attributes["stream"], json!("stderr"));
    assert_eq!(records[1].level, Level::Info);
    assert_eq!(
        records[1].ts.timestamp_nanos_opt(),
        Some(1_796_292_000_008_000_007)
    );
}

#[test]
fn pino_loki_json_level_label_wins() {
    let records = json_body(include_bytes!(
        "../../../tests/fixtures/loki/pino-loki.json"
    ))
    .unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].service, "billing");
    assert_eq!(
        (records[0].body.as_str(), records[0].level),
        ("invoice overdue", Level::Warn)
    );
    assert_eq!(records[0].severity_text.as_deref(), Some("warning"));
    assert_eq!(records[0].attributes["invoiceId"], json!("inv-9"));
    assert_eq!(records[1].level, Level::Fatal);
}

#[test]
fn protobuf_round_trip_of_the_bridge_messages() {
    let request = one_stream(r#"{app="a"}"#, 3);
    let records = protobuf(&snappy(&request)).unwrap();
    let bodies: Vec<_> = records.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies, ["line 0", "line 1", "line 2"]);
}

#[test]
fn invalid_utf8_lines_are_repaired() {
    let mut request = one_stream(r#"{app="a"}"#, 1);
    request.streams[0].entries[0].line = b"bad \xff byte".to_vec();
    let records = protobuf(&snappy(&request)).unwrap();
    assert_eq!(records[0].body, "bad \u{fffd} byte");
}

#[test]
fn hostile_protobuf_bodies_are_refused_with_their_reason() {
    let good = snappy(&one_stream(r#"{app="a"}"#, 20));
    let truncated = protobuf(&good[..good.len() / 2]).unwrap_err();
    assert!(truncated.to_string().contains("snappy"), "{truncated}");
    let not_snappy = protobuf(&one_stream(r#"{app="a"}"#, 2).encode_to_vec()).unwrap_err();
    assert!(matches!(not_snappy, IngestError::Decode(_)), "{not_snappy}");
    let labels = protobuf(&snappy(&one_stream(r#"{a=""#, 1))).unwrap_err();
    let message = labels.to_string();
    assert!(
        message.contains("streams[0]: couldn't parse labels"),
        "{message}"
    );
    let garbage = snap::raw::Encoder::new()
        .compress_vec(b"\x0a\xff\xff\xff\xff\x0f")
        .unwrap();
    assert!(matches!(
        protobuf(&garbage).unwrap_err(),
        IngestError::Decode(_)
    ));
}

#[test]
fn a_4_gib_snappy_length_header_is_refused_before_allocating() {
    // Varint 0xFFFF_FFFF, then a literal tag: the header claims 4 GiB.
    let body = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, b'x'];
    let error = protobuf(&body).unwrap_err();
    assert!(
        matches!(error, IngestError::TooLarge { limit: LIMIT }),
        "{error}"
    );
    let just_over = snap::raw::Encoder::new()
        .compress_vec(&vec![b'a'; LIMIT + 1])
        .unwrap();
    assert!(matches!(
        protobuf(&just_over).unwrap_err(),
        IngestError::TooLarge { .. }
    ));
}

#[test]
fn too_many_streams_are_refused_before_decoding() {
    let (aliases, bounds) = (
        FieldAliases::default(),
        RequestBounds {
            max_records: 1000,
            max_attributes: 100_000,
        },
    );
    let mut request = one_stream(r#"{app="a"}"#, 0);
    let stream = |n: usize| proto::Stream {
        labels: format!(r#"{{app="a", n="{n}"}}"#),
        entries: one_stream("", 1).streams.remove(0).entries,
    };
    request.streams = (0..100_000).map(stream).collect();
    let body = snappy(&request);
    let push = Push {
        tenant: None,
        max_bytes: 64 << 20,
    };
    let error = decode_protobuf(&body, &context(&aliases, &bounds), &push).unwrap_err();
    assert!(
        matches!(
            error,
            IngestError::TooMany {
                what: "log records",
                counted: 100_000,
                ..
            }
        ),
        "{error}"
    );
    let bounds = RequestBounds {
        max_records: 1_000_000,
        max_attributes: 1000,
    };
    let error = decode_protobuf(&body, &context(&aliases, &bounds), &push).unwrap_err();
    assert!(
        matches!(
            error,
            IngestError::TooMany {
                what: "attribute entries",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn json_errors_name_the_place() {
    let cases: [(&str, &str); 5] = [
        (
            r#"{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}"#,
            "streams[0].values[0][0]: the timestamp must be a string",
        ),
        (
            r#"{"streams":[{"stream":{"a":"b"},"values":[["x","y"]]}]}"#,
            "is not a count of Unix nanoseconds",
        ),
        (
            r#"{"streams":[{"stream":{"a":"b"},"values":[["1",2]]}]}"#,
            "streams[0].values[0][1]: the line must be a string",
        ),
        (
            r#"{"streams":[{"stream":{"a":"b"},"values":[["1","x",null]]}]}"#,
            "structured metadata must be an object",
        ),
        (r#"{"streams":"#, "invalid JSON"),
    ];
    for (body, expected) in cases {
        let error = json_body(body.as_bytes()).unwrap_err().to_string();
        assert!(error.contains(expected), "{body}: {error}");
    }
}

#[test]
fn json_null_entries_are_skipped_and_metadata_kept() {
    let body = br#"{"streams":[{"stream":{"service_name":"s","level":"err"},"values":[null,["1796292000000000000","hi",{"user":"u1"}]]}]}"#;
    let records = json_body(body).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].service.as_str(), records[0].level),
        ("s", Level::Error)
    );
    assert_eq!(records[0].attributes["user"], json!("u1"));
}
