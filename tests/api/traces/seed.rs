//! Three traces sent over OTLP/HTTP for the read tests, and one log of the first: an order
//! (web → db, the database span failing with an `exception` event), a health check, and a
//! slow failing charge in billing.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{Span, Status};
use prost::Message;
use serde_json::json;

use super::{now_nanos, request, string};
use crate::api::helpers::TestApp;

/// The order: `web` root span, a `db` client span under it (error) and a `web` internal span.
pub const ORDER: &str = "0af7651916cd43dd8448eb211c80319c";
/// The health check: one `web` span, status ok, newest of all.
pub const HEALTH: &str = "1bf7651916cd43dd8448eb211c80319c";
/// The charge: one `billing` span of 200 ms, status error, oldest of all.
pub const CHARGE: &str = "2cf7651916cd43dd8448eb211c80319c";

/// When the seeded traces start, in nanoseconds since the epoch.
pub struct Seeded {
    pub order_start: u64,
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A span of `trace` with id `id` (16 hex digits), starting at `start` and lasting `ms`.
fn span(trace: &str, id: &str, name: &str, kind: i32, (start, ms): (u64, u64)) -> Span {
    Span {
        trace_id: hex(trace),
        span_id: hex(id),
        name: name.into(),
        kind,
        start_time_unix_nano: start,
        end_time_unix_nano: start + ms * 1_000_000,
        ..Span::default()
    }
}

fn with_parent(mut span: Span, parent: &str) -> Span {
    span.parent_span_id = hex(parent);
    span
}

fn with_status(mut span: Span, code: i32, message: &str) -> Span {
    span.status = Some(Status {
        code,
        message: message.into(),
    });
    span
}

/// The three services' requests.
fn requests(now: u64) -> Vec<ExportTraceServiceRequest> {
    let order = now - 60_000_000_000;
    let mut root = span(
        ORDER,
        "00f067aa0ba902b7",
        "GET /orders/{id}",
        2,
        (order, 50),
    );
    root.attributes = vec![
        string("http.route", "/orders/{id}"),
        string("client.address", "10.0.0.7"),
    ];
    root.links = vec![Link {
        trace_id: hex(HEALTH),
        span_id: hex("00000000000000aa"),
        ..Link::default()
    }];
    let render = with_parent(
        span(
            ORDER,
            "00f067aa0ba902b9",
            "render",
            1,
            (order + 40_000_000, 5),
        ),
        "00f067aa0ba902b7",
    );
    let mut query = with_parent(
        span(
            ORDER,
            "00f067aa0ba902b8",
            "SELECT orders",
            3,
            (order + 5_000_000, 30),
        ),
        "00f067aa0ba902b7",
    );
    query = with_status(query, 2, "timeout");
    query.events = vec![Event {
        time_unix_nano: order + 30_000_000,
        name: "exception".into(),
        attributes: vec![string("exception.type", "QueryCanceled")],
        ..Event::default()
    }];
    let health = with_status(
        span(
            HEALTH,
            "00000000000000aa",
            "GET /health",
            2,
            (now - 1_000_000_000, 1),
        ),
        1,
        "",
    );
    let charge = with_status(
        span(
            CHARGE,
            "00000000000000cc",
            "charge",
            2,
            (now - 120_000_000_000, 200),
        ),
        2,
        "card declined",
    );
    vec![
        request("web", vec![root, render, health]),
        request("db", vec![query]),
        request("billing", vec![charge]),
    ]
}

/// Sends the three traces and a log of the order; answers when they started.
pub async fn seed(app: &TestApp) -> Seeded {
    let now = now_nanos();
    for request in requests(now) {
        let response = app
            .post(
                "/v1/traces",
                "application/x-protobuf",
                request.encode_to_vec(),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let log = json!({"service": "web", "message": "order loaded", "trace_id": ORDER});
    assert_eq!(app.post_json(log.to_string()).await, 200);
    Seeded {
        order_start: now - 60_000_000_000,
    }
}
