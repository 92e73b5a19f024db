//! The Loki push API: bodies shaped as the shippers send them, hostile bodies, credentials,
//! and the real client libraries (`clients`).

mod clients;
mod hostile;
mod push;

use logbridge::ingest::loki::proto::{Entry, PushRequest, Stream, Timestamp};
use prost::Message;

use super::helpers::TestApp;

pub const PUSH: &str = "/loki/api/v1/push";

/// POSTs a push body with the given headers.
pub async fn push(app: &TestApp, headers: &[(&str, &str)], body: Vec<u8>) -> reqwest::Response {
    let mut request = app.client.post(format!("{}{PUSH}", app.http)).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request is sent")
}

/// A `PushRequest` of one stream with `lines`, snappy-compressed as clients send it.
pub fn snappy_push(labels: &str, lines: &[&str]) -> Vec<u8> {
    let entries = lines.iter().enumerate().map(|(n, line)| Entry {
        timestamp: Some(Timestamp {
            seconds: chrono::Utc::now().timestamp(),
            nanos: n as i32,
        }),
        line: line.as_bytes().to_vec(),
        structured_metadata: Vec::new(),
    });
    let request = PushRequest {
        streams: vec![Stream {
            labels: labels.to_string(),
            entries: entries.collect(),
        }],
    };
    snappy(&request.encode_to_vec())
}

pub fn snappy(bytes: &[u8]) -> Vec<u8> {
    snap::raw::Encoder::new().compress_vec(bytes).unwrap()
}

pub const PROTOBUF: (&str, &str) = ("content-type", "application/x-protobuf");
pub const JSON: (&str, &str) = ("content-type", "application/json");
