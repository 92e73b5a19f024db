//! The benchmark workload, shared by `bench/ingest` and `benches/pipeline.rs`: deterministic
//! (seeded) OTLP export requests of realistic records from 8 services — HTTP access logs, SQL
//! queries, exceptions and plain messages — and the same records as NDJSON for the JSON receiver.
#![allow(
    dead_code,
    reason = "two targets include this file, each using part of it"
)]

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use serde_json::{Map, Value, json};

/// The services, each with the routes its access logs use (`{}` is an id) and its database.
const SERVICES: [(&str, &[&str], &str); 8] = [
    (
        "checkout",
        &["/api/v1/orders/{}", "/api/v1/carts/{}/items"],
        "postgresql",
    ),
    (
        "payments",
        &["/api/v1/payments/{}", "/api/v1/refunds/{}"],
        "postgresql",
    ),
    (
        "catalog",
        &["/api/v1/products/{}", "/api/v1/categories/{}/products"],
        "postgresql",
    ),
    (
        "users",
        &["/api/v1/users/{}", "/api/v1/users/{}/sessions"],
        "postgresql",
    ),
    (
        "search",
        &["/api/v1/search", "/api/v1/suggest/{}"],
        "elasticsearch",
    ),
    (
        "inventory",
        &["/api/v1/stock/{}", "/api/v1/warehouses/{}/stock"],
        "mysql",
    ),
    (
        "shipping",
        &["/api/v1/shipments/{}", "/api/v1/shipments/{}/labels"],
        "postgresql",
    ),
    ("gateway", &["/api/v2/orders/{}", "/health/live"], "redis"),
];

const METHODS: [&str; 5] = ["GET", "GET", "GET", "POST", "PUT"];
const STATUSES: [i64; 8] = [200, 200, 200, 200, 201, 304, 404, 500];

const QUERIES: [&str; 4] = [
    "SELECT o.id, o.total, o.status FROM orders o WHERE o.customer_id = {} AND o.status IN ('paid', 'shipped', 'delivered') ORDER BY o.created_at DESC LIMIT 50",
    "UPDATE inventory SET reserved = reserved + 1, updated_at = now() WHERE sku = 'SKU-{}' AND warehouse_id = 7",
    "INSERT INTO audit_events (actor_id, action, payload) VALUES ({}, 'order.updated', '{\"source\":\"api\"}')",
    "SELECT u.id, u.email, u.locale FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.token = 'tok_{}'",
];

const EXCEPTIONS: [(&str, &str); 3] = [
    (
        "java.lang.IllegalStateException",
        "payment provider answered 502 for order {}",
    ),
    ("ValueError", "invalid quantity for sku SKU-{}: -1"),
    (
        "TimeoutError",
        "upstream inventory did not answer within 2000 ms (request {})",
    ),
];

const MESSAGES: [&str; 4] = [
    "cache refreshed for tenant {} in 12 ms, 4096 entries",
    "scheduled job reconcile-orders finished, {} orders checked, 0 mismatches",
    "feature flag new-checkout evaluated to true for user {}",
    "connection pool stats: 18 idle, 2 busy, 0 waiting (pool {})",
];

/// SplitMix64: a small, seeded, reproducible generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Generates `records` records in requests of 200 to 500 records, each request from one service
/// (as an SDK exporter sends them), event times within the hour before `now_unix_nanos`.
pub fn requests(records: usize, seed: u64, now_unix_nanos: u64) -> Vec<ExportLogsServiceRequest> {
    let mut rng = Rng::new(seed);
    let mut left = records;
    let mut requests = Vec::new();
    while left > 0 {
        let size = (200 + rng.below(301) as usize).min(left);
        let service = rng.below(SERVICES.len() as u64) as usize;
        requests.push(request(&mut rng, service, size, now_unix_nanos));
        left -= size;
    }
    requests
}

/// One request of exactly `records` records, from one service, as the CPU benchmark decodes it.
pub fn single_request(records: usize, seed: u64, now_unix_nanos: u64) -> ExportLogsServiceRequest {
    let mut rng = Rng::new(seed);
    request(&mut rng, 0, records, now_unix_nanos)
}

fn request(rng: &mut Rng, service: usize, size: usize, now: u64) -> ExportLogsServiceRequest {
    let (name, _, _) = SERVICES[service];
    let pod = format!("{name}-7f9c{}-{:05x}", rng.below(10), rng.below(0xFFFFF));
    let resource = Resource {
        attributes: vec![
            kv("service.name", text(name)),
            kv("service.version", text("2.14.3")),
            kv("deployment.environment.name", text("production")),
            kv("host.name", text(&format!("node-{}", rng.below(12)))),
            kv("k8s.pod.name", text(&pod)),
            kv("telemetry.sdk.language", text("java")),
        ],
        ..Default::default()
    };
    let log_records = (0..size).map(|_| record(rng, service, now)).collect();
    let scope_logs = ScopeLogs {
        scope: Some(InstrumentationScope {
            name: format!("com.acme.{name}"),
            ..Default::default()
        }),
        log_records,
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource),
            scope_logs: vec![scope_logs],
            ..Default::default()
        }],
    }
}

