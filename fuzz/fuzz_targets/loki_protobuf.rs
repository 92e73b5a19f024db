//! A Loki push `PushRequest` (snappy-compressed by the harness, and as a raw body), through logbridge's pure request path and its invariants (`logbridge::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logbridge::fuzzing::loki_protobuf(data));
