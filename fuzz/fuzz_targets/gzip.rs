//! A gzip request body, decompressed within the body limit, then given to every decoder, through logbridge's pure request path and its invariants (`logbridge::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logbridge::fuzzing::gzip(data));
