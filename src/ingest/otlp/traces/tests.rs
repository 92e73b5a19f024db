//! The OTLP trace decoders without a server: valid spans kept with every field, invalid spans
//! rejected one by one with a reason, JSON read as protobuf is, and bounds refusing first.

use chrono::{TimeZone, Utc};
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::Event;
use opentelemetry_proto::tonic::trace::v1::{ScopeSpans, Span, Status};
use serde_json::json;

use super::*;
use crate::config::FieldAliases;
use crate::model::SpanKind;

const START: u64 = 1_795_000_000_000_000_000;

fn context<'a>(aliases: &'a FieldAliases, bounds: &'a RequestBounds) -> RequestContext<'a> {
    RequestContext {
        received: Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap(),
        service: None,
        aliases,
        bounds,
    }
}

fn decode(body: &[u8]) -> Result<DecodedSpans, IngestError> {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    decode_protobuf(body, &context(&aliases, &bounds))
}

fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

fn span(id: u8) -> Span {
    Span {
        trace_id: vec![0xab; 16],
        span_id: vec![id; 8],
        parent_span_id: vec![0xcd; 8],
        name: "GET /users/{id}".into(),
        kind: 2,
        start_time_unix_nano: START,
        end_time_unix_nano: START + 1_500_000,
        attributes: vec![string("http.route", "/users/{id}")],
        events: vec![Event {
            time_unix_nano: START + 10,
            name: "exception".into(),
            attributes: vec![string("exception.type", "ValueError")],
            ..Event::default()
        }],
        status: Some(Status {
            code: 2,
            message: "boom".into(),
        }),
        ..Span::default()
    }
}

fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![string("service.name", "checkout")],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "opentelemetry-http".into(),
                    ..InstrumentationScope::default()
                }),
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

#[test]
fn a_valid_span_keeps_every_field() {
    let decoded = decode(&request(vec![span(1)]).encode_to_vec()).unwrap();
    assert_eq!((decoded.rejected, decoded.first_error), (0, None));
    let span = &decoded.spans[0];
    assert_eq!(span.trace_id, "ab".repeat(16));
    assert_eq!(span.span_id, "01".repeat(8));
    assert_eq!(span.parent_span_id.as_deref(), Some("cdcdcdcdcdcdcdcd"));
    assert_eq!(span.kind, SpanKind::Server);
    assert_eq!(span.duration_ns, 1_500_000);
    assert_eq!(span.start.timestamp_nanos_opt(), Some(START as i64));
    assert_eq!(
        (span.status.code, span.status.message.as_deref()),
        (2, Some("boom"))
    );
    assert_eq!(span.service, "checkout");
    assert_eq!(span.scope.as_deref(), Some("opentelemetry-http"));
    assert_eq!(span.attributes["http.route"], json!("/users/{id}"));
    assert_eq!(span.events[0].name, "exception");
    assert_eq!(
        span.events[0].attributes["exception.type"],
        json!("ValueError")
    );
}

#[test]
fn each_invalid_span_is_rejected_with_its_reason_and_the_others_kept() {
    let mut bad = vec![
        span(2),
        span(3),
        span(4),
        span(5),
        span(6),
        span(7),
        span(8),
    ];
    bad[0].trace_id = vec![1; 15];
    bad[1].span_id = vec![1; 9];
    bad[2].parent_span_id = vec![1; 4];
    bad[3].end_time_unix_nano = START - 1;
    bad[4].trace_id = vec![0; 16];
    bad[5].start_time_unix_nano = u64::MAX;
    bad[6].span_id = vec![];
    let mut spans = vec![span(1)];
    spans.extend(bad);
    spans.push(span(9));
    let decoded = decode(&request(spans).encode_to_vec()).unwrap();
    assert_eq!(decoded.rejected, 7);
    let kept: Vec<&str> = decoded.spans.iter().map(|s| s.span_id.as_str()).collect();
    assert_eq!(kept, ["01".repeat(8), "09".repeat(8)]);
    let reason = decoded.first_error.unwrap();
    assert!(
        reason.starts_with("resourceSpans[0].scopeSpans[0].spans[1]: traceId must be 16 bytes"),
        "{reason}"
    );
}

