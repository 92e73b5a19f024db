//! Every accepted span is stored exactly once: a batch re-sent after a timeout, a span sent
//! twice in one request, concurrent requests holding the same span, and batches mixing valid and
//! invalid spans (the property test); the exceptions and the metrics of a span sent again count
//! once.

use std::collections::{BTreeMap, BTreeSet};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::Event;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use prost::Message;

use super::{count_spans, now_nanos, request, span, string};
use crate::api::helpers::{TestApp, spawn_app, spawn_app_with};

/// Posts a protobuf request of `service`; asserts a 200 and gives the spans rejected.
async fn post(app: &TestApp, service: &str, spans: Vec<Span>) -> i64 {
    let body = request(service, spans).encode_to_vec();
    let response = app.post("/v1/traces", "application/x-protobuf", body).await;
    assert_eq!(response.status(), 200);
    let answer = ExportTraceServiceResponse::decode(response.bytes().await.unwrap()).unwrap();
    answer.partial_success.map_or(0, |p| p.rejected_spans)
}

#[tokio::test]
async fn a_re_sent_batch_and_a_span_sent_twice_are_stored_once() {
    let app = spawn_app().await;
    let batch: Vec<Span> = (1..=20).map(span).collect();
    assert_eq!(post(&app, "retrying", batch.clone()).await, 0);
    assert_eq!(
        post(&app, "retrying", batch.clone()).await,
        0,
        "the retry is acknowledged"
    );
    assert_eq!(count_spans(&app, "service = 'retrying'").await, 20);

    // Half old, half new, and one new span twice in the same request.
    let mut mixed: Vec<Span> = batch[10..].to_vec();
    mixed.extend((21..=30).map(span));
    mixed.push(mixed.last().unwrap().clone());
    assert_eq!(post(&app, "retrying", mixed).await, 0);
    assert_eq!(count_spans(&app, "service = 'retrying'").await, 30);
    let twice = "(trace_id, span_id, start_ts) IN (SELECT trace_id, span_id, start_ts \
        FROM spans GROUP BY 1, 2, 3 HAVING count(*) > 1)";
    assert_eq!(count_spans(&app, twice).await, 0, "no span is stored twice");

    // The same span id started at another time is another span.
    let mut later = span(1);
    later.start_time_unix_nano += 1_000;
    later.end_time_unix_nano += 1_000;
    assert_eq!(post(&app, "retrying", vec![later]).await, 0);
    assert_eq!(count_spans(&app, "span_id = '0101010101010101'").await, 2);
}

/// A span whose `exception` event is one occurrence of group `Timeout: upstream timed out`.
fn failing(id: u8) -> Span {
    let mut failing = span(id);
    failing.events = vec![Event {
        name: "exception".into(),
        time_unix_nano: failing.start_time_unix_nano + 1_000,
        attributes: vec![
            string("exception.type", "Timeout"),
            string("exception.message", "upstream timed out"),
        ],
        ..Event::default()
    }];
    failing
}

#[tokio::test]
async fn the_exceptions_of_a_re_sent_span_are_counted_once() {
    let app = spawn_app().await;
    let (first, second) = (failing(1), failing(2));
    assert_eq!(post(&app, "flaky", vec![first.clone()]).await, 0);
    assert_eq!(post(&app, "flaky", vec![first.clone()]).await, 0);
    // Sent again beside a new failing span that is itself sent twice.
    assert_eq!(
        post(&app, "flaky", vec![first, second.clone(), second]).await,
        0
    );
    assert_eq!(count_spans(&app, "service = 'flaky'").await, 2);
    let occurrences: Vec<i64> =
        sqlx::query_scalar("SELECT occurrences FROM exception_groups WHERE service = 'flaky'")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(occurrences, [2], "one occurrence per stored span");
}

/// A server span of request `GET /orders/{id}`.
fn request_span(id: u8) -> Span {
    let mut request = span(id);
    request.attributes = vec![
        string("http.request.method", "GET"),
        string("http.route", "/orders/{id}"),
        string("http.response.status_code", "200"),
    ];
    request
}