/// One record: 55% HTTP access logs, 20% SQL queries, 5% exceptions, 20% plain messages.
fn record(rng: &mut Rng, service: usize, now: u64) -> LogRecord {
    let time = now - rng.below(3_600_000_000_000);
    let traced = rng.below(10) < 9;
    let id = rng.below(1_000_000);
    let (severity, body, mut attributes) = match rng.below(100) {
        0..55 => http(rng, service, id),
        55..75 => sql(rng, service, id),
        75..80 => exception(rng, id),
        _ => (
            9,
            rng.pick(&MESSAGES).replace("{}", &id.to_string()),
            Vec::new(),
        ),
    };
    attributes.push(kv(
        "thread.name",
        text(&format!("worker-{}", rng.below(32))),
    ));
    attributes.push(kv(
        "code.function.name",
        text("com.acme.web.Handler.handle"),
    ));
    attributes.push(kv("tenant.id", int(rng.below(500) as i64)));
    let session = format!("{:016x}{:016x}", rng.next(), rng.next());
    attributes.push(kv("session.id", text(&session)));
    LogRecord {
        time_unix_nano: time,
        observed_time_unix_nano: time + 1_000_000,
        severity_number: severity,
        severity_text: severity_text(severity).to_string(),
        body: Some(text(&body)),
        attributes,
        trace_id: if traced { rng.bytes(16) } else { Vec::new() },
        span_id: if traced { rng.bytes(8) } else { Vec::new() },
        ..Default::default()
    }
}

fn http(rng: &mut Rng, service: usize, id: u64) -> (i32, String, Vec<KeyValue>) {
    let method = *rng.pick(&METHODS);
    let path = rng.pick(SERVICES[service].1).replace("{}", &id.to_string());
    let status = *rng.pick(&STATUSES);
    let seconds = (1 + rng.below(400)) as f64 / 1000.0 * if status == 500 { 10.0 } else { 1.0 };
    let severity = if status >= 500 { 17 } else { 9 };
    let body = format!("{method} {path} {status} {:.0} ms", seconds * 1000.0);
    let attributes = vec![
        kv("http.request.method", text(method)),
        kv("url.path", text(&path)),
        kv("http.response.status_code", int(status)),
        kv("http.server.request.duration", float(seconds)),
        kv("url.scheme", text("https")),
        kv("server.address", text("api.shop.acme.example")),
        kv(
            "user_agent.original",
            text("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
        ),
        kv(
            "client.address",
            text(&format!("10.0.{}.{}", rng.below(255), rng.below(255))),
        ),
    ];
    (severity, body, attributes)
}

fn sql(rng: &mut Rng, service: usize, id: u64) -> (i32, String, Vec<KeyValue>) {
    let statement = rng.pick(&QUERIES).replace("{}", &id.to_string());
    let seconds = (1 + rng.below(800)) as f64 / 1000.0;
    let attributes = vec![
        kv("db.query.text", text(&statement)),
        kv("db.system.name", text(SERVICES[service].2)),
        kv("db.client.operation.duration", float(seconds)),
        kv("db.namespace", text("shop")),
    ];
    (5, "query executed".to_string(), attributes)
}

fn exception(rng: &mut Rng, id: u64) -> (i32, String, Vec<KeyValue>) {
    let (kind, message) = *rng.pick(&EXCEPTIONS);
    let message = message.replace("{}", &id.to_string());
    let stacktrace = format!(
        "{kind}: {message}\n\tat com.acme.payments.Client.charge(Client.java:212)\n\tat com.acme.checkout.OrderService.pay(OrderService.java:88)\n\tat com.acme.web.Handler.handle(Handler.java:41)\n\tat java.base/java.lang.Thread.run(Thread.java:1583)"
    );
    let attributes = vec![
        kv("exception.type", text(kind)),
        kv("exception.message", text(&message)),
        kv("exception.stacktrace", text(&stacktrace)),
    ];
    (17, format!("request failed: {message}"), attributes)
}

fn severity_text(severity: i32) -> &'static str {
    match severity {
        17.. => "ERROR",
        9.. => "INFO",
        _ => "DEBUG",
    }
}

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(value),
        ..Default::default()
    }
}

fn text(value: &str) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(value.to_string())),
    }
}

fn int(value: i64) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::IntValue(value)),
    }
}

fn float(value: f64) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::DoubleValue(value)),
    }
}

/// The same records as NDJSON for `POST /api/v1/logs`: one object per line, attributes as
/// top-level keys, the service and resource attributes `host.name` and `k8s.pod.name` included.
pub fn ndjson(request: &ExportLogsServiceRequest) -> Vec<u8> {
    let mut out = Vec::new();
    for resource_logs in &request.resource_logs {
        let resource = resource_logs
            .resource
            .as_ref()
            .map(|r| json_map(&r.attributes));
        let resource = resource.unwrap_or_default();
        for scope_logs in &resource_logs.scope_logs {
            let logger = scope_logs.scope.as_ref().map(|s| s.name.as_str());
            for record in &scope_logs.log_records {
                let mut object = json_map(&record.attributes);
                for key in ["service.name", "host.name", "k8s.pod.name"] {
                    if let Some(value) = resource.get(key) {
                        object.insert(key.to_string(), value.clone());
                    }
                }
                object.insert("timestamp".into(), json!(record.time_unix_nano));
                object.insert("level".into(), json!(record.severity_text.to_lowercase()));
                object.insert(
                    "message".into(),
                    record.body.as_ref().map_or(Value::Null, value),
                );
                object.insert("logger".into(), json!(logger));
                if !record.trace_id.is_empty() {
                    object.insert("trace_id".into(), json!(hex::encode(&record.trace_id)));
                    object.insert("span_id".into(), json!(hex::encode(&record.span_id)));
                }
                serde_json::to_writer(&mut out, &object).expect("a map serializes");
                out.push(b'\n');
            }
        }
    }
    out
}

fn json_map(attributes: &[KeyValue]) -> Map<String, Value> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Value::Null, value)))
        .collect()
}

fn value(value: &AnyValue) -> Value {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => json!(s),
        Some(any_value::Value::IntValue(i)) => json!(i),
        Some(any_value::Value::DoubleValue(d)) => json!(d),
        Some(any_value::Value::BoolValue(b)) => json!(b),
        _ => Value::Null,
    }
}
