//! The benchmark workload, shared by `bench/ingest`, `bench/query` and `benches/pipeline.rs`:
//! deterministic (seeded) OTLP export requests of realistic records from 8 services — HTTP access
//! logs, SQL queries, exceptions and plain messages, in traces of several records — and the same
//! records as NDJSON for the JSON receiver and as a Loki push.
#![allow(
    dead_code,
    reason = "two targets include this file, each using part of it"
)]

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;
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
/// HTTP status codes with their weights (per 1000 access logs).
const STATUSES: [(u64, i64); 7] = [
    (700, 200),
    (100, 201),
    (80, 304),
    (70, 404),
    (20, 400),
    (20, 500),
    (10, 503),
];

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

/// Plain messages with their weights (per 1000 messages) and severities, from everyday to rare,
/// so that full-text queries have words of every selectivity.
const MESSAGES: [(u64, (i32, &str)); 12] = [
    (
        205,
        (9, "cache refreshed for tenant {} in 12 ms, 4096 entries"),
    ),
    (
        150,
        (
            9,
            "scheduled job reconcile-orders finished, {} orders checked, 0 mismatches",
        ),
    ),
    (
        150,
        (9, "feature flag new-checkout evaluated to true for user {}"),
    ),
    (
        120,
        (
            5,
            "connection pool stats: 18 idle, 2 busy, 0 waiting (pool {})",
        ),
    ),
    (
        100,
        (9, "invoice {} generated and uploaded to object storage"),
    ),
    (
        80,
        (
            9,
            "kafka consumer group rebalanced, 12 partitions assigned (generation {})",
        ),
    ),
    (
        60,
        (
            13,
            "retrying call to inventory after timeout, attempt 2 (request {})",
        ),
    ),
    (50, (13, "slow request: handler took 2300 ms (request {})")),
    (40, (9, "refund {} approved by fraud check")),
    (
        25,
        (
            13,
            "webhook delivery to partner failed with status 503, will retry (delivery {})",
        ),
    ),
    (
        15,
        (
            17,
            "circuit breaker opened for payment provider after 5 consecutive failures (window {})",
        ),
    ),
    (
        5,
        (
            17,
            "deadlock detected while updating order {}, transaction rolled back",
        ),
    ),
];

/// Records of one trace are this close in time, at most (nanoseconds).
const TRACE_SPREAD_NANOS: u64 = 2_000_000_000;
/// Records per trace, at most (uniform from 1).
const TRACE_MAX_RECORDS: u64 = 8;
/// Distinct end users of the access logs.
const USERS: u64 = 50_000;

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

    /// An item chosen with the probability of its weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(u64, T)]) -> &'a T {
        let total: u64 = items.iter().map(|(weight, _)| weight).sum();
        let mut left = self.below(total);
        for (weight, item) in items {
            if left < *weight {
                return item;
            }
            left -= weight;
        }
        unreachable!("the weights add up to the total")
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Event times of generated records: `[end - span, end)`, in Unix nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub end_unix_nanos: u64,
    pub span_nanos: u64,
}

impl Window {
    /// The hour before `now_unix_nanos`.
    pub fn last_hour(now_unix_nanos: u64) -> Window {
        Window {
            end_unix_nanos: now_unix_nanos,
            span_nanos: 3_600_000_000_000,
        }
    }

    /// A time in the window, uniformly.
    fn time(&self, rng: &mut Rng) -> u64 {
        self.end_unix_nanos - 1 - rng.below(self.span_nanos)
    }
}

/// A seeded stream of requests, each from one service (as an SDK exporter sends them).
pub struct Generator {
    rng: Rng,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: Rng::new(seed),
        }
    }

    /// The next request: 200 to 500 records (but at most `max`), event times in `window`.
    pub fn request(&mut self, max: usize, window: Window) -> ExportLogsServiceRequest {
        let size = self.size(max);
        self.request_of(size, window)
    }

    /// The size of the next request: 200 to 500 records, but at most `max`.
    pub fn size(&mut self, max: usize) -> usize {
        (200 + self.rng.below(301) as usize).min(max)
    }

    /// A request of `size` records from a random service, event times in `window`.
    pub fn request_of(&mut self, size: usize, window: Window) -> ExportLogsServiceRequest {
        let service = self.rng.below(SERVICES.len() as u64) as usize;
        request(&mut self.rng, service, size, window)
    }
}

