//! A `POST /es/{index}/_bulk` body: NDJSON action/source pairs, through logbridge's pure request path and its invariants (`logbridge::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logbridge::fuzzing::es_bulk(data));
