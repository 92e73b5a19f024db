//! Bulk decoding without a server: the action/source grammar, the ECS mapping, item answers,
//! `filter_path` and the answer's encoding.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::answer::{BulkAnswer, FilterPath};
use super::bulk::{self, Entry, Op};
use super::*;
use crate::config::FieldAliases;
use crate::ingest::bounds::RequestBounds;
use crate::ingest::json::named::Role;
use crate::model::Level;

fn decode_with(body: &str, index: Option<&str>, service: Option<&str>) -> Bulk {
    let aliases = FieldAliases::default();
    let context = RequestContext {
        received: Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap(),
        service,
        aliases: &aliases,
        bounds: &RequestBounds::default(),
    };
    super::decode(body.as_bytes(), index, &context).expect("a bulk body")
}

fn decode(body: &str) -> Bulk {
    decode_with(body, None, None)
}

/// `(action, status)` of every item.
fn statuses(bulk: &Bulk) -> Vec<(&'static str, u16)> {
    bulk.items.iter().map(|i| (i.action, i.status())).collect()
}

#[test]
fn actions_and_sources_pair_up_and_blank_lines_are_skipped() {
    let body = "{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"one\"}\n\n\
                {\"create\":{\"_index\":\"b\",\"_id\":7}}\r\n{\"message\":\"two\"}\n";
    let entries = bulk::entries(body.as_bytes());
    assert_eq!(entries.len(), 2);
    let Entry::Document {
        op,
        meta,
        source,
        line,
    } = &entries[1]
    else {
        panic!("{entries:?}");
    };
    assert_eq!(
        (*op, meta.index.as_deref(), meta.id.as_deref()),
        (Op::Create, Some("b"), Some("7"))
    );
    assert_eq!((*source, *line), (&b"{\"message\":\"two\"}"[..], 5));
}

#[test]
fn delete_takes_no_source_and_update_takes_one_both_refused() {
    let body = "{\"delete\":{\"_index\":\"a\",\"_id\":\"1\"}}\n\
                {\"update\":{\"_index\":\"a\",\"_id\":\"2\"}}\n{\"doc\":{\"message\":\"x\"}}\n\
                {\"index\":{\"_index\":\"a\"}}\n{\"message\":\"kept\"}\n";
    let bulk = decode(body);
    assert_eq!(
        statuses(&bulk),
        [("delete", 400), ("update", 400), ("index", 201)]
    );
    assert_eq!(bulk.decoded.records.len(), 1);
    assert_eq!(bulk.decoded.rejected, 2);
    assert_eq!(bulk.decoded.records[0].body, "kept");
}

#[test]
fn an_action_without_source_is_refused_and_the_next_pair_kept() {
    let body = "{\"index\":{\"_index\":\"a\"}}\n{\"create\":{\"_index\":\"a\"}}\n{\"message\":\"m\"}\n\
                {\"index\":{\"_index\":\"a\"}}\n";
    let bulk = decode(body);
    assert_eq!(
        statuses(&bulk),
        [("index", 400), ("create", 201), ("index", 400)]
    );
    let Err(error) = &bulk.items[0].outcome else {
        panic!()
    };
    assert!(error.reason.contains("no source line"), "{}", error.reason);
}

#[test]
fn a_source_that_is_not_json_is_refused_alone() {
    let body = "{\"index\":{\"_index\":\"a\"}}\nnot json at all\n{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"m\"}\n";
    let bulk = decode(body);
    assert_eq!(statuses(&bulk), [("index", 400), ("index", 201)]);
    let Err(error) = &bulk.items[0].outcome else {
        panic!()
    };
    assert_eq!(error.kind.as_str(), "mapper_parsing_exception");
    assert!(error.reason.contains("line [2]"), "{}", error.reason);
}

