//! CPU per record with the store left out: everything the bridge does to an OTLP/HTTP protobuf
//! request of 500 records (decode, convert, limits, pipeline, COPY encoding, derived metrics), each
//! step alone, the same records as a Loki push (snappy protobuf, JSON lines), the same as an Elasticsearch bulk body, and micro-benchmarks of the JSON decoders, redaction, exception fingerprinting, SQL fingerprinting and route templating.
//! The span path beside them: an OTLP/HTTP protobuf trace request of 500 spans, decoded, bounded,
//! redacted, encoded as rows of `spans` and counted (RED, span and service-graph metrics).
//! Throughput is in records (elements), so criterion reports time per record. See bench/README.md.

#[path = "../bench/cpu_time.rs"]
mod cpu_time;
#[path = "../bench/span_workload.rs"]
mod span_workload;
#[path = "../bench/workload.rs"]
mod workload;

use std::hint::black_box;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use cpu_time::ThreadCpuTime;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use logbridge::config::{Config, FieldAliases};
use logbridge::ingest::bounds::RequestBounds;
use logbridge::ingest::loki;
use logbridge::ingest::prepare::Preparer;
use logbridge::ingest::{RequestContext, elastic, faro, json, otlp};
use logbridge::metrics::Metrics;
use logbridge::model::LogRecord;
use logbridge::pipeline::policy::Verdict;
use logbridge::pipeline::redact::Redactor;
use logbridge::pipeline::{Pipeline, enrich, grouping, limits::Limits, route, sql};
use logbridge::sourcemaps::{self, ParsedMap, Resolved};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message as _;

/// The same allocator as the `logbridge` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECORDS: usize = 500;

fn request() -> ExportLogsServiceRequest {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    workload::single_request(RECORDS, 42, now)
}

/// What a receiver's decode is given for a request received now, with the default bounds.
fn request_context(aliases: &FieldAliases) -> RequestContext<'_> {
    static BOUNDS: LazyLock<RequestBounds> = LazyLock::new(RequestBounds::default);
    RequestContext {
        received: Utc::now(),
        service: None,
        aliases,
        bounds: &BOUNDS,
    }
}

/// The bridge's path from request bytes to encoded rows and counted metrics, minus the database:
/// the OTLP/protobuf receiver's decode function, then the one prepare step, then the counting
/// that follows a commit.
fn full_path(body: &[u8], preparer: &Preparer) -> usize {
    let pipeline = preparer.pipeline();
    let context = request_context(pipeline.aliases());
    let decoded = otlp::decode_protobuf(body, &context).expect("the workload decodes");
    let prepared = preparer.prepare(decoded.records);
    preparer.observe(prepared.samples, &prepared.tallies);
    prepared.batch.data.len()
}

/// The same path for an Elasticsearch bulk body of the same records (`_bulk`'s decode function,
/// then the one prepare step and the counting), plus the encoding of its answer.
fn bulk_full_path(body: &[u8], preparer: &Preparer) -> usize {
    let pipeline = preparer.pipeline();
    let context = request_context(pipeline.aliases());
    let bulk = elastic::decode(body, None, &context).expect("the workload decodes");
    let prepared = preparer.prepare(bulk.decoded.records);
    preparer.observe(prepared.samples, &prepared.tallies);
    let answer = elastic::answer::BulkAnswer::new(1, bulk.items).encode(None);
    prepared.batch.data.len() + answer.len()
}

/// The span path: the OTLP trace receiver's decode function, the one prepare step for spans and
/// the counting that follows a commit.
fn spans_full_path(body: &[u8], preparer: &Preparer) -> usize {
    let pipeline = preparer.pipeline();
    let context = request_context(pipeline.aliases());
    let decoded = otlp::traces::decode_protobuf(body, &context).expect("the spans decode");
    assert_eq!(decoded.rejected, 0, "{:?}", decoded.first_error);
    let prepared = preparer.prepare_spans(decoded.spans);
    preparer.observe(prepared.samples, &prepared.tallies);
    prepared.batch.data.len()
}