#[test]
fn reasons_name_what_is_wrong() {
    let reason = |change: fn(&mut Span)| {
        let mut one = span(1);
        change(&mut one);
        decode(&request(vec![one]).encode_to_vec())
            .unwrap()
            .first_error
            .unwrap()
    };
    assert!(reason(|s| s.span_id = vec![0; 8]).contains("spanId is all zero"));
    assert!(
        reason(|s| s.parent_span_id = vec![1; 16])
            .contains("parentSpanId must be empty or 8 bytes, got 16")
    );
    assert!(reason(|s| s.end_time_unix_nano = 1).contains("endTimeUnixNano (1) is before"));
    assert!(reason(|s| s.start_time_unix_nano = 0).contains("startTimeUnixNano is missing"));
    assert!(reason(|s| s.events[0].time_unix_nano = u64::MAX).contains("past the year 2262"));
}

#[test]
fn an_all_zero_parent_is_a_root_span() {
    let mut root = span(1);
    root.parent_span_id = vec![0; 8];
    let decoded = decode(&request(vec![root]).encode_to_vec()).unwrap();
    assert_eq!(decoded.spans[0].parent_span_id, None);
}

#[test]
fn json_with_hex_ids_string_integers_and_integer_enums_decodes_as_protobuf_does() {
    let body = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
        "scopeSpans": [{"scope": {"name": "opentelemetry-http"}, "spans": [{
            "traceId": "ABABABABABABABABABABABABABABABAB", "spanId": "0101010101010101",
            "parentSpanId": "cdcdcdcdcdcdcdcd", "name": "GET /users/{id}", "kind": 2,
            "startTimeUnixNano": START.to_string(), "endTimeUnixNano": START + 1_500_000,
            "attributes": [{"key": "http.route", "value": {"stringValue": "/users/{id}"}}],
            "events": [{"timeUnixNano": (START + 10).to_string(), "name": "exception",
                "attributes": [{"key": "exception.type", "value": {"stringValue": "ValueError"}}]}],
            "status": {"code": 2, "message": "boom"}
        }]}]
    }]});
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    let from_json = decode_json(body.to_string().as_bytes(), &context(&aliases, &bounds)).unwrap();
    let from_protobuf = decode(&request(vec![span(1)]).encode_to_vec()).unwrap();
    assert_eq!(from_json.spans, from_protobuf.spans);
}

#[test]
fn a_body_that_is_not_a_trace_request_is_a_decode_error() {
    let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
    let context = context(&aliases, &bounds);
    let logs = json!({"resourceLogs": []}).to_string();
    assert!(matches!(
        decode_json(logs.as_bytes(), &context),
        Err(IngestError::Decode(_))
    ));
    let odd_hex = json!({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "abc"}]}]}]});
    let odd_hex = odd_hex.to_string();
    assert!(matches!(
        decode_json(odd_hex.as_bytes(), &context),
        Err(IngestError::Decode(_))
    ));
    assert!(matches!(
        decode(b"\xff\xff\xff"),
        Err(IngestError::Decode(_))
    ));
}

#[test]
fn spans_events_and_links_are_counted_against_the_bounds_before_decoding() {
    let aliases = FieldAliases::default();
    let spans = RequestBounds {
        max_records: 2,
        max_attributes: 1_000,
    };
    let body = request(vec![span(1), span(2), span(3)]).encode_to_vec();
    let refused = decode_protobuf(&body, &context(&aliases, &spans));
    assert!(matches!(
        refused,
        Err(IngestError::TooMany {
            what: "spans",
            counted: 3,
            ..
        })
    ));
    let mut many_events = span(1);
    many_events.events = vec![Event::default(); 50];
    let entries = RequestBounds {
        max_records: 10,
        max_attributes: 40,
    };
    let body = request(vec![many_events]).encode_to_vec();
    let refused = decode_protobuf(&body, &context(&aliases, &entries));
    assert!(matches!(
        refused,
        Err(IngestError::TooMany {
            what: "attribute entries",
            ..
        })
    ));
}
