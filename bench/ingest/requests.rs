//! What the clients send, for either signal: generated OTLP log requests (bench/workload.rs) or
//! trace requests (bench/span_workload.rs), 200 to 500 records or spans each.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::{Signal, span_workload, workload};

/// The generated requests of one signal.
pub enum Requests {
    Logs(Vec<ExportLogsServiceRequest>),
    Traces(Vec<ExportTraceServiceRequest>),
}

impl Requests {
    /// `records` log records or spans of `signal`, deterministic for `seed`, timed in the hour
    /// before `now_unix_nanos`.
    pub fn generate(signal: Signal, records: usize, seed: u64, now_unix_nanos: u64) -> Requests {
        match signal {
            Signal::Logs => Requests::Logs(workload::requests(records, seed, now_unix_nanos)),
            Signal::Traces => Requests::Traces(traces(records, seed, now_unix_nanos)),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Requests::Logs(requests) => requests.len(),
            Requests::Traces(requests) => requests.len(),
        }
    }

    /// The bytes of every request as OTLP protobuf.
    pub fn encoded_len(&self) -> usize {
        match self {
            Requests::Logs(requests) => requests.iter().map(Message::encoded_len).sum(),
            Requests::Traces(requests) => requests.iter().map(Message::encoded_len).sum(),
        }
    }
}

/// Requests of 200 to 500 spans (whole traces of five) until `spans` spans.
fn traces(spans: usize, seed: u64, now_unix_nanos: u64) -> Vec<ExportTraceServiceRequest> {
    let mut requests = Vec::new();
    let mut left = spans;
    let mut state = seed.max(1);
    while left > 0 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let size = (200 + (state >> 33) as usize % 301).min(left);
        requests.push(span_workload::spans_request(size, state, now_unix_nanos));
        left -= size;
    }
    requests
}