fn otlp_spans_path(c: &mut Criterion<ThreadCpuTime>) {
    let config = Config::default();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let body = span_workload::spans_request(RECORDS, 42, now.as_nanos() as u64).encode_to_vec();
    let mut group = c.benchmark_group("otlp_spans_500");
    group.throughput(Throughput::Elements(RECORDS as u64));
    let full = preparer(&config);
    group.bench_function("full_path", |b| {
        b.iter(|| spans_full_path(black_box(&body), &full))
    });
    group.bench_function("decode_protobuf", |b| {
        b.iter(|| {
            let context = request_context(&config.fields);
            otlp::traces::decode_protobuf(black_box(&body), &context).unwrap()
        })
    });
    group.finish();
}

/// The Faro path: the receiver's decode function, the one prepare step and the counting.
fn faro_full_path(body: &[u8], preparer: &Preparer) -> usize {
    let pipeline = preparer.pipeline();
    let context = request_context(pipeline.aliases());
    let decoded = faro::decode(body, &context).expect("the payload decodes");
    let prepared = preparer.prepare(decoded.records);
    preparer.observe(prepared.samples, &prepared.tallies);
    prepared.batch.data.len()
}

/// The Faro path of an app with source maps: the outline (which files the frames are of), the
/// decode with every frame symbolicated through `maps` (cached), the prepare step and the
/// counting.
fn faro_symbolicated_path(body: &[u8], preparer: &Preparer, maps: &Resolved) -> usize {
    black_box(faro::outline::outline(body, true));
    let pipeline = preparer.pipeline();
    let context = request_context(pipeline.aliases());
    let decoded = faro::decode_symbolicated(body, &context, maps).expect("the payload decodes");
    let prepared = preparer.prepare(decoded.records);
    preparer.observe(prepared.samples, &prepared.tallies);
    prepared.batch.data.len()
}

/// The URL of the source map fixture's bundle.
const BUNDLE: &str = "https://shop.example.com/assets/app.js";

/// The map of the 1.0.1 esbuild build of tests/fixtures/sourcemaps, parsed (cached), and eight
/// frames of its bundle (its two application frames, four times).
fn bundle_map() -> (Arc<ParsedMap>, Vec<serde_json::Value>) {
    let map = include_bytes!("../tests/fixtures/sourcemaps/dist/shop/1.0.1/assets/app.js.map");
    let payload: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../tests/fixtures/sourcemaps/dist/shop/1.0.1/faro.json"
    ))
    .unwrap();
    let frames = payload["exceptions"][0]["stacktrace"]["frames"]
        .as_array()
        .unwrap();
    let app_frames = frames.iter().filter(|f| f["filename"] == BUNDLE);
    let eight = app_frames.cycle().take(8).cloned().collect();
    (Arc::new(sourcemaps::parse::parse(map).unwrap()), eight)
}

/// Eight frames of the minified bundle `index-B3k1.js`, which has no map.
fn unmapped_frames() -> Vec<serde_json::Value> {
    (0..8)
        .map(|i| {
            serde_json::json!({"filename": "https://shop.example.com/assets/index-B3k1.js",
            "function": format!("f{i}"), "lineno": 1, "colno": 1000 + i})
        })
        .collect()
}

/// A Faro payload of `RECORDS` items as the Web SDK batches them: the SDK's `meta`, nine logs
/// in ten (with context and a trace), one exception with `frames` in ten.
fn faro_body(frames: &[serde_json::Value]) -> Vec<u8> {
    let meta: serde_json::Value =
        serde_json::from_slice(include_bytes!("../tests/fixtures/faro/web-sdk.json")).unwrap();
    let trace = serde_json::json!({"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7"});
    let (mut logs, mut exceptions) = (Vec::new(), Vec::new());
    for i in 0..RECORDS {
        let timestamp = "2026-12-04T17:50:01.123Z";
        if i % 10 == 9 {
            exceptions.push(serde_json::json!({"type": "TypeError",
                "value": format!("Cannot read properties of undefined (reading 'p{}')", i % 7),
                "timestamp": timestamp, "stacktrace": {"frames": frames}, "trace": trace}));
        } else {
            logs.push(
                serde_json::json!({"message": format!("cart {i} loaded in {} ms", i * 3),
                "level": "info", "context": {"items": "3", "step": "checkout"},
                "timestamp": timestamp, "trace": trace}),
            );
        }
    }
    let body = serde_json::json!({"meta": meta["meta"], "logs": logs, "exceptions": exceptions});
    body.to_string().into_bytes()
}