#[test]
fn a_malformed_action_line_is_one_item_and_its_source_is_skipped() {
    let body =
        "garbage\n{\"message\":\"orphan\"}\n{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"m\"}\n";
    let bulk = decode(body);
    assert_eq!(statuses(&bulk), [("index", 400), ("index", 201)]);
    assert_eq!(bulk.decoded.records[0].body, "m");
    let Err(error) = &bulk.items[0].outcome else {
        panic!()
    };
    assert!(error.reason.contains("line [1]"), "{}", error.reason);
}

#[test]
fn type_is_ignored_and_action_index_overrides_the_url() {
    let body = "{\"create\":{\"_index\":\"fluent-bit\",\"_type\":\"_doc\"}}\n{\"message\":\"a\"}\n\
                {\"index\":{}}\n{\"message\":\"b\"}\n";
    let bulk = decode_with(body, Some("from-url"), None);
    let indexes: Vec<_> = bulk
        .items
        .iter()
        .map(|i| i.index.clone().unwrap())
        .collect();
    assert_eq!(indexes, ["fluent-bit", "from-url"]);
    assert_eq!(bulk.decoded.records[0].attributes["es.index"], "fluent-bit");
    assert_eq!(bulk.decoded.records[1].service, "from-url");
}

#[test]
fn no_index_anywhere_is_a_validation_error() {
    let bulk = decode("{\"index\":{}}\n{\"message\":\"b\"}\n");
    let Err(error) = &bulk.items[0].outcome else {
        panic!()
    };
    assert_eq!(error.kind.as_str(), "action_request_validation_exception");
}

#[test]
fn op_type_create_in_an_index_action_answers_create() {
    let bulk =
        decode("{\"index\":{\"_index\":\"pino\",\"op_type\":\"create\"}}\n{\"msg\":\"x\"}\n");
    assert_eq!(statuses(&bulk), [("create", 201)]);
}

#[test]
fn documents_the_json_path_refuses_are_refused_per_item() {
    let body = [
        "{\"index\":{\"_index\":\"a\"}}\n[1,2]\n",
        "{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"x\",\"@timestamp\":\"yesterday\"}\n",
        "{\"index\":{\"_index\":\"a\"}}\n{\"log\":{\"level\":\"info\"}}\n",
        "{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"fine\"}\n",
    ]
    .concat();
    let bulk = decode(&body);
    assert_eq!(
        statuses(&bulk),
        [
            ("index", 400),
            ("index", 400),
            ("index", 400),
            ("index", 201)
        ]
    );
    let reasons: Vec<_> = bulk.items[..3]
        .iter()
        .map(|item| item.outcome.clone().unwrap_err().reason)
        .collect();
    assert!(reasons[0].contains("not a JSON object"), "{reasons:?}");
    assert!(reasons[2].contains("no message"), "{reasons:?}");
    assert_eq!(
        bulk.decoded.first_error.as_deref(),
        Some(reasons[0].as_str())
    );
}

#[test]
fn generated_ids_are_distinct_and_given_ones_kept() {
    let body = "{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"1\"}\n\
                {\"index\":{\"_index\":\"a\"}}\n{\"message\":\"2\"}\n\
                {\"index\":{\"_index\":\"a\",\"_id\":\"mine\"}}\n{\"message\":\"3\"}\n";
    let bulk = decode(body);
    let ids: Vec<_> = bulk.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids[0].len(), 20);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[2], "mine");
    assert_eq!(bulk.decoded.records[2].attributes["es.id"], "mine");
    assert!(!bulk.decoded.records[0].attributes.contains_key("es.id"));
}

#[test]
fn an_empty_body_is_a_decode_error() {
    let aliases = FieldAliases::default();
    let context = RequestContext {
        received: Utc::now(),
        service: None,
        aliases: &aliases,
        bounds: &RequestBounds::default(),
    };
    let error = super::decode(b"\n\n", None, &context).unwrap_err();
    assert!(matches!(error, IngestError::Decode(_)), "{error:?}");
}

