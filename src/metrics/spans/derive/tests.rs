use chrono::Utc;
use serde_json::json;

use super::*;
use crate::config::Config;
use crate::model::SpanRecord;
use crate::pipeline::Pipeline;

const THRESHOLDS: Thresholds = Thresholds {
    slow_request_seconds: 1.0,
    slow_query_seconds: 0.5,
};

fn span(id: u8, kind: SpanKind, millis: i64, attributes: serde_json::Value) -> SpanRecord {
    let mut span = SpanRecord::new(
        format!("{:032x}", 0xabu128),
        format!("{id:016x}"),
        "GET /orders/{id}".into(),
        Utc::now(),
    );
    span.kind = kind;
    span.service = "shop".into();
    span.duration_ns = millis * 1_000_000;
    span.attributes = attributes.as_object().expect("an object").clone();
    let pipeline = Pipeline::from_config(&Config::default()).expect("the default pipeline");
    pipeline.process_span(&mut span, &mut pipeline.redactions());
    span
}

#[test]
fn spans_of_one_label_set_share_one_entry_with_the_slowest_trace() {
    let mut slow = span(2, SpanKind::Server, 900, json!({}));
    slow.trace_id = format!("{:032x}", 0xcdu128);
    let spans = [
        span(1, SpanKind::Server, 10, json!({})),
        slow,
        span(3, SpanKind::Internal, 5, json!({})),
    ];
    let samples = derive(&spans, THRESHOLDS);
    assert_eq!(samples.calls.len(), 2);
    let server = &samples.calls[0];
    assert_eq!(server.labels.span_kind, "SPAN_KIND_SERVER");
    assert_eq!(server.labels.status_code, "STATUS_CODE_UNSET");
    assert_eq!(server.seconds, [0.01, 0.9]);
    assert_eq!(
        server.exemplar.as_ref().unwrap().trace_id,
        format!("{:032x}", 0xcdu128)
    );
    assert_eq!(samples.calls[1].labels.span_kind, "SPAN_KIND_INTERNAL");
}

#[test]
fn http_server_and_database_client_spans_derive_the_contract_samples() {
    let request = span(
        1,
        SpanKind::Server,
        1200,
        json!({"http.method": "GET", "http.route": "/orders/{id}", "http.status_code": 500}),
    );
    let query = span(
        2,
        SpanKind::Client,
        600,
        json!({"db.system": "postgresql", "db.statement": "SELECT 1"}),
    );
    let samples = derive(&[request, query], THRESHOLDS);
    let kinds: Vec<_> = (samples.derived.iter())
        .map(|sample| match sample {
            Sample::RequestDuration(..) => "request",
            Sample::SlowRequest(_) => "slow request",
            Sample::QueryDuration(..) => "query",
            Sample::SlowQuery(_) => "slow query",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["request", "slow request", "query", "slow query"]);
    assert_eq!(samples.request_services, ["shop"]);
    assert_eq!(samples.query_services, ["shop"]);
}

#[test]
fn client_and_server_spans_become_graph_sides_with_their_virtual_nodes() {
    let mut server = span(2, SpanKind::Server, 10, json!({}));
    server.parent_span_id = Some(format!("{:016x}", 1));
    let database = span(
        3,
        SpanKind::Client,
        10,
        json!({"db.system.name": "postgresql", "db.namespace": "orders"}),
    );
    let peer = span(
        4,
        SpanKind::Client,
        10,
        json!({"server.address": "payments.internal"}),
    );
    let internal = span(5, SpanKind::Internal, 10, json!({}));
    let samples = derive(&[server, database, peer, internal], THRESHOLDS);
    assert_eq!(samples.graph.len(), 3);
    assert!(matches!(
        samples.graph[0],
        GraphSpan::Server {
            parent: Some(1),
            trace: 0xab,
            ..
        }
    ));
    let nodes: Vec<_> = (samples.graph.iter())
        .filter_map(|side| match side {
            GraphSpan::Client { node, .. } => node.clone(),
            GraphSpan::Server { .. } => None,
        })
        .collect();
    assert_eq!(
        nodes,
        [
            VirtualNode::Database("orders".into()),
            VirtualNode::Peer("payments.internal".into())
        ]
    );
}

#[test]
fn forgotten_spans_leave_no_sample_behind() {
    let request = json!({"http.request.method": "GET", "http.route": "/orders/{id}"});
    let spans = [
        span(1, SpanKind::Server, 10, request.clone()),
        span(2, SpanKind::Server, 20, request.clone()),
        span(3, SpanKind::Internal, 5, json!({})),
    ];
    let mut samples = derive(&spans, THRESHOLDS);
    let derived = samples.derived.len();
    samples.forget(&[0, 2]);
    assert_eq!(samples.calls.len(), 1, "the internal span's entry is gone");
    assert_eq!(samples.calls[0].seconds, [0.02]);
    assert_eq!(
        samples.derived.len(),
        derived / 2,
        "one request of two left"
    );
    assert_eq!(samples.graph.len(), 1);
}