fn faro_path(c: &mut Criterion<ThreadCpuTime>) {
    let config = Config::default();
    let body = faro_body(&unmapped_frames());
    let mut group = c.benchmark_group("faro_500");
    group.throughput(Throughput::Elements(RECORDS as u64));
    let full = preparer(&config);
    group.bench_function("full_path", |b| {
        b.iter(|| faro_full_path(black_box(&body), &full))
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            let context = request_context(&config.fields);
            faro::decode(black_box(&body), &context).unwrap()
        })
    });
    let (map, frames) = bundle_map();
    let maps = Resolved::none().with(BUNDLE, Arc::clone(&map));
    let mapped = faro_body(&frames);
    group.bench_function("full_path_symbolicated", |b| {
        b.iter(|| faro_symbolicated_path(black_box(&mapped), &full, &maps))
    });
    group.finish();
    // One exception's eight frames through a cached map: the symbolication alone.
    let mut group = c.benchmark_group("sourcemaps");
    group.throughput(Throughput::Elements(1));
    let positions: Vec<(u64, u64)> = frames
        .iter()
        .map(|f| (f["lineno"].as_u64().unwrap(), f["colno"].as_u64().unwrap()))
        .collect();
    group.bench_function("symbolicate_exception_8_frames", |b| {
        b.iter(|| {
            let originals = positions
                .iter()
                .map(|(line, column)| maps.original(BUNDLE, black_box(*line), black_box(*column)));
            originals.flatten().count()
        })
    });
    // The same eight frames as the text of an OTLP `exception.stacktrace` (V8's `at fn
    // (url:line:column)`): read, symbolicated and rendered again.
    let stack = frames.iter().fold("TypeError: x".to_string(), |stack, f| {
        let (function, line, column) = (&f["function"], &f["lineno"], &f["colno"]);
        let function = function.as_str().unwrap();
        format!("{stack}\n    at {function} ({BUNDLE}:{line}:{column})")
    });
    group.bench_function("symbolicate_otlp_stack_8_frames", |b| {
        b.iter(|| sourcemaps::stack::symbolicate(black_box(&stack), &maps))
    });
    group.finish();
}

fn es_bulk_path(c: &mut Criterion<ThreadCpuTime>) {
    let config = Config::default();
    let body = workload::bulk(&request());
    let mut group = c.benchmark_group("es_bulk_500");
    group.throughput(Throughput::Elements(RECORDS as u64));
    let full = preparer(&config);
    group.bench_function("full_path", |b| {
        b.iter(|| bulk_full_path(black_box(&body), &full))
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            let context = request_context(&config.fields);
            elastic::decode(black_box(&body), None, &context).unwrap()
        })
    });
    // Two parts of the decode alone: the bounds scan before it, and the split into actions.
    group.bench_function("bounds_scan", |b| {
        b.iter(|| logbridge::ingest::bounds::json::scan(black_box(&body)))
    });
    group.bench_function("entries", |b| {
        b.iter(|| elastic::bulk::entries(black_box(&body)).len())
    });
    group.finish();
}

fn bound_and_process(records: &mut [LogRecord], pipeline: &Pipeline, limits: &Limits) {
    let mut redactions = pipeline.redactions();
    for record in records {
        limits.bound(record);
        pipeline.process(record, &mut redactions);
    }
}

/// The prepare step of a configuration.
fn preparer(config: &Config) -> Preparer {
    let pipeline = Pipeline::from_config(config).expect("the pipeline");
    let metrics = Metrics::new(&config.metrics);
    Preparer::new(
        Limits::from_config(config),
        Arc::new(pipeline),
        Arc::new(metrics),
    )
}