#[test]
fn bounds_count_half_the_lines_as_records_before_decoding() {
    let aliases = FieldAliases::default();
    let bounds = RequestBounds {
        max_records: 2,
        max_attributes: 1000,
    };
    let context = RequestContext {
        received: Utc::now(),
        service: None,
        aliases: &aliases,
        bounds: &bounds,
    };
    let pair = "{\"index\":{\"_index\":\"a\"}}\n{\"message\":\"m\"}\n";
    assert!(super::decode(pair.repeat(2).as_bytes(), None, &context).is_ok());
    let error = super::decode(pair.repeat(3).as_bytes(), None, &context).unwrap_err();
    assert!(matches!(error, IngestError::TooMany { .. }), "{error:?}");
}

/// A Filebeat document: nested ECS objects.
const FILEBEAT: &str = r#"{"@timestamp":"2026-12-03T10:00:00.123Z","message":"GET /users/42 200","log":{"level":"warn","logger":"access","file":{"path":"/var/log/app.log"},"offset":120},"service":{"name":"shop","version":"2.1"},"host":{"name":"web-1"},"agent":{"type":"filebeat","version":"8.17.0"},"ecs":{"version":"8.0.0"},"trace":{"id":"4BF92F3577B34DA6A3CE929D0E0E4736"},"span":{"id":"00f067aa0ba902b7"},"http":{"request":{"method":"get"},"response":{"status_code":200}},"url":{"path":"/users/42"},"event":{"duration":1500000000},"user":{"id":"u-7"}}"#;

