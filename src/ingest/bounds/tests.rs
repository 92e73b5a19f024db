use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use super::*;
use crate::ingest::error::IngestError;

#[path = "../../../bench/workload.rs"]
mod workload;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn text(value: &str) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(value.into())),
    }
}

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(value),
        ..Default::default()
    }
}

fn array(values: Vec<AnyValue>) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::ArrayValue(ArrayValue { values })),
    }
}

fn kvlist(values: Vec<KeyValue>) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::KvlistValue(KeyValueList { values })),
    }
}

/// A request with attributes at every level the walk enters: 2 records and 12 attribute entries:
/// resource 1 + entity ref and its key 2, scope 1, body 1, record 7 (2 + kvlist 2 + array 2 + 1).
fn request() -> ExportLogsServiceRequest {
    let nested = kvlist(vec![
        kv("a", text("1")),
        kv(
            "b",
            array(vec![text("x"), kvlist(vec![kv("c", text("y"))])]),
        ),
    ]);
    let record = LogRecord {
        body: Some(kvlist(vec![kv("msg", text("hello"))])),
        attributes: vec![kv("http.method", text("GET")), kv("nested", nested)],
        ..Default::default()
    };
    let resource = Resource {
        attributes: vec![kv("service.name", text("svc"))],
        entity_refs: vec![EntityRef {
            id_keys: vec!["service.name".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let scope = InstrumentationScope {
        attributes: vec![kv("scope.attr", text("s"))],
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource),
            scope_logs: vec![ScopeLogs {
                scope: Some(scope),
                log_records: vec![record.clone(), LogRecord::default()],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The counts of a decoded request, computed from its structs.
fn reference(request: &ExportLogsServiceRequest) -> (usize, usize) {
    fn value(v: &AnyValue) -> usize {
        match &v.value {
            Some(any_value::Value::ArrayValue(a)) => a.values.iter().map(|v| 1 + value(v)).sum(),
            Some(any_value::Value::KvlistValue(l)) => entries(&l.values),
            _ => 0,
        }
    }
    fn entries(kvs: &[KeyValue]) -> usize {
        kvs.iter()
            .map(|kv| 1 + kv.value.as_ref().map_or(0, value))
            .sum()
    }
    let (mut records, mut attributes) = (0, 0);
    for resource_logs in &request.resource_logs {
        if let Some(resource) = &resource_logs.resource {
            attributes += entries(&resource.attributes);
            let refs = resource.entity_refs.iter();
            attributes += refs
                .map(|r| 1 + r.id_keys.len() + r.description_keys.len())
                .sum::<usize>();
        }
        for scope_logs in &resource_logs.scope_logs {
            attributes += scope_logs
                .scope
                .as_ref()
                .map_or(0, |s| entries(&s.attributes));
            for record in &scope_logs.log_records {
                records += 1;
                attributes += entries(&record.attributes) + record.body.as_ref().map_or(0, value);
            }
        }
    }
    (records, attributes)
}

fn counts(counted: Counted) -> (usize, usize) {
    (counted.records, counted.attributes)
}

#[test]
fn protobuf_counts_records_and_every_attribute_entry() {
    let request = request();
    assert_eq!(reference(&request), (2, 12));
    assert_eq!(counts(protobuf::count(&request.encode_to_vec())), (2, 12));
}

#[test]
fn protobuf_counts_captured_and_benchmark_requests_exactly() {
    let python = fixture("otlp-python.pb");
    let decoded = ExportLogsServiceRequest::decode(&python[..]).unwrap();
    assert_eq!(counts(protobuf::count(&python)), reference(&decoded));
    let bench = workload::single_request(300, 7, 1_700_000_000_000_000_000);
    let counted = protobuf::count(&bench.encode_to_vec());
    assert_eq!(counts(counted), reference(&bench));
    assert_eq!(counted.records, 300);
}

#[test]
fn protobuf_never_counts_less_than_prost_decodes_from_any_prefix() {
    let body = request().encode_to_vec();
    for end in 0..=body.len() {
        let prefix = &body[..end];
        let counted = protobuf::count(prefix);
        if let Ok(decoded) = ExportLogsServiceRequest::decode(prefix) {
            assert_eq!(
                counts(counted),
                reference(&decoded),
                "prefix of {end} bytes"
            );
        }
    }
}

#[test]
fn protobuf_stops_at_truncated_varints_and_overlong_lengths_without_panicking() {
    let mut body = request().encode_to_vec();
    let whole = protobuf::count(&body);
    for tail in [
        &[0x0a, 0xff][..],
        &[0x0a, 0x80, 0x80],
        &[0x0a, 0x7f, 0x00],
        &[0xff],
    ] {
        let mut hostile = body.clone();
        hostile.extend_from_slice(tail);
        assert!(ExportLogsServiceRequest::decode(&hostile[..]).is_err());
        assert_eq!(protobuf::count(&hostile), whole, "tail {tail:x?}");
    }
    body.truncate(3);
    assert_eq!(
        protobuf::count(&body),
        Counted::default(),
        "a truncated length"
    );
    assert_eq!(
        protobuf::count(&[0x80]),
        Counted::default(),
        "a truncated key"
    );
}

#[test]
fn protobuf_skips_groups_and_unknown_fields_as_prost_does() {
    let record = request().encode_to_vec();
    // Field 9 as a group holding a varint and a nested group, then field 15 as fixed64.
    let mut body = vec![0x4b, 0x08, 0x01, 0x53, 0x54, 0x4c];
    body.extend_from_slice(&[0x79, 1, 2, 3, 4, 5, 6, 7, 8]);
    body.extend_from_slice(&record);
    let decoded = ExportLogsServiceRequest::decode(&body[..]).expect("prost skips them");
    assert_eq!(counts(protobuf::count(&body)), reference(&decoded));
    assert_eq!(counts(protobuf::count(&body)), (2, 12));
}

#[test]
fn protobuf_counts_huge_repetition_of_empty_records() {
    let records = vec![LogRecord::default(); 200_000];
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let counted = protobuf::count(&request.encode_to_vec());
    assert_eq!(counts(counted), (200_000, 0));
    let error = RequestBounds::default().check(counted).unwrap_err();
    assert_eq!(
        error.to_string(),
        "request holds 200000 log records; ingest.max_records_per_request is 100000"
    );
}

#[test]
fn protobuf_counts_nesting_up_to_prosts_limit_and_stops_past_it() {
    for name in [
        "nesting-within-prost-limit.pb",
        "nesting-past-prost-limit.pb",
    ] {
        let body = fixture(&format!("fuzz/otlp_protobuf/{name}"));
        let counted = protobuf::count(&body);
        if let Ok(decoded) = ExportLogsServiceRequest::decode(&body[..]) {
            assert_eq!(counts(counted), reference(&decoded), "{name}");
        }
    }
}

#[test]
fn ndjson_counts_lines_and_members_outside_strings() {
    let body = br#"{"msg":"a \"}{[:,\\","n":1}
{"msg":2}{"msg":3} 4
"#;
    let shape = json::scan(body);
    assert_eq!(shape.top_values, 4);
    assert_eq!(shape.members, 4);
    assert_eq!(counts(shape.json_logs()), (4, 4));
}

#[test]
fn json_strings_end_at_their_closing_quote_at_any_length_and_escape() {
    // Strings of every length around the short-string loop, with an escaped quote, an escaped
    // backslash or no escape at each position: the member after the string is always counted.
    for len in 0..64 {
        for at in 0..=len {
            for escape in [r#"\""#, r"\\", ""] {
                let text = format!("{}{escape}{}", "a:".repeat(at / 2), "b".repeat(len - at));
                let body = format!(r#"{{"k":"{text}","n":1}}"#);
                assert_eq!(json::scan(body.as_bytes()).members, 2, "{body}");
                let decoded: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert_eq!(decoded.as_object().map(|o| o.len()), Some(2), "{body}");
            }
        }
    }
}

#[test]
fn json_arrays_and_envelopes_count_their_items() {
    let array = json::scan(br#"[{"msg":1},{"msg":2,"tags":["a","b"]}]"#);
    assert_eq!(
        array.json_logs().records,
        1 + 2,
        "the array and its two items"
    );
    let envelope = json::scan(br#"{"logs": [{"msg":1}, {"msg":2}, 3]}"#);
    assert_eq!(envelope.json_logs().records, 1 + 3);
    assert_eq!(envelope.json_logs().attributes, 3 + 3);
}

#[test]
fn json_scan_survives_malformed_and_unterminated_input() {
    for body in [
        &b"\"abc\\"[..],
        b"\"abc",
        b"}}]]{",
        b"[1,",
        b"\\\"",
        b"tru",
        b"",
    ] {
        let _shape = json::scan(body);
    }
    let deep = "[".repeat(100_000);
    let shape = json::scan(deep.as_bytes());
    // Elements of the first 128 arrays, one past the nesting serde_json refuses.
    assert_eq!(shape.elements.iter().sum::<usize>(), 128);
}

#[test]
fn otlp_json_bounds_hold_the_records_and_attributes_it_decodes() {
    for name in ["otlp-js.json", "otlp-handmade.json"] {
        let body = fixture(name);
        let decoded = crate::ingest::otlp::parse_json(&body, &RequestBounds::default()).unwrap();
        let counted = json::scan(&body).otlp();
        let (records, attributes) = reference(&decoded);
        assert_eq!(counted.records, records, "{name}");
        assert!(counted.attributes >= attributes, "{name}: {counted:?}");
    }
}

/// A body of the benchmark's records in `format`, as many as fit in `limit` bytes.
fn realistic_body(limit: usize, encode: impl Fn(&ExportLogsServiceRequest) -> Vec<u8>) -> Vec<u8> {
    let now = 1_700_000_000_000_000_000;
    let sample = encode(&workload::single_request(1000, 42, now)).len();
    let records = limit * 1000 / sample * 99 / 100;
    let body = encode(&workload::single_request(records, 42, now));
    assert!(
        body.len() <= limit && body.len() > limit * 95 / 100,
        "{}",
        body.len()
    );
    body
}

#[test]
fn realistic_bodies_up_to_the_body_limit_pass_the_default_bounds() {
    let limit = crate::config::IngestConfig::default().max_body_bytes;
    let bounds = RequestBounds::default();
    let protobuf = realistic_body(limit, |r| r.encode_to_vec());
    let ndjson = realistic_body(limit, workload::ndjson);
    let otlp_json = realistic_body(limit, |r| serde_json::to_vec(r).unwrap());
    for (format, counted) in [
        ("protobuf", protobuf::count(&protobuf)),
        ("ndjson", json::scan(&ndjson).json_logs()),
        ("otlp/json", json::scan(&otlp_json).otlp()),
    ] {
        eprintln!("{format}: {counted:?}");
        assert!(bounds.check(counted).is_ok(), "{format}: {counted:?}");
    }
}

#[test]
fn too_many_attributes_name_their_limit() {
    let bounds = RequestBounds {
        max_records: 10,
        max_attributes: 5,
    };
    let counted = Counted {
        records: 3,
        attributes: 6,
        estimated: true,
    };
    let error = bounds.check(counted).unwrap_err();
    assert!(matches!(error, IngestError::TooMany { .. }));
    assert_eq!(error.http_status(), 413);
    assert_eq!(error.grpc_code(), tonic::Code::ResourceExhausted);
    assert_eq!(
        error.to_string(),
        "request holds up to 6 attribute entries; ingest.max_attributes_per_request is 5"
    );
}

#[test]
fn the_fuzz_reproducers_of_huge_repetition_answer_413() {
    let gunzip = |name: &str| {
        let body = fixture(&format!("fuzz/gzip/{name}"));
        crate::ingest::body::gunzip(&body, 16 * 1024 * 1024).unwrap()
    };
    let bounds = RequestBounds::default();
    let ndjson = gunzip("many-tiny-ndjson-records.gz");
    let aliases = crate::config::FieldAliases::default();
    let now = chrono::Utc::now();
    let context = crate::ingest::RequestContext {
        received: now,
        service: None,
        aliases: &aliases,
        bounds: &bounds,
    };
    let refused = crate::ingest::json::decode(&ndjson, &context);
    assert!(matches!(
        refused,
        Err(IngestError::TooMany {
            counted: 200_000,
            ..
        })
    ));
    for (name, counted) in [
        ("many-empty-protobuf-records.gz", 200_000),
        ("many-tiny-protobuf-attributes.gz", 1_100_000),
    ] {
        let refused = crate::ingest::otlp::decode_protobuf(&gunzip(name), &context);
        assert!(
            matches!(refused, Err(IngestError::TooMany { counted: c, .. }) if c == counted),
            "{name}: {refused:?}"
        );
    }
}
