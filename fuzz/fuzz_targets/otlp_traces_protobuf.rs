//! An OTLP traces protobuf body (HTTP or gRPC), through logbridge's pure request path and its invariants (`logbridge::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logbridge::fuzzing::otlp_traces_protobuf(data));