#[test]
fn ecs_nested_documents_map_to_the_record_and_its_resource() {
    let body = format!("{{\"create\":{{\"_index\":\"filebeat-8.17.0\"}}}}\n{FILEBEAT}\n");
    let record = decode(&body).decoded.records.remove(0);
    assert_eq!(record.body, "GET /users/42 200");
    assert_eq!(
        record.ts,
        Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap() + chrono::Duration::milliseconds(123)
    );
    assert_eq!(record.level, Level::Warn);
    assert_eq!(record.service, "shop");
    assert_eq!(record.scope.as_deref(), Some("access"));
    assert_eq!(
        record.trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(record.span_id.as_deref(), Some("00f067aa0ba902b7"));
    let resource = json!({"service.version": "2.1", "host.name": "web-1", "agent.type": "filebeat",
        "agent.version": "8.17.0", "ecs.version": "8.0.0"});
    assert_eq!(Value::Object((*record.resource).clone()), resource);
    let attributes = &record.attributes;
    assert_eq!(attributes["http.request.method"], "get");
    assert_eq!(attributes["http.response.status_code"], 200);
    assert_eq!(attributes["event.duration"], 1_500_000_000_u64);
    assert_eq!(attributes["log.file.path"], "/var/log/app.log");
    assert_eq!(attributes["es.index"], "filebeat-8.17.0");
}

#[test]
fn dotted_and_nested_documents_decode_alike() {
    let dotted = r#"{"@timestamp":"2026-12-03T10:00:00Z","log.level":"error","message":"m","service.name":"shop","error.type":"TypeError","error.message":"x is undefined","host.name":"h"}"#;
    let nested = r#"{"@timestamp":"2026-12-03T10:00:00Z","log":{"level":"error"},"message":"m","service":{"name":"shop"},"error":{"type":"TypeError","message":"x is undefined"},"host":{"name":"h"}}"#;
    let body = format!(
        "{{\"index\":{{\"_index\":\"a\"}}}}\n{dotted}\n{{\"index\":{{\"_index\":\"a\"}}}}\n{nested}\n"
    );
    let records = decode(&body).decoded.records;
    assert_eq!(records.len(), 2);
    assert_eq!(records[0], records[1]);
    assert_eq!(records[0].attributes["error.type"], "TypeError");
    let shared = std::sync::Arc::ptr_eq(&records[0].resource, &records[1].resource);
    assert!(shared, "records of one emitter share their resource");
}

#[test]
fn the_service_falls_back_to_the_request_then_the_dataset_then_the_index() {
    let line =
        |index: &str, doc: &str| format!("{{\"create\":{{\"_index\":\"{index}\"}}}}\n{doc}\n");
    let body = [
        line("logs-nginx.access-default", r#"{"message":"a"}"#),
        line(
            "idx",
            r#"{"message":"b","data_stream":{"dataset":"payments"}}"#,
        ),
        line("vector-2026.12.03", r#"{"message":"c"}"#),
        line("idx", r#"{"message":"d","app":"from-alias"}"#),
    ]
    .concat();
    let services = |bulk: Bulk| {
        bulk.decoded
            .records
            .into_iter()
            .map(|r| r.service)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        services(decode(&body)),
        [
            "nginx.access",
            "payments",
            "vector-2026.12.03",
            "from-alias"
        ]
    );
    assert_eq!(
        services(decode_with(&body, None, Some("asked"))),
        ["asked", "asked", "asked", "from-alias"]
    );
}

#[test]
fn pino_documents_go_through_the_alias_table() {
    let doc = r#"{"level":50,"time":"2026-12-03T10:00:00.000Z","pid":1,"hostname":"h","msg":"failed","err":{"type":"Error","message":"boom","stack":"Error: boom\n    at f (a.js:1:1)"}}"#;
    let body = format!("{{\"index\":{{\"_index\":\"pino\",\"op_type\":\"create\"}}}}\n{doc}\n");
    let record = decode(&body).decoded.records.remove(0);
    assert_eq!(
        (record.body.as_str(), record.level),
        ("failed", Level::Error)
    );
    assert_eq!(record.service, "pino");
    assert_eq!(record.attributes["err.type"], "Error");
}

#[test]
fn data_stream_names_give_their_dataset() {
    assert_eq!(
        document::data_stream_dataset("logs-generic-default"),
        Some("generic")
    );
    assert_eq!(document::data_stream_dataset("filebeat-8.17.0"), None);
    assert_eq!(document::data_stream_dataset("a-b-c-d"), None);
    assert_eq!(document::data_stream_dataset("logs--default"), None);
}

#[test]
fn the_answer_is_compact_and_in_request_order() {
    let bulk = decode(
        "{\"create\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"message\":\"m\"}\n{\"delete\":{\"_index\":\"a\",\"_id\":\"2\"}}\n",
    );
    let encoded = String::from_utf8(BulkAnswer::new(3, bulk.items).encode(None)).unwrap();
    assert!(encoded.starts_with(r#"{"took":3,"errors":true,"items":[{"create":{"_index":"a","_id":"1","_version":1,"result":"created""#), "{encoded}");
    let answer: Value = serde_json::from_str(&encoded).unwrap();
    assert_eq!(answer["items"][0]["create"]["status"], 201);
    assert_eq!(answer["items"][1]["delete"]["status"], 400);
    assert_eq!(
        answer["items"][1]["delete"]["error"]["type"],
        "illegal_argument_exception"
    );
}

#[test]
fn filter_path_keeps_what_filebeat_asks_for() {
    let bulk = decode(
        "{\"create\":{\"_index\":\"a\"}}\n{\"message\":\"m\"}\n{\"create\":{\"_index\":\"a\"}}\n[]\n",
    );
    let encoded =
        BulkAnswer::new(1, bulk.items).encode(Some("errors,items.*.error,items.*.status"));
    let answer: Value = serde_json::from_slice(&encoded).unwrap();
    let reason = answer["items"][1]["create"]["error"]["reason"].clone();
    assert_eq!(
        answer,
        json!({"errors": true, "items": [
            {"create": {"status": 201}},
            {"create": {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": reason}}},
        ]})
    );
}

#[test]
fn filter_path_globs_and_misses() {
    let value =
        json!({"took": 1, "errors": false, "items": [{"index": {"status": 201, "_id": "x"}}]});
    let keep = |filter: &str| FilterPath::parse(filter).apply(value.clone());
    assert_eq!(keep("took"), Some(json!({"took": 1})));
    assert_eq!(
        keep("items.*.st*"),
        Some(json!({"items": [{"index": {"status": 201}}]}))
    );
    assert_eq!(keep("items.create.status"), None);
    assert_eq!(keep("nothing"), None);
    assert_eq!(keep(""), None);
}

fn parse(source: &[u8]) -> Result<super::flat::FlatDocument, String> {
    let roles = super::document::roles(&FieldAliases::default());
    super::flat::Reader::new(roles).parse(source)
}

#[test]
fn documents_flatten_while_parsed_and_the_emitter_goes_to_the_resource() {
    let source = br#"{"a":{"b":{"c":1},"e":{}},"a.d":[{"x":1}],"service":{"name":"s","version":"2"},"host.name":"h","n":null,"kubernetes":{"pod":{"name":"p"}},"k8s.namespace.name":"ns","k8sx":1}"#;
    let mut flat = parse(source).unwrap();
    let fields = json!({"a.b.c": 1, "a.e": {}, "a.d": [{"x": 1}], "n": null, "k8sx": 1});
    assert_eq!(Value::Object(flat.fields), fields);
    assert_eq!(flat.named.remove(Role::Service), Some(json!("s")));
    let resource = json!({"service.version": "2", "host.name": "h",
        "kubernetes.pod.name": "p", "k8s.namespace.name": "ns"});
    assert_eq!(Value::Object((*flat.resource).clone()), resource);
    let kind = |source: &[u8]| parse(source).unwrap_err();
    assert!(kind(b"[1, {\"a\": 2}]").contains("an array"));
    assert!(kind(b"\"text\"").contains("a string"));
    assert!(kind(b"{\"a\": 1} trailing").contains("failed to parse"));
    assert!(kind(b"{\"a\": ").contains("failed to parse"));
}

#[test]
fn of_a_field_given_twice_the_later_wins_and_bad_utf8_is_named() {
    let source = br#"{"a":{"b":1},"a.b":2,"host":{"name":"x"},"host.name":"y","a.b":3}"#;
    let flat = parse(source).unwrap();
    assert_eq!(Value::Object(flat.fields), json!({"a.b": 3}));
    assert_eq!(
        Value::Object((*flat.resource).clone()),
        json!({"host.name": "y"})
    );
    let source = br#"{"log":{"level":"info"},"message":"a","log.level":"warn","msg":"b"}"#;
    let mut flat = parse(source).unwrap();
    assert_eq!(flat.named.remove(Role::Level), Some(json!("warn")));
    assert_eq!(flat.named.remove(Role::Message), Some(json!("a")));
    assert_eq!(Value::Object(flat.fields), json!({"msg": "b"}));
    let error = parse(b"{\"message\":\"caf\xe9\"}").unwrap_err();
    assert_eq!(error, "invalid UTF-8 at byte 15");
}

#[test]
fn ecs_service_name_wins_over_the_other_service_aliases() {
    let source = br#"{"service":{"name":"ecs"},"app":"other","message":"m"}"#;
    let mut flat = parse(source).unwrap();
    assert_eq!(flat.named.remove(Role::Service), Some(json!("ecs")));
    assert_eq!(Value::Object(flat.fields), json!({"app": "other"}));
}

#[test]
fn a_document_repeating_the_resource_fields_before_it_shares_their_resource() {
    let mut reader = super::flat::Reader::new(super::document::roles(&FieldAliases::default()));
    let mut read = |source: &[u8]| reader.parse(source).map(|flat| flat.resource);
    let first = read(br#"{"host":{"name":"h"},"a":1}"#).unwrap();
    let same = read(br#"{"host.name":"h","a":2}"#).unwrap();
    let other = read(br#"{"host.name":"i"}"#).unwrap();
    assert!(read(b"[1]").is_err());
    let again = read(br#"{"host":{"name":"i"},"b":{}}"#).unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &same));
    assert!(!std::sync::Arc::ptr_eq(&same, &other));
    assert!(std::sync::Arc::ptr_eq(&other, &again));
    assert_eq!(Value::Object((*other).clone()), json!({"host.name": "i"}));
    let none = read(br#"{"a":1}"#).unwrap();
    assert!(none.is_empty());
}
