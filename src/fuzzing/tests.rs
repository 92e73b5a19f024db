//! Every seed of the fuzz corpora (`fuzz/corpus/<target>/`) and every reproducer the fuzzers
//! found (`tests/fixtures/fuzz/<target>/`) goes through its harness here, so CI checks them
//! without a fuzzer.

use std::path::Path;

/// Runs `harness` on every file of both directories of `target`; returns how many ran.
fn run_all(target: &str, harness: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dirs = [
        root.join("fuzz/corpus").join(target),
        root.join("tests/fixtures/fuzz").join(target),
    ];
    let mut ran = 0;
    for dir in dirs.iter().filter(|dir| dir.is_dir()) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| harness(&data));
            assert!(outcome.is_ok(), "{} fails its harness", path.display());
            ran += 1;
        }
    }
    ran
}

#[test]
fn otlp_protobuf_corpus() {
    assert!(run_all("otlp_protobuf", super::otlp_protobuf) >= 3);
}

#[test]
fn otlp_json_corpus() {
    assert!(run_all("otlp_json", super::otlp_json) >= 2);
}

#[test]
fn json_logs_corpus() {
    assert!(run_all("json_logs", super::json_logs) >= 7);
}

#[test]
fn gzip_corpus() {
    assert!(run_all("gzip", super::gzip) >= 1);
}

#[test]
fn alert_webhook_corpus() {
    assert!(run_all("alert_webhook", super::alert_webhook) >= 3);
}

#[test]
fn loki_protobuf_corpus() {
    assert!(run_all("loki_protobuf", super::loki_protobuf) >= 2);
}

#[test]
fn loki_json_corpus() {
    assert!(run_all("loki_json", super::loki_json) >= 2);
}

#[test]
fn es_bulk_corpus() {
    assert!(run_all("es_bulk", super::es_bulk) >= 4);
}

#[test]
fn otlp_traces_protobuf_corpus() {
    assert!(run_all("otlp_traces_protobuf", super::otlp_traces_protobuf) >= 2);
}

#[test]
fn otlp_traces_json_corpus() {
    assert!(run_all("otlp_traces_json", super::otlp_traces_json) >= 2);
}
