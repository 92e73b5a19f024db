//! An OTLP/HTTP JSON traces body, through logbridge's pure request path and its invariants (`logbridge::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logbridge::fuzzing::otlp_traces_json(data));
