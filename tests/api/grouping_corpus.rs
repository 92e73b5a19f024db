//! The grouping corpus (bench/grouping/) through the real decode and pipeline, per logger:
//! every event's exception is detected with its frames, the events of one true group share one
//! exception group and different true groups do not; the whole corpus scores ARI >= 0.9.

#[path = "../../bench/grouping/eval/corpus.rs"]
mod corpus;
#[path = "../../bench/grouping/eval/score.rs"]
mod score;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::LazyLock;

use chrono::Utc;
use corpus::Event;
use logbridge::config::Config;
use logbridge::model::{SpanEvent, SpanKind, SpanRecord};
use logbridge::pipeline::Pipeline;
use logbridge::pipeline::exception::trace;

static EVENTS: LazyLock<Vec<Event>> = LazyLock::new(|| {
    corpus::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/grouping/corpus"))
});

/// The events of one corpus file.
fn logger(name: &str) -> Vec<&'static Event> {
    let prefix = format!("{name}:");
    let events: Vec<&Event> = EVENTS
        .iter()
        .filter(|e| e.origin.starts_with(&prefix))
        .collect();
    assert!(events.len() >= 30, "{name}: {} events", events.len());
    events
}

/// Every event has an exception whose stack trace yields frames, and the groups are the true
/// ones: one fingerprint per true group, a different one for each.
fn assert_grouped_by_the_bug(name: &str) -> BTreeMap<String, String> {
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for event in logger(name) {
        let exception = (event.record.exception.as_ref())
            .unwrap_or_else(|| panic!("{}: no exception", event.origin));
        let stack = exception.stacktrace.as_deref().unwrap_or_default();
        assert!(
            !trace::parse(stack).is_empty(),
            "{}: no frames in {stack:?}",
            event.origin
        );
        groups
            .entry(event.truth.clone())
            .or_default()
            .insert(exception.fingerprint.clone());
    }
    for (truth, fingerprints) in &groups {
        assert_eq!(
            fingerprints.len(),
            1,
            "{name}: {truth} split into {fingerprints:?}"
        );
    }
    let group_of: BTreeMap<String, String> = (groups.into_iter())
        .map(|(truth, fingerprints)| (truth, fingerprints.into_iter().next().unwrap_or_default()))
        .collect();
    let distinct: BTreeSet<&String> = group_of.values().collect();
    assert_eq!(
        distinct.len(),
        group_of.len(),
        "{name}: true groups merged: {group_of:?}"
    );
    group_of
}

/// The exception type the bridge read for the events of a true group.
fn exception_type(truth: &str) -> String {
    let event = EVENTS
        .iter()
        .find(|e| e.truth == truth)
        .expect("the true group");
    event
        .record
        .exception
        .as_ref()
        .expect("an exception")
        .exception_type
        .clone()
}

#[test]
fn loguru_tracebacks_in_text() {
    assert_grouped_by_the_bug("loguru");
    assert_eq!(
        exception_type("shop-loguru/orders-load-keyerror"),
        "KeyError"
    );
}

#[test]
fn python_json_logger_exc_info_with_chains() {
    let groups = assert_grouped_by_the_bug("jsonlogger");
    let token = &groups["shop-jsonlogger/payments-charge-token"];
    assert_ne!(token, &groups["shop-jsonlogger/payments-charge-amount"]);
}

#[test]
fn otel_python_exception_attributes() {
    assert_grouped_by_the_bug("otel");
    assert_eq!(
        exception_type("shop-otel/stats-average-zero"),
        "ZeroDivisionError"
    );
}

#[test]
fn pino_err_with_causes() {
    assert_grouped_by_the_bug("pino");
    assert_eq!(
        exception_type("shop-pino/pricing-currency"),
        "ValidationError"
    );
}

#[test]
fn winston_top_level_stack() {
    assert_grouped_by_the_bug("winston");
    assert_eq!(
        exception_type("shop-winston/users-email-undefined"),
        "TypeError"
    );
}

#[test]
fn logback_logstash_stack_trace_with_caused_by() {
    assert_grouped_by_the_bug("logback");
    assert_eq!(
        exception_type("shop-logback/inventory-index"),
        "java.lang.IndexOutOfBoundsException"
    );
}

#[test]
fn zap_stacktrace_debug_stack_and_go_panics() {
    assert_grouped_by_the_bug("zap");
    assert_eq!(exception_type("shop-go/go-nil-cart"), "panic");
}

#[test]
fn ruby_logger_backtrace_arrays() {
    assert_grouped_by_the_bug("ruby");
    assert_eq!(exception_type("shop-ruby/coupons-unknown"), "ArgumentError");
}

#[test]
fn monolog_json_formatter_context_exception() {
    let groups = assert_grouped_by_the_bug("monolog");
    assert_eq!(
        exception_type("shop-monolog/stats-average-empty"),
        "DivisionByZeroError"
    );
    let vendor = &groups["shop-monolog/money-parse-invalid"];
    assert_ne!(vendor, &groups["shop-monolog/cart-total-null"]);
}

#[test]
fn monolog_line_formatter_in_a_json_message() {
    assert_grouped_by_the_bug("monolog-line");
    assert_eq!(
        exception_type("shop-monolog-line/payments-charge-declined"),
        "Shop\\PaymentFailed"
    );
}

#[test]
fn the_whole_corpus_scores_above_the_target() {
    let truth: Vec<String> = EVENTS.iter().map(|e| e.truth.clone()).collect();
    let predicted: Vec<Option<String>> = EVENTS.iter().map(Event::group).collect();
    assert!(
        predicted.iter().all(Option::is_some),
        "an event was not detected"
    );
    let scores = score::score(&truth, &predicted);
    assert!(scores.adjusted_rand >= 0.9, "{scores:?}");
}

/// An OTel Python exception sent as a span's `exception` event joins the group of the same
/// exception logged through the SDK's logging handler.
#[test]
fn a_span_event_joins_the_group_of_the_logged_exception() {
    let pipeline = Pipeline::from_config(&Config::default()).expect("the default pipeline");
    for event in logger("otel") {
        let record = &event.record;
        let mut span = SpanRecord::new("a".repeat(32), "b".repeat(16), "op".into(), Utc::now());
        span.kind = SpanKind::Server;
        span.service = record.service.clone();
        let attributes = (record.attributes.iter())
            .filter(|(key, _)| key.starts_with("exception."))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        span.events = vec![SpanEvent {
            name: "exception".into(),
            time: Utc::now(),
            attributes,
        }];
        pipeline.process_span(&mut span, &mut pipeline.redactions());
        let logged = record.exception.as_ref().expect("an exception");
        assert_eq!(
            span.exceptions[0].exception.fingerprint, logged.fingerprint,
            "{}",
            event.origin
        );
    }
}
