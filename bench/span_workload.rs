//! Generated OTLP spans for the CPU benchmark, shaped like an instrumented web service's: traces
//! of five spans (a SERVER span per request with its HTTP attributes, two database CLIENT spans
//! with their statements, an INTERNAL span and an HTTP CLIENT span to the next service), one
//! request in twenty failing with an `exception` event, durations spread over a long tail.
//! Deterministic for a seed.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, status};

const ROUTES: [&str; 4] = [
    "/api/orders/{id}",
    "/api/cart",
    "/api/users/{id}",
    "/api/search",
];
const STATEMENTS: [&str; 3] = [
    "SELECT o.id, o.total, o.status FROM orders o WHERE o.customer_id = 4711 ORDER BY o.created_at DESC LIMIT 20",
    "UPDATE carts SET updated_at = now(), items = 3 WHERE id = 991",
    "INSERT INTO audit (user_id, action, at) VALUES (42, 'view', now())",
];

/// An hour in nanoseconds.
const HOUR_NANOS: u64 = 3_600_000_000_000;

/// One request of `spans` spans (whole traces of five) of service `checkout`, in the hour before
/// `now_unix_nanos`.
pub fn spans_request(spans: usize, seed: u64, now_unix_nanos: u64) -> ExportTraceServiceRequest {
    spans_request_in(spans, seed, "checkout", (now_unix_nanos, HOUR_NANOS))
}

/// One request of `spans` spans of `service`, starting in the `window` nanoseconds before `end`
/// (both Unix nanoseconds).
pub fn spans_request_in(
    spans: usize,
    seed: u64,
    service: &str,
    (end, window): (u64, u64),
) -> ExportTraceServiceRequest {
    let mut state = seed.max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut all = Vec::with_capacity(spans);
    while all.len() < spans {
        let (trace, start) = (next(), end - next() % window.max(1));
        let failed = next() % 20 == 0;
        all.extend(trace_spans(trace, start, failed, next() as usize));
    }
    all.truncate(spans);
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", service),
                    text("service.version", "2.14.3"),
                    text("deployment.environment.name", "production"),
                    text("host.name", "node-7"),
                    text("telemetry.sdk.language", "java"),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "io.opentelemetry.spring-webmvc-6.0".into(),
                    ..InstrumentationScope::default()
                }),
                spans: all,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

/// The five spans of one request.
fn trace_spans(trace: u64, start: u64, failed: bool, pick: usize) -> Vec<Span> {
    let trace_id = [trace.to_be_bytes(), (!trace).to_be_bytes()].concat();
    let id = |n: u64| (trace.wrapping_add(n)).to_be_bytes().to_vec();
    let route = ROUTES[pick % ROUTES.len()];
    let status = if failed { 500 } else { 200 };
    // Most requests take their usual time, a few up to twenty times as long, plus up to 1 ms.
    let (scale, jitter) = (
        1 + ((pick >> 16) % 1000).pow(2) as u64 / 50_000,
        (pick >> 8) as u64 % 1_000_000,
    );
    let took = |nanos: u64| nanos * scale + jitter;
    let mut server = span(
        &trace_id,
        id(1),
        None,
        (start, took(48_000_000)),
        SpanKind::Server,
    );
    server.name = format!("GET {route}");
    server.attributes = vec![
        text("http.request.method", "GET"),
        text("http.route", route),
        text(
            "url.path",
            &route.replace("{id}", &(pick % 9973).to_string()),
        ),
        int("http.response.status_code", status),
        text("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
    ];
    if failed {
        server.status = Some(Status {
            code: status::StatusCode::Error as i32,
            message: "payment provider answered 502".into(),
        });
        server.events = vec![exception(start + 40_000_000)];
    }
    let mut spans = vec![server];
    for n in 0..2 {
        let offset = 2_000_000 + n as u64 * 9_000_000;
        let mut query = span(
            &trace_id,
            id(2 + n as u64),
            Some(id(1)),
            (start + offset, took(7_000_000)),
            SpanKind::Client,
        );
        query.name = "SELECT shop".into();
        query.attributes = vec![
            text("db.system.name", "postgresql"),
            text("db.namespace", "shop"),
            text("db.query.text", STATEMENTS[(pick + n) % STATEMENTS.len()]),
            text("server.address", "db-1"),
        ];
        spans.push(query);
    }
    let mut internal = span(
        &trace_id,
        id(4),
        Some(id(1)),
        (start + 20_000_000, took(3_000_000)),
        SpanKind::Internal,
    );
    internal.name = "render invoice".into();
    spans.push(internal);
    let mut client = span(
        &trace_id,
        id(5),
        Some(id(1)),
        (start + 25_000_000, took(15_000_000)),
        SpanKind::Client,
    );
    client.name = "POST".into();
    client.attributes = vec![
        text("http.request.method", "POST"),
        text("server.address", "payments"),
        text("url.full", "http://payments:8080/api/charge"),
        int("http.response.status_code", if failed { 502 } else { 200 }),
    ];
    spans.push(client);
    spans
}

fn span(
    trace_id: &[u8],
    id: Vec<u8>,
    parent: Option<Vec<u8>>,
    (start, duration): (u64, u64),
    kind: SpanKind,
) -> Span {
    Span {
        trace_id: trace_id.to_vec(),
        span_id: id,
        parent_span_id: parent.unwrap_or_default(),
        kind: kind as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + duration,
        ..Span::default()
    }
}

fn exception(at: u64) -> Event {
    Event {
        time_unix_nano: at,
        name: "exception".into(),
        attributes: vec![
            text("exception.type", "java.lang.IllegalStateException"),
            text(
                "exception.message",
                "payment provider answered 502 for order 760084",
            ),
            text(
                "exception.stacktrace",
                "java.lang.IllegalStateException: payment provider answered 502\n\tat com.shop.Payments.charge(Payments.java:88)\n\tat com.shop.Checkout.pay(Checkout.java:41)",
            ),
        ],
        ..Event::default()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

fn int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..KeyValue::default()
    }
}