/// Records in a request.
pub fn record_count(request: &ExportLogsServiceRequest) -> usize {
    let scopes = request.resource_logs.iter().flat_map(|r| &r.scope_logs);
    scopes.map(|s| s.log_records.len()).sum()
}

/// Generates `records` records in requests of 200 to 500 records, each request from one service,
/// event times within the hour before `now_unix_nanos`.
pub fn requests(records: usize, seed: u64, now_unix_nanos: u64) -> Vec<ExportLogsServiceRequest> {
    let mut generator = Generator::new(seed);
    let window = Window::last_hour(now_unix_nanos);
    let mut left = records;
    let mut requests = Vec::new();
    while left > 0 {
        let request = generator.request(left, window);
        left -= record_count(&request);
        requests.push(request);
    }
    requests
}

/// One request of exactly `records` records, from one service, as the CPU benchmark decodes it.
pub fn single_request(records: usize, seed: u64, now_unix_nanos: u64) -> ExportLogsServiceRequest {
    let mut rng = Rng::new(seed);
    request(&mut rng, 0, records, Window::last_hour(now_unix_nanos))
}

fn request(rng: &mut Rng, service: usize, size: usize, window: Window) -> ExportLogsServiceRequest {
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
    let mut log_records = Vec::with_capacity(size);
    while log_records.len() < size {
        let trace = Trace::new(rng, window);
        let length = (trace.records as usize).min(size - log_records.len());
        for _ in 0..length {
            log_records.push(record(rng, service, &trace, window));
        }
    }
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

/// Consecutive records of one trace (90%: 1 to 8 records within 2 s), or one untraced record.
struct Trace {
    id: Vec<u8>,
    start: u64,
    records: u64,
}

impl Trace {
    fn new(rng: &mut Rng, window: Window) -> Trace {
        let start = window.time(rng);
        if rng.below(10) == 0 {
            return Trace {
                id: Vec::new(),
                start,
                records: 1,
            };
        }
        Trace {
            id: rng.bytes(16),
            start,
            records: 1 + rng.below(TRACE_MAX_RECORDS),
        }
    }

    /// A time of the trace, still inside the window.
    fn time(&self, rng: &mut Rng, window: Window) -> u64 {
        (self.start + rng.below(TRACE_SPREAD_NANOS)).min(window.end_unix_nanos - 1)
    }
}

/// One record: 55% HTTP access logs, 20% SQL queries, 5% exceptions, 20% plain messages.
fn record(rng: &mut Rng, service: usize, trace: &Trace, window: Window) -> LogRecord {
    let time = trace.time(rng, window);
    let id = rng.below(1_000_000);
    let (severity, body, mut attributes) = match rng.below(100) {
        0..55 => http(rng, service, id),
        55..75 => sql(rng, service, id),
        75..80 => exception(rng, id),
        _ => {
            let (severity, template) = *rng.weighted(&MESSAGES);
            (
                severity,
                template.replace("{}", &id.to_string()),
                Vec::new(),
            )
        }
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
    let traced = !trace.id.is_empty();
    LogRecord {
        time_unix_nano: time,
        observed_time_unix_nano: time + 1_000_000,
        severity_number: severity,
        severity_text: severity_text(severity).to_string(),
        body: Some(text(&body)),
        attributes,
        trace_id: trace.id.clone(),
        span_id: if traced { rng.bytes(8) } else { Vec::new() },
        ..Default::default()
    }
}

fn http(rng: &mut Rng, service: usize, id: u64) -> (i32, String, Vec<KeyValue>) {
    let method = *rng.pick(&METHODS);
    let path = rng.pick(SERVICES[service].1).replace("{}", &id.to_string());
    let status = *rng.weighted(&STATUSES);
    let seconds = (1 + rng.below(400)) as f64 / 1000.0 * if status >= 500 { 10.0 } else { 1.0 };
    let severity = match status {
        500.. => 17,
        400 => 13,
        _ => 9,
    };
    let body = format!("{method} {path} {status} {:.0} ms", seconds * 1000.0);
    let mut attributes = vec![
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
    // Most requests are signed in.
    if rng.below(10) < 8 {
        let user = format!("user-{}", rng.below(USERS));
        attributes.push(kv("enduser.id", text(&user)));
    }
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
        13.. => "WARN",
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

/// The records of [`ndjson`] as an Elasticsearch bulk body, as Filebeat sends them: a `create`
/// action per record, dotted keys nested into objects (`{"http":{"route":..}}`), `@timestamp`.
pub fn bulk(request: &ExportLogsServiceRequest) -> Vec<u8> {
    let mut out = Vec::new();
    for line in ndjson(request)
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
    {
        let mut flat: Map<String, Value> = serde_json::from_slice(line).expect("a JSON line");
        if let Some(ts) = flat.remove("timestamp") {
            let nanos = ts.as_u64().unwrap_or_default();
            let time = chrono::DateTime::from_timestamp_nanos(nanos as i64);
            flat.insert("@timestamp".into(), json!(time.to_rfc3339()));
        }
        out.extend_from_slice(b"{\"create\":{\"_index\":\"logs-app-default\"}}\n");
        serde_json::to_writer(&mut out, &nest(flat)).expect("a map serializes");
        out.push(b'\n');
    }
    out
}

/// Dotted keys as nested objects; a key whose path is taken by a value stays dotted.
fn nest(flat: Map<String, Value>) -> Map<String, Value> {
    let mut nested = Map::new();
    for (key, value) in flat {
        if let Some(value) = insert_path(&mut nested, &key, value) {
            nested.insert(key, value);
        }
    }
    nested
}

/// Puts `value` at the dotted `path`; gives it back when the path is taken.
fn insert_path(map: &mut Map<String, Value>, path: &str, value: Value) -> Option<Value> {
    let Some((head, rest)) = path.split_once('.') else {
        if map.contains_key(path) {
            return Some(value);
        }
        map.insert(path.to_string(), value);
        return None;
    };
    match map.entry(head).or_insert_with(|| json!({})) {
        Value::Object(inner) => insert_path(inner, rest, value),
        _ => Some(value),
    }
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

/// The request as a Loki shipper pushes it: one stream labelled with the resource's string
/// attributes (dots as underscores, as Alloy names them), each record its [`ndjson`] line
/// without the resource's fields (they are the labels, once per stream as in OTLP), the entries
/// stamped `now_seconds`, snappy-compressed.
pub fn loki_push(request: &ExportLogsServiceRequest, now_seconds: i64) -> Vec<u8> {
    let resource = request
        .resource_logs
        .iter()
        .filter_map(|r| r.resource.as_ref());
    let labels: Vec<String> = (resource.flat_map(|r| &r.attributes))
        .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(format!("{}={s:?}", kv.key.replace('.', "_"))),
            _ => None,
        })
        .collect();
    let lines = ndjson(request);
    let lines = lines.split(|b| *b == b'\n').filter(|line| !line.is_empty());
    let entries = lines.enumerate().map(|(n, line)| loki::Entry {
        timestamp: Some(loki::Timestamp {
            seconds: now_seconds,
            nanos: n as i32,
        }),
        line: without_resource(line),
    });
    let push = loki::PushRequest {
        streams: vec![loki::Stream {
            labels: format!("{{{}}}", labels.join(", ")),
            entries: entries.collect(),
        }],
    };
    snap::raw::Encoder::new()
        .compress_vec(&push.encode_to_vec())
        .expect("snappy compresses the request")
}

/// The Loki push messages, from the documented field numbers (this file is also compiled into
/// the library's tests, where `logbridge::` does not resolve).
mod loki {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PushRequest {
        #[prost(message, repeated, tag = "1")]
        pub streams: Vec<Stream>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Stream {
        #[prost(string, tag = "1")]
        pub labels: String,
        #[prost(message, repeated, tag = "2")]
        pub entries: Vec<Entry>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Entry {
        #[prost(message, optional, tag = "1")]
        pub timestamp: Option<Timestamp>,
        #[prost(bytes = "vec", tag = "2")]
        pub line: Vec<u8>,
    }

    #[derive(Clone, Copy, PartialEq, prost::Message)]
    pub struct Timestamp {
        #[prost(int64, tag = "1")]
        pub seconds: i64,
        #[prost(int32, tag = "2")]
        pub nanos: i32,
    }
}

/// An [`ndjson`] line without the resource fields it repeats.
fn without_resource(line: &[u8]) -> Vec<u8> {
    let mut object: Map<String, Value> = serde_json::from_slice(line).expect("an ndjson line");
    for key in ["service.name", "host.name", "k8s.pod.name"] {
        object.remove(key);
    }
    serde_json::to_vec(&object).expect("a map serializes")
}
