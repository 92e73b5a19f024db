//! OTLP traces: the SDK span exporter over gRPC and HTTP, OTLP/JSON and gzip bodies, partial
//! success, authentication, and hostile spans; each checked in the `spans` table; the metrics
//! spans derive, scraped from `/metrics`; and the spans read back through the read API and the
//! Jaeger API.

mod captured;
mod erasure;
mod exactly_once;
mod hostile;
mod jaeger;
mod metrics;
mod read;
mod requests;
mod retention;
mod sdk;
mod seed;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use sqlx::Row;

use super::helpers::TestApp;

/// A start time of today, in nanoseconds since the epoch, so that spans land in a partition
/// made ahead.
pub fn now_nanos() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.unwrap().as_nanos() as u64
}

/// Rows in `spans` matching a SQL condition written by the test itself.
pub async fn count_spans(app: &TestApp, condition: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM spans WHERE {condition}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&app.db)
        .await
        .unwrap()
        .get(0)
}

/// A string attribute.
pub fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

/// A valid server span of trace `ab…ab` with span id `id` repeated, lasting 2 ms.
pub fn span(id: u8) -> Span {
    let start = now_nanos();
    Span {
        trace_id: vec![0xab; 16],
        span_id: vec![id; 8],
        name: "GET /orders/{id}".into(),
        kind: 2,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 2_000_000,
        ..Span::default()
    }
}

/// A request holding `spans` of service `service`.
pub fn request(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![string("service.name", service)],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}
