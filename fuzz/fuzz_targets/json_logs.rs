//! A `POST /api/v1/logs` body: JSON, an array, `{"logs": [...]}` or NDJSON, through logbridge's pure request path and its invariants (`logbridge::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logbridge::fuzzing::json_logs(data));
