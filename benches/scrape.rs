//! Scrape cost: rendering `/metrics` with about 10,000 live series (sample lines, as Prometheus
//! counts them) in both exposition formats. The series come from realistic label sets: request
//! histograms per service, method, route and status, query histograms, slow queries, exception
//! and log counters, each with a trace-id exemplar. See bench/README.md.

use std::hint::black_box;
use std::time::Duration;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logbridge::config::Config;
use logbridge::metrics::{Format, Metrics};
use logbridge::model::{DbQuery, ExceptionInfo, HttpRequest, Level, LogRecord};

/// The same allocator as the `logbridge` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TARGET_SERIES: usize = 10_000;
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const STATUSES: [u16; 3] = [200, 404, 500];

/// One record per label set of the `n`-th group: a request, a slow query and an exception.
fn records(n: usize) -> Vec<LogRecord> {
    let service = format!("service-{}", n % 12);
    let mut out = Vec::new();
    for (i, method) in METHODS.iter().enumerate() {
        let mut record = LogRecord::new(format!("request {n}"), Utc::now());
        record.service = service.clone();
        record.level = Level::ALL[(n + i) % Level::ALL.len()];
        record.trace_id = Some(format!("{:032x}", n * 7 + i));
        record.request = Some(HttpRequest {
            method: method.to_string(),
            route: format!("/api/v1/resource{}/{{id}}", n / 12),
            status_code: Some(STATUSES[(n + i) % STATUSES.len()]),
            duration_seconds: Some(0.001 * (n % 2000) as f64),
        });
        out.push(record);
    }
    let mut query = LogRecord::new(format!("query {n}"), Utc::now());
    query.service = service.clone();
    query.query = Some(DbQuery {
        system: "postgresql".into(),
        operation: "SELECT".into(),
        fingerprint: format!("SELECT * FROM table_{n} WHERE id = ?"),
        duration_seconds: Some(0.9),
    });
    out.push(query);
    let mut exception = LogRecord::new(format!("exception {n}"), Utc::now());
    exception.service = service;
    exception.level = Level::Error;
    exception.exception = Some(ExceptionInfo {
        exception_type: format!("Error{n}"),
        message: "failed".into(),
        stacktrace: None,
        fingerprint: format!("{n:x}"),
    });
    out.push(exception);
    out
}

fn sample_lines(text: &str) -> usize {
    text.lines().filter(|line| !line.starts_with('#')).count()
}

/// Metrics holding at least [`TARGET_SERIES`] series.
fn populated() -> Metrics {
    let mut config = Config::default();
    config.metrics.max_series_per_metric = 100_000;
    let metrics = Metrics::new(&config.metrics);
    let mut n = 0;
    while sample_lines(&metrics.render(Format::PrometheusText)) < TARGET_SERIES {
        for _ in 0..25 {
            metrics.observe_accepted(&records(n));
            n += 1;
        }
    }
    metrics
}

fn scrape(c: &mut Criterion) {
    let metrics = populated();
    let mut group = c.benchmark_group("scrape");
    for (name, format) in [
        ("prometheus_text", Format::PrometheusText),
        ("openmetrics", Format::OpenMetrics),
    ] {
        let text = metrics.render(format);
        let series = sample_lines(&text);
        eprintln!(
            "{name}: {series} sample lines, {} bytes ({:.0} bytes/series)",
            text.len(),
            text.len() as f64 / series as f64
        );
        group.throughput(Throughput::Elements(series as u64));
        group.bench_function(name, |b| b.iter(|| black_box(metrics.render(format))));
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = scrape
}
criterion_main!(benches);
