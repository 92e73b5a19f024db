//! The ingest policy end to end: minimum levels, trace-consistent sampling across two replicas,
//! the never-sampled classes, derived metrics that do not move with sampling, and per-service
//! quotas answered as each protocol signals a retry.

mod quotas;
mod sampling;

use serde_json::{Value, json};

use super::helpers::TestApp;

/// A trace id whose low 56 bits are spread as random ids' are.
pub fn trace_id(n: u64) -> String {
    let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (n << 7);
    format!("{:016x}{:016x}", n.wrapping_add(1), mixed)
}

/// POSTs JSON records as NDJSON; gives the status.
pub async fn post_records(app: &TestApp, records: &[Value]) -> reqwest::StatusCode {
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    app.post_json(body).await
}

/// An OTLP/JSON trace request of one span of `service` in `trace`.
pub fn span_request(service: &str, trace: &str, span: u64) -> Value {
    let start = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"spans": [{
            "traceId": trace, "spanId": format!("{span:016x}"), "name": "work", "kind": 1,
            "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": (start + 1_000_000).to_string(),
        }]}]
    }]})
}

/// Rows of `table` of a trace.
pub async fn rows_of_trace(app: &TestApp, table: &str, trace: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table} WHERE trace_id = $1");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(trace)
        .fetch_one(&app.db)
        .await
        .unwrap()
}