fn otlp_path(c: &mut Criterion<ThreadCpuTime>) {
    let config = Config::default();
    let limits = Limits::from_config(&config);
    let pipeline = Pipeline::from_config(&config).expect("the default pipeline");
    let metrics = Metrics::new(&config.metrics);
    let request = request();
    let body = request.encode_to_vec();
    let converted = otlp::convert(request.clone(), Utc::now()).records;
    let mut processed = converted.clone();
    bound_and_process(&mut processed, &pipeline, &limits);

    let mut group = c.benchmark_group("otlp_500");
    group.throughput(Throughput::Elements(RECORDS as u64));
    let full = preparer(&config);
    group.bench_function("full_path", |b| {
        b.iter(|| full_path(black_box(&body), &full))
    });
    // The same path with redaction off, side by side: what redaction costs per record.
    let mut unredacted = Config::default();
    unredacted.redaction.enabled = false;
    let plain = preparer(&unredacted);
    group.bench_function("full_path_without_redaction", |b| {
        b.iter(|| full_path(black_box(&body), &plain))
    });
    group.bench_function("decode_protobuf", |b| {
        b.iter(|| otlp::parse_protobuf(black_box(&body), &RequestBounds::default()).unwrap())
    });
    group.bench_function("count_protobuf", |b| {
        b.iter(|| logbridge::ingest::bounds::protobuf::count(black_box(&body)))
    });
    group.bench_function("convert", |b| {
        b.iter_batched(
            || request.clone(),
            |request| otlp::convert(request, Utc::now()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("limits_and_process", |b| {
        b.iter_batched(
            || converted.clone(),
            |mut records| {
                bound_and_process(&mut records, &pipeline, &limits);
                records
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("copy_encode", |b| {
        b.iter(|| logbridge::store::copy::encode(black_box(&processed)))
    });
    policy_step(&mut group, &processed);
    group.bench_function("observe_accepted", |b| {
        b.iter(|| metrics.observe_accepted(black_box(&processed)))
    });
    group.finish();
}

/// A configuration that samples: ratio 0.1, a minimum level for one service.
fn sampling_config() -> Config {
    let mut config = Config::default();
    config.policy.sampling.default_ratio = 0.1;
    let info = logbridge::config::policy::LevelName::Info;
    config
        .policy
        .levels
        .services
        .insert("checkout".into(), info);
    config
}

/// The policy step alone on processed records (verdicts, the tally of what is not stored and
/// the sizes of what is): off (the defaults) and sampling at 0.1; then the whole path at 0.1.
fn policy_step(group: &mut criterion::BenchmarkGroup<'_, ThreadCpuTime>, processed: &[LogRecord]) {
    use logbridge::ingest::policy::apply;
    let defaults = Pipeline::from_config(&Config::default()).expect("the default pipeline");
    let sampling = Pipeline::from_config(&sampling_config()).expect("the sampling pipeline");
    for (name, pipeline) in [
        ("policy_step_off", &defaults),
        ("policy_step_0_1", &sampling),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || processed.to_vec(),
                |mut records| {
                    let applied = apply(&mut records, pipeline.policy(), None);
                    (records, applied.is_ok())
                },
                BatchSize::SmallInput,
            )
        });
    }
    // The verdicts alone (levels and sampling decided, nothing tallied, sized or dropped).
    group.bench_function("policy_decide_0_1", |b| {
        let policy = sampling.policy();
        b.iter(|| {
            (processed.iter())
                .filter(|r| policy.decide(black_box(r)) == Verdict::Store)
                .count()
        })
    });
    let body = request().encode_to_vec();
    let sampled = preparer(&sampling_config());
    group.bench_function("full_path_sampled_0_1", |b| {
        b.iter(|| full_path(black_box(&body), &sampled))
    });
}

/// The Loki receiver's decode function, then the same prepare and counting as [`full_path`].
fn loki_full_path(body: &[u8], preparer: &Preparer) -> usize {
    let pipeline = preparer.pipeline();
    let context = request_context(pipeline.aliases());
    let push = loki::Push {
        tenant: None,
        max_bytes: 16 << 20,
    };
    let decoded = loki::decode_protobuf(body, &context, &push).expect("the workload decodes");
    let prepared = preparer.prepare(decoded.records);
    preparer.observe(prepared.samples, &prepared.tallies);
    prepared.batch.data.len()
}

fn loki_path(c: &mut Criterion<ThreadCpuTime>) {
    let config = Config::default();
    let body = workload::loki_push(&request(), Utc::now().timestamp());
    let mut group = c.benchmark_group("loki_500");
    group.throughput(Throughput::Elements(RECORDS as u64));
    let full = preparer(&config);
    group.bench_function("full_path", |b| {
        b.iter(|| loki_full_path(black_box(&body), &full))
    });
    let push = loki::Push {
        tenant: None,
        max_bytes: 16 << 20,
    };
    group.bench_function("decode_protobuf", |b| {
        b.iter(|| {
            let context = request_context(&config.fields);
            loki::decode_protobuf(black_box(&body), &context, &push).unwrap()
        })
    });
    group.finish();
}

/// The string values of one attribute over the request's records.
fn attribute_texts(request: &ExportLogsServiceRequest, key: &str) -> Vec<String> {
    let records = request.resource_logs.iter().flat_map(|r| &r.scope_logs);
    records
        .flat_map(|s| &s.log_records)
        .flat_map(|r| &r.attributes)
        .filter(|kv| kv.key == key)
        .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// The request's records that carry an exception, enriched but not yet grouped.
fn exception_records(request: &ExportLogsServiceRequest, config: &Config) -> Vec<LogRecord> {
    let mut records = otlp::convert(request.clone(), Utc::now()).records;
    records.retain_mut(|record| {
        enrich::enrich(record, &config.fields);
        record.exception.is_some()
    });
    records
}

fn micro(c: &mut Criterion<ThreadCpuTime>) {
    let config = Config::default();
    let request = request();
    let ndjson = workload::ndjson(&request);
    let statements = attribute_texts(&request, "db.query.text");
    let paths = attribute_texts(&request, "url.path");

    let mut group = c.benchmark_group("micro");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("json_decode_ndjson_500", |b| {
        b.iter(|| {
            let context = request_context(&config.fields);
            json::decode(black_box(&ndjson), &context).unwrap()
        })
    });
    let otlp_json = serde_json::to_vec(&request).expect("the request serializes as OTLP/JSON");
    group.bench_function("otlp_json_decode_500", |b| {
        b.iter(|| otlp::parse_json(black_box(&otlp_json), &RequestBounds::default()).unwrap())
    });
    let redactor = Redactor::from_config(&config.redaction).expect("the default rules");
    let converted = otlp::convert(request.clone(), Utc::now()).records;
    group.bench_function("redaction_500", |b| {
        b.iter_batched(
            || converted.clone(),
            |mut records| {
                let mut redactions = redactor.batch();
                for record in &mut records {
                    redactor.redact(record, &mut redactions);
                }
                records
            },
            BatchSize::SmallInput,
        )
    });
    let exceptions = exception_records(&request, &config);
    group.throughput(Throughput::Elements(exceptions.len() as u64));
    group.bench_function("exception_fingerprint", |b| {
        b.iter_batched(
            || exceptions.clone(),
            |mut records| {
                for record in &mut records {
                    grouping::assign(record);
                }
                records
            },
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(statements.len() as u64));
    group.bench_function("sql_fingerprint", |b| {
        b.iter(|| {
            for statement in &statements {
                black_box(sql::fingerprint(black_box(statement)));
            }
        })
    });
    group.throughput(Throughput::Elements(paths.len() as u64));
    group.bench_function("route_template", |b| {
        b.iter(|| {
            for path in &paths {
                black_box(route::template(black_box(path)));
            }
        })
    });
    group.finish();
}

fn config() -> Criterion<ThreadCpuTime> {
    Criterion::default()
        .with_measurement(ThreadCpuTime)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = otlp_path, otlp_spans_path, loki_path, es_bulk_path, faro_path, micro
}
criterion_main!(benches);