#[tokio::test]
async fn the_metrics_of_a_re_sent_span_are_counted_once() {
    let app = spawn_app().await;
    let batch: Vec<Span> = (1..=3).map(request_span).collect();
    assert_eq!(post(&app, "resent", batch.clone()).await, 0);
    assert_eq!(post(&app, "resent", batch.clone()).await, 0);
    // Two sent before beside two new ones, one of them twice.
    let mut mixed = batch[1..].to_vec();
    let twice = request_span(5);
    mixed.extend([request_span(4), twice.clone(), twice]);
    assert_eq!(post(&app, "resent", mixed).await, 0);
    assert_eq!(count_spans(&app, "service = 'resent'").await, 5);

    let calls = "traces_span_metrics_calls_total";
    let service = [("service_name", "resent")];
    assert_eq!(app.metric_sum(calls, &service).await, 5.0, "not 11");
    let durations = "traces_span_metrics_duration_seconds_count";
    assert_eq!(app.metric_sum(durations, &service).await, 5.0);
    let requests = "http_server_request_duration_seconds_count";
    let service = [("service", "resent")];
    assert_eq!(app.metric_sum(requests, &service).await, 5.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_holding_the_same_spans_store_them_once() {
    let app = spawn_app_with(|config| {
        config.ingest.writers = 4;
        config.ingest.batch_max_records = 1;
    })
    .await;
    let batch: Vec<Span> = (1..=40).map(span).collect();
    let body = request("racing", batch).encode_to_vec();
    let sends: Vec<_> = (0..8)
        .map(|_| {
            let (client, url, body) = (
                app.client.clone(),
                format!("{}/v1/traces", app.http),
                body.clone(),
            );
            tokio::spawn(async move {
                let sent = client
                    .post(url)
                    .header("content-type", "application/x-protobuf");
                sent.body(body).send().await.unwrap().status()
            })
        })
        .collect();
    for send in sends {
        assert_eq!(send.await.unwrap(), 200);
    }
    assert_eq!(count_spans(&app, "service = 'racing'").await, 40);
}

/// One span of a property case: which of a few ids and starts (so that cases repeat spans
/// often), and whether it is valid.
#[derive(Debug, Clone, Copy)]
struct Pick {
    id: u8,
    start: u8,
    fault: Fault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// A trace id of 15 bytes.
    ShortTraceId,
    /// An end before the start.
    EndsEarly,
}

fn pick_strategy() -> impl Strategy<Value = Pick> {
    let fault = prop_oneof![
        6 => Just(Fault::None),
        1 => Just(Fault::ShortTraceId),
        1 => Just(Fault::EndsEarly),
    ];
    (0..6u8, 0..2u8, fault).prop_map(|(id, start, fault)| Pick { id, start, fault })
}

/// A request's picks, and how many times it is sent (a retry re-sends it whole).
type Batch = (Vec<Pick>, usize);

fn batch_strategy() -> impl Strategy<Value = Batch> {
    (prop::collection::vec(pick_strategy(), 1..8), 1..3usize)
}

/// The span of a pick in case `case`: the case is in the trace id, so cases never share spans.
fn span_of(case: usize, base: u64, pick: &Pick) -> Span {
    let mut trace_id = vec![0xcd; 16];
    trace_id[0] = case as u8 + 1;
    let start = base + u64::from(pick.start) * 1_000_000;
    let mut span = Span {
        trace_id,
        span_id: vec![pick.id + 1; 8],
        name: "op".into(),
        kind: 2,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 500_000,
        ..Span::default()
    };
    match pick.fault {
        Fault::None => {}
        Fault::ShortTraceId => span.trace_id.truncate(15),
        Fault::EndsEarly => span.end_time_unix_nano = start - 1,
    }
    span
}

/// Sends every batch (each as often as it says), all at once; checks that the valid spans were
/// acknowledged and the invalid ones rejected, and that each distinct valid span is one row.
async fn check_case(app: &TestApp, case: usize, batches: &[Batch]) {
    let base = now_nanos() - 60_000_000_000;
    let service = format!("case{case}");
    let mut sends = Vec::new();
    let mut rejected_expected = 0;
    let mut expected: BTreeSet<(u8, u8)> = BTreeSet::new();
    for (picks, times) in batches {
        let spans: Vec<Span> = picks.iter().map(|p| span_of(case, base, p)).collect();
        let invalid = picks.iter().filter(|p| p.fault != Fault::None).count() as i64;
        rejected_expected += invalid * *times as i64;
        let valid = picks.iter().filter(|p| p.fault == Fault::None);
        expected.extend(valid.map(|p| (p.id, p.start)));
        for _ in 0..*times {
            let body = request(&service, spans.clone()).encode_to_vec();
            let (client, url) = (app.client.clone(), format!("{}/v1/traces", app.http));
            sends.push(tokio::spawn(async move {
                let response = send_until_accepted(&client, &url, body).await;
                let answer = ExportTraceServiceResponse::decode(response.bytes().await.unwrap());
                answer
                    .unwrap()
                    .partial_success
                    .map_or(0, |p| p.rejected_spans)
            }));
        }
    }
    let mut rejected = 0;
    for send in sends {
        rejected += send.await.unwrap();
    }
    let context = format!("case {case}: {batches:?}");
    assert_eq!(
        rejected, rejected_expected,
        "{context}: invalid spans are rejected"
    );
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT span_id || '@' || extract(epoch FROM start_ts)::text, count(*) FROM spans \
         WHERE service = $1 GROUP BY 1",
    )
    .bind(&service)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let stored: BTreeMap<String, i64> = rows.into_iter().collect();
    assert_eq!(stored.len(), expected.len(), "{context}: {stored:?}");
    assert!(
        stored.values().all(|count| *count == 1),
        "{context}: every span once: {stored:?}"
    );
}

/// Property cases, each with its own trace id in one bridge.
const CASES: usize = 16;

#[test]
fn every_accepted_span_is_stored_exactly_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = spawn_app_with(|config| {
            config.ingest.writers = 3;
            config.ingest.batch_max_records = 6;
        })
        .await;
        let mut runner = TestRunner::new(ProptestConfig::with_cases(CASES as u32));
        let strategy = prop::collection::vec(batch_strategy(), 1..6);
        for case in 0..CASES {
            let batches = strategy.new_tree(&mut runner).unwrap().current();
            check_case(&app, case, &batches).await;
        }
    });
}

/// Posts the body as an OTLP exporter does: again after a 503 (identical batches sent at once
/// may deadlock in PostgreSQL, and the bridge answers 503 with Retry-After for the client to
/// retry), until it is accepted.
async fn send_until_accepted(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    for _ in 0..20 {
        let sent = client
            .post(url)
            .header("content-type", "application/x-protobuf");
        let response = sent.body(body.clone()).send().await.unwrap();
        if response.status() != 503 {
            assert_eq!(response.status(), 200);
            return response;
        }
        assert!(response.headers().contains_key("retry-after"));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("still 503 after 20 tries");
}
